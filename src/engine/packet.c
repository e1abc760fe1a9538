/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * packet.c - bounded parsing of the tree's packets, building of ours
 *
 * The parser is the engine's only reader of bytes from tun0, so it is the
 * fuzz target (tests/fuzz/fuzz_packet.c). It reads headers by copying them
 * out with memcpy() after a length check: no unaligned loads, no reads past
 * @len, whatever the tree writes.
 */
#include "engine/packet.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

/* Protocol numbers the engine relays */
#define IP6_NH_HOPOPTS	0
#define IP6_NH_ROUTING	43
#define IP6_NH_FRAGMENT 44
#define IP6_NH_DSTOPTS	60
#define IP6_EXT_MAX	8 /* extension headers walked before giving up */

#define ICMP4_QUOTE_MAX 548  /* RFC 1812: error datagrams fit 576 bytes */
#define ICMP6_QUOTE_MAX 1232 /* RFC 4443: fit the minimum MTU of 1280 */

/* get16() / get32() - big-endian reads of 2 and 4 bytes at @p */
static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

bool ipaddr_eq(const struct ipaddr *a, const struct ipaddr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->v4.s_addr == b->v4.s_addr;
	return !memcmp(&a->v6, &b->v6, sizeof(a->v6));
}

/* packet_parse_tcp_opts() - MSS and window scale of a SYN's options
 * Malformed options end the walk; what was read so far counts.
 */
static void packet_parse_tcp_opts(const uint8_t *o, size_t len,
				  struct packet *p)
{
	size_t i = 0;

	while (i < len) {
		uint8_t kind = o[i], olen;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			break;
		olen = o[i + 1];
		if (olen < 2 || i + olen > len)
			break;
		if (kind == 2 && olen == 4)
			p->mss = get16(o + i + 2);
		else if (kind == 3 && olen == 3)
			p->wscale = o[i + 2] > 14 ? 14 : o[i + 2];
		i += olen;
	}
}

/* packet_parse_l4() - the transport header of @p, whose l4/l4_len are set
 * Return: 0, or -1 when it is truncated or of a protocol not relayed.
 */
static int packet_parse_l4(struct packet *p)
{
	const uint8_t *l4 = p->l4;
	size_t doff, ulen;

	switch (p->proto) {
	case IPPROTO_TCP:
		if (p->l4_len < 20)
			return -1;
		doff = (size_t)(l4[12] >> 4) * 4;
		if (doff < 20 || doff > p->l4_len)
			return -1;
		p->sport = get16(l4);
		p->dport = get16(l4 + 2);
		p->seq = get32(l4 + 4);
		p->ack = get32(l4 + 8);
		p->flags = l4[13] & 0x3f;
		p->wnd = get16(l4 + 14);
		p->mss = 0;
		p->wscale = PACKET_WSCALE_NONE;
		if (p->flags & TCP_SYN)
			packet_parse_tcp_opts(l4 + 20, doff - 20, p);
		p->payload = l4 + doff;
		p->payload_len = p->l4_len - doff;
		return 0;
	case IPPROTO_UDP:
		if (p->l4_len < 8)
			return -1;
		ulen = get16(l4 + 4);
		if (ulen < 8 || ulen > p->l4_len)
			return -1;
		p->l4_len = ulen;
		p->sport = get16(l4);
		p->dport = get16(l4 + 2);
		p->payload = l4 + 8;
		p->payload_len = ulen - 8;
		return 0;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (p->l4_len < 8)
			return -1;
		p->icmp_type = l4[0];
		p->icmp_code = l4[1];
		p->icmp_id = get16(l4 + 4);
		p->icmp_seq = get16(l4 + 6);
		p->payload = l4 + 8;
		p->payload_len = p->l4_len - 8;
		return 0;
	default:
		return -1;
	}
}

