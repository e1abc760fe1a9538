/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * dnsmsg.c - bounded reader and builder of DNS messages (RFC 1035)
 *
 * Theory of operation
 *
 * Every byte handed to this file is hostile: queries come from the tree, and
 * responses from an upstream resolver over UDP. The reader therefore works
 * on (buffer, length) pairs only, never on NUL-terminated strings, and checks
 * each length before it reads; it allocates nothing and keeps no state.
 *
 * Names (dnsmsg_name_read()) are read label by label:
 *  - a length byte with the top bits 00 is a label of 1 to 63 bytes, 0 ends
 *    the name; 01 (extended, RFC 6891) and 10 (reserved) are rejected;
 *  - 11 is a compression pointer. It must point into the message past the
 *    12-byte header, and strictly before the start of the run of labels that
 *    holds it (the name's first byte, or the previous pointer's target). So
 *    every jump goes strictly backwards and a pointer loop cannot exist; the
 *    number of jumps is capped at DNSMSG_MAX_HOPS as well;
 *  - the whole name is at most 255 bytes on the wire (RFC 1035 3.1),
 *    counting the labels reached through pointers.
 * Names come out in presentation form: lower-case (ASCII A-Z only), labels
 * joined with '.', no trailing dot, "" for the root. A label byte outside
 * the printable ASCII range 0x21-0x7e, and any '.' or '\' inside a label,
 * is written as a backslash and three decimal digits ("\046" for '.'), as
 * in RFC 1035 master files, so a name read here never splits differently
 * than it did on the wire and never holds a control byte. Such names cannot
 * match a policy rule (rules hold only a-z, 0-9 and '-'), so they are
 * simply denied, yet the engine can still answer them. A name whose
 * presentation form is longer than 253 characters (DOMAIN_MAX of names.h,
 * the longest a plain 255-byte wire name gives) is rejected.
 *
 * The builders copy the query's header id, opcode and RD bit and its first
 * question byte for byte (case included, for 0x20 randomisation), and append
 * answer records whose owner is a pointer to that question name (0xC00C).
 * They read everything they need from the query before writing, so @out may
 * be the query buffer itself.
 */
#include <string.h>
#include <sys/socket.h>

#include "engine/dnsmsg.h"

#define DNSMSG_HDR_LEN	 12	/* id, flags, four counts */
#define DNSMSG_WIRE_MAX	 255	/* longest name on the wire, RFC 1035 3.1 */
#define DNSMSG_PRES_MAX	 253	/* longest name in presentation form */
#define DNSMSG_MAX_HOPS	 32	/* compression pointers followed per name */
#define DNSMSG_RR_FIXED	 10	/* type, class, TTL, rdlength */
#define DNSMSG_PTR_QNAME 0xc00c /* pointer to the first question name */
#define DNSMSG_TTL_MAX	 0x7fffffffu /* RFC 2181 8: larger means zero */

/* Header flag bits, first and second flag bytes */
#define DNSMSG_F1_QR	 0x80
#define DNSMSG_F1_OPCODE 0x78
#define DNSMSG_F1_RD	 0x01
#define DNSMSG_F2_RA	 0x80
#define DNSMSG_F2_RCODE	 0x0f

/* dnsmsg_get16() - big-endian 16-bit value at @p (caller checked bounds) */
static uint16_t dnsmsg_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* dnsmsg_get32() - big-endian 32-bit value at @p (caller checked bounds) */
static uint32_t dnsmsg_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/* dnsmsg_put16() - store @v big-endian at @p (caller checked bounds) */
static void dnsmsg_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* dnsmsg_put32() - store @v big-endian at @p (caller checked bounds) */
static void dnsmsg_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* dnsmsg_label_append() - append the label @lab of @n bytes to @out, which
 * holds *@pos characters, in presentation form (see the top of the file)
 * Return: 0, or -1 when the name would grow past DNSMSG_PRES_MAX
 */
