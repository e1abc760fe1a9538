/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_dnsmsg.c - unit tests for the DNS message reader and builder
 *
 * The hand-written messages below are laid out as a resolver sends them,
 * with the offset of each part in a comment so that the compression
 * pointers can be checked by eye. Longer messages (40 records, long names)
 * are put together with the small tbuf_* writer. Every message is copied
 * into a heap buffer of exactly its length before it is parsed, so that an
 * over-read shows up under AddressSanitizer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dnsmsg.h"

/* A query for WwW.ExAmple.COM A, id 0x1234, RD, with an EDNS OPT record */
static const uint8_t query_mixed[] = {
	0x12, 0x34, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	/* 12: WwW.ExAmple.COM */
	0x03, 'W', 'w', 'W', 0x07, 'E', 'x', 'A', 'm', 'p', 'l', 'e', 0x03, 'C',
	'O', 'M', 0x00,
	/* 29: A IN */
	0x00, 0x01, 0x00, 0x01,
	/* 33: OPT, udp 1232, DO clear */
	0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

/* The response to alias.test A: a CNAME chain, compressed, with an OPT */
static const uint8_t resp_chain[] = {
	0xbe, 0xef, 0x81, 0x80, 0x00, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01,
	/* 12: alias.test ("test" at 18) */
	0x05, 'a', 'l', 'i', 'a', 's', 0x04, 't', 'e', 's', 't', 0x00,
	/* 24: A IN */
	0x00, 0x01, 0x00, 0x01,
	/* 28: alias.test CNAME 300, rdata at 40: chain1.test */
	0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x09,
	0x06, 'c', 'h', 'a', 'i', 'n', '1', 0xc0, 0x12,
	/* 49: chain1.test CNAME 60, rdata at 61: origin.test */
	0xc0, 0x28, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x09,
	0x06, 'o', 'r', 'i', 'g', 'i', 'n', 0xc0, 0x12,
	/* 70: origin.test A 120 203.0.113.10 */
	0xc0, 0x3d, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x78, 0x00, 0x04,
	203, 0, 113, 10,
	/* 86: origin.test AAAA 30 2001:db8::10 */
	0xc0, 0x3d, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1e, 0x00, 0x10,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
	/* 114: OPT */
	0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

/* tbuf - a message being written by a test */
struct tbuf {
	uint8_t b[8192];
	size_t len;
};

/* tbuf_u8() .. tbuf_u32() - append big-endian integers */
static void tbuf_u8(struct tbuf *t, unsigned int v)
{
	assert_true(t->len < sizeof(t->b));
	t->b[t->len++] = (uint8_t)v;
}

static void tbuf_u16(struct tbuf *t, unsigned int v)
{
	tbuf_u8(t, (v >> 8) & 0xff);
	tbuf_u8(t, v & 0xff);
}

static void tbuf_u32(struct tbuf *t, uint32_t v)
{
	tbuf_u16(t, v >> 16);
	tbuf_u16(t, v & 0xffff);
}

/* tbuf_bytes() - append @n raw bytes */
static void tbuf_bytes(struct tbuf *t, const void *p, size_t n)
{
	assert_true(n <= sizeof(t->b) - t->len);
	memcpy(t->b + t->len, p, n);
	t->len += n;
}

/* tbuf_name() - append dotted @name uncompressed, with its root label */
static void tbuf_name(struct tbuf *t, const char *name)
{
	while (*name) {
		size_t n = strcspn(name, ".");

		tbuf_u8(t, (unsigned int)n);
		tbuf_bytes(t, name, n);
		name += n;
		if (*name == '.')
			name++;
	}
	tbuf_u8(t, 0);
}

/* tbuf_header() - append a header with the four counts */
static void tbuf_header(struct tbuf *t, unsigned int id, unsigned int flags,
			unsigned int qd, unsigned int an)
{
	tbuf_u16(t, id);
	tbuf_u16(t, flags);
	tbuf_u16(t, qd);
	tbuf_u16(t, an);
	tbuf_u16(t, 0);
	tbuf_u16(t, 0);
}

/* tbuf_rr() - append the fixed part of a record after its owner */
static void tbuf_rr(struct tbuf *t, unsigned int type, uint32_t ttl,
		    unsigned int rdlen)
{
	tbuf_u16(t, type);
	tbuf_u16(t, DNS_CLASS_IN);
	tbuf_u32(t, ttl);
	tbuf_u16(t, rdlen);
}

/* tbuf_query() - a whole query for @name/@qtype with id 0x4242, RD set */
static void tbuf_query(struct tbuf *t, const char *name, unsigned int qtype)
{
	t->len = 0;
	tbuf_header(t, 0x4242, 0x0100, 1, 0);
	tbuf_name(t, name);
	tbuf_u16(t, qtype);
	tbuf_u16(t, DNS_CLASS_IN);
}

/* dup_exact() - @len bytes of @p in a heap block of exactly that size */
static uint8_t *dup_exact(const void *p, size_t len)
{
	uint8_t *d = malloc(len ? len : 1);

	assert_non_null(d);
	if (len)
		memcpy(d, p, len);
	return d;
}

/* pq() - dnsmsg_parse_question() on an exact-size copy of @p */
static int pq(const void *p, size_t len, struct dnsmsg_question *q)
{
	uint8_t *d = dup_exact(p, len);
	int r = dnsmsg_parse_question(d, len, q);

	free(d);
	return r;
}

/* pa() - dnsmsg_parse_answer() on an exact-size copy of @p */
static int pa(const void *p, size_t len, struct dnsmsg_answer *a)
{
	uint8_t *d = dup_exact(p, len);
	int r = dnsmsg_parse_answer(d, len, a);

	free(d);
	return r;
}

/* ip_text() - @a as text, in a static buffer */
static const char *ip_text(const struct ipaddr *a)
{
	static char buf[INET6_ADDRSTRLEN];

	return inet_ntop(a->family,
			 a->family == AF_INET ? (const void *)&a->v4
					      : (const void *)&a->v6,
			 buf, sizeof(buf));
}

/* mkip() - an address from text */
static struct ipaddr mkip(const char *s)
{
	struct ipaddr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, &a.v4) == 1) {
		a.family = AF_INET;
	} else {
		assert_int_equal(inet_pton(AF_INET6, s, &a.v6), 1);
		a.family = AF_INET6;
	}
	return a;
}

