/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * events.h - the engine's one internal event interface
 *
 * The engine reports what happens to the tree's traffic here, once, as it
 * happens: a flow started (a TCP connect attempt, a UDP or ICMP flow
 * opened), connected, failed, ended (byte counts, duration, how); a DNS
 * query and its answer; a denial. Consumers (the flow log, the summary, the
 * capture's name map, CHILDFLOW_DEBUG=1 on stderr) register a sink; the
 * producer pays one predictable branch when nobody listens:
 *
 *	if (events_wanted()) { struct event ev = {...}; events_emit(&ev); }
 *
 * Fields a kind does not use stay zero/NULL. Pointers in an event are valid
 * only during the sink call: a sink copies what it keeps.
 */
#ifndef CHILDFLOW_EVENTS_H
#define CHILDFLOW_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/cidr.h"
#include "policy/policy.h"

struct dnsmsg_answer;

enum event_kind {
	EVENT_FLOW_START,     /* SPEC connect_attempt (TCP); UDP/ICMP opened */
	EVENT_FLOW_CONNECTED, /* SPEC connect_result, status ok */
	EVENT_FLOW_FAILED,    /* SPEC connect_result, status error */
	EVENT_FLOW_END,	      /* SPEC flow_end */
	EVENT_DNS_QUERY,      /* SPEC dns_query */
	EVENT_DNS_ANSWER,     /* SPEC dns_answer */
	EVENT_DENY,	      /* SPEC policy_violation */
	EVENT_RUNTIME_FAILURE /* SPEC runtime_failure */
};

enum event_proto {
	EVENT_PROTO_TCP,
	EVENT_PROTO_UDP,
	EVENT_PROTO_ICMP4,
	EVENT_PROTO_ICMP6,
	EVENT_PROTO_DNS,
};

enum event_end {
	EVENT_END_CLOSE,
	EVENT_END_RESET,
	EVENT_END_TIMEOUT,
	EVENT_END_SANDBOX_EXIT,
};

enum event_dns_mode {
	EVENT_DNS_RELAYED,
	EVENT_DNS_SYNTHETIC_EMPTY,
	EVENT_DNS_SYNTHETIC_REFUSED,
	EVENT_DNS_SYNTHETIC_PROXY_DNS, /* --proxy-dns: a pool address */
};

struct event {
	enum event_kind kind;
	uint64_t ts_ms;	  /* Unix ms, set by events_emit() */
	uint32_t flow_id; /* 0 when the event belongs to no flow */
	enum event_proto proto;
	struct ipaddr remote; /* family 0 when unknown */
	uint16_t remote_port;
	bool via_proxy;
	/* TCP flows under --proxy-dns: the name the remote (a pool address)
	 * stands for, which the proxy connects to; else NULL
	 */
	const char *remote_name;

	/* EVENT_FLOW_FAILED: a stable code ("refused", "unreachable",
	 * "timeout", "reset", ...) and text
	 */
	const char *error;
	const char *error_detail;

	/* EVENT_FLOW_END */
	uint64_t bytes_sent;	 /* tree -> remote */
	uint64_t bytes_received; /* remote -> tree */
	uint64_t duration_ms;
	enum event_end end;
	/* EVENT_FLOW_END of TCP: the host name the tree's first bytes asked
	 * for (TLS server_name or HTTP Host), NULL when none was seen
	 */
	const char *sni, *http_host;

	/* EVENT_DNS_QUERY / EVENT_DNS_ANSWER: remote is the server the tree
	 * asked (the engine's address, or any address with --dns)
	 */
	bool dns_tcp;
	const char *qname; /* lower-case, NULL when unparsable */
	uint16_t qtype;
	enum event_dns_mode dns_mode;
	size_t dns_bytes;
	const struct dnsmsg_answer *answer; /* relayed answers; else NULL */

	/* EVENT_DENY */
	const struct policy_decision *decision;

	/* EVENT_RUNTIME_FAILURE */
	const char *phase, *reason_code, *detail;
};

typedef void (*events_sink_fn)(const struct event *ev, void *ctx);

extern bool events_on;

/* events_wanted() - is anybody listening? Check before building an event */
static inline bool events_wanted(void)
{
	return events_on;
}

/* events_init() - reset the sinks; add the stderr printer when
 * CHILDFLOW_DEBUG=1. Called once at engine start.
 */
void events_init(void);

/* events_add_sink() - call @fn(ev, @ctx) for every event from now on
 * Return: 0, or -1 when the (small, fixed) sink table is full.
 */
int events_add_sink(events_sink_fn fn, void *ctx);

/* events_emit() - stamp @ev with the time and hand it to every sink */
void events_emit(struct event *ev);

/* events_failure() - emit a runtime_failure: @phase ("preflight", "run",
 * ...), a stable @reason_code and a one-line @detail
 */
void events_failure(const char *phase, const char *reason_code,
		    const char *detail);

/* events_proto_name() - "tcp", "udp", "icmpv4", "icmpv6", "dns" */
const char *events_proto_name(enum event_proto p);

/* events_end_name() - "close", "reset", "timeout", "sandbox_exit" */
const char *events_end_name(enum event_end e);

/* events_dns_mode_name() - "relayed", "synthetic_empty", ... */
const char *events_dns_mode_name(enum event_dns_mode m);

/* events_debug() - is CHILDFLOW_DEBUG=1 set (per-flow debug lines)? */
bool events_debug(void);

#endif /* CHILDFLOW_EVENTS_H */
