/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * fuzz_dnsmsg.c - libFuzzer harness for the DNS message reader and builder
 *
 * Each input is a DNS message, read as it comes (libFuzzer's buffer is
 * exactly @size bytes, so any over-read trips AddressSanitizer), and checks
 * what must hold for every input:
 *  - parse_question: a name of at most 253 printable characters, with no
 *    upper case, and a question inside the message;
 *  - parse_answer: succeeds only where parse_question does, with the same
 *    question; bounded lists, the qname first, no duplicate names;
 *  - build_reply: succeeds exactly when the question parses and the rcode
 *    fits in four bits; the reply parses back to the same id and question,
 *    QR set, the rcode given; built in place it is the same bytes; a short
 *    output buffer gives 0 or the whole reply;
 *  - build_answer (with two IPv4 and two IPv6 addresses): the reply parses
 *    as an answer with as many addresses as the question's type matches.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *	tests/fuzz/fuzz_dnsmsg.c src/engine/dnsmsg.c src/policy/cidr.c \
 *	-o /tmp/fuzz_dnsmsg
 * Run:   /tmp/fuzz_dnsmsg -max_total_time=60 tests/fuzz/corpus/dnsmsg
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dnsmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* dnsmsg_fuzz_check() - stop the run when an invariant does not hold */
#define dnsmsg_fuzz_check(cond)                                           \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", \
				#cond, __FILE__, __LINE__);               \
			abort();                                          \
		}                                                         \
	} while (0)

#define DNSMSG_FUZZ_OUT 4096

/* dnsmsg_fuzz_ips() - the fixed addresses build_answer is given */
static void dnsmsg_fuzz_ips(struct ipaddr *ips)
{
	memset(ips, 0, 4 * sizeof(*ips));
	ips[0].family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &ips[0].v4);
	ips[1].family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", &ips[1].v6);
	ips[2].family = AF_INET;
	inet_pton(AF_INET, "198.51.100.250", &ips[2].v4);
	ips[3].family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:ffff::2", &ips[3].v6);
}

/* dnsmsg_fuzz_name_ok() - presentation form as dnsmsg.c promises it */
static int dnsmsg_fuzz_name_ok(const char *s)
{
	size_t n = strnlen(s, DNSMSG_NAME_MAX + 1);

	if (n > 253)
		return 0;
	for (; *s; s++) {
		if (*s <= 0x20 || *s >= 0x7f || (*s >= 'A' && *s <= 'Z'))
			return 0;
	}
	return 1;
}

/* dnsmsg_fuzz_same_q() - do two parsed questions agree, header aside? */
static int dnsmsg_fuzz_same_q(const struct dnsmsg_question *a,
			      const struct dnsmsg_question *b)
{
	return a->id == b->id && a->qtype == b->qtype &&
	       a->qclass == b->qclass && !strcmp(a->qname, b->qname);
}