/* check_qname() - the one-question query for wire name @t parses as @want,
 * or fails when @want is NULL
 */
static void check_qname(const struct tbuf *t, const char *want)
{
	struct dnsmsg_question q;
	int r = pq(t->b, t->len, &q);

	if (!want) {
		assert_int_equal(r, -1);
		return;
	}
	assert_int_equal(r, 0);
	assert_string_equal(q.qname, want);
}

static void test_question_mixed_case(void **state)
{
	struct dnsmsg_question q;

	(void)state;
	assert_int_equal(pq(query_mixed, sizeof(query_mixed), &q), 0);
	assert_int_equal(q.id, 0x1234);
	assert_false(q.is_response);
	assert_int_equal(q.opcode, 0);
	assert_int_equal(q.rcode, 0);
	assert_int_equal(q.qdcount, 1);
	assert_string_equal(q.qname, "www.example.com");
	assert_int_equal(q.qtype, DNS_TYPE_A);
	assert_int_equal(q.qclass, DNS_CLASS_IN);
	assert_int_equal(q.question_end, 33);
}

static void test_question_header_fields(void **state)
{
	struct tbuf t;
	struct dnsmsg_question q;

	(void)state;
	t.len = 0;
	/* QR, opcode 2 (STATUS), rcode NXDOMAIN */
	tbuf_header(&t, 0xffff, 0x8000 | (2 << 11) | 3, 1, 0);
	tbuf_name(&t, "a");
	tbuf_u16(&t, 28);
	tbuf_u16(&t, 3);
	assert_int_equal(pq(t.b, t.len, &q), 0);
	assert_int_equal(q.id, 0xffff);
	assert_true(q.is_response);
	assert_int_equal(q.opcode, 2);
	assert_int_equal(q.rcode, 3);
	assert_int_equal(q.qtype, 28);
	assert_int_equal(q.qclass, 3);
	assert_int_equal(q.question_end, t.len);
}

static void test_question_root_and_short(void **state)
{
	static const uint8_t root[] = {0, 1, 0, 0, 0, 1, 0, 0, 0,
				       0, 0, 0, 0, 0, 2, 0, 1};
	static const uint8_t noq[] = {0, 1, 0, 0, 0, 0, 0, 0, 0,
				      0, 0, 0, 0, 0, 2, 0, 1};
	struct dnsmsg_question q;
	size_t i;

	(void)state;
	assert_int_equal(pq(root, sizeof(root), &q), 0);
	assert_string_equal(q.qname, "");
	assert_int_equal(q.qtype, 2);
	/* qdcount 0 */
	assert_int_equal(pq(noq, sizeof(noq), &q), -1);
	/* every truncation of a query fails, header or question */
	for (i = 0; i < 33; i++)
		assert_int_equal(pq(query_mixed, i, &q), -1);
	assert_int_equal(dnsmsg_parse_question(NULL, 0, &q), -1);
	assert_int_equal(dnsmsg_parse_question(query_mixed, 33, NULL), -1);
}

