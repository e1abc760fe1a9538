/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * icmp.h - ICMP echo through ping or raw sockets, and the ICMP errors the
 * engine sends to the tree
 */
#ifndef CHILDFLOW_ICMP_H
#define CHILDFLOW_ICMP_H

#include <stdint.h>
#include <time.h> /* linux/errqueue.h needs struct timespec */

#include <linux/errqueue.h>

#include "engine/flow.h"
#include "engine/packet.h"

#define ICMP_TIMEOUT_MS (60 * 1000ULL) /* idle expiry of an echo session */

/* Errors the engine reports to the tree, per family */
enum icmp_err {
	ICMP_ERR_NET_UNREACH,
	ICMP_ERR_HOST_UNREACH,
	ICMP_ERR_PORT_UNREACH,
	ICMP_ERR_ADMIN_PROHIBITED,
};

struct icmp_flow {
	struct flow_common f;
	uint16_t id_to_host; /* the echo id the host socket uses */
	int16_t ttl_set;     /* TTL the socket has now, -1 for the default */
	uint8_t raw;	     /* a raw socket (else a ping socket) */
};

/* icmp_init() - probe ping and raw sockets for each family */
void icmp_init(struct engine *e);

/* icmp_from_child() - an ICMP/ICMPv6 message from the tree */
void icmp_from_child(struct engine *e, const struct packet *p);

/* icmp_sock_handler() - replies or errors on the host socket of @i */
void icmp_sock_handler(struct engine *e, struct icmp_flow *i, uint32_t events);

void icmp_timer(struct engine *e, struct icmp_flow *i);
void icmp_free(struct engine *e, struct icmp_flow *i);

/* icmp_error_to_child() - send the tree an ICMP error of kind @err from
 * @from about the packet @orig (@orig_len bytes, as the tree sent it)
 */
void icmp_error_to_child(struct engine *e, const struct ipaddr *from,
			 enum icmp_err err, const uint8_t *orig,
			 size_t orig_len);

/* icmp_errqueue_to_child() - turn one host-side error (from MSG_ERRQUEUE:
 * @ee, with @offender, about a datagram to @dst) into the matching ICMP
 * error to the tree, quoting @quote (@quote_len bytes: the tree's packet
 * as rebuilt by the caller)
 */
void icmp_errqueue_to_child(struct engine *e,
			    const struct sock_extended_err *ee,
			    const struct ipaddr *offender,
			    const struct ipaddr *dst, const uint8_t *quote,
			    size_t quote_len);

#endif /* CHILDFLOW_ICMP_H */
