/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * packet.h - bounded reader of the tree's IP packets, and builders of the
 * packets the engine writes to tun0
 *
 * Everything read from tun0 is hostile: packet_parse() checks every length
 * before it reads a header and drops what it cannot prove well formed. The
 * builders write headers in front of a payload that is already in place
 * (the engine peeks host data straight into the payload slot of a frame),
 * so one write() sends a whole packet. Pure code: no I/O, no allocation.
 */
#ifndef CHILDFLOW_PACKET_H
#define CHILDFLOW_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "policy/cidr.h"

#define PACKET_MTU 65520 /* tun0's MTU (sandbox.h SANDBOX_MTU) */
/* Room in front of a payload for the largest header the engine builds:
 * IPv6 (40) + TCP with options (40), rounded up
 */
#define PACKET_HDR_ROOM 128

/* TCP flags */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20

#define PACKET_WSCALE_NONE 0xff

/* One packet from the tree, as packet_parse() understood it. Pointers point
 * into the caller's buffer.
 */
struct packet {
	int family; /* AF_INET or AF_INET6 */
	struct ipaddr src, dst;
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6 */
	uint8_t ttl; /* TTL or hop limit */
	const uint8_t *l3;
	size_t l3_len; /* IP header + L4, trailing link padding cut off */
	const uint8_t *l4;
	size_t l4_len;

	/* TCP and UDP */
	uint16_t sport, dport;
	const uint8_t *payload;
	size_t payload_len;

	/* TCP only */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;	/* as sent, not scaled */
	uint16_t mss;	/* MSS option of a SYN, 0 if none */
	uint8_t wscale; /* window scale of a SYN, PACKET_WSCALE_NONE */

	/* ICMP and ICMPv6 */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq; /* echo request/reply only */
};

/* packet_parse() - read one IPv4 or IPv6 packet of @len bytes at @buf
 * Drops (returns -1 for) anything truncated or inconsistent, fragments,
 * and transport protocols the engine does not relay.
 * Return: 0 and @p filled, or -1.
 */
int packet_parse(const uint8_t *buf, size_t len, struct packet *p);

/* Checksums (RFC 1071) ---------------------------------------------------- */

/* packet_csum_add() - add @len bytes at @buf to the running sum @sum
 * (not folded); works for any alignment and odd lengths at the end only
 */
uint64_t packet_csum_add(const void *buf, size_t len, uint64_t sum);

/* packet_csum_fold() - fold a running sum into the 16-bit one's complement
 * checksum to put in a header (network byte order as stored)
 */
uint16_t packet_csum_fold(uint64_t sum);

/* packet_csum_pseudo() - the running sum of the IPv4 or IPv6 pseudo header
 * for @proto and an L4 length of @l4_len
 */
uint64_t packet_csum_pseudo(const struct ipaddr *src, const struct ipaddr *dst,
			    uint8_t proto, size_t l4_len);

/* Builders ------------------------------------------------------------------
 * Each writes the headers of one packet so that they end exactly at @l4 +
 * the L4 header length, i.e. just before a payload already in place, and
 * returns the first byte of the packet (headers start before @l4), or the
 * whole length through @len.
 */

/* packet_ip_hlen() - length of the IP header the builders write */
static inline size_t packet_ip_hlen(int family)
{
	return family == AF_INET ? 20 : 40;
}

/* Where the checksum field is in a TCP header */
#define PACKET_TCP_CSUM_OFF 16

/* struct packet_tcp_seg - what one TCP segment to the tree says */
struct packet_tcp_seg {
	const struct ipaddr *src, *dst; /* src: the remote; dst: the tree */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;	/* already scaled down */
	uint16_t mss;	/* SYN only, 0 for none */
	uint8_t wscale; /* SYN only, PACKET_WSCALE_NONE for none */
	uint8_t ttl;
	/* Leave the checksum to the receiving kernel (a tun0 write with
	 * VIRTIO_NET_HDR_F_NEEDS_CSUM, tun_write_partial()): the field holds
	 * only the pseudo header's sum, as a checksum offload expects
	 */
	bool csum_partial;
};

/* packet_tcp_hlen() - IP + TCP header length for segment @s */
size_t packet_tcp_hlen(const struct packet_tcp_seg *s);

/* packet_build_tcp() - write IP and TCP headers for @s into the
 * packet_tcp_hlen() bytes before @payload (which holds @payload_len bytes)
 * and checksum the whole segment (or, with @s->csum_partial, only its
 * pseudo header: the TCP checksum then sits PACKET_TCP_CSUM_OFF bytes
 * into the TCP header, which starts packet_ip_hlen() into the packet).
 * Return: the start of the packet; its length is hlen + @payload_len.
 */
uint8_t *packet_build_tcp(const struct packet_tcp_seg *s, uint8_t *payload,
			  size_t payload_len);

/* packet_build_udp() - IP and UDP headers (src:@sport -> dst:@dport) in the
 * 28 or 48 bytes before @payload, checksummed
 * Return: the start of the packet; its length is hlen + @payload_len.
 */
uint8_t *packet_build_udp(const struct ipaddr *src, const struct ipaddr *dst,
			  uint16_t sport, uint16_t dport, uint8_t *payload,
			  size_t payload_len);

/* packet_build_icmp() - IP header and ICMP/ICMPv6 header @type/@code with
 * the 4 bytes @rest (id+seq, or unused) in the 28 or 48 bytes before
 * @payload, checksummed
 * Return: the start of the packet; its length is hlen + 8 + @payload_len.
 */
uint8_t *packet_build_icmp(const struct ipaddr *src, const struct ipaddr *dst,
			   uint8_t type, uint8_t code, uint32_t rest_be,
			   uint8_t ttl, uint8_t *payload, size_t payload_len);

/* packet_build_icmp_error() - an ICMP(v6) error from @from to the tree
 * quoting the packet @orig (@orig_len bytes, an IP packet as the tree sent
 * it) into @out (@outlen bytes, at least 128). The quote is cut to fit the
 * minimum MTU rules (548 bytes for IPv4, 1232 for IPv6).
 * Return: the length of the packet written at @out, 0 when it cannot be
 * built (@orig too short).
 */
size_t packet_build_icmp_error(const struct ipaddr *from, uint8_t type,
			       uint8_t code, uint32_t rest_be,
			       const uint8_t *orig, size_t orig_len,
			       uint8_t *out, size_t outlen);

/* packet_build_quote() - rebuild the start of a packet the tree sent, for
 * packet_build_icmp_error() when the original is gone: an IP header
 * (@src -> @dst, @proto, @ttl) followed by @l4 (@l4_len bytes, e.g. a UDP
 * header and the start of its payload) into @out.
 * Return: the length written, 0 when @outlen is too small.
 */
size_t packet_build_quote(const struct ipaddr *src, const struct ipaddr *dst,
			  uint8_t proto, uint8_t ttl, size_t total_l4_len,
			  const uint8_t *l4, size_t l4_len, uint8_t *out,
			  size_t outlen);

/* Sequence arithmetic (RFC 1982 style, 32-bit wrap) */
static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline bool seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static inline bool seq_ge(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/* ipaddr_eq() - same family and address */
bool ipaddr_eq(const struct ipaddr *a, const struct ipaddr *b);

#endif /* CHILDFLOW_PACKET_H */