static void test_name_escapes(void **state)
{
	struct tbuf t;
	static const uint8_t odd[] = {0x04, 'a', '.',  'B',  0x00,
				      0x03, ' ', '\\', 0xff, 0x00};

	(void)state;
	t.len = 0;
	tbuf_header(&t, 1, 0, 1, 0);
	tbuf_bytes(&t, odd, sizeof(odd));
	tbuf_u16(&t, 1);
	tbuf_u16(&t, 1);
	check_qname(&t, "a\\046b\\000.\\032\\092\\255");
}

static void test_name_lengths(void **state)
{
	char l63[64], l62[63], l61[62], name[300];
	struct tbuf t;
	uint8_t lab[64];

	(void)state;
	memset(l63, 'a', 63);
	l63[63] = '\0';
	memset(l62, 'b', 62);
	l62[62] = '\0';
	memset(l61, 'c', 61);
	l61[61] = '\0';

	/* 63 + 63 + 63 + 61 and three dots: 253 characters, 255 on the wire */
	snprintf(name, sizeof(name), "%s.%s.%s.%s", l63, l63, l63, l61);
	tbuf_query(&t, name, 1);
	check_qname(&t, name);
	assert_int_equal(strlen(name), 253);

	/* one byte more: 256 on the wire */
	snprintf(name, sizeof(name), "%s.%s.%s.%s", l63, l63, l63, l62);
	tbuf_query(&t, name, 1);
	check_qname(&t, NULL);

	/* a label of 64 has length byte 0x40, an extended label type */
	memset(lab, 'x', sizeof(lab));
	t.len = 0;
	tbuf_header(&t, 1, 0, 1, 0);
	tbuf_u8(&t, 64);
	tbuf_bytes(&t, lab, 64);
	tbuf_u8(&t, 0);
	tbuf_u16(&t, 1);
	tbuf_u16(&t, 1);
	check_qname(&t, NULL);

	/* 0x80: reserved label type */
	t.len = 0;
	tbuf_header(&t, 1, 0, 1, 0);
	tbuf_u8(&t, 0x81);
	tbuf_u8(&t, 'x');
	tbuf_u8(&t, 0);
	tbuf_u16(&t, 1);
	tbuf_u16(&t, 1);
	check_qname(&t, NULL);

	/* short on the wire (4 * 41 bytes) but each byte escaped to four
	 * characters: 4 * 40 * 4 + 3 > 253
	 */
	t.len = 0;
	tbuf_header(&t, 1, 0, 1, 0);
	memset(lab, 0x01, sizeof(lab));
	for (int i = 0; i < 4; i++) {
		tbuf_u8(&t, 40);
		tbuf_bytes(&t, lab, 40);
	}
	tbuf_u8(&t, 0);
	tbuf_u16(&t, 1);
	tbuf_u16(&t, 1);
	check_qname(&t, NULL);

	/* 253 characters with escapes (60 * 4 + 1 + 12), and one label more */
	t.len = 0;
	tbuf_header(&t, 1, 0, 1, 0);
	tbuf_u8(&t, 60);
	tbuf_bytes(&t, lab, 60);
	tbuf_u8(&t, 12);
	tbuf_bytes(&t, "abcdefghijkl", 12);
	tbuf_u8(&t, 0);
	tbuf_u16(&t, 1);
	tbuf_u16(&t, 1);
	{
		struct dnsmsg_question q;

		assert_int_equal(pq(t.b, t.len, &q), 0);
		assert_int_equal(strlen(q.qname), 253);
	}
	t.len -= 5;
	tbuf_u8(&t, 1);
	tbuf_u8(&t, 'x');
	tbuf_u8(&t, 0);
	tbuf_u16(&t, 1);
	tbuf_u16(&t, 1);
	check_qname(&t, NULL);
}

