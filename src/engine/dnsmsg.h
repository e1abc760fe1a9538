/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * dnsmsg.h - bounded reader and builder of DNS messages (RFC 1035)
 *
 * Every message comes from the tree or from an upstream resolver and is
 * hostile input: the reader checks every length before it reads, follows
 * compression pointers only backwards and a bounded number of times, and
 * never aborts. Pure code: no I/O, no allocation.
 */
#ifndef CHILDFLOW_DNSMSG_H
#define CHILDFLOW_DNSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/cidr.h"

#define DNSMSG_NAME_MAX	 255 /* presentation form, no trailing dot, + NUL */
#define DNSMSG_MAX_IPS	 32  /* answer addresses kept per response */
#define DNSMSG_MAX_NAMES 8   /* CNAME chain names kept per response */
#define DNSMSG_UDP_MAX	 65535

#define DNS_TYPE_A	   1
#define DNS_TYPE_CNAME	   5
#define DNS_TYPE_AAAA	   28
#define DNS_CLASS_IN	   1
#define DNS_RCODE_NOERROR  0
#define DNS_RCODE_FORMERR  1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_REFUSED  5

struct dnsmsg_question {
	uint16_t id;
	bool is_response;
	uint8_t opcode;
	uint8_t rcode;
	uint16_t qdcount;
	char qname[DNSMSG_NAME_MAX +
		   1]; /* lower-case, no trailing dot; "" for the root */
	uint16_t qtype;
	uint16_t qclass;
	size_t question_end; /* offset just past the first question */
};

struct dnsmsg_answer {
	struct dnsmsg_question q;
	struct ipaddr ips[DNSMSG_MAX_IPS]; /* A and AAAA records, in order */
	size_t n_ips;
	/* Every name the answer ties to those addresses: the qname, each CNAME
	 * owner and target, lower-case, no duplicates, qname first
	 */
	char names[DNSMSG_MAX_NAMES][DNSMSG_NAME_MAX + 1];
	size_t n_names;
	uint32_t min_ttl; /* smallest TTL of the A/AAAA/CNAME records */
};

/* dnsmsg_parse_question() - read the header and first question of @msg
 * Return: 0, or -1 when the message is malformed or has no question.
 */
int dnsmsg_parse_question(const uint8_t *msg, size_t len,
			  struct dnsmsg_question *q);

/* dnsmsg_parse_answer() - read a response: its question, the A/AAAA
 * addresses and the CNAME chain names of its answer section
 * Return: 0, or -1 when the message is malformed.
 */
int dnsmsg_parse_answer(const uint8_t *msg, size_t len,
			struct dnsmsg_answer *a);

/* dnsmsg_build_reply() - a reply to @query with @rcode and no records:
 * same id and question, QR set, RD copied, RA set. Used for REFUSED
 * (--offline), and for NOERROR with no answers (a denied name, AAAA when
 * the host has no IPv6).
 * Return: the reply's length, or 0 when @query is malformed or @out (of
 * @outlen bytes) is too small.
 */
size_t dnsmsg_build_reply(const uint8_t *query, size_t qlen, uint8_t rcode,
			  uint8_t *out, size_t outlen);

/* dnsmsg_build_answer() - a NOERROR reply to @query answering its question
 * with @n addresses of @ips (A records for IPv4, AAAA for IPv6; addresses
 * of the other family are skipped), each with @ttl
 * Return: the reply's length, or 0 as for dnsmsg_build_reply().
 */
size_t dnsmsg_build_answer(const uint8_t *query, size_t qlen,
			   const struct ipaddr *ips, size_t n, uint32_t ttl,
			   uint8_t *out, size_t outlen);

/* dnsmsg_qtype_name() - "A", "AAAA", "other" (SPEC.md §3 qtype) */
const char *dnsmsg_qtype_name(uint16_t qtype);

#endif /* CHILDFLOW_DNSMSG_H */
