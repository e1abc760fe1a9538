/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_packet.c - unit tests for the tun0 packet reader and builders,
 * the checksums and the sequence arithmetic (src/engine/packet.c)
 *
 * Packets built by the engine are parsed back and checked field by field,
 * and their checksums are verified the way a receiver does (the sum over
 * pseudo header and segment folds to zero). Every malformed input is
 * copied into a heap buffer of exactly its length so that AddressSanitizer
 * catches any read past it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "engine/packet.h"

static struct ipaddr ip4(const char *s)
{
	struct ipaddr a = {.family = AF_INET};

	assert_int_equal(inet_pton(AF_INET, s, &a.v4), 1);
	return a;
}

static struct ipaddr ip6(const char *s)
{
	struct ipaddr a = {.family = AF_INET6};

	assert_int_equal(inet_pton(AF_INET6, s, &a.v6), 1);
	return a;
}

/* The copy the last parse_exact() parsed: its packet points into it */
static uint8_t *parse_copy;

/* parse_exact() - packet_parse() on a heap copy of exactly @len bytes,
 * kept until the next call so that @p stays valid
 */
static int parse_exact(const uint8_t *buf, size_t len, struct packet *p)
{
	free(parse_copy);
	parse_copy = malloc(len ? len : 1);
	assert_non_null(parse_copy);
	memcpy(parse_copy, buf, len);
	return packet_parse(parse_copy, len, p);
}

