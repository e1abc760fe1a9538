/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * dns.h - the engine's resolver at 10.0.2.3 / fd00::3: forwards the
 * tree's queries to --dns or the host's resolvers, answers itself when
 * the policy, the host or --proxy-dns says so, over UDP and TCP, and
 * reports queries and answers
 */
#ifndef CHILDFLOW_DNS_H
#define CHILDFLOW_DNS_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/flow.h"
#include "engine/packet.h"

struct dnsmsg_answer;
struct dnsmsg_question;

#define DNS_PORT       53
#define DNS_TIMEOUT_MS (30 * 1000ULL) /* idle expiry of a client flow */

/* struct dns_flow - a DNS client of the tree. Two kinds:
 * UDP: one (tree address, port, server asked); f.sock is an unconnected
 * socket to the upstream resolvers.
 * TCP: the engine's end of one DNS-over-TCP connection of the tree
 * (f.sock: the accepted end of the loopback pair whose other end is the
 * TCP flow's host socket, see dns.c); up_sock, when a query had to be
 * forwarded, a TCP connection to the upstream resolver.
 */
struct dns_flow {
	struct flow_common f; /* remote: the server address the tree asked */
	uint16_t last_id;     /* UDP: query id last forwarded */
	uint8_t upstream;     /* UDP: index into engine.dns_upstream */
	uint8_t sock_family;  /* UDP: family of f.sock */
	uint8_t tcp;	      /* the TCP kind */
	uint8_t tcp_flags;    /* DNS_TCP_* (dns.c) */
	/* TCP: epoll interest of f.sock and up_sock; 0: not in the set */
	uint32_t ev_mask, up_ev_mask;
	int up_sock;	      /* TCP: to the upstream resolver, or -1 */
	uint32_t tcp_flow_id; /* TCP: the flow_id its events carry */
	uint32_t owed;	      /* TCP: answers the upstream owes */
	uint8_t *to_tree;     /* TCP: an answer the tree has not taken */
	uint8_t *to_up;	      /* TCP: a query not yet sent upstream */
	uint32_t to_tree_len, to_tree_off, to_up_len, to_up_off;
};

/* dns_init() - the upstream resolvers: --dns, else /etc/resolv.conf's
 * nameservers (127.0.0.1 when it names none, as glibc does); and the
 * --proxy-dns address pool when it is in effect
 */
void dns_init(struct engine *e);

/* dns_is_query() - does the UDP/TCP destination @dst:@port go to the
 * engine's resolver? (the engine's DNS address, or any address with --dns)
 */
bool dns_is_query(const struct engine *e, const struct ipaddr *dst,
		  uint16_t port);

/* dns_udp_from_child() - a DNS query over UDP from the tree */
void dns_udp_from_child(struct engine *e, const struct packet *p);

/* dns_sock_handler() - events on a socket of @d (UDP: an upstream answer;
 * TCP: either of its two sockets)
 */
void dns_sock_handler(struct engine *e, struct dns_flow *d, uint32_t events);

void dns_timer(struct engine *e, struct dns_flow *d);
void dns_free(struct engine *e, struct dns_flow *d);

/* dns_tcp_open() - a DNS-over-TCP connection of the tree, TCP flow @tf
 * (its tree address and port, the server it asked, its flow_id), is to be
 * answered by the engine: make the loopback pair, keep one end as a DNS
 * flow served in this loop, and return the other, non-blocking, for @tf's
 * host socket. It is connected, or completes at once: EPOLLOUT follows,
 * as for any connect().
 * Return: the socket, or -errno
 */
int dns_tcp_open(struct engine *e, const struct flow_common *tf);

/* dns_answer_locally() - should the query @q (@qlen bytes, parsed as
 * @dq: callers drop what does not parse) the tree sent to @server, in
 * flow @flow_id (0: none yet; it goes on a denial's event), be
 * answered by the engine rather than forwarded? Fills @out with the reply
 * and returns its length, or 0 to forward. (--offline and --proxy-only
 * without --proxy-dns: REFUSED; a denied name: empty; --proxy-dns: a pool
 * address for A and AAAA, empty for the rest, never 0; AAAA without host
 * IPv6: empty.) @mode says which; for a pool answer, @pool (if not NULL)
 * gets its question, address and name for the events.
 */
size_t dns_answer_locally(struct engine *e, uint32_t flow_id,
			  const struct ipaddr *server, const uint8_t *q,
			  size_t qlen, const struct dnsmsg_question *dq,
			  uint8_t *out, size_t outlen,
			  enum event_dns_mode *mode,
			  struct dnsmsg_answer *pool);

/* dns_pool_contains() - is --proxy-dns on and @a in its address pool? */
bool dns_pool_contains(const struct ipaddr *a);

/* dns_pool_name() - the name the pool address @a stands for, or NULL
 * (--proxy-dns off, not a pool address, or its name forgotten)
 */
const char *dns_pool_name(const struct ipaddr *a);

/* dns_pool_hold() / dns_pool_release() - a TCP flow to the pool address
 * @a starts / ends: while held, @a keeps standing for its name
 * (fakeip_hold()). hold returns the name, or NULL (nothing held).
 */
const char *dns_pool_hold(const struct ipaddr *a);
void dns_pool_release(const struct ipaddr *a);

#endif /* CHILDFLOW_DNS_H */