static void test_name_pointers(void **state)
{
	struct tbuf t;
	struct dnsmsg_question q;
	struct dnsmsg_answer a;

	(void)state;
	/* the first question name cannot be compressed: anything before it
	 * is the header
	 */
	t.len = 0;
	tbuf_header(&t, 1, 0, 1, 0);
	tbuf_u16(&t, 0xc000);
	tbuf_u16(&t, 1);
	tbuf_u16(&t, 1);
	assert_int_equal(pq(t.b, t.len, &q), -1);

	/* a forward pointer: the question points past itself */
	t.len = 0;
	tbuf_header(&t, 1, 0, 1, 0);
	tbuf_u8(&t, 1);
	tbuf_u8(&t, 'a');
	tbuf_u16(&t, 0xc000 | 20);
	tbuf_u16(&t, 1);
	tbuf_u16(&t, 1);
	tbuf_name(&t, "b"); /* at 20 */
	assert_int_equal(pq(t.b, t.len, &q), -1);

	/* a loop: 12: 01 'a' C0 0C */
	t.len = 0;
	tbuf_header(&t, 1, 0, 1, 0);
	tbuf_u8(&t, 1);
	tbuf_u8(&t, 'a');
	tbuf_u16(&t, 0xc00c);
	tbuf_u16(&t, 1);
	tbuf_u16(&t, 1);
	assert_int_equal(pq(t.b, t.len, &q), -1);

	/* a pointer to itself, in an answer owner */
	tbuf_query(&t, "a", 1);
	t.b[7] = 1; /* ancount */
	tbuf_u16(&t, 0xc000 | (unsigned int)t.len);
	tbuf_rr(&t, 1, 5, 4);
	tbuf_u32(&t, 0x01020304);
	assert_int_equal(pa(t.b, t.len, &a), -1);

	/* a loop between two answers: a CNAME target that points into its
	 * own owner's rdata run: 12 q; 19 owner C0 0C ...; rdata at 31:
	 * 01 'x' C0 1F
	 */
	tbuf_query(&t, "a", 1);
	t.b[7] = 1;
	tbuf_u16(&t, 0xc00c);
	tbuf_rr(&t, 5, 5, 4);
	assert_int_equal(t.len, 31);
	tbuf_u8(&t, 1);
	tbuf_u8(&t, 'x');
	tbuf_u16(&t, 0xc000 | 31);
	assert_int_equal(pa(t.b, t.len, &a), -1);
	/* the same pointing back to the question is fine: x.a (byte 34 is
	 * the pointer's low byte)
	 */
	assert_int_equal(t.len, 35);
	t.b[34] = 12;
	assert_int_equal(pa(t.b, t.len, &a), 0);
	assert_int_equal(a.n_names, 2);
	assert_string_equal(a.names[1], "x.a");

	/* a pointer cut after its first byte */
	tbuf_query(&t, "a", 1);
	t.b[7] = 1;
	tbuf_u8(&t, 0xc0);
	assert_int_equal(pa(t.b, t.len, &a), -1);
}

/* hop_msg() - a response whose answer owner reaches the question through
 * @hops pointers: the first answer (type 99, skipped) holds a chain of
 * pointers each to the one before, the first to the question name
 */
static void hop_msg(struct tbuf *t, unsigned int hops)
{
	size_t start, i;

	tbuf_query(t, "a", 1);
	t->b[2] |= 0x80;
	t->b[7] = 2;
	tbuf_u16(t, 0xc00c);
	tbuf_rr(t, 99, 5, 2 * (hops - 1));
	start = t->len;
	for (i = 0; i + 1 < hops; i++) {
		if (!i)
			tbuf_u16(t, 0xc00c);
		else
			tbuf_u16(t,
				 0xc000 | (unsigned int)(start + 2 * (i - 1)));
	}
	tbuf_u16(t, 0xc000 | (unsigned int)(start + 2 * ((size_t)hops - 2)));
	tbuf_rr(t, 1, 5, 4);
	tbuf_u32(t, 0x0a000001);
}

static void test_name_hops(void **state)
{
	struct tbuf t;
	struct dnsmsg_answer a;

	(void)state;
	hop_msg(&t, 32);
	assert_int_equal(pa(t.b, t.len, &a), 0);
	assert_int_equal(a.n_ips, 1);
	hop_msg(&t, 33);
	assert_int_equal(pa(t.b, t.len, &a), -1);
}

static void test_answer_chain(void **state)
{
	struct dnsmsg_answer a;

	(void)state;
	assert_int_equal(pa(resp_chain, sizeof(resp_chain), &a), 0);
	assert_int_equal(a.q.id, 0xbeef);
	assert_true(a.q.is_response);
	assert_int_equal(a.q.rcode, 0);
	assert_string_equal(a.q.qname, "alias.test");
	assert_int_equal(a.n_ips, 2);
	assert_int_equal(a.ips[0].family, AF_INET);
	assert_string_equal(ip_text(&a.ips[0]), "203.0.113.10");
	assert_int_equal(a.ips[1].family, AF_INET6);
	assert_string_equal(ip_text(&a.ips[1]), "2001:db8::10");
	assert_int_equal(a.n_names, 3);
	assert_string_equal(a.names[0], "alias.test");
	assert_string_equal(a.names[1], "chain1.test");
	assert_string_equal(a.names[2], "origin.test");
	assert_int_equal(a.min_ttl, 30);
}

