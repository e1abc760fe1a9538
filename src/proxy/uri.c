/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * uri.c - upstream proxy URIs: scheme://[user[:pass]@]host:port
 *
 * The authority is split the way most tools do it: it ends at the first '/',
 * '?' or '#'; the user information ends at the last '@' inside it, and the
 * user name at the first ':' of the user information. The host is a DNS name
 * (checked and lower-cased by domain_normalize()), an IPv4 literal, or an
 * IPv6 literal in brackets (stored in inet_ntop() form, without brackets).
 *
 * Reasons never quote the user information, the port or anything after the
 * authority, since any of these can hold (part of) a password when the user
 * forgot to percent-encode it. Only the scheme and the host can be quoted.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "policy/cidr.h"
#include "policy/names.h"
#include "proxy/uri.h"
#include "util.h"

#define PROXY_URI_FORM	      "expected scheme://host:port"
#define PROXY_URI_SCHEMES     "expected http, https, socks5 or socks5h"
#define PROXY_URI_SCHEME_SHOW 16

static const char *const proxy_scheme_names[] = {
	[PROXY_HTTP] = "http",
	[PROXY_HTTPS] = "https",
	[PROXY_SOCKS5] = "socks5",
	[PROXY_SOCKS5H] = "socks5h",
};

#define PROXY_SCHEME_COUNT \
	(sizeof(proxy_scheme_names) / sizeof(proxy_scheme_names[0]))

/* proxy_uri_lower() - ASCII lower case, independent of the locale */
static char proxy_uri_lower(char c)
{
	if (c >= 'A' && c <= 'Z')
		return (char)(c - 'A' + 'a');
	return c;
}

/* proxy_uri_hex() - value of a hex digit, or -1 */
static int proxy_uri_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = proxy_uri_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* proxy_uri_find_last() - last @c in [@p, @end), or NULL */
static const char *proxy_uri_find_last(const char *p, const char *end, char c)
{
	while (end > p) {
		end--;
		if (*end == c)
			return end;
	}
	return NULL;
}

/* proxy_scheme_parse() - match the @n bytes at @s against the known schemes,
 * ignoring case
 */
static int proxy_scheme_parse(const char *s, size_t n, enum proxy_scheme *out,
			      char *err, size_t errlen)
{
	size_t i, j;
	bool plain = n <= PROXY_URI_SCHEME_SHOW;

	for (i = 0; i < PROXY_SCHEME_COUNT; i++) {
		const char *name = proxy_scheme_names[i];

		if (strlen(name) != n)
			continue;
		for (j = 0; j < n; j++) {
			if (proxy_uri_lower(s[j]) != name[j])
				break;
		}
		if (j == n) {
			*out = (enum proxy_scheme)i;
			return 0;
		}
	}

	/* Quote the scheme only when it looks like one */
	for (j = 0; j < n && plain; j++) {
		char c = proxy_uri_lower(s[j]);

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '-' || c == '.'))
			plain = false;
	}
	if (plain)
		util_errf(err, errlen, "unsupported scheme '%.*s' (%s)", (int)n,
			  s, PROXY_URI_SCHEMES);
	else
		util_errf(err, errlen, "unsupported scheme (%s)",
			  PROXY_URI_SCHEMES);
	return -1;
}

/* proxy_uri_decode() - percent-decode [@p, @end) into @dst of @dstlen bytes
 * @what: "user name" or "password", for reasons; the text is never quoted
 */
static int proxy_uri_decode(const char *p, const char *end, char *dst,
			    size_t dstlen, const char *what, char *err,
			    size_t errlen)
{
	size_t n = 0;

	while (p < end) {
		char c = *p;

		if (c == '%') {
			int hi, lo;

			if (end - p < 3 || (hi = proxy_uri_hex(p[1])) < 0 ||
			    (lo = proxy_uri_hex(p[2])) < 0) {
				util_errf(
					err, errlen,
					"bad percent-escape in %s (expected %%XX with two hex digits)",
					what);
				return -1;
			}
			c = (char)(hi * 16 + lo);
			if (!c) {
				util_errf(err, errlen,
					  "%s must not contain %%00", what);
				return -1;
			}
			p += 3;
		} else {
			p++;
		}
		if (n + 1 >= dstlen) {
			util_errf(err, errlen, "%s is longer than %zu bytes",
				  what, dstlen - 1);
			return -1;
		}
		dst[n++] = c;
	}
	dst[n] = '\0';
	return 0;
}

/* proxy_uri_userinfo() - split and decode "user[:password]" in [@p, @end) */
static int proxy_uri_userinfo(const char *p, const char *end,
			      struct proxy_uri *u, char *err, size_t errlen)
{
	const char *colon = memchr(p, ':', (size_t)(end - p));
	const char *user_end = colon ? colon : end;