/* packet_parse_v4() - IPv4 header; fragments are dropped */
static int packet_parse_v4(const uint8_t *buf, size_t len, struct packet *p)
{
	size_t ihl, tot;

	if (len < 20)
		return -1;
	ihl = (size_t)(buf[0] & 0x0f) * 4;
	tot = get16(buf + 2);
	if (ihl < 20 || tot < ihl || tot > len)
		return -1;
	if (get16(buf + 6) & 0x3fff) /* MF or an offset: a fragment */
		return -1;
	p->family = AF_INET;
	p->src.family = p->dst.family = AF_INET;
	memcpy(&p->src.v4, buf + 12, 4);
	memcpy(&p->dst.v4, buf + 16, 4);
	p->ttl = buf[8];
	p->proto = buf[9];
	if (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP &&
	    p->proto != IPPROTO_ICMP)
		return -1;
	p->l3 = buf;
	p->l3_len = tot;
	p->l4 = buf + ihl;
	p->l4_len = tot - ihl;
	return packet_parse_l4(p);
}

/* packet_parse_v6() - IPv6 header and extension headers (bounded walk) */
static int packet_parse_v6(const uint8_t *buf, size_t len, struct packet *p)
{
	size_t plen, off = 40;
	uint8_t nh;
	int i;

	if (len < 40)
		return -1;
	plen = get16(buf + 4);
	if (plen == 0 || 40 + plen > len) /* jumbograms are not relayed */
		return -1;
	p->family = AF_INET6;
	p->src.family = p->dst.family = AF_INET6;
	memcpy(&p->src.v6, buf + 8, 16);
	memcpy(&p->dst.v6, buf + 24, 16);
	p->ttl = buf[7];
	nh = buf[6];
	for (i = 0; i < IP6_EXT_MAX; i++) {
		if (nh != IP6_NH_HOPOPTS && nh != IP6_NH_ROUTING &&
		    nh != IP6_NH_DSTOPTS)
			break;
		if (off + 8 > 40 + plen)
			return -1;
		nh = buf[off];
		off += ((size_t)buf[off + 1] + 1) * 8;
		if (off > 40 + plen)
			return -1;
	}
	if (nh != IPPROTO_TCP && nh != IPPROTO_UDP && nh != IPPROTO_ICMPV6)
		return -1; /* fragments, ESP, too many headers, ... */
	p->proto = nh;
	p->l3 = buf;
	p->l3_len = 40 + plen;
	p->l4 = buf + off;
	p->l4_len = 40 + plen - off;
	return packet_parse_l4(p);
}

int packet_parse(const uint8_t *buf, size_t len, struct packet *p)
{
	if (!len)
		return -1;
	switch (buf[0] >> 4) {
	case 4:
		return packet_parse_v4(buf, len, p);
	case 6:
		return packet_parse_v6(buf, len, p);
	default:
		return -1;
	}
}

uint64_t packet_csum_add(const void *buf, size_t len, uint64_t sum)
{
	const uint8_t *b = buf;

	/* 32-bit words into a 64-bit accumulator: no carry handling needed
	 * below 2^32 additions, i.e. for any packet
	 */
	while (len >= 32) {
		uint32_t w[8];

		memcpy(w, b, sizeof(w));
		sum += (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4] + w[5] +
		       w[6] + w[7];
		b += 32;
		len -= 32;
	}
	while (len >= 4) {
		uint32_t w;

		memcpy(&w, b, 4);
		sum += w;
		b += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;

		memcpy(&w, b, 2);
		sum += w;
		b += 2;
		len -= 2;
	}
	if (len) {
		uint8_t last[2] = {b[0], 0};
		uint16_t w;

		memcpy(&w, last, 2);
		sum += w;
	}
	return sum;
}

