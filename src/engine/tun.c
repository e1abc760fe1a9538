/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * tun.c - tun0: read the tree's packets in batches, write ours
 *
 * tun0 has no packet information header and no offloads: each read() is
 * one IP packet of at most the MTU, each write() one packet we built with
 * valid checksums. Reads go on until EAGAIN or TUN_BATCH packets, so that
 * the ACKs owed for a burst of segments leave as one (tcp_flush_acks()).
 */
#include <errno.h>
#include <unistd.h>

#include "engine/engine_internal.h"
#include "engine/icmp.h"
#include "engine/packet.h"
#include "engine/tcp.h"
#include "engine/udp.h"

/* Packets per wakeup, then let others run. Generous: a packet left in
 * tun0's queue delays an ACK (and may cost a spurious retransmission),
 * and a full queue drops the tree's packets.
 */
#define TUN_BATCH 512

/* One packet from the tree; 8-byte aligned for the parsers' memcpy()s */
static uint8_t tun_buf[PACKET_MTU + 64] __attribute__((aligned(64)));

void tun_write(struct engine *e, const void *pkt, size_t len)
{
	while (write(e->tun_fd, pkt, len) < 0 && errno == EINTR)
		;
}

void tun_handler(struct engine *e)
{
	struct packet p;
	ssize_t n;
	int i;

	for (i = 0; i < TUN_BATCH; i++) {
		n = read(e->tun_fd, tun_buf, sizeof(tun_buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break; /* EAGAIN, or the device is gone with the tree */
		}
		if (n == 0)
			break;
		if (packet_parse(tun_buf, (size_t)n, &p))
			continue; /* malformed or not relayed: dropped */
		switch (p.proto) {
		case IPPROTO_TCP:
			tcp_from_child(e, &p);
			break;
		case IPPROTO_UDP:
			udp_from_child(e, &p);
			break;
		default:
			icmp_from_child(e, &p);
			break;
		}
	}
	/* ACK what arrived now, not after the rest of the batch */
	tcp_flush_acks(e);
}