	if (user_end == p) {
		if (colon && colon + 1 < end)
			util_errf(err, errlen,
				  "a password needs a user name before it");
		else
			util_errf(
				err, errlen,
				"empty user name before '@' (write scheme://user[:password]@host:port)");
		return -1;
	}
	if (proxy_uri_decode(p, user_end, u->user, sizeof(u->user), "user name",
			     err, errlen))
		return -1;
	if (colon &&
	    proxy_uri_decode(colon + 1, end, u->password, sizeof(u->password),
			     "password", err, errlen))
		return -1;
	return 0;
}

/* proxy_uri_port() - decimal port 1-65535 in [@p, @end); never quoted */
static int proxy_uri_port(const char *p, const char *end, unsigned short *port,
			  char *err, size_t errlen)
{
	unsigned long v = 0;

	if (p == end) {
		util_errf(err, errlen, "missing port (%s)", PROXY_URI_FORM);
		return -1;
	}
	for (; p < end; p++) {
		if (*p < '0' || *p > '9') {
			util_errf(
				err, errlen,
				"port must be a decimal number from 1 to 65535");
			return -1;
		}
		if (v <= 65535)
			v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < 1 || v > 65535) {
		util_errf(err, errlen,
			  "port is out of range (expected 1-65535)");
		return -1;
	}
	*port = (unsigned short)v;
	return 0;
}

/* proxy_uri_ipv6() - the IPv6 literal that was in brackets, [@p, @end) */
static int proxy_uri_ipv6(const char *p, const char *end, struct proxy_uri *u,
			  char *err, size_t errlen)
{
	char text[INET6_ADDRSTRLEN + 16], why[192];
	size_t n = (size_t)(end - p);
	struct ipaddr a;

	if (n >= sizeof(text)) {
		util_errf(
			err, errlen,
			"invalid host: expected an IPv6 address like 2001:db8::1 in brackets");
		return -1;
	}
	memcpy(text, p, n);
	text[n] = '\0';
	if (ip_parse(text, &a, why, sizeof(why))) {
		/* the zone id reason is the helpful one; the others talk
		 * about IPv4 or brackets, which would confuse here
		 */
		if (memchr(text, '%', n))
			util_errf(err, errlen, "invalid host: %s", why);
		else
			util_errf(
				err, errlen,
				"invalid host: expected an IPv6 address like 2001:db8::1 in brackets");
		return -1;
	}
	if (a.family != AF_INET6) {
		util_errf(
			err, errlen,
			"invalid host: only IPv6 addresses go in brackets, write IPv4 addresses without them");
		return -1;
	}
	if (!inet_ntop(AF_INET6, &a.v6, u->host, sizeof(u->host))) {
		util_errf(err, errlen, "invalid host: cannot format address");
		return -1;
	}
	return 0;
}

/* proxy_uri_host() - an unbracketed host in [@p, @end): IPv4 or DNS name */
static int proxy_uri_host(const char *p, const char *end, struct proxy_uri *u,
			  char *err, size_t errlen)
{
	char text[sizeof(u->host)], why[192];
	size_t n = (size_t)(end - p), i;
	bool v4chars = true, digits = false;

	if (!n) {
		util_errf(err, errlen, "missing host (%s)", PROXY_URI_FORM);
		return -1;
	}
	if (memchr(p, ':', n)) {
		util_errf(
			err, errlen,
			"unexpected ':' in host (write an IPv6 address in brackets, like [2001:db8::1]:1080)");
		return -1;
	}
	if (n >= sizeof(text)) {
		util_errf(err, errlen,
			  "invalid host: domain is longer than %d bytes",
			  DOMAIN_MAX);
		return -1;
	}
	memcpy(text, p, n);
	text[n] = '\0';

	/* digits and dots only, with at least one digit: an IPv4 literal */
	for (i = 0; i < n; i++) {
		if (text[i] >= '0' && text[i] <= '9')
			digits = true;
		else if (text[i] != '.')
			v4chars = false;
	}
	if (v4chars && digits) {
		struct ipaddr a;

		if (ip_parse(text, &a, why, sizeof(why)) ||
		    !inet_ntop(AF_INET, &a.v4, u->host, sizeof(u->host))) {
			util_errf(err, errlen, "invalid host: %s", why);
			return -1;
		}
		return 0;
	}
	if (domain_normalize(text, u->host, why, sizeof(why))) {
		util_errf(err, errlen, "invalid host: %s", why);
		return -1;
	}
	return 0;
}

/* proxy_uri_hostport() - "host:port" or "[v6]:port" in [@p, @end) */
static int proxy_uri_hostport(const char *p, const char *end,
			      struct proxy_uri *u, char *err, size_t errlen)
{
	const char *colon;

