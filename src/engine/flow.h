/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * flow.h - the flow table: every TCP connection, UDP source, ICMP echo
 * session and DNS client of the tree, in one fixed array
 *
 * Lifecycle of an entry (asserted at every transition):
 *
 *   FREE --flow_alloc()--> NEW --flow_activate()--> ACTIVE
 *     ^                     |                         |
 *     |                     +------flow_kill()--------+
 *     |                                 v
 *     +---------flow_sweep()-------- DEAD
 *
 *   FREE    the slot is on the free list.
 *   NEW     a handler owns it and is filling it in (key, socket); it is
 *           not in the lookup hash and no epoll event names it yet.
 *   ACTIVE  in the hash: packets from the tree find it by its key, epoll
 *           events by its index. The protocol keeps its own sub-state
 *           (tcp.h: CONNECTING, SYN_SENT_TO_CHILD, ESTABLISHED, LINGER).
 *   DEAD    a handler decided it is over (and said how, for flow_end); it
 *           left the hash at once, so a new flow with the same key can
 *           start, but its memory and socket stay until the sweep.
 *
 * flow_sweep() runs after every batch of events: it calls the protocol's
 * free hook (which closes the socket and reports flow_end) and puts the
 * slot back on the free list. No flow disappears while a handler of the
 * same batch may still hold a pointer to it; handlers skip DEAD flows.
 */
#ifndef CHILDFLOW_FLOW_H
#define CHILDFLOW_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine_internal.h"
#include "observe/events.h"
#include "policy/cidr.h"

#define FLOW_MAX (1u << 16) /* entries; fits the 24 bits of epoll_ref */

static_assert(FLOW_MAX <= (1u << 24), "flow index must fit epoll_ref.flow");

enum flow_type {
	FLOW_TYPE_NONE = 0,
	FLOW_TYPE_TCP,	/* key: tree addr/port + remote addr/port */
	FLOW_TYPE_UDP,	/* key: tree addr/port; any number of remotes */
	FLOW_TYPE_ICMP, /* key: tree addr + echo id; any number of remotes */
	FLOW_TYPE_DNS,	/* key: tree addr/port + the server address asked */
};

enum flow_state {
	FLOW_STATE_FREE = 0,
	FLOW_STATE_NEW,
	FLOW_STATE_ACTIVE,
	FLOW_STATE_DEAD,
};

/* struct flow_common - the header every protocol's flow starts with */
struct flow_common {
	uint8_t state; /* enum flow_state */
	uint8_t type;  /* enum flow_type */
	uint8_t end;   /* enum event_end, set by flow_kill() */
	uint32_t id;   /* flow_id of the flow log: never reused in a run */
	int32_t next;  /* hash chain, free list, or dead list */
	int sock;      /* the host socket, -1 when none */
	struct ipaddr child;  /* the tree's address */
	struct ipaddr remote; /* TCP/DNS: key; UDP/ICMP: first destination */
	uint16_t child_port;  /* ICMP: the tree's echo id */
	uint16_t remote_port;
	uint64_t start_ms, last_ms; /* CLOCK_MONOTONIC */
	uint64_t bytes_from_child, bytes_to_child;
};

/* flow_uses_remote_key() - is the remote part of the lookup key? */
static inline bool flow_uses_remote_key(enum flow_type t)
{
	return t == FLOW_TYPE_TCP || t == FLOW_TYPE_DNS;
}

/* flow_init() - empty the table; called once by the loop */
void flow_init(void);

/* flow_deny_id() - a flow id for a flow denied at its first packet, which
 * takes no slot: its policy_violation is its only event
 */
uint32_t flow_deny_id(struct engine *e);

/* flow_alloc() - take a free slot for a flow of @type (state NEW)
 * Return: the flow, or NULL when the table is full.
 */
struct flow_common *flow_alloc(struct engine *e, enum flow_type type);

/* flow_activate() - NEW -> ACTIVE: enter @f in the lookup hash by the key
 * already in its header
 */
void flow_activate(struct flow_common *f);

/* flow_kill() - NEW/ACTIVE -> DEAD, remembering @end for flow_end; the
 * slot is freed by the next flow_sweep()
 */
void flow_kill(struct flow_common *f, enum event_end end);

/* flow_lookup() - the ACTIVE flow of @type with this key (@remote ignored
 * for UDP and ICMP), or NULL
 */
struct flow_common *flow_lookup(enum flow_type type, const struct ipaddr *child,
				uint16_t child_port,
				const struct ipaddr *remote,
				uint16_t remote_port);

/* flow_at() / flow_idx() - between a flow and its table index */
struct flow_common *flow_at(unsigned int idx);
unsigned int flow_idx(const struct flow_common *f);

/* flow_sweep() - free every DEAD flow (protocol free hook, then the slot) */
void flow_sweep(struct engine *e);

/* flow_timers() - give every ACTIVE flow its timer hook, at each tick
 * Return: true when some flow wants the fast tick (TCP retransmissions)
 */
bool flow_timers(struct engine *e);

/* flow_kill_all() - end every flow (the tree is gone) and sweep */
void flow_kill_all(struct engine *e, enum event_end end);

/* flow_tcp_unfinished() - is some TCP flow still receiving from the tree
 * (tcp_unfinished())?
 */
bool flow_tcp_unfinished(void);

/* flow_count() - flows not FREE */
unsigned int flow_count(void);

/* flow_event() - fill the common fields of an event about @f */
void flow_event(const struct flow_common *f, struct event *ev,
		enum event_kind kind, enum event_proto proto);

/* flow_close_datagram() - the free hook of a datagram flow (UDP, ICMP):
 * close its host socket and report its flow_end with the byte counts,
 * duration and end reason every such flow keeps in flow_common
 */
void flow_close_datagram(const struct engine *e, struct flow_common *f,
			 enum event_proto proto);

/* flow_dbg() - a CHILDFLOW_DEBUG=1 line about @f: "flow 42 tcp: ..." */
void flow_dbg(const struct flow_common *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* FLOW_DBG() - flow_dbg() that costs one branch when debugging is off */
#define FLOW_DBG(f, ...)                            \
	do {                                        \
		if (events_debug())                 \
			flow_dbg((f), __VA_ARGS__); \
	} while (0)

#endif /* CHILDFLOW_FLOW_H */
