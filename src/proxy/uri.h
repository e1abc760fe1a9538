/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * uri.h - upstream proxy URIs: scheme://[user[:pass]@]host:port
 */
#ifndef CHILDFLOW_PROXY_URI_H
#define CHILDFLOW_PROXY_URI_H

#include <stddef.h>

enum proxy_scheme {
	PROXY_HTTP,
	PROXY_HTTPS,
	PROXY_SOCKS5,
	PROXY_SOCKS5H,
};

struct proxy_uri {
	enum proxy_scheme scheme;
	char host
		[256]; /* a name, an IPv4 literal, or an IPv6 literal without brackets */
	unsigned short port; /* 1..65535 */
	char user[256];	     /* "" when the URI has none (percent-decoded) */
	char password[256];  /* "" when the URI has none (percent-decoded) */
	int has_userinfo;    /* 1 when user[:password]@ was present */
};

/* proxy_uri_parse() - parse a proxy URI
 * Rules: scheme is http, https, socks5 or socks5h (case-insensitive); the port
 * is required; IPv6 hosts are in brackets; no path (a lone trailing "/" is
 * allowed), query or fragment; user and password may be percent-encoded.
 * The user information ends at the last '@'; the user name at its first ':'.
 * A host name is stored lower-cased, an IPv6 host in inet_ntop() form.
 * @out is written only on success.
 * Return: 0, or -1 with a reason in @err that never contains the password.
 */
int proxy_uri_parse(const char *s, struct proxy_uri *out, char *err,
		    size_t errlen);

/* proxy_scheme_name() - "http", "https", "socks5" or "socks5h" ("unknown"
 * for a value outside the enum)
 */
const char *proxy_scheme_name(enum proxy_scheme s);

/* proxy_uri_format() - scheme://host:port with brackets for IPv6, never the
 * credentials
 */
const char *proxy_uri_format(const struct proxy_uri *u, char *buf, size_t len);

#endif /* CHILDFLOW_PROXY_URI_H */