/* dnsmsg_fuzz_answer() - check a parsed answer's lists */
static void dnsmsg_fuzz_answer(const struct dnsmsg_answer *a)
{
	size_t i, j;

	dnsmsg_fuzz_check(a->n_ips <= DNSMSG_MAX_IPS);
	dnsmsg_fuzz_check(a->n_names >= 1 && a->n_names <= DNSMSG_MAX_NAMES);
	dnsmsg_fuzz_check(!strcmp(a->names[0], a->q.qname));
	for (i = 0; i < a->n_ips; i++)
		dnsmsg_fuzz_check(a->ips[i].family == AF_INET ||
				  a->ips[i].family == AF_INET6);
	for (i = 0; i < a->n_names; i++) {
		dnsmsg_fuzz_check(dnsmsg_fuzz_name_ok(a->names[i]));
		for (j = 0; j < i; j++)
			dnsmsg_fuzz_check(strcmp(a->names[i], a->names[j]));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dnsmsg_answer a, ra;
	static uint8_t out[DNSMSG_FUZZ_OUT];
	struct dnsmsg_question q, rq;
	struct ipaddr ips[4];
	size_t n, n2, small, want, count;
	uint8_t rcode;
	int qok, i;

	qok = dnsmsg_parse_question(data, size, &q) == 0;
	if (qok) {
		dnsmsg_fuzz_check(strlen(dnsmsg_qtype_name(q.qtype)) > 0);
		dnsmsg_fuzz_check(dnsmsg_fuzz_name_ok(q.qname));
		dnsmsg_fuzz_check(q.qdcount > 0);
		dnsmsg_fuzz_check(q.question_end >= 17 &&
				  q.question_end <= size);
		dnsmsg_fuzz_check(q.opcode < 16 && q.rcode < 16);
	}

	if (dnsmsg_parse_answer(data, size, &a) == 0) {
		dnsmsg_fuzz_check(qok);
		dnsmsg_fuzz_check(dnsmsg_fuzz_same_q(&a.q, &q));
		dnsmsg_fuzz_answer(&a);
	}

	/* build_reply, with an rcode taken from the input (16-31 invalid) */
	rcode = size ? (data[0] & 0x1f) : 0;
	n = dnsmsg_build_reply(data, size, rcode, out, sizeof(out));
	dnsmsg_fuzz_check(!n == (!qok || rcode > 15));
	if (n) {
		dnsmsg_fuzz_check(n == q.question_end);
		dnsmsg_fuzz_check(dnsmsg_parse_question(out, n, &rq) == 0);
		dnsmsg_fuzz_check(dnsmsg_fuzz_same_q(&q, &rq));
		dnsmsg_fuzz_check(rq.is_response && rq.rcode == rcode &&
				  rq.opcode == q.opcode && rq.qdcount == 1);
		dnsmsg_fuzz_check(dnsmsg_parse_answer(out, n, &ra) == 0);
		dnsmsg_fuzz_check(ra.n_ips == 0 && ra.n_names == 1);

		/* in place */
		if (size <= DNSMSG_UDP_MAX) {
			static uint8_t inplace[DNSMSG_UDP_MAX + 1];

			memcpy(inplace, data, size);
			n2 = dnsmsg_build_reply(inplace, size, rcode, inplace,
						size);
			dnsmsg_fuzz_check(n2 == n && !memcmp(inplace, out, n));
		}
	}
	/* a short buffer: nothing, or the whole reply */
	small = size ? data[size - 1] : 0;
	n2 = dnsmsg_build_reply(data, size, rcode, out, small);
	dnsmsg_fuzz_check(n2 == 0 || (n2 == n && n <= small));

	/* build_answer with two addresses of each family */
	dnsmsg_fuzz_ips(ips);
	n = dnsmsg_build_answer(data, size, ips, 4, 300, out, sizeof(out));
	dnsmsg_fuzz_check(!n == !qok);
	if (!n)
		return 0;
	count = 0;
	if (q.qclass == DNS_CLASS_IN &&
	    (q.qtype == DNS_TYPE_A || q.qtype == DNS_TYPE_AAAA))
		count = 2;
	want = q.question_end + count * (q.qtype == DNS_TYPE_A ? 16 : 28);
	dnsmsg_fuzz_check(n == want);
	dnsmsg_fuzz_check(dnsmsg_parse_answer(out, n, &ra) == 0);
	dnsmsg_fuzz_answer(&ra);
	dnsmsg_fuzz_check(dnsmsg_fuzz_same_q(&q, &ra.q));
	dnsmsg_fuzz_check(ra.q.is_response && ra.q.rcode == 0);
	dnsmsg_fuzz_check(ra.n_ips == count && ra.n_names == 1);
	for (i = 0; i < (int)count; i++) {
		const struct ipaddr *want_ip =
			&ips[q.qtype == DNS_TYPE_A ? 2 * i : 2 * i + 1];

		dnsmsg_fuzz_check(ra.ips[i].family == want_ip->family);
		if (want_ip->family == AF_INET)
			dnsmsg_fuzz_check(
				!memcmp(&ra.ips[i].v4, &want_ip->v4, 4));
		else
			dnsmsg_fuzz_check(
				!memcmp(&ra.ips[i].v6, &want_ip->v6, 16));
	}
	if (count)
		dnsmsg_fuzz_check(ra.min_ttl == 300);
	/* a buffer one byte short */
	dnsmsg_fuzz_check(
		dnsmsg_build_answer(data, size, ips, 4, 300, out, n - 1) == 0);
	return 0;
}