static void test_answer_truncated(void **state)
{
	struct dnsmsg_answer a;
	uint8_t m[sizeof(resp_chain)];
	size_t i;

	(void)state;
	/* cut anywhere inside the answer section: malformed. The OPT record
	 * (at 114) is not read, so cuts inside it parse.
	 */
	for (i = 0; i < 114; i++)
		assert_int_equal(pa(resp_chain, i, &a), -1);
	for (i = 114; i <= sizeof(resp_chain); i++)
		assert_int_equal(pa(resp_chain, i, &a), 0);

	/* ancount 5 with four records present, and no OPT after them */
	memcpy(m, resp_chain, sizeof(m));
	m[7] = 5;
	assert_int_equal(pa(m, 114, &a), -1);
	/* ancount 5: the OPT is read as the fifth answer, and is skipped */
	assert_int_equal(pa(m, sizeof(m), &a), 0);
	assert_int_equal(a.n_ips, 2);
	/* ancount 6 */
	m[7] = 6;
	assert_int_equal(pa(m, sizeof(m), &a), -1);
}

static void test_answer_bad_rdata(void **state)
{
	struct tbuf t;
	struct dnsmsg_answer a;
	uint8_t rd[17] = {0};

	(void)state;
	/* A with rdlength 5 */
	tbuf_query(&t, "a", 1);
	t.b[7] = 1;
	tbuf_u16(&t, 0xc00c);
	tbuf_rr(&t, 1, 5, 5);
	tbuf_bytes(&t, rd, 5);
	assert_int_equal(pa(t.b, t.len, &a), -1);

	/* AAAA with rdlength 4 */
	tbuf_query(&t, "a", 28);
	t.b[7] = 1;
	tbuf_u16(&t, 0xc00c);
	tbuf_rr(&t, 28, 5, 4);
	tbuf_bytes(&t, rd, 4);
	assert_int_equal(pa(t.b, t.len, &a), -1);

	/* CNAME whose name is shorter than its rdlength */
	tbuf_query(&t, "a", 1);
	t.b[7] = 1;
	tbuf_u16(&t, 0xc00c);
	tbuf_rr(&t, 5, 5, 4);
	tbuf_name(&t, "b");
	tbuf_u8(&t, 0);
	assert_int_equal(pa(t.b, t.len, &a), -1);

	/* CNAME whose name runs past its rdlength */
	tbuf_query(&t, "a", 1);
	t.b[7] = 1;
	tbuf_u16(&t, 0xc00c);
	tbuf_rr(&t, 5, 5, 2);
	tbuf_name(&t, "b");
	assert_int_equal(pa(t.b, t.len, &a), -1);

	/* rdlength past the end */
	tbuf_query(&t, "a", 1);
	t.b[7] = 1;
	tbuf_u16(&t, 0xc00c);
	tbuf_rr(&t, 16, 5, 10);
	tbuf_bytes(&t, "abc", 3);
	assert_int_equal(pa(t.b, t.len, &a), -1);
}

static void test_answer_skips(void **state)
{
	struct tbuf t;
	struct dnsmsg_answer a;
	static const uint8_t mx[] = {0x00, 0x0a, 0x02, 'm', 'x', 0xc0, 0x0c};

	(void)state;
	/* two questions, then MX, TXT, an A of class CH, and an A */
	t.len = 0;
	tbuf_header(&t, 7, 0x8180, 2, 4);
	tbuf_name(&t, "Example.ORG");
	tbuf_u16(&t, 1);
	tbuf_u16(&t, 1);
	tbuf_name(&t, "other.example.org");
	tbuf_u16(&t, 28);
	tbuf_u16(&t, 1);
	tbuf_u16(&t, 0xc00c);
	tbuf_rr(&t, 15, 1, sizeof(mx));
	tbuf_bytes(&t, mx, sizeof(mx));
	tbuf_u16(&t, 0xc00c);
	tbuf_rr(&t, 16, 2, 4);
	tbuf_bytes(&t, "\003abc", 4);
	tbuf_u16(&t, 0xc00c);
	tbuf_u16(&t, 1);
	tbuf_u16(&t, 3); /* CH */
	tbuf_u32(&t, 1);
	tbuf_u16(&t, 5);
	tbuf_bytes(&t, "abcde", 5);
	tbuf_u16(&t, 0xc00c);
	tbuf_rr(&t, 1, 0x80000000u, 4); /* RFC 2181: counts as 0 */
	tbuf_u32(&t, 0xc0000201);
	assert_int_equal(pa(t.b, t.len, &a), 0);
	assert_int_equal(a.q.qdcount, 2);
	assert_string_equal(a.q.qname, "example.org");
	assert_int_equal(a.n_ips, 1);
	assert_string_equal(ip_text(&a.ips[0]), "192.0.2.1");
	assert_int_equal(a.n_names, 1);
	assert_int_equal(a.min_ttl, 0);

	/* a second question cut short */
	t.len = 0;
	tbuf_header(&t, 7, 0x8180, 2, 0);
	tbuf_name(&t, "a");
	tbuf_u16(&t, 1);
	tbuf_u16(&t, 1);
	tbuf_name(&t, "b");
	tbuf_u16(&t, 1);
	assert_int_equal(pa(t.b, t.len, &a), -1);
	/* whole, but its name has a label type of 0x40 */
	tbuf_u16(&t, 1);
	assert_int_equal(pa(t.b, t.len, &a), 0);
	t.b[t.len - 7] = 0x40;
	assert_int_equal(pa(t.b, t.len, &a), -1);
	t.b[5] = 1;
	assert_int_equal(pa(t.b, t.len, &a), 0);
	assert_int_equal(a.n_ips, 0);
	assert_int_equal(a.n_names, 1);
	assert_int_equal(a.min_ttl, 0);
}