/* ref_csum() - RFC 1071 the slow way: big-endian 16-bit words */
static uint16_t ref_csum(const uint8_t *b, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)(b[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* stored() - a folded checksum as the bytes a header carries */
static uint16_t stored(uint16_t csum)
{
	uint8_t b[2];

	memcpy(b, &csum, 2);
	return (uint16_t)(b[0] << 8 | b[1]);
}

static void test_csum_rfc1071(void **state)
{
	static const uint8_t ex[] = {0x00, 0x01, 0xf2, 0x03,
				     0xf4, 0xf5, 0xf6, 0xf7};

	(void)state;
	assert_int_equal(stored(packet_csum_fold(packet_csum_add(ex, 8, 0))),
			 0x220d);
}

static void test_csum_lengths(void **state)
{
	uint8_t buf[300];
	size_t len, i;

	(void)state;
	for (i = 0; i < sizeof(buf); i++) /* a fixed, irregular pattern */
		buf[i] = (uint8_t)(i * 151 + (i >> 3) * 17 + 3);
	for (len = 0; len <= sizeof(buf); len++)
		assert_int_equal(
			stored(packet_csum_fold(packet_csum_add(buf, len, 0))),
			ref_csum(buf, len));
	/* all ones: the carries must fold */
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(stored(packet_csum_fold(packet_csum_add(buf, 256, 0))),
			 ref_csum(buf, 256));
}

/* l4_sum_ok() - does the transport checksum of parsed @p verify? */
static void assert_l4_csum_ok(const struct packet *p)
{
	uint64_t sum = 0;

	if (p->proto != IPPROTO_ICMP)
		sum = packet_csum_pseudo(&p->src, &p->dst, p->proto, p->l4_len);
	sum = packet_csum_add(p->l4, p->l4_len, sum);
	assert_int_equal(packet_csum_fold(sum), 0);
}

static void test_tcp_syn_roundtrip(void **state)
{
	struct ipaddr src = ip4("203.0.113.10"), dst = ip4("10.0.2.100");
	uint8_t buf[PACKET_HDR_ROOM + 16];
	struct packet_tcp_seg s = {
		.src = &src,
		.dst = &dst,
		.sport = 80,
		.dport = 40000,
		.seq = 0xfffffff0u,
		.ack = 12345,
		.flags = TCP_SYN | TCP_ACK,
		.wnd = 29200,
		.mss = 65480,
		.wscale = 7,
		.ttl = 64,
	};
	uint8_t *pkt = packet_build_tcp(&s, buf + PACKET_HDR_ROOM, 0);
	size_t len = packet_tcp_hlen(&s);
	struct packet p;

	(void)state;
	assert_int_equal(len, 20 + 28);
	assert_int_equal(parse_exact(pkt, len, &p), 0);
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(p.proto, IPPROTO_TCP);
	assert_int_equal(p.sport, 80);
	assert_int_equal(p.dport, 40000);
	assert_int_equal(p.seq, 0xfffffff0u);
	assert_int_equal(p.ack, 12345);
	assert_int_equal(p.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(p.wnd, 29200);
	assert_int_equal(p.mss, 65480);
	assert_int_equal(p.wscale, 7);
	assert_int_equal(p.ttl, 64);
	assert_int_equal(p.payload_len, 0);
	assert_true(ipaddr_eq(&p.src, &src));
	assert_true(ipaddr_eq(&p.dst, &dst));
	assert_int_equal(ref_csum(pkt, 20), 0); /* IPv4 header checksum */
	assert_l4_csum_ok(&p);
}

static void test_tcp_data_v6_roundtrip(void **state)
{
	struct ipaddr src = ip6("2001:db8::10"), dst = ip6("fd00::100");
	static uint8_t buf[PACKET_HDR_ROOM + 3001];
	struct packet_tcp_seg s = {
		.src = &src,
		.dst = &dst,
		.sport = 443,
		.dport = 50000,
		.seq = 1,
		.ack = 2,
		.flags = TCP_ACK | TCP_PSH,
		.wnd = 512,
		.wscale = PACKET_WSCALE_NONE,
		.ttl = 64,
	};
	uint8_t *payload = buf + PACKET_HDR_ROOM, *pkt;
	struct packet p;
	size_t i;

	(void)state;
	for (i = 0; i < 3001; i++)
		payload[i] = (uint8_t)(i * 7);
	pkt = packet_build_tcp(&s, payload, 3001);
	assert_int_equal(packet_tcp_hlen(&s), 60);
	assert_int_equal(parse_exact(pkt, 60 + 3001, &p), 0);
	assert_int_equal(p.family, AF_INET6);
	assert_int_equal(p.payload_len, 3001);
	assert_int_equal(p.mss, 0);
	assert_int_equal(p.wscale, PACKET_WSCALE_NONE);
	assert_int_equal(p.flags, TCP_ACK | TCP_PSH);
	assert_l4_csum_ok(&p);
}

/* A segment with csum_partial carries the pseudo header's sum; the
 * kernel finishes it by summing from the TCP header to the end (with the
 * field as it is) and storing the complement, which must give exactly
 * the checksum a full build stores. Both families, odd and even lengths.
 */
static void test_tcp_partial_csum(void **state)
{
	static const char *const addrs[][2] = {
		{"203.0.113.10", "10.0.2.100"},
		{"2001:db8::10", "fd00::100"},
	};
	static const size_t lens[] = {0, 1, 2, 1459, 1460, 65475};
	static uint8_t buf[PACKET_HDR_ROOM + 65476];
	size_t a, l, i;

	(void)state;
	for (a = 0; a < 2; a++) {
		struct ipaddr src = a ? ip6(addrs[a][0]) : ip4(addrs[a][0]);
		struct ipaddr dst = a ? ip6(addrs[a][1]) : ip4(addrs[a][1]);
		size_t iph = packet_ip_hlen(src.family);

		for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			struct packet_tcp_seg s = {
				.src = &src,
				.dst = &dst,
				.sport = 443,
				.dport = 50000,
				.seq = 0x01020304u + (uint32_t)l,
				.ack = 0xfffffff0u,
				.flags = TCP_ACK | TCP_PSH,
				.wnd = 0xffff,
				.wscale = PACKET_WSCALE_NONE,
				.ttl = 64,
			};
			uint8_t *payload = buf + PACKET_HDR_ROOM, *pkt;
			size_t len = lens[l], l4 = 20 + len;
			uint8_t full[2], done[2];
			uint16_t c;

			for (i = 0; i < len; i++)
				payload[i] = (uint8_t)(i * 13 + a);
			pkt = packet_build_tcp(&s, payload, len);
			memcpy(full, pkt + iph + PACKET_TCP_CSUM_OFF, 2);

			s.csum_partial = true;
			pkt = packet_build_tcp(&s, payload, len);
			assert_memory_not_equal(pkt + iph + PACKET_TCP_CSUM_OFF,
						full, 2);
			/* what the kernel does with NEEDS_CSUM */
			c = ref_csum(pkt + iph, l4);
			done[0] = (uint8_t)(c >> 8);
			done[1] = (uint8_t)c;
			assert_memory_equal(done, full, 2);
			/* the IP header stays complete */
			if (!a)
				assert_int_equal(ref_csum(pkt, 20), 0);
		}
	}
}

static void test_udp_roundtrip(void **state)
{
	struct ipaddr src = ip4("203.0.113.53"), dst = ip4("10.0.2.100");
	static const uint8_t hello[5] = {'h', 'e', 'l', 'l', 'o'};
	uint8_t buf[PACKET_HDR_ROOM + 5] = {0};
	uint8_t *pkt;
	struct packet p;

	(void)state;
	memcpy(buf + PACKET_HDR_ROOM, hello, sizeof(hello));
	pkt = packet_build_udp(&src, &dst, 53, 33333, buf + PACKET_HDR_ROOM, 5);
	assert_int_equal(parse_exact(pkt, 28 + 5, &p), 0);
	assert_int_equal(p.proto, IPPROTO_UDP);
	assert_int_equal(p.sport, 53);
	assert_int_equal(p.dport, 33333);
	assert_int_equal(p.payload_len, 5);
	assert_memory_equal(p.payload, hello, 5);
	assert_l4_csum_ok(&p);
	/* trailing bytes after the IP total length are ignored */
	assert_int_equal(packet_parse(pkt, 28 + 5 + 3, &p), 0);
	assert_int_equal(p.l3_len, 33);
}

static void test_icmp_error_quote(void **state)
{
	struct ipaddr tree = ip4("10.0.2.100"), far = ip4("203.0.113.10");
	struct ipaddr router = ip4("172.31.1.1");
	static uint8_t orig[PACKET_HDR_ROOM + 2000], out[1600];
	uint8_t *o;
	struct packet p, q;
	size_t len;

	(void)state;
	memset(orig, 0xab, sizeof(orig));
	o = packet_build_udp(&tree, &far, 40000, 33434, orig + PACKET_HDR_ROOM,
			     1500);
	len = packet_build_icmp_error(&router, 11, 0, 0, o, 28 + 1500, out,
				      sizeof(out));
	/* quoted to fit 576 bytes */
	assert_int_equal(len, 20 + 8 + 548);
	assert_int_equal(parse_exact(out, len, &p), 0);
	assert_int_equal(p.proto, IPPROTO_ICMP);
	assert_int_equal(p.icmp_type, 11);
	assert_true(ipaddr_eq(&p.src, &router));
	assert_true(ipaddr_eq(&p.dst, &tree));
	assert_l4_csum_ok(&p);
	/* the quote starts with the tree's own IP header */
	assert_int_equal(packet_parse(p.payload, 28 + 1500, &q), 0);
	assert_int_equal(q.sport, 40000);
	/* an original too short, or of the other family, gives nothing */
	assert_int_equal(packet_build_icmp_error(&router, 3, 3, 0, o, 10, out,
						 sizeof(out)),
			 0);
	far = ip6("2001:db8::1");
	assert_int_equal(
		packet_build_icmp_error(&far, 1, 4, 0, o, 28, out, sizeof(out)),
		0);
}

static void test_icmpv6_echo(void **state)
{
	struct ipaddr src = ip6("fd00::100"), dst = ip6("2001:db8::10");
	uint8_t buf[PACKET_HDR_ROOM + 56] = {0};
	uint8_t *pkt;
	struct packet p;

	(void)state;
	pkt = packet_build_icmp(&src, &dst, 128, 0, htonl(0x12340007), 64,
				buf + PACKET_HDR_ROOM, 56);
	assert_int_equal(parse_exact(pkt, 40 + 8 + 56, &p), 0);
	assert_int_equal(p.proto, IPPROTO_ICMPV6);
	assert_int_equal(p.icmp_type, 128);
	assert_int_equal(p.icmp_id, 0x1234);
	assert_int_equal(p.icmp_seq, 7);
	assert_l4_csum_ok(&p);
}

static void test_malformed(void **state)
{
	struct ipaddr src = ip4("10.0.2.100"), dst = ip4("203.0.113.10");
	uint8_t buf[PACKET_HDR_ROOM + 100] = {0}, bad[200];
	struct packet_tcp_seg s = {
		.src = &src,
		.dst = &dst,
		.sport = 1,
		.dport = 2,
		.flags = TCP_SYN,
		.mss = 1460,
		.wscale = 3,
		.ttl = 64,
	};
	uint8_t *pkt = packet_build_tcp(&s, buf + PACKET_HDR_ROOM, 100);
	size_t len = packet_tcp_hlen(&s) + 100, i;
	struct packet p;

	(void)state;
	/* every truncation fails, none reads past its end */
	for (i = 0; i < len; i++)
		assert_int_equal(parse_exact(pkt, i, &p), -1);
	assert_int_equal(parse_exact(pkt, len, &p), 0);

	memcpy(bad, pkt, len);
	bad[0] = 0x44; /* IHL 16 bytes */
	assert_int_equal(parse_exact(bad, len, &p), -1);
	memcpy(bad, pkt, len);
	bad[6] = 0x20; /* more fragments */
	assert_int_equal(parse_exact(bad, len, &p), -1);
	memcpy(bad, pkt, len);
	bad[7] = 0x01; /* fragment offset */
	bad[6] = 0x00;
	assert_int_equal(parse_exact(bad, len, &p), -1);
	memcpy(bad, pkt, len);
	bad[20 + 12] = 0xf0; /* TCP data offset (60) past the segment (28) */
	bad[2] = 0;
	bad[3] = 20 + 28;
	assert_int_equal(parse_exact(bad, 20 + 28, &p), -1);
	memcpy(bad, pkt, len);
	bad[20 + 12] = 0x40; /* TCP data offset below 20 */
	assert_int_equal(parse_exact(bad, len, &p), -1);
	memcpy(bad, pkt, len);
	bad[9] = 47; /* GRE: not relayed */
	assert_int_equal(parse_exact(bad, len, &p), -1);
	memcpy(bad, pkt, len);
	bad[0] = 0x55; /* IPv5 */
	assert_int_equal(parse_exact(bad, len, &p), -1);

	/* options: a bad length ends the walk without reading past it */
	memcpy(bad, pkt, len);
	bad[20 + 21] = 40; /* MSS option claims 40 bytes */
	assert_int_equal(parse_exact(bad, len, &p), 0);
	assert_int_equal(p.mss, 0);
}

static void test_malformed_v6(void **state)
{
	struct ipaddr src = ip6("fd00::100"), dst = ip6("2001:db8::10");
	uint8_t buf[PACKET_HDR_ROOM + 8] = {0}, bad[200];
	uint8_t *pkt =
		packet_build_udp(&src, &dst, 1, 2, buf + PACKET_HDR_ROOM, 8);
	size_t len = 48 + 8, i;
	struct packet p;

	(void)state;
	for (i = 0; i < len; i++)
		assert_int_equal(parse_exact(pkt, i, &p), -1);
	assert_int_equal(parse_exact(pkt, len, &p), 0);

	/* a hop-by-hop header in front of UDP is walked */
	memset(bad, 0, sizeof(bad));
	memcpy(bad, pkt, 40);
	bad[6] = 0; /* next: hop-by-hop */
	bad[5] = 8 + 16;
	bad[40] = IPPROTO_UDP;
	bad[41] = 0; /* 8 bytes */
	memcpy(bad + 48, pkt + 40, 16);
	assert_int_equal(parse_exact(bad, 40 + 24, &p), 0);
	assert_int_equal(p.proto, IPPROTO_UDP);
	assert_int_equal(p.dport, 2);
	/* an extension header longer than the packet */
	bad[41] = 9;
	assert_int_equal(parse_exact(bad, 40 + 24, &p), -1);
	/* a fragment header: dropped */
	bad[6] = 44;
	assert_int_equal(parse_exact(bad, 40 + 24, &p), -1);
	/* jumbogram (payload length 0) */
	memcpy(bad, pkt, len);
	bad[4] = bad[5] = 0;
	assert_int_equal(parse_exact(bad, len, &p), -1);
	/* UDP length larger than the IP payload */
	memcpy(bad, pkt, len);
	bad[40 + 5] = 200;
	assert_int_equal(parse_exact(bad, len, &p), -1);
}

static void test_seq(void **state)
{
	(void)state;
	assert_true(seq_lt(1, 2));
	assert_true(seq_lt(0xfffffff0u, 0x10)); /* across the wrap */
	assert_false(seq_lt(0x10, 0xfffffff0u));
	assert_true(seq_le(5, 5));
	assert_true(seq_gt(0x80000000u, 1));
	assert_true(seq_ge(0, 0xffffffffu));
	assert_false(seq_gt(7, 7));
	assert_true(seq_gt(0x7fffffffu, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_rfc1071),
		cmocka_unit_test(test_csum_lengths),
		cmocka_unit_test(test_tcp_syn_roundtrip),
		cmocka_unit_test(test_tcp_data_v6_roundtrip),
		cmocka_unit_test(test_tcp_partial_csum),
		cmocka_unit_test(test_udp_roundtrip),
		cmocka_unit_test(test_icmp_error_quote),
		cmocka_unit_test(test_icmpv6_echo),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_malformed_v6),
		cmocka_unit_test(test_seq),
	};

	int r = cmocka_run_group_tests_name("packet", tests, NULL, NULL);

	free(parse_copy);
	return r;
}