static int dnsmsg_label_append(const uint8_t *lab, size_t n, char *out,
			       size_t *pos)
{
	size_t o = *pos, i;

	if (o) {
		if (o + 1 > DNSMSG_PRES_MAX)
			return -1;
		out[o++] = '.';
	}
	for (i = 0; i < n; i++) {
		uint8_t c = lab[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		if (c > 0x20 && c < 0x7f && c != '.' && c != '\\') {
			if (o + 1 > DNSMSG_PRES_MAX)
				return -1;
			out[o++] = (char)c;
			continue;
		}
		if (o + 4 > DNSMSG_PRES_MAX)
			return -1;
		out[o++] = '\\';
		out[o++] = (char)('0' + c / 100);
		out[o++] = (char)('0' + c / 10 % 10);
		out[o++] = (char)('0' + c % 10);
	}
	*pos = o;
	return 0;
}

/* dnsmsg_name_read() - read the name at offset @off of @msg (@len bytes)
 * into @out (DNSMSG_NAME_MAX + 1 bytes), NUL terminated, in presentation
 * form; *@end is set to the offset just past the name where it started
 * (past its first pointer, or past its terminating zero)
 * Return: 0, or -1 for a truncated, over-long or badly compressed name
 */
static int dnsmsg_name_read(const uint8_t *msg, size_t len, size_t off,
			    char *out, size_t *end)
{
	size_t pos = off, run = off, wire = 0, o = 0, target;
	unsigned int hops = 0;
	bool jumped = false;

	for (;;) {
		uint8_t c;

		if (pos >= len)
			return -1;
		c = msg[pos];
		switch (c & 0xc0) {
		case 0xc0:
			if (len - pos < 2)
				return -1;
			target = dnsmsg_get16(msg + pos) & 0x3fff;
			if (target < DNSMSG_HDR_LEN || target >= run)
				return -1;
			if (++hops > DNSMSG_MAX_HOPS)
				return -1;
			if (!jumped) {
				*end = pos + 2;
				jumped = true;
			}
			pos = run = target;
			continue;
		case 0x00:
			break;
		default: /* 0x40 extended, 0x80 reserved */
			return -1;
		}
		/* Implied by the presentation bound (each label byte gives at
		 * least one character), checked all the same
		 */
		wire += 1 + (size_t)c;
		if (wire > DNSMSG_WIRE_MAX)
			return -1;
		if (!c)
			break;
		if (len - pos - 1 < c)
			return -1;
		if (dnsmsg_label_append(msg + pos + 1, c, out, &o))
			return -1;
		pos += 1 + (size_t)c;
	}
	if (!jumped)
		*end = pos + 1;
	out[o] = '\0';
	return 0;
}

/* dnsmsg_question_skip() - step over the question at @off: name, type, class
 * Return: the offset past it, or 0 when it is malformed
 */
static size_t dnsmsg_question_skip(const uint8_t *msg, size_t len, size_t off)
{
	char name[DNSMSG_NAME_MAX + 1];
	size_t end;

	if (dnsmsg_name_read(msg, len, off, name, &end))
		return 0;
	if (len - end < 4)
		return 0;
	return end + 4;
}

/* dnsmsg_name_add() - add @name to the answer's names unless it is there
 * already or the list is full
 */
static void dnsmsg_name_add(struct dnsmsg_answer *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->n_names; i++) {
		if (!strcmp(a->names[i], name))
			return;
	}
	if (a->n_names >= DNSMSG_MAX_NAMES)
		return;
	memcpy(a->names[a->n_names], name, strlen(name) + 1);
	a->n_names++;
}

/* dnsmsg_ip_add() - keep one more answer address, if there is room */
static void dnsmsg_ip_add(struct dnsmsg_answer *a, int family,
			  const uint8_t *rdata)
{
	struct ipaddr *ip;

	if (a->n_ips >= DNSMSG_MAX_IPS)
		return;
	ip = &a->ips[a->n_ips++];
	memset(ip, 0, sizeof(*ip));
	ip->family = family;
	if (family == AF_INET)
		memcpy(&ip->v4, rdata, 4);
	else
		memcpy(&ip->v6, rdata, 16);
}

/* dnsmsg_parse_question() - read the header and the first question
 * @q is cleared first; on failure its contents are unspecified. The
 * header's QR bit, id and rcode are reported, not checked.
 * Return: 0, or -1 when the message is malformed or qdcount is 0
 */
int dnsmsg_parse_question(const uint8_t *msg, size_t len,
			  struct dnsmsg_question *q)
{
	size_t end;

