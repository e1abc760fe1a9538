/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * cidr.c - IP addresses and CIDR prefixes as users write them
 *
 * Addresses are parsed strictly with inet_pton(): a dotted quad of four
 * decimal numbers for IPv4 (no octal, hex or short forms), the RFC 4291 text
 * forms for IPv6. Brackets, zone ids and white space are rejected with a
 * reason that says what was expected, so that a typo in a rule is reported
 * rather than silently read as some other address.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "policy/cidr.h"
#include "util.h"

#define IP_EXPECTED                                                        \
	"expected an IPv4 address like 192.0.2.1 or an IPv6 address like " \
	"2001:db8::1"

/* Longest text we hand to inet_pton(): INET6_ADDRSTRLEN plus some slack, so
 * that an over-long input is reported as malformed rather than truncated.
 */
#define IP_TEXT_MAX (INET6_ADDRSTRLEN + 16)

/* ip_max_prefix() - 32 for IPv4, 128 for IPv6, 0 for anything else */
static unsigned int ip_max_prefix(int family)
{
	if (family == AF_INET)
		return 32;
	if (family == AF_INET6)
		return 128;
	return 0;
}

/* ip_bytes() - the address bytes in network order, and how many there are */
static const unsigned char *ip_bytes(const struct ipaddr *a, size_t *len)
{
	if (a->family == AF_INET) {
		*len = sizeof(a->v4);
		return (const unsigned char *)&a->v4;
	}
	if (a->family == AF_INET6) {
		*len = sizeof(a->v6.s6_addr);
		return a->v6.s6_addr;
	}
	*len = 0;
	return NULL;
}

/* ip_parse_n() - parse the @n bytes at @s (not NUL-terminated) as an address
 * Return: 0 with *@out set, or -1 with a reason in @err.
 */
static int ip_parse_n(const char *s, size_t n, struct ipaddr *out, char *err,
		      size_t errlen)
{
	char text[IP_TEXT_MAX];
	struct ipaddr a;
	size_t i;
	bool v4chars = true;

	if (n == 0) {
		util_errf(err, errlen, "empty address, " IP_EXPECTED);
		return -1;
	}
	if (util_is_space(s[0]) || util_is_space(s[n - 1])) {
		util_errf(err, errlen,
			  "unexpected white space around the address");
		return -1;
	}
	if (s[0] == '[' || s[n - 1] == ']') {
		util_errf(
			err, errlen,
			"unexpected brackets, write the IPv6 address without them like 2001:db8::1");
		return -1;
	}
	if (memchr(s, '%', n)) {
		util_errf(err, errlen,
			  "IPv6 zone ids (like %%eth0) are not supported");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (s[i] != '.' && (s[i] < '0' || s[i] > '9'))
			v4chars = false;
	}
	if (n >= sizeof(text) || memchr(s, '\0', n))
		goto bad;

	memcpy(text, s, n);
	text[n] = '\0';
	memset(&a, 0, sizeof(a));
	if (memchr(text, ':', n)) {
		if (inet_pton(AF_INET6, text, &a.v6) != 1)
			goto bad;
		a.family = AF_INET6;
	} else {
		if (inet_pton(AF_INET, text, &a.v4) != 1)
			goto bad;
		a.family = AF_INET;
	}
	*out = a;
	return 0;

bad:
	if (memchr(s, ':', n))
		util_errf(err, errlen,
			  "expected an IPv6 address like 2001:db8::1");
	else if (v4chars)
		util_errf(
			err, errlen,
			"expected an IPv4 address like 192.0.2.1 (four numbers from 0 to 255)");
	else
		util_errf(err, errlen, "%s", IP_EXPECTED);
	return -1;
}

/* ip_parse() - parse a literal IPv4 or IPv6 address (see cidr.h) */
int ip_parse(const char *s, struct ipaddr *out, char *err, size_t errlen)
{
	if (!s || !out) {
		util_errf(err, errlen, "%s", IP_EXPECTED);
		return -1;
	}
	return ip_parse_n(s, strlen(s), out, err, errlen);
}

/* cidr_parse_prefix() - parse the decimal prefix length after the '/'
 * @max is 32 or 128 and is named in every reason.
 */