	if (p == end) {
		util_errf(err, errlen, "missing host (%s)", PROXY_URI_FORM);
		return -1;
	}
	if (*p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));

		if (!close) {
			util_errf(err, errlen,
				  "missing ']' after the IPv6 address");
			return -1;
		}
		if (close + 1 == end) {
			util_errf(err, errlen, "missing port (%s)",
				  PROXY_URI_FORM);
			return -1;
		}
		if (close[1] != ':') {
			util_errf(err, errlen,
				  "expected ':' and a port after ']'");
			return -1;
		}
		if (proxy_uri_ipv6(p + 1, close, u, err, errlen))
			return -1;
		return proxy_uri_port(close + 2, end, &u->port, err, errlen);
	}

	colon = proxy_uri_find_last(p, end, ':');
	if (!colon) {
		util_errf(err, errlen, "missing port (%s)", PROXY_URI_FORM);
		return -1;
	}
	if (proxy_uri_host(p, colon, u, err, errlen))
		return -1;
	return proxy_uri_port(colon + 1, end, &u->port, err, errlen);
}

/* proxy_uri_rest() - what follows the authority: nothing or a lone "/" */
static int proxy_uri_rest(const char *p, char *err, size_t errlen)
{
	if (*p == '/')
		p++;
	if (!*p)
		return 0;
	if (*p == '?')
		util_errf(err, errlen,
			  "a query ('?') is not allowed in a proxy URI");
	else if (*p == '#')
		util_errf(err, errlen,
			  "a fragment ('#') is not allowed in a proxy URI");
	else
		util_errf(
			err, errlen,
			"a path is not allowed in a proxy URI (only a trailing '/')");
	return -1;
}

/* proxy_uri_parse_into() - the parser proper, filling the zeroed @u */
static int proxy_uri_parse_into(const char *s, struct proxy_uri *u, char *err,
				size_t errlen)
{
	const char *p, *colon, *auth, *auth_end, *at;

	if (!s || !*s) {
		util_errf(err, errlen, "empty proxy URI (%s)", PROXY_URI_FORM);
		return -1;
	}
	for (p = s; *p; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
			util_errf(
				err, errlen,
				"proxy URI must not contain white space or control characters");
			return -1;
		}
	}

	colon = strchr(s, ':');
	if (!colon || strncmp(colon, "://", 3) != 0) {
		util_errf(err, errlen, "missing '://' (%s)", PROXY_URI_FORM);
		return -1;
	}
	if (colon == s) {
		util_errf(err, errlen, "missing scheme (%s)", PROXY_URI_FORM);
		return -1;
	}
	if (proxy_scheme_parse(s, (size_t)(colon - s), &u->scheme, err, errlen))
		return -1;

	auth = colon + 3;
	auth_end = auth + strcspn(auth, "/?#");
	if (*auth_end && strchr(auth_end, '@')) {
		util_errf(
			err, errlen,
			"unexpected '/', '?' or '#' before '@' (percent-encode them in a user name or password as %%2F, %%3F or %%23)");
		return -1;
	}
	if (proxy_uri_rest(auth_end, err, errlen))
		return -1;

	at = proxy_uri_find_last(auth, auth_end, '@');
	if (at) {
		u->has_userinfo = 1;
		if (proxy_uri_userinfo(auth, at, u, err, errlen))
			return -1;
		auth = at + 1;
	}
	return proxy_uri_hostport(auth, auth_end, u, err, errlen);
}

/* proxy_uri_parse() - parse a proxy URI (see uri.h)
 * @out is written only on success; the working copy of the password is
 * wiped either way.
 */
int proxy_uri_parse(const char *s, struct proxy_uri *out, char *err,
		    size_t errlen)
{
	struct proxy_uri u;
	int ret = -1;

	memset(&u, 0, sizeof(u));
	if (!out)
		util_errf(err, errlen, "no place to store the proxy URI");
	else
		ret = proxy_uri_parse_into(s, &u, err, errlen);
	if (!ret)
		*out = u;
	explicit_bzero(&u, sizeof(u));
	return ret;
}

/* proxy_scheme_name() - "http", "https", "socks5" or "socks5h"; "unknown"
 * for a value outside enum proxy_scheme
 */
const char *proxy_scheme_name(enum proxy_scheme s)
{
	if ((unsigned int)s < PROXY_SCHEME_COUNT)
		return proxy_scheme_names[s];
	return "unknown";
}

/* proxy_uri_format() - "scheme://host:port", "[host]" for IPv6, never the
 * credentials; truncated to @len.
 * Return: @buf
 */
const char *proxy_uri_format(const struct proxy_uri *u, char *buf, size_t len)
{
	size_t hl;

	if (!buf || !len)
		return buf;
	if (!u) {
		buf[0] = '\0';
		return buf;
	}
	hl = strnlen(u->host, sizeof(u->host));
	if (memchr(u->host, ':', hl))
		snprintf(buf, len, "%s://[%.*s]:%u",
			 proxy_scheme_name(u->scheme), (int)hl, u->host,
			 (unsigned int)u->port);
	else
		snprintf(buf, len, "%s://%.*s:%u", proxy_scheme_name(u->scheme),
			 (int)hl, u->host, (unsigned int)u->port);
	return buf;
}
