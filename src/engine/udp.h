/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * udp.h - UDP: one unconnected host socket per source of the tree
 */
#ifndef CHILDFLOW_UDP_H
#define CHILDFLOW_UDP_H

#include <stdint.h>

#include "engine/flow.h"
#include "engine/packet.h"

#define UDP_TIMEOUT_MS (180 * 1000ULL) /* idle expiry */

/* Addresses a UDP flow remembers having sent to, besides its first */
#define UDP_PEERS_MAX 64

struct udp_flow {
	struct flow_common f;
	int16_t ttl_set;      /* TTL the socket has now, -1 for the default */
	uint8_t n_peers;      /* addresses in @peers */
	uint8_t next_peer;    /* the slot to reuse once @peers is full */
	struct ipaddr *peers; /* other addresses sent to, allocated at the
				* second destination; f.remote is the first */
};

/* udp_from_child() - a UDP datagram from the tree */
void udp_from_child(struct engine *e, const struct packet *p);

/* udp_sock_handler() - datagrams or errors on the host socket of @u */
void udp_sock_handler(struct engine *e, struct udp_flow *u, uint32_t events);

/* udp_timer() - idle expiry */
void udp_timer(struct engine *e, struct udp_flow *u);

/* udp_free() - flow_sweep()'s hook */
void udp_free(struct engine *e, struct udp_flow *u);

/* udp_reply_to_child() - write @len bytes at @payload (with PACKET_HDR_ROOM
 * free bytes in front of it) to the tree as a datagram from @from:@fport
 * to @to:@tport
 */
void udp_reply_to_child(struct engine *e, const struct ipaddr *from,
			uint16_t fport, const struct ipaddr *to, uint16_t tport,
			uint8_t *payload, size_t len);

#endif /* CHILDFLOW_UDP_H */