	if (!q)
		return -1;
	memset(q, 0, sizeof(*q));
	if (!msg || len < DNSMSG_HDR_LEN)
		return -1;
	q->id = dnsmsg_get16(msg);
	q->is_response = !!(msg[2] & DNSMSG_F1_QR);
	q->opcode = (uint8_t)((msg[2] & DNSMSG_F1_OPCODE) >> 3);
	q->rcode = msg[3] & DNSMSG_F2_RCODE;
	q->qdcount = dnsmsg_get16(msg + 4);
	if (!q->qdcount)
		return -1;
	if (dnsmsg_name_read(msg, len, DNSMSG_HDR_LEN, q->qname, &end))
		return -1;
	if (len - end < 4)
		return -1;
	q->qtype = dnsmsg_get16(msg + end);
	q->qclass = dnsmsg_get16(msg + end + 2);
	q->question_end = end + 4;
	return 0;
}

/* dnsmsg_parse_answer() - read the question section and the answer section
 * Every question is stepped over (the answers follow the last one). Each of
 * the ancount answer records must be whole; class IN records of type A
 * (rdlength 4), AAAA (16) and CNAME (rdata one name, exactly) are used, the
 * others are stepped over. Addresses past DNSMSG_MAX_IPS and names past
 * DNSMSG_MAX_NAMES are dropped; min_ttl still counts their records. TTLs
 * above 2^31 - 1 count as 0 (RFC 2181 8). The id, QR bit and rcode are not
 * checked: the caller matches them against its query. Authority and
 * additional sections are not read.
 * Return: 0, or -1 when the message is malformed
 */
int dnsmsg_parse_answer(const uint8_t *msg, size_t len, struct dnsmsg_answer *a)
{
	char name[DNSMSG_NAME_MAX + 1];
	uint32_t min_ttl = 0;
	bool have_ttl = false;
	size_t off, end;
	unsigned int i, ancount;

	if (!a)
		return -1;
	memset(a, 0, sizeof(*a));
	if (dnsmsg_parse_question(msg, len, &a->q))
		return -1;
	dnsmsg_name_add(a, a->q.qname);
	off = a->q.question_end;
	for (i = 1; i < a->q.qdcount; i++) {
		off = dnsmsg_question_skip(msg, len, off);
		if (!off)
			return -1;
	}

	ancount = dnsmsg_get16(msg + 6);
	for (i = 0; i < ancount; i++) {
		uint16_t type, class, rdlen;
		uint32_t ttl;

		if (dnsmsg_name_read(msg, len, off, name, &end))
			return -1;
		if (len - end < DNSMSG_RR_FIXED)
			return -1;
		type = dnsmsg_get16(msg + end);
		class = dnsmsg_get16(msg + end + 2);
		ttl = dnsmsg_get32(msg + end + 4);
		rdlen = dnsmsg_get16(msg + end + 8);
		off = end + DNSMSG_RR_FIXED;
		if (len - off < rdlen)
			return -1;
		if (ttl > DNSMSG_TTL_MAX)
			ttl = 0;

		if (class != DNS_CLASS_IN) {
			off += rdlen;
			continue;
		}
		switch (type) {
		case DNS_TYPE_A:
			if (rdlen != 4)
				return -1;
			dnsmsg_ip_add(a, AF_INET, msg + off);
			break;
		case DNS_TYPE_AAAA:
			if (rdlen != 16)
				return -1;
			dnsmsg_ip_add(a, AF_INET6, msg + off);
			break;
		case DNS_TYPE_CNAME: {
			char target[DNSMSG_NAME_MAX + 1];
			size_t tend;

			if (dnsmsg_name_read(msg, len, off, target, &tend))
				return -1;
			if (tend != off + rdlen)
				return -1;
			dnsmsg_name_add(a, name);
			dnsmsg_name_add(a, target);
			break;
		}
		default:
			off += rdlen;
			continue;
		}
		if (!have_ttl || ttl < min_ttl)
			min_ttl = ttl;
		have_ttl = true;
		off += rdlen;
	}
	a->min_ttl = min_ttl;
	return 0;
}

/* dnsmsg_reply_head() - write the header and question of a reply to @query
 * with @rcode and @ancount answers into @out, after checking that the query
 * parses and that @need bytes of answers fit after them
 * Return: the length written (header and question), or 0
 */
static size_t dnsmsg_reply_head(const uint8_t *query, size_t qlen,
				uint8_t rcode, uint16_t ancount, size_t need,
				uint8_t *out, size_t outlen,
				struct dnsmsg_question *q)
{
	uint8_t f1;
	size_t qend;