static void test_answer_max_ips(void **state)
{
	struct tbuf t;
	struct dnsmsg_answer a;
	unsigned int i;

	(void)state;
	tbuf_query(&t, "many.test", 1);
	t.b[2] |= 0x80;
	t.b[7] = 40;
	for (i = 0; i < 40; i++) {
		tbuf_u16(&t, 0xc00c);
		tbuf_rr(&t, 1, i == 39 ? 7 : 100 + i, 4);
		tbuf_u32(&t, 0x0a000000 + i);
	}
	assert_int_equal(pa(t.b, t.len, &a), 0);
	assert_int_equal(a.n_ips, DNSMSG_MAX_IPS);
	for (i = 0; i < DNSMSG_MAX_IPS; i++)
		assert_int_equal(ntohl(a.ips[i].v4.s_addr), 0x0a000000 + i);
	/* the TTL of a record past the kept ones still counts */
	assert_int_equal(a.min_ttl, 7);
}

static void test_answer_max_names(void **state)
{
	struct tbuf t;
	struct dnsmsg_answer a;
	char owner[16], target[16];
	unsigned int i;

	(void)state;
	/* n0 -> n1 -> ... -> n11, and n0 -> n1 again (a duplicate) */
	tbuf_query(&t, "n0", 1);
	t.b[2] |= 0x80;
	t.b[7] = 12;
	for (i = 0; i < 12; i++) {
		snprintf(owner, sizeof(owner), "n%u", i == 11 ? 0 : i);
		snprintf(target, sizeof(target), "N%u", i == 11 ? 1 : i + 1);
		tbuf_name(&t, owner);
		tbuf_rr(&t, 5, 50, (unsigned int)strlen(target) + 2);
		tbuf_name(&t, target);
	}
	assert_int_equal(pa(t.b, t.len, &a), 0);
	assert_int_equal(a.n_names, DNSMSG_MAX_NAMES);
	for (i = 0; i < DNSMSG_MAX_NAMES; i++) {
		snprintf(owner, sizeof(owner), "n%u", i);
		assert_string_equal(a.names[i], owner);
	}
	assert_int_equal(a.min_ttl, 50);
}

static void test_reply_refused(void **state)
{
	uint8_t out[512], *q;
	struct dnsmsg_question rq;
	size_t n;

	(void)state;
	q = dup_exact(query_mixed, sizeof(query_mixed));
	n = dnsmsg_build_reply(q, sizeof(query_mixed), DNS_RCODE_REFUSED, out,
			       sizeof(out));
	free(q);
	/* header and question; the OPT is dropped */
	assert_int_equal(n, 33);
	assert_int_equal(pq(out, n, &rq), 0);
	assert_int_equal(rq.id, 0x1234);
	assert_true(rq.is_response);
	assert_int_equal(rq.rcode, DNS_RCODE_REFUSED);
	assert_int_equal(rq.opcode, 0);
	assert_int_equal(rq.qdcount, 1);
	assert_string_equal(rq.qname, "www.example.com");
	assert_int_equal(rq.qtype, DNS_TYPE_A);
	/* RD copied, RA set, no AD/CD; counts 1/0/0/0 */
	assert_int_equal(out[2], 0x81);
	assert_int_equal(out[3], 0x85);
	assert_memory_equal(out + 4, "\0\1\0\0\0\0\0\0", 8);
	/* the question verbatim, case included */
	assert_memory_equal(out + 12, query_mixed + 12, 21);
}

