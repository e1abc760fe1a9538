/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * fuzz_values.c - libFuzzer harness for the command-line value parsers
 *
 * Feeds each input, as a NUL-terminated string, to ip_parse(), cidr_parse(),
 * domain_normalize() and proxy_uri_parse(), and checks what must hold for
 * every input: whatever parses formats to text that parses back to the same
 * value, normalising is idempotent, reasons fit any buffer size, and a
 * password never shows up in a reason.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *	tests/fuzz/fuzz_values.c src/policy/cidr.c src/policy/names.c \
 *	src/proxy/uri.c -o /tmp/fuzz_values
 * Run:   /tmp/fuzz_values -max_total_time=60 tests/fuzz/corpus/values
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/cidr.h"
#include "policy/names.h"
#include "proxy/uri.h"

#define FUZZ_SECRET "Pw7Zq9"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_check() - stop the run when an invariant does not hold */
#define fuzz_check(cond)                                                  \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", \
				#cond, __FILE__, __LINE__);               \
			abort();                                          \
		}                                                         \
	} while (0)

/* fuzz_ip() - ip_parse(), and the round trip through ip_format() */
static void fuzz_ip(const char *s, char *err, size_t errlen)
{
	struct ipaddr a, b;
	char text[INET6_ADDRSTRLEN];

	if (ip_parse(s, &a, err, errlen))
		return;
	fuzz_check(a.family == AF_INET || a.family == AF_INET6);
	ip_format(&a, text, sizeof(text));
	fuzz_check(ip_parse(text, &b, NULL, 0) == 0);
	fuzz_check(a.family == b.family);
	if (a.family == AF_INET)
		fuzz_check(!memcmp(&a.v4, &b.v4, sizeof(a.v4)));
	else
		fuzz_check(!memcmp(&a.v6, &b.v6, sizeof(a.v6)));
}

/* fuzz_cidr() - cidr_parse(), host bits, and the round trip */
static void fuzz_cidr(const char *s, char *err, size_t errlen)
{
	char text[INET6_ADDRSTRLEN + 8];
	struct cidr c, d;

	if (cidr_parse(s, &c, err, errlen))
		return;
	fuzz_check(c.prefix <= (c.addr.family == AF_INET ? 32u : 128u));
	fuzz_check(cidr_contains(&c, &c.addr));
	cidr_format(&c, text, sizeof(text));
	fuzz_check(cidr_parse(text, &d, NULL, 0) == 0);
	fuzz_check(c.prefix == d.prefix && c.addr.family == d.addr.family);
	if (c.addr.family == AF_INET)
		fuzz_check(!memcmp(&c.addr.v4, &d.addr.v4, sizeof(c.addr.v4)));
	else
		fuzz_check(!memcmp(&c.addr.v6, &d.addr.v6, sizeof(c.addr.v6)));
}

/* fuzz_domain() - domain_normalize() is idempotent and bounded */
static void fuzz_domain(const char *s, char *err, size_t errlen)
{
	char out[DOMAIN_MAX + 1], again[DOMAIN_MAX + 1];
	size_t n;

	if (domain_normalize(s, out, err, errlen))
		return;
	n = strlen(out);
	fuzz_check(n >= 1 && n <= DOMAIN_MAX);
	fuzz_check(domain_normalize(out, again, NULL, 0) == 0);
	fuzz_check(!strcmp(out, again));
	fuzz_check(domain_matches(out, out, true));
	fuzz_check(domain_matches(out, out, false));
}

/* fuzz_uri() - proxy_uri_parse(), and the round trip through the format */
static void fuzz_uri(const char *s, char *err, size_t errlen)
{
	char text[320];
	struct proxy_uri u, v;

	if (proxy_uri_parse(s, &u, err, errlen))
		return;
	fuzz_check(u.port >= 1);
	fuzz_check(memchr(u.host, '\0', sizeof(u.host)) &&
		   memchr(u.user, '\0', sizeof(u.user)) &&
		   memchr(u.password, '\0', sizeof(u.password)));
	fuzz_check(u.has_userinfo || (!u.user[0] && !u.password[0]));
	proxy_uri_format(&u, text, sizeof(text));
	fuzz_check(proxy_uri_parse(text, &v, NULL, 0) == 0);
	fuzz_check(u.scheme == v.scheme && u.port == v.port);
	fuzz_check(!strcmp(u.host, v.host));
	fuzz_check(!v.has_userinfo);
}

/* fuzz_uri_secret() - with a known password in front of the input, no
 * reason may quote it
 */
static void fuzz_uri_secret(const char *s)
{
	static const char *const heads[] = {
		"http://user:" FUZZ_SECRET "@",
		"socks5h://user:" FUZZ_SECRET,
		"https://u:" FUZZ_SECRET,
	};
	char err[512];
	struct proxy_uri u;
	size_t i, len;
	char *uri;

	if (strstr(s, FUZZ_SECRET))
		return;
	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		len = strlen(heads[i]) + strlen(s) + 1;
		uri = malloc(len);
		if (!uri)
			return;
		snprintf(uri, len, "%s%s", heads[i], s);
		err[0] = '\0';
		if (proxy_uri_parse(uri, &u, err, sizeof(err)))
			fuzz_check(!strstr(err, FUZZ_SECRET));
		free(uri);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *err;
	size_t errlen;

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	/* a full-size reason buffer, and one of an odd size that ASan
	 * watches the edges of
	 */
	errlen = size % 13;
	err = malloc(errlen ? errlen : 1);
	if (err) {
		fuzz_ip(s, err, errlen);
		fuzz_cidr(s, err, errlen);
		fuzz_domain(s, err, errlen);
		fuzz_uri(s, err, errlen);
		free(err);
	}
	err = malloc(256);
	if (err) {
		fuzz_ip(s, err, 256);
		fuzz_cidr(s, err, 256);
		fuzz_domain(s, err, 256);
		fuzz_uri(s, err, 256);
		free(err);
	}
	fuzz_uri_secret(s);

	free(s);
	return 0;
}
