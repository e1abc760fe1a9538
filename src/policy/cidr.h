/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * cidr.h - IP addresses and CIDR prefixes as users write them
 */
#ifndef CHILDFLOW_CIDR_H
#define CHILDFLOW_CIDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

struct ipaddr {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

struct cidr {
	struct ipaddr addr;  /* host bits cleared */
	unsigned int prefix; /* 0..32 or 0..128 */
};

/* ip_parse() - parse a literal IPv4 or IPv6 address (no brackets, no zone)
 * IPv4 is a strict dotted quad (no leading zeros, no short or hex forms); an
 * IPv4-mapped IPv6 address such as ::ffff:10.0.0.1 stays AF_INET6. @out is
 * written only on success; @err may be NULL or @errlen 0.
 * Return: 0, or -1 with a reason in @err (e.g. "expected an IPv4 address like
 * 192.0.2.1 or an IPv6 address like 2001:db8::1")
 */
int ip_parse(const char *s, struct ipaddr *out, char *err, size_t errlen);

/* cidr_parse() - parse ADDR/PREFIX, or a bare address meaning a host prefix
 * Host bits set below the prefix are cleared (10.1.2.3/8 is 10.0.0.0/8).
 * The prefix is decimal without sign or leading zeros. @out is written only
 * on success.
 * Return: 0, or -1 with a reason in @err (bad address, prefix out of range:
 * "prefix length is out of range (expected 0-32)").
 */
int cidr_parse(const char *s, struct cidr *out, char *err, size_t errlen);

/* cidr_contains() - does @c contain @a? Families must match (an IPv4-mapped
 * IPv6 address is not in an IPv4 prefix); /0 contains its whole family.
 */
bool cidr_contains(const struct cidr *c, const struct ipaddr *a);

/* ip_format() / cidr_format() - canonical text (inet_ntop form, "/N"),
 * truncated to @len like snprintf(); "?" for an unknown family.
 * Return: @buf
 */
const char *ip_format(const struct ipaddr *a, char *buf, size_t len);
const char *cidr_format(const struct cidr *c, char *buf, size_t len);

#endif /* CHILDFLOW_CIDR_H */