static void test_reply_flags_and_errors(void **state)
{
	struct tbuf t;
	uint8_t out[512];
	struct dnsmsg_question rq;
	size_t n;

	(void)state;
	/* opcode 4 (NOTIFY), AA and TC and RD clear, AD and CD set */
	t.len = 0;
	tbuf_header(&t, 9, (4 << 11) | 0x0030, 1, 0);
	tbuf_name(&t, "x.test");
	tbuf_u16(&t, 6);
	tbuf_u16(&t, 1);
	n = dnsmsg_build_reply(t.b, t.len, DNS_RCODE_NXDOMAIN, out,
			       sizeof(out));
	assert_int_equal(n, t.len);
	assert_int_equal(pq(out, n, &rq), 0);
	assert_int_equal(rq.opcode, 4);
	assert_int_equal(rq.rcode, DNS_RCODE_NXDOMAIN);
	assert_int_equal(out[2], 0x80 | (4 << 3));
	assert_int_equal(out[3], 0x83);

	/* too small by one, and just right */
	assert_int_equal(dnsmsg_build_reply(t.b, t.len, 0, out, t.len - 1), 0);
	assert_int_equal(dnsmsg_build_reply(t.b, t.len, 0, out, t.len), t.len);
	assert_int_equal(dnsmsg_build_reply(t.b, t.len, 0, out, 0), 0);
	assert_int_equal(dnsmsg_build_reply(t.b, t.len, 0, NULL, 512), 0);
	/* extended rcode */
	assert_int_equal(dnsmsg_build_reply(t.b, t.len, 16, out, 512), 0);
	/* malformed queries */
	assert_int_equal(dnsmsg_build_reply(t.b, t.len - 1, 0, out, 512), 0);
	assert_int_equal(dnsmsg_build_reply(t.b, 11, 0, out, 512), 0);
	assert_int_equal(dnsmsg_build_reply(NULL, 0, 0, out, 512), 0);
	t.b[5] = 0; /* qdcount 0 */
	assert_int_equal(dnsmsg_build_reply(t.b, t.len, 0, out, 512), 0);

	/* in place */
	tbuf_query(&t, "in.place", 1);
	n = t.len;
	assert_int_equal(dnsmsg_build_reply(t.b, n, 5, t.b, n), n);
	assert_int_equal(pq(t.b, n, &rq), 0);
	assert_true(rq.is_response);
	assert_int_equal(rq.id, 0x4242);
	assert_string_equal(rq.qname, "in.place");
}

static void test_answer_builder(void **state)
{
	struct ipaddr ips[4];
	struct dnsmsg_answer a;
	struct tbuf t;
	uint8_t out[512];
	size_t n, base;

	(void)state;
	ips[0] = mkip("192.0.2.1");
	ips[1] = mkip("2001:db8::1");
	ips[2] = mkip("198.51.100.7");
	ips[3] = mkip("2001:db8::2");

	/* A: the two IPv4 addresses */
	tbuf_query(&t, "Mixed.Test", DNS_TYPE_A);
	base = t.len;
	n = dnsmsg_build_answer(t.b, t.len, ips, 4, 600, out, sizeof(out));
	assert_int_equal(n, base + 32); /* two A records */
	assert_int_equal(out[3], 0x80); /* NOERROR, RA */
	assert_int_equal(out[7], 2);
	assert_memory_equal(out + base, "\xc0\x0c\0\1\0\1\0\0\x02\x58\0\4", 12);
	assert_int_equal(pa(out, n, &a), 0);
	assert_true(a.q.is_response);
	assert_int_equal(a.q.id, 0x4242);
	assert_string_equal(a.q.qname, "mixed.test");
	assert_int_equal(a.n_ips, 2);
	assert_string_equal(ip_text(&a.ips[0]), "192.0.2.1");
	assert_string_equal(ip_text(&a.ips[1]), "198.51.100.7");
	assert_int_equal(a.min_ttl, 600);
	/* one byte short, and exactly enough */
	assert_int_equal(
		dnsmsg_build_answer(t.b, t.len, ips, 4, 600, out, base + 31),
		0);
	assert_int_equal(
		dnsmsg_build_answer(t.b, t.len, ips, 4, 600, out, base + 32),
		base + 32);

	/* AAAA: the two IPv6 addresses */
	tbuf_query(&t, "mixed.test", DNS_TYPE_AAAA);
	n = dnsmsg_build_answer(t.b, t.len, ips, 4, 5, out, sizeof(out));
	assert_int_equal(n, base + 56); /* two AAAA records */
	assert_int_equal(pa(out, n, &a), 0);
	assert_int_equal(a.n_ips, 2);
	assert_int_equal(a.ips[0].family, AF_INET6);
	assert_string_equal(ip_text(&a.ips[0]), "2001:db8::1");
	assert_string_equal(ip_text(&a.ips[1]), "2001:db8::2");
	assert_int_equal(a.min_ttl, 5);

	/* AAAA with IPv4 only: NOERROR, no answers */
	n = dnsmsg_build_answer(t.b, t.len, ips, 1, 5, out, sizeof(out));
	assert_int_equal(n, base);
	assert_int_equal(pa(out, n, &a), 0);
	assert_int_equal(a.n_ips, 0);
	assert_int_equal(a.q.rcode, 0);

	/* MX: no answers */
	tbuf_query(&t, "mixed.test", 15);
	assert_int_equal(
		dnsmsg_build_answer(t.b, t.len, ips, 4, 5, out, sizeof(out)),
		base);
	assert_int_equal(out[7], 0);

	/* class CH: no answers */
	tbuf_query(&t, "mixed.test", DNS_TYPE_A);
	t.b[t.len - 1] = 3;
	assert_int_equal(
		dnsmsg_build_answer(t.b, t.len, ips, 4, 5, out, sizeof(out)),
		base);
	assert_int_equal(out[7], 0);

	/* no addresses, NULL array */
	tbuf_query(&t, "mixed.test", DNS_TYPE_A);
	assert_int_equal(
		dnsmsg_build_answer(t.b, t.len, NULL, 0, 5, out, sizeof(out)),
		base);
	assert_int_equal(
		dnsmsg_build_answer(t.b, t.len, NULL, 1, 5, out, sizeof(out)),
		0);
	/* malformed query */
	assert_int_equal(
		dnsmsg_build_answer(t.b, 5, ips, 4, 5, out, sizeof(out)), 0);
	/* in place, the query buffer large enough */
	n = dnsmsg_build_answer(t.b, t.len, ips, 4, 5, t.b, sizeof(t.b));
	assert_int_equal(n, base + 32);
	assert_int_equal(pa(t.b, n, &a), 0);
	assert_int_equal(a.n_ips, 2);
	assert_string_equal(a.q.qname, "mixed.test");
}

