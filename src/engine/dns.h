/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * dns.h - the engine's resolver at 10.0.2.3 / fd00::3: forwards the
 * tree's queries to --dns or the host's resolvers, answers itself when
 * the policy or the host says so, and reports queries and answers
 */
#ifndef CHILDFLOW_DNS_H
#define CHILDFLOW_DNS_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/flow.h"
#include "engine/packet.h"

#define DNS_PORT       53
#define DNS_TIMEOUT_MS (30 * 1000ULL) /* idle expiry of a client flow */

struct dns_flow {
	struct flow_common f; /* remote: the server address the tree asked */
	uint16_t last_id;     /* query id last forwarded */
	uint8_t upstream;     /* index into engine.dns_upstream */
	uint8_t sock_family;
};

/* dns_init() - the upstream resolvers: --dns, else /etc/resolv.conf's
 * nameservers (127.0.0.1 when it names none, as glibc does)
 */
void dns_init(struct engine *e);

/* dns_is_query() - does the UDP/TCP destination @dst:@port go to the
 * engine's resolver? (the engine's DNS address, or any address with --dns)
 */
bool dns_is_query(const struct engine *e, const struct ipaddr *dst,
		  uint16_t port);

/* dns_udp_from_child() - a DNS query over UDP from the tree */
void dns_udp_from_child(struct engine *e, const struct packet *p);

/* dns_sock_handler() - an upstream answer for @d */
void dns_sock_handler(struct engine *e, struct dns_flow *d, uint32_t events);

void dns_timer(struct engine *e, struct dns_flow *d);
void dns_free(struct engine *e, struct dns_flow *d);

/* dns_upstream_for_tcp() - where a DNS-over-TCP connection of the tree goes
 * Return: the upstream address (port 53)
 */
const struct ipaddr *dns_upstream_for_tcp(const struct engine *e);

/* dns_stream_scan() - report the DNS messages that start in a chunk of a
 * DNS-over-TCP stream: @data (@len bytes) at stream position @seq; @next
 * is the position where the next message (its 2-byte length) starts and
 * is advanced past every message seen. Messages split over chunks are
 * skipped (the events are best effort; the bytes are relayed regardless).
 * @to_child: answers (else queries). @server: the address the tree asked.
 */
void dns_stream_scan(struct engine *e, const struct flow_common *f,
		     bool to_child, const uint8_t *data, size_t len,
		     uint32_t seq, uint32_t *next);

/* dns_answer_locally() - should this query be answered by the engine
 * rather than forwarded? Fills @out with the reply and returns its length,
 * or 0 to forward. (--offline: REFUSED; AAAA without host IPv6: empty)
 */
size_t dns_answer_locally(struct engine *e, const uint8_t *q, size_t qlen,
			  uint8_t *out, size_t outlen,
			  enum event_dns_mode *mode);

#endif /* CHILDFLOW_DNS_H */