uint16_t packet_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint64_t packet_csum_pseudo(const struct ipaddr *src, const struct ipaddr *dst,
			    uint8_t proto, size_t l4_len)
{
	uint64_t sum = 0;

	if (src->family == AF_INET) {
		sum = packet_csum_add(&src->v4, 4, sum);
		sum = packet_csum_add(&dst->v4, 4, sum);
		sum += htons(proto);
		sum += htons((uint16_t)l4_len);
	} else {
		sum = packet_csum_add(&src->v6, 16, sum);
		sum = packet_csum_add(&dst->v6, 16, sum);
		sum += htonl((uint32_t)l4_len);
		sum += htonl(proto);
	}
	return sum;
}

/* packet_put_csum() - store a folded checksum at @p as computed (the sum
 * was taken over native-order words, so it is stored natively too)
 */
static inline void packet_put_csum(uint8_t *p, uint16_t csum)
{
	memcpy(p, &csum, 2);
}

/* packet_build_ip() - an IPv4 or IPv6 header at @ip for @l4_len bytes of
 * @proto behind it; IPv4 gets DF and its header checksum
 */
static void packet_build_ip(uint8_t *ip, const struct ipaddr *src,
			    const struct ipaddr *dst, uint8_t proto,
			    uint8_t ttl, size_t l4_len)
{
	if (src->family == AF_INET) {
		ip[0] = 0x45;
		ip[1] = 0;
		put16(ip + 2, (uint16_t)(20 + l4_len));
		put16(ip + 4, 0);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = ttl;
		ip[9] = proto;
		put16(ip + 10, 0);
		memcpy(ip + 12, &src->v4, 4);
		memcpy(ip + 16, &dst->v4, 4);
		packet_put_csum(ip + 10,
				packet_csum_fold(packet_csum_add(ip, 20, 0)));
	} else {
		put32(ip, 0x60000000);
		put16(ip + 4, (uint16_t)l4_len);
		ip[6] = proto;
		ip[7] = ttl;
		memcpy(ip + 8, &src->v6, 16);
		memcpy(ip + 24, &dst->v6, 16);
	}
}

size_t packet_tcp_hlen(const struct packet_tcp_seg *s)
{
	size_t th = 20;

	if (s->flags & TCP_SYN)
		th += s->wscale != PACKET_WSCALE_NONE ? 8 : 4;
	return packet_ip_hlen(s->src->family) + th;
}

uint8_t *packet_build_tcp(const struct packet_tcp_seg *s, uint8_t *payload,
			  size_t payload_len)
{
	size_t iph = packet_ip_hlen(s->src->family);
	size_t th = packet_tcp_hlen(s) - iph;
	uint8_t *tcp = payload - th, *ip = tcp - iph;
	uint64_t sum;

	packet_build_ip(ip, s->src, s->dst, IPPROTO_TCP, s->ttl,
			th + payload_len);
	put16(tcp, s->sport);
	put16(tcp + 2, s->dport);
	put32(tcp + 4, s->seq);
	put32(tcp + 8, s->ack);
	tcp[12] = (uint8_t)((th / 4) << 4);
	tcp[13] = s->flags;
	put16(tcp + 14, s->wnd);
	put16(tcp + 16, 0);
	put16(tcp + 18, 0);
	if (th > 20) {
		tcp[20] = 2;
		tcp[21] = 4;
		put16(tcp + 22, s->mss);
		if (th > 24) {
			tcp[24] = 1; /* NOP */
			tcp[25] = 3;
			tcp[26] = 3;
			tcp[27] = s->wscale;
		}
	}
	sum = packet_csum_pseudo(s->src, s->dst, IPPROTO_TCP, th + payload_len);
	if (s->csum_partial) {
		/* the folded sum itself: the kernel adds the rest and
		 * complements
		 */
		packet_put_csum(tcp + PACKET_TCP_CSUM_OFF,
				(uint16_t)~packet_csum_fold(sum));
		return ip;
	}
	sum = packet_csum_add(tcp, th, sum);
	sum = packet_csum_add(payload, payload_len, sum);
	packet_put_csum(tcp + PACKET_TCP_CSUM_OFF, packet_csum_fold(sum));
	return ip;
}

