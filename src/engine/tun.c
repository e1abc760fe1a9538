/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * tun.c - tun0: read the tree's packets in batches, write ours
 *
 * tun0 has no packet information header, and a virtio_net_hdr before each
 * packet both ways (sandbox.h). The tree's side offloads checksums to us:
 * its TCP and UDP packets may carry a partial checksum, which nothing in
 * the engine reads (the payload goes on to a host socket, whose kernel
 * makes its own checksums). No segmentation offload is on, so each read()
 * is one IP packet of at most the MTU; a header that says otherwise drops
 * the packet. What we write goes out with one writev() and a header that
 * offloads no segmentation. Control packets carry complete checksums;
 * TCP data to the tree carries only the pseudo header's sum and a header
 * that says so (NEEDS_CSUM, tun_write_partial()): the tree's kernel takes
 * such a packet as checked (its receive path never sums a partial one)
 * and completes the checksum only if the packet ever leaves through a
 * device that cannot, so usually no one sums the payload at all. Packet
 * sockets in the tree see the partial checksum, as they do on any host
 * with checksum offload; a capture by the engine must complete it.
 * Reads go on until EAGAIN or TUN_BATCH packets, so that the ACKs owed for
 * a burst of segments leave as one (tcp_flush_acks()).
 */
#include <errno.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "engine/engine_internal.h"
#include "engine/icmp.h"
#include "engine/packet.h"
#include "engine/tcp.h"
#include "engine/udp.h"
#include "sandbox/sandbox.h"

/* Packets per wakeup, then let others run. Generous: a packet left in
 * tun0's queue delays an ACK (and may cost a spurious retransmission),
 * and a full queue drops the tree's packets.
 */
#define TUN_BATCH 512

_Static_assert(sizeof(struct virtio_net_hdr) == SANDBOX_VNET_HDR_LEN,
	       "tun0's header is a plain struct virtio_net_hdr");

/* Where a packet is read to: its IP header lands 16 bytes into tun_buf,
 * 8-byte aligned for the parsers' memcpy()s
 */
#define TUN_PKT_OFF 16
#define TUN_HDR_OFF (TUN_PKT_OFF - SANDBOX_VNET_HDR_LEN)

static uint8_t tun_buf[TUN_PKT_OFF + PACKET_MTU + 64]
	__attribute__((aligned(64)));

/* The header of every packet we write: nothing offloaded */
static const struct virtio_net_hdr tun_hdr_out = {
	.flags = 0,
	.gso_type = VIRTIO_NET_HDR_GSO_NONE,
};

/* tun_write_hdr() - @pkt behind the virtio_net_hdr @vh, in one writev() */
static void tun_write_hdr(struct engine *e, const struct virtio_net_hdr *vh,
			  const void *pkt, size_t len)
{
	struct iovec iov[2] = {
		{(void *)vh, sizeof(*vh)},
		{(void *)pkt, len},
	};

	while (writev(e->tun_fd, iov, 2) < 0 && errno == EINTR)
		;
}

void tun_write(struct engine *e, const void *pkt, size_t len)
{
	tun_write_hdr(e, &tun_hdr_out, pkt, len);
}

void tun_write_partial(struct engine *e, const void *pkt, size_t len,
		       size_t l4_off, size_t csum_off)
{
	/* tun0 is in the host's byte order (no TUNSETVNETBE/LE asked) */
	struct virtio_net_hdr vh = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = VIRTIO_NET_HDR_GSO_NONE,
		.csum_start = (uint16_t)l4_off,
		.csum_offset = (uint16_t)csum_off,
	};

	tun_write_hdr(e, &vh, pkt, len);
}

void tun_handler(struct engine *e)
{
	const uint8_t *pkt = tun_buf + TUN_PKT_OFF;
	struct virtio_net_hdr vh;
	struct packet p;
	ssize_t n;
	int i;

	for (i = 0; i < TUN_BATCH; i++) {
		n = read(e->tun_fd, tun_buf + TUN_HDR_OFF,
			 sizeof(tun_buf) - TUN_HDR_OFF);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break; /* EAGAIN, or the device is gone with the tree */
		}
		if (n == 0)
			break;
		if (n <= SANDBOX_VNET_HDR_LEN)
			continue;
		memcpy(&vh, tun_buf + TUN_HDR_OFF, sizeof(vh));
		if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE)
			continue; /* never asked for: dropped */
		if (packet_parse(pkt, (size_t)n - SANDBOX_VNET_HDR_LEN, &p))
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