	if (!out || rcode > DNSMSG_F2_RCODE)
		return 0;
	if (dnsmsg_parse_question(query, qlen, q))
		return 0;
	qend = q->question_end;
	if (outlen < qend || outlen - qend < need)
		return 0;
	f1 = query[2];
	/* The question first: @out may be @query */
	memmove(out + DNSMSG_HDR_LEN, query + DNSMSG_HDR_LEN,
		qend - DNSMSG_HDR_LEN);
	dnsmsg_put16(out, q->id);
	out[2] = (uint8_t)(DNSMSG_F1_QR |
			   (f1 & (DNSMSG_F1_OPCODE | DNSMSG_F1_RD)));
	out[3] = (uint8_t)(DNSMSG_F2_RA | rcode);
	dnsmsg_put16(out + 4, 1);
	dnsmsg_put16(out + 6, ancount);
	dnsmsg_put16(out + 8, 0);
	dnsmsg_put16(out + 10, 0);
	return qend;
}

/* dnsmsg_build_reply() - a reply to @query with @rcode and no records
 * The query's header must be whole and its first question parse; further
 * questions and every record (EDNS OPT included) are dropped. QR is not
 * checked. @rcode above 15 (an extended rcode, which needs EDNS) gives 0.
 * @out may be @query.
 * Return: the reply's length, or 0
 */
size_t dnsmsg_build_reply(const uint8_t *query, size_t qlen, uint8_t rcode,
			  uint8_t *out, size_t outlen)
{
	struct dnsmsg_question q;

	return dnsmsg_reply_head(query, qlen, rcode, 0, 0, out, outlen, &q);
}

/* dnsmsg_ip_matches() - does @ip answer a question of type @qtype? */
static bool dnsmsg_ip_matches(const struct ipaddr *ip, uint16_t qtype)
{
	return (qtype == DNS_TYPE_A && ip->family == AF_INET) ||
	       (qtype == DNS_TYPE_AAAA && ip->family == AF_INET6);
}

/* dnsmsg_build_answer() - a NOERROR reply to @query with one record per
 * address of @ips that matches the question: IPv4 for A, IPv6 for AAAA,
 * none for any other type or a class other than IN. Records are all or
 * nothing: when they do not all fit in @outlen the result is 0, never a
 * truncated reply, so the caller picks @n for its size limit (512 bytes
 * without EDNS). @ttl is written as given. @out may be @query.
 * Return: the reply's length, or 0
 */
size_t dnsmsg_build_answer(const uint8_t *query, size_t qlen,
			   const struct ipaddr *ips, size_t n, uint32_t ttl,
			   uint8_t *out, size_t outlen)
{
	struct dnsmsg_question q;
	size_t i, count = 0, rrlen, off;

	if (n && !ips)
		return 0;
	/* The question is parsed twice (here and in dnsmsg_reply_head()),
	 * so that the size check happens before anything is written
	 */
	if (dnsmsg_parse_question(query, qlen, &q))
		return 0;
	if (q.qclass == DNS_CLASS_IN) {
		for (i = 0; i < n; i++)
			count += dnsmsg_ip_matches(&ips[i], q.qtype);
	}
	if (count > UINT16_MAX)
		return 0;
	rrlen = 2 + DNSMSG_RR_FIXED + (q.qtype == DNS_TYPE_AAAA ? 16 : 4);
	off = dnsmsg_reply_head(query, qlen, DNS_RCODE_NOERROR, (uint16_t)count,
				count * rrlen, out, outlen, &q);
	if (!off || !count)
		return off;
	for (i = 0; i < n; i++) {
		const struct ipaddr *ip = &ips[i];

		if (!dnsmsg_ip_matches(ip, q.qtype))
			continue;
		dnsmsg_put16(out + off, DNSMSG_PTR_QNAME);
		dnsmsg_put16(out + off + 2, q.qtype);
		dnsmsg_put16(out + off + 4, DNS_CLASS_IN);
		dnsmsg_put32(out + off + 6, ttl);
		if (ip->family == AF_INET) {
			dnsmsg_put16(out + off + 10, 4);
			memcpy(out + off + 12, &ip->v4, 4);
		} else {
			dnsmsg_put16(out + off + 10, 16);
			memcpy(out + off + 12, &ip->v6, 16);
		}
		off += rrlen;
	}
	return off;
}

/* dnsmsg_qtype_name() - "A", "AAAA" or "other" */
const char *dnsmsg_qtype_name(uint16_t qtype)
{
	switch (qtype) {
	case DNS_TYPE_A:
		return "A";
	case DNS_TYPE_AAAA:
		return "AAAA";
	default:
		return "other";
	}
}