uint8_t *packet_build_udp(const struct ipaddr *src, const struct ipaddr *dst,
			  uint16_t sport, uint16_t dport, uint8_t *payload,
			  size_t payload_len)
{
	size_t iph = packet_ip_hlen(src->family);
	uint8_t *udp = payload - 8, *ip = udp - iph;
	uint64_t sum;
	uint16_t csum;

	packet_build_ip(ip, src, dst, IPPROTO_UDP, 64, 8 + payload_len);
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (uint16_t)(8 + payload_len));
	put16(udp + 6, 0);
	sum = packet_csum_pseudo(src, dst, IPPROTO_UDP, 8 + payload_len);
	sum = packet_csum_add(udp, 8, sum);
	sum = packet_csum_add(payload, payload_len, sum);
	csum = packet_csum_fold(sum);
	packet_put_csum(udp + 6, csum ? csum : 0xffff);
	return ip;
}

uint8_t *packet_build_icmp(const struct ipaddr *src, const struct ipaddr *dst,
			   uint8_t type, uint8_t code, uint32_t rest_be,
			   uint8_t ttl, uint8_t *payload, size_t payload_len)
{
	size_t iph = packet_ip_hlen(src->family);
	uint8_t *icmp = payload - 8, *ip = icmp - iph;
	uint8_t proto = src->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	uint64_t sum = 0;

	packet_build_ip(ip, src, dst, proto, ttl, 8 + payload_len);
	icmp[0] = type;
	icmp[1] = code;
	put16(icmp + 2, 0);
	memcpy(icmp + 4, &rest_be, 4);
	if (proto == IPPROTO_ICMPV6)
		sum = packet_csum_pseudo(src, dst, proto, 8 + payload_len);
	sum = packet_csum_add(icmp, 8, sum);
	sum = packet_csum_add(payload, payload_len, sum);
	packet_put_csum(icmp + 2, packet_csum_fold(sum));
	return ip;
}

size_t packet_build_icmp_error(const struct ipaddr *from, uint8_t type,
			       uint8_t code, uint32_t rest_be,
			       const uint8_t *orig, size_t orig_len,
			       uint8_t *out, size_t outlen)
{
	struct ipaddr to;
	size_t iph, quote, max;
	uint8_t *ip;

	if (orig_len < 20)
		return 0;
	if ((orig[0] >> 4) == 4 && from->family == AF_INET) {
		to.family = AF_INET;
		memcpy(&to.v4, orig + 12, 4);
		max = ICMP4_QUOTE_MAX;
	} else if ((orig[0] >> 4) == 6 && orig_len >= 40 &&
		   from->family == AF_INET6) {
		to.family = AF_INET6;
		memcpy(&to.v6, orig + 8, 16);
		max = ICMP6_QUOTE_MAX;
	} else {
		return 0;
	}
	iph = packet_ip_hlen(from->family);
	quote = orig_len < max ? orig_len : max;
	if (outlen < iph + 8 + quote)
		quote = outlen > iph + 8 ? outlen - iph - 8 : 0;
	if (!quote)
		return 0;
	memmove(out + iph + 8, orig, quote);
	ip = packet_build_icmp(from, &to, type, code, rest_be, 64,
			       out + iph + 8, quote);
	(void)ip; /* == out */
	return iph + 8 + quote;
}

size_t packet_build_quote(const struct ipaddr *src, const struct ipaddr *dst,
			  uint8_t proto, uint8_t ttl, size_t total_l4_len,
			  const uint8_t *l4, size_t l4_len, uint8_t *out,
			  size_t outlen)
{
	size_t iph = packet_ip_hlen(src->family);

	if (outlen < iph + l4_len)
		return 0;
	packet_build_ip(out, src, dst, proto, ttl, total_l4_len);
	memcpy(out + iph, l4, l4_len);
	return iph + l4_len;
}