static void test_answer_builder_many(void **state)
{
	static struct ipaddr ips[40];
	struct dnsmsg_answer a;
	struct tbuf t;
	static uint8_t out[2048];
	size_t n, i;

	(void)state;
	for (i = 0; i < 40; i++) {
		memset(&ips[i], 0, sizeof(ips[i]));
		ips[i].family = AF_INET;
		ips[i].v4.s_addr = htonl(0xc6336400 + (uint32_t)i);
	}
	tbuf_query(&t, "forty.test", DNS_TYPE_A);
	/* all or nothing: 40 records do not fit in 512 bytes */
	assert_int_equal(dnsmsg_build_answer(t.b, t.len, ips, 40, 1, out, 512),
			 0);
	n = dnsmsg_build_answer(t.b, t.len, ips, 40, 1, out, sizeof(out));
	assert_int_equal(n, t.len + 640); /* 40 A records */
	assert_int_equal(pa(out, n, &a), 0);
	assert_int_equal(a.n_ips, DNSMSG_MAX_IPS);
	assert_int_equal(dnsmsg_parse_answer(out, n, NULL), -1);
}

static void test_answer_builder_count(void **state)
{
	struct ipaddr *ips = calloc(65536, sizeof(*ips));
	struct tbuf t;
	size_t i;

	(void)state;
	assert_non_null(ips);
	for (i = 0; i < 65536; i++)
		ips[i].family = AF_INET6;
	/* ANCOUNT cannot say 65536, whatever the buffer */
	tbuf_query(&t, "x", DNS_TYPE_AAAA);
	assert_int_equal(
		dnsmsg_build_answer(t.b, t.len, ips, 65536, 1, t.b, SIZE_MAX),
		0);
	free(ips);
}

static void test_qtype_name(void **state)
{
	(void)state;
	assert_string_equal(dnsmsg_qtype_name(1), "A");
	assert_string_equal(dnsmsg_qtype_name(28), "AAAA");
	assert_string_equal(dnsmsg_qtype_name(5), "other");
	assert_string_equal(dnsmsg_qtype_name(0), "other");
	assert_string_equal(dnsmsg_qtype_name(65535), "other");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_question_mixed_case),
		cmocka_unit_test(test_question_header_fields),
		cmocka_unit_test(test_question_root_and_short),
		cmocka_unit_test(test_name_escapes),
		cmocka_unit_test(test_name_lengths),
		cmocka_unit_test(test_name_pointers),
		cmocka_unit_test(test_name_hops),
		cmocka_unit_test(test_answer_chain),
		cmocka_unit_test(test_answer_truncated),
		cmocka_unit_test(test_answer_bad_rdata),
		cmocka_unit_test(test_answer_skips),
		cmocka_unit_test(test_answer_max_ips),
		cmocka_unit_test(test_answer_max_names),
		cmocka_unit_test(test_reply_refused),
		cmocka_unit_test(test_reply_flags_and_errors),
		cmocka_unit_test(test_answer_builder),
		cmocka_unit_test(test_answer_builder_many),
		cmocka_unit_test(test_answer_builder_count),
		cmocka_unit_test(test_qtype_name),
	};

	return cmocka_run_group_tests_name("dnsmsg", tests, NULL, NULL);
}