static int cidr_parse_prefix(const char *s, unsigned int max, unsigned int *out,
			     char *err, size_t errlen)
{
	unsigned int v = 0;
	const char *p;

	if (!*s) {
		util_errf(err, errlen,
			  "missing prefix length after '/' (expected 0-%u)",
			  max);
		return -1;
	}
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9') {
			util_errf(
				err, errlen,
				"prefix length must be a decimal number (expected 0-%u)",
				max);
			return -1;
		}
	}
	if (s[0] == '0' && s[1]) {
		util_errf(
			err, errlen,
			"prefix length must not have leading zeros (expected 0-%u)",
			max);
		return -1;
	}
	for (p = s; *p; p++) {
		v = v * 10 + (unsigned int)(*p - '0');
		if (v > max)
			break;
	}
	if (v > max) {
		util_errf(err, errlen,
			  "prefix length is out of range (expected 0-%u)", max);
		return -1;
	}
	*out = v;
	return 0;
}

/* cidr_clear_host_bits() - zero every address bit at or past @prefix */
static void cidr_clear_host_bits(struct ipaddr *a, unsigned int prefix)
{
	unsigned char *p;
	size_t len, i;

	p = (unsigned char *)ip_bytes(a, &len);
	for (i = 0; i < len; i++) {
		if (prefix >= 8) {
			prefix -= 8;
			continue;
		}
		p[i] &= (unsigned char)(0xff << (8 - prefix));
		prefix = 0;
	}
}

/* cidr_parse() - parse ADDR/PREFIX or a bare ADDR (see cidr.h) */
int cidr_parse(const char *s, struct cidr *out, char *err, size_t errlen)
{
	const char *slash;
	struct cidr c;

	if (!s || !out) {
		util_errf(err, errlen, "%s", IP_EXPECTED);
		return -1;
	}
	memset(&c, 0, sizeof(c));
	slash = strchr(s, '/');
	if (!slash) {
		if (ip_parse_n(s, strlen(s), &c.addr, err, errlen))
			return -1;
		c.prefix = ip_max_prefix(c.addr.family);
		*out = c;
		return 0;
	}
	if (slash == s) {
		util_errf(err, errlen,
			  "missing address before '/', " IP_EXPECTED);
		return -1;
	}
	if (ip_parse_n(s, (size_t)(slash - s), &c.addr, err, errlen))
		return -1;
	if (cidr_parse_prefix(slash + 1, ip_max_prefix(c.addr.family),
			      &c.prefix, err, errlen))
		return -1;
	cidr_clear_host_bits(&c.addr, c.prefix);
	*out = c;
	return 0;
}

/* cidr_contains() - does @c contain @a? Families must match; a prefix of 0
 * contains every address of its family.
 */
bool cidr_contains(const struct cidr *c, const struct ipaddr *a)
{
	const unsigned char *cp, *ap;
	size_t len, alen, i;
	unsigned int bits;

	if (!c || !a || c->addr.family != a->family)
		return false;
	cp = ip_bytes(&c->addr, &len);
	ap = ip_bytes(a, &alen);
	if (!cp || !ap || len != alen)
		return false;

	bits = c->prefix;
	if (bits > ip_max_prefix(a->family))
		bits = ip_max_prefix(a->family);
	for (i = 0; i < len && bits > 0; i++) {
		unsigned char mask = 0xff;

		if (bits < 8)
			mask = (unsigned char)(0xff << (8 - bits));
		if ((cp[i] ^ ap[i]) & mask)
			return false;
		bits = bits >= 8 ? bits - 8 : 0;
	}
	return true;
}

/* ip_format() - inet_ntop() text of @a in @buf, truncated to @len
 * An address of unknown family formats as "?".
 * Return: @buf
 */
const char *ip_format(const struct ipaddr *a, char *buf, size_t len)
{
	char text[INET6_ADDRSTRLEN];

	if (!buf || !len)
		return buf;
	if (!a || (a->family != AF_INET && a->family != AF_INET6) ||
	    !inet_ntop(a->family,
		       a->family == AF_INET ? (const void *)&a->v4
					    : (const void *)&a->v6,
		       text, sizeof(text)))
		snprintf(text, sizeof(text), "?");
	snprintf(buf, len, "%s", text);
	return buf;
}

/* cidr_format() - "ADDR/PREFIX" text of @c in @buf, truncated to @len
 * Return: @buf
 */
const char *cidr_format(const struct cidr *c, char *buf, size_t len)
{
	char text[INET6_ADDRSTRLEN];

	if (!buf || !len)
		return buf;
	if (!c) {
		snprintf(buf, len, "?");
		return buf;
	}
	ip_format(&c->addr, text, sizeof(text));
	snprintf(buf, len, "%s/%u", text, c->prefix);
	return buf;
}
