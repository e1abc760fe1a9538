/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * flow_table.h - one entry of the flow table: a union of the protocols'
 * flows, which all start with struct flow_common
 */
#ifndef CHILDFLOW_FLOW_TABLE_H
#define CHILDFLOW_FLOW_TABLE_H

#include "engine/dns.h"
#include "engine/flow.h"
#include "engine/icmp.h"
#include "engine/tcp.h"
#include "engine/udp.h"

union flow {
	struct flow_common f;
	struct tcp_flow tcp;
	struct udp_flow udp;
	struct icmp_flow icmp;
	struct dns_flow dns;
};

/* Memory per idle flow is fixed and small (no data buffers) */
static_assert(sizeof(union flow) <= 256, "a flow must stay small");

/* flow_entry() - the table entry holding @f */
static inline union flow *flow_entry(struct flow_common *f)
{
	return (union flow *)(void *)f;
}

#endif /* CHILDFLOW_FLOW_TABLE_H */
