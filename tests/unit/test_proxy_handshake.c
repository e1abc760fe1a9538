/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_proxy_handshake.c - unit tests for the HTTP CONNECT and SOCKS5
 * handshake state machines (src/proxy/handshake.c)
 *
 * Every reply is fed three ways where it matters: whole, byte by byte, and
 * followed by tunnel bytes that must not be consumed. Every error checks
 * its short code, its detail, and that neither the detail nor what is left
 * of the handshake state holds the password.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "proxy/handshake.h"

#define SECRET	    "SeCrEt-pw"
#define SECRET_B64  "dXNlcjpTZUNyRXQtcHc=" /* base64("user:SeCrEt-pw") */
#define TUNNEL	    "\x16\x03\x01tunnel bytes"
#define TUNNEL_LEN  (sizeof(TUNNEL) - 1)
#define V4	    "203.0.113.10"
#define V6	    "2001:db8::10"
#define S5_OK_V4    "\x05\x00\x00\x01\xcb\x00\x71\x0a\x01\xbb"
#define S5_OK_V4_LN 10

/* How a reply is handed to the handshake */
enum feed_way {
	FEED_WHOLE,
	FEED_BYTES,
	FEED_TRAILING, /* whole, with TUNNEL after it in the same buffer */
};

/* uri() - a parsed proxy URI of @scheme (only the scheme matters) */
static struct proxy_uri uri(enum proxy_scheme scheme)
{
	struct proxy_uri u;

	memset(&u, 0, sizeof(u));
	u.scheme = scheme;
	snprintf(u.host, sizeof(u.host), "proxy.test");
	u.port = 3128;
	return u;
}

/* init_ok() - start @hs, which must succeed */
static void init_ok(struct proxy_hs *hs, enum proxy_scheme scheme,
		    const char *user, const char *pw, const char *host,
		    uint16_t port, bool by_name)
{
	struct proxy_uri u = uri(scheme);

	assert_int_equal(proxy_hs_init(hs, &u, user, pw, host, port, by_name),
			 0);
	assert_int_equal(proxy_hs_result(hs), PROXY_HS_MORE);
	assert_null(proxy_hs_error_name(hs, NULL));
}

/* drain() - take everything pending, @chunk bytes per write (0: all at
 * once), into @buf
 * Return: the number of bytes
 */
static size_t drain(struct proxy_hs *hs, uint8_t *buf, size_t size,
		    size_t chunk)
{
	const uint8_t *p;
	size_t n, len = 0;

	while ((n = proxy_hs_pending(hs, &p)) > 0) {
		assert_non_null(p);
		if (chunk && n > chunk)
			n = chunk;
		assert_true(len + n <= size);
		memcpy(buf + len, p, n);
		len += n;
		proxy_hs_wrote(hs, n);
	}
	assert_null(p);
	return len;
}

/* send_all() - write everything pending, discarding it */
static void send_all(struct proxy_hs *hs)
{
	static uint8_t sink[PROXY_HS_OUT_MAX];

	drain(hs, sink, sizeof(sink), 0);
}

/* expect_out() - what is pending now is exactly @want (of @len bytes) */
static void expect_out(struct proxy_hs *hs, const void *want, size_t len)
{
	uint8_t buf[PROXY_HS_OUT_MAX];
	size_t n = drain(hs, buf, sizeof(buf), 0);

	assert_int_equal(n, len);
	assert_memory_equal(buf, want, len);
}

#define EXPECT_OUT(hs, lit) expect_out((hs), (lit), sizeof(lit) - 1)

/* feed() - hand @reply to @hs as @way says
 * Return: the result after the last byte; *@used (if not NULL) is the total
 * consumed, not counting TUNNEL, which must never be consumed
 */
static enum proxy_hs_result feed(struct proxy_hs *hs, const void *reply,
				 size_t len, enum feed_way way, size_t *used)
{
	uint8_t buf[PROXY_HS_HTTP_REPLY_MAX + 64];
	enum proxy_hs_result r = PROXY_HS_MORE;
	size_t i, c, total = 0;

	assert_true(len + TUNNEL_LEN <= sizeof(buf));
	memcpy(buf, reply, len);
	switch (way) {
	case FEED_WHOLE:
		r = proxy_hs_feed(hs, buf, len, &total);
		break;
	case FEED_BYTES:
		for (i = 0; i < len && r == PROXY_HS_MORE; i++) {
			r = proxy_hs_feed(hs, buf + i, 1, &c);
			assert_int_equal(c, 1);
			total += c;
		}
		break;
	case FEED_TRAILING:
		memcpy(buf + len, TUNNEL, TUNNEL_LEN);
		r = proxy_hs_feed(hs, buf, len + TUNNEL_LEN, &total);
		assert_true(total <= len);
		break;
	}
	if (used)
		*used = total;
	return r;
}

#define FEED(hs, lit, way, used) feed((hs), (lit), sizeof(lit) - 1, way, used)

/* no_secret() - neither the detail nor anything left in @hs holds the
 * password or the base64 credentials
 */
static void no_secret(const struct proxy_hs *hs)
{
	const char *detail = "";

	proxy_hs_error_name(hs, &detail);
	assert_null(strstr(detail, SECRET));
	assert_null(strstr(detail, SECRET_B64));
	if (proxy_hs_result(hs) != PROXY_HS_MORE) {
		assert_null(memmem(hs, sizeof(*hs), SECRET, strlen(SECRET)));
		assert_null(memmem(hs, sizeof(*hs), SECRET_B64,
				   strlen(SECRET_B64)));
	}
}

/* expect_err() - @hs failed with @r, short code @code and detail @detail */
static void expect_err(const struct proxy_hs *hs, enum proxy_hs_result r,
		       const char *code, const char *detail)
{
	const char *d = NULL;

	assert_int_equal(proxy_hs_result(hs), r);
	assert_string_equal(proxy_hs_error_name(hs, &d), code);
	assert_non_null(d);
	if (detail)
		assert_string_equal(d, detail);
	no_secret(hs);
}

/* ---- base64 ---- */

static void test_base64_rfc4648(void **state)
{
	static const char *const vec[][2] = {
		{"", ""},
		{"f", "Zg=="},
		{"fo", "Zm8="},
		{"foo", "Zm9v"},
		{"foob", "Zm9vYg=="},
		{"fooba", "Zm9vYmE="},
		{"foobar", "Zm9vYmFy"},
		{"Aladdin:open sesame", "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="},
	};
	char out[64];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		n = proxy_hs_base64((const uint8_t *)vec[i][0],
				    strlen(vec[i][0]), out, sizeof(out));
		assert_int_equal(n, strlen(vec[i][1]));
		assert_string_equal(out, vec[i][1]);
		assert_int_equal(n, PROXY_HS_B64_LEN(strlen(vec[i][0])));
	}
	n = proxy_hs_base64((const uint8_t *)"\xff\xfe", 2, out, sizeof(out));
	assert_int_equal(n, 4);
	assert_string_equal(out, "//4=");
	n = proxy_hs_base64((const uint8_t *)"\0", 1, out, sizeof(out));
	assert_int_equal(n, 4);
	assert_string_equal(out, "AA==");
	n = proxy_hs_base64((const uint8_t *)"\xfb\xff\xbf", 3, out,
			    sizeof(out));
	assert_int_equal(n, 4);
	assert_string_equal(out, "+/+/");
}

static void test_base64_small_buffer(void **state)
{
	char out[9];

	(void)state;
	/* "foobar" needs 8 characters and the NUL */
	assert_int_equal(proxy_hs_base64((const uint8_t *)"foobar", 6, out, 9),
			 8);
	memset(out, 'x', sizeof(out));
	assert_int_equal(proxy_hs_base64((const uint8_t *)"foobar", 6, out, 8),
			 0);
	assert_string_equal(out, "");
	assert_int_equal(proxy_hs_base64((const uint8_t *)"f", 1, NULL, 0), 0);
	assert_int_equal(proxy_hs_base64(NULL, 1, out, sizeof(out)), 0);
}

/* ---- requests ---- */

static void test_http_request_v4(void **state)
{
	struct proxy_hs hs;

	(void)state;
	init_ok(&hs, PROXY_HTTP, NULL, NULL, V4, 443, false);
	EXPECT_OUT(&hs, "CONNECT 203.0.113.10:443 HTTP/1.1\r\n"
			"Host: 203.0.113.10:443\r\n\r\n");
	/* the same with https: TLS is the engine's, the bytes are the same */
	init_ok(&hs, PROXY_HTTPS, NULL, NULL, V4, 80, false);
	EXPECT_OUT(&hs, "CONNECT 203.0.113.10:80 HTTP/1.1\r\n"
			"Host: 203.0.113.10:80\r\n\r\n");
}

static void test_http_request_v6_auth(void **state)
{
	struct proxy_hs hs;

	(void)state;
	/* a non-canonical literal comes out in inet_ntop() form */
	init_ok(&hs, PROXY_HTTP, "user", SECRET, "2001:DB8:0:0:0:0:0:10", 8443,
		false);
	EXPECT_OUT(&hs, "CONNECT [2001:db8::10]:8443 HTTP/1.1\r\n"
			"Host: [2001:db8::10]:8443\r\n"
			"Proxy-Authorization: Basic " SECRET_B64 "\r\n\r\n");
	init_ok(&hs, PROXY_HTTPS, "Aladdin", "open sesame", "::ffff:192.0.2.1",
		1, false);
	EXPECT_OUT(
		&hs,
		"CONNECT [::ffff:192.0.2.1]:1 HTTP/1.1\r\n"
		"Host: [::ffff:192.0.2.1]:1\r\n"
		"Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n");
}

static void test_http_request_name(void **state)
{
	struct proxy_hs hs;

	(void)state;
	init_ok(&hs, PROXY_HTTP, "user", SECRET, "www.example.test", 65535,
		true);
	EXPECT_OUT(&hs, "CONNECT www.example.test:65535 HTTP/1.1\r\n"
			"Host: www.example.test:65535\r\n"
			"Proxy-Authorization: Basic " SECRET_B64 "\r\n\r\n");
	/* an IP literal stays an address even when names are allowed */
	init_ok(&hs, PROXY_HTTP, NULL, NULL, V4, 80, true);
	EXPECT_OUT(&hs, "CONNECT 203.0.113.10:80 HTTP/1.1\r\n"
			"Host: 203.0.113.10:80\r\n\r\n");
	/* a user with an empty password still authenticates */
	init_ok(&hs, PROXY_HTTP, "user", NULL, "a_b-c.test", 80, true);
	EXPECT_OUT(&hs, "CONNECT a_b-c.test:80 HTTP/1.1\r\n"
			"Host: a_b-c.test:80\r\n"
			"Proxy-Authorization: Basic dXNlcjo=\r\n\r\n");
	/* empty user and password: no credentials */
	init_ok(&hs, PROXY_HTTP, "", "", V4, 80, false);
	EXPECT_OUT(&hs, "CONNECT 203.0.113.10:80 HTTP/1.1\r\n"
			"Host: 203.0.113.10:80\r\n\r\n");
}

static void test_http_request_longest(void **state)
{
	char name[PROXY_HS_NAME_MAX + 1], user[PROXY_HS_CRED_MAX + 1],
		pw[PROXY_HS_CRED_MAX + 1];
	uint8_t buf[PROXY_HS_OUT_MAX];
	struct proxy_hs hs;
	size_t n;

	(void)state;
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memset(user, 'u', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	memset(pw, 'p', sizeof(pw) - 1);
	pw[sizeof(pw) - 1] = '\0';
	init_ok(&hs, PROXY_HTTP, user, pw, name, 65535, true);
	n = drain(&hs, buf, sizeof(buf), 7);
	/* everything but the brackets IPv6 would need */
	assert_int_equal(n, PROXY_HS_OUT_MAX - 4);
	assert_memory_equal(buf + n - 4, "\r\n\r\n", 4);
}

static void test_socks5_request_noauth_v4(void **state)
{
	struct proxy_hs hs;

	(void)state;
	init_ok(&hs, PROXY_SOCKS5, NULL, NULL, V4, 443, false);
	EXPECT_OUT(&hs, "\x05\x01\x00");
	assert_int_equal(proxy_hs_pending(&hs, NULL), 0);
	assert_int_equal(FEED(&hs, "\x05\x00", FEED_WHOLE, NULL),
			 PROXY_HS_MORE);
	EXPECT_OUT(&hs, "\x05\x01\x00\x01\xcb\x00\x71\x0a\x01\xbb");
	assert_int_equal(proxy_hs_pending(&hs, NULL), 0);
}

static void test_socks5_request_auth_v6(void **state)
{
	struct proxy_hs hs;

	(void)state;
	init_ok(&hs, PROXY_SOCKS5, "user", SECRET, V6, 8080, false);
	EXPECT_OUT(&hs, "\x05\x02\x00\x02");
	assert_int_equal(FEED(&hs, "\x05\x02", FEED_WHOLE, NULL),
			 PROXY_HS_MORE);
	EXPECT_OUT(&hs, "\x01\x04user\x09" SECRET);
	assert_int_equal(FEED(&hs, "\x01\x00", FEED_WHOLE, NULL),
			 PROXY_HS_MORE);
	EXPECT_OUT(&hs, "\x05\x01\x00\x04\x20\x01\x0d\xb8\x00\x00\x00\x00"
			"\x00\x00\x00\x00\x00\x00\x00\x10\x1f\x90");
}

static void test_socks5_request_auth_skipped(void **state)
{
	struct proxy_hs hs;

	(void)state;
	/* credentials offered, but the proxy wants none: no auth message */
	init_ok(&hs, PROXY_SOCKS5, "user", SECRET, V4, 443, false);
	EXPECT_OUT(&hs, "\x05\x02\x00\x02");
	assert_int_equal(FEED(&hs, "\x05\x00", FEED_WHOLE, NULL),
			 PROXY_HS_MORE);
	EXPECT_OUT(&hs, "\x05\x01\x00\x01\xcb\x00\x71\x0a\x01\xbb");
}

static void test_socks5_request_name(void **state)
{
	struct proxy_hs hs;

	(void)state;
	init_ok(&hs, PROXY_SOCKS5H, NULL, NULL, "example.test", 80, true);
	EXPECT_OUT(&hs, "\x05\x01\x00");
	assert_int_equal(FEED(&hs, "\x05\x00", FEED_BYTES, NULL),
			 PROXY_HS_MORE);
	EXPECT_OUT(&hs, "\x05\x01\x00\x03\x0c"
			"example.test\x00\x50");
	/* socks5h with an IP literal: ATYP 1 */
	init_ok(&hs, PROXY_SOCKS5H, NULL, NULL, V4, 80, true);
	EXPECT_OUT(&hs, "\x05\x01\x00");
	FEED(&hs, "\x05\x00", FEED_WHOLE, NULL);
	EXPECT_OUT(&hs, "\x05\x01\x00\x01\xcb\x00\x71\x0a\x00\x50");
	/* SOCKS5 user names may hold ':' (HTTP Basic cannot) */
	init_ok(&hs, PROXY_SOCKS5, "a:b", "", V4, 80, false);
	EXPECT_OUT(&hs, "\x05\x02\x00\x02");
	FEED(&hs, "\x05\x02", FEED_WHOLE, NULL);
	EXPECT_OUT(&hs, "\x01\x03"
			"a:b\x00");
}

static void test_partial_writes(void **state)
{
	uint8_t buf[PROXY_HS_OUT_MAX];
	const uint8_t *p;
	struct proxy_hs hs;
	size_t n;

	(void)state;
	init_ok(&hs, PROXY_HTTP, "user", SECRET, V4, 443, false);
	n = drain(&hs, buf, sizeof(buf), 1);
	assert_int_equal(n, sizeof("CONNECT 203.0.113.10:443 HTTP/1.1\r\n"
				   "Host: 203.0.113.10:443\r\n"
				   "Proxy-Authorization: Basic " SECRET_B64
				   "\r\n\r\n") -
				    1);
	/* writing more than is pending counts as all of it */
	init_ok(&hs, PROXY_SOCKS5, NULL, NULL, V4, 443, false);
	proxy_hs_wrote(&hs, 1);
	assert_int_equal(proxy_hs_pending(&hs, &p), 2);
	assert_memory_equal(p, "\x01\x00", 2);
	proxy_hs_wrote(&hs, 1000);
	assert_int_equal(proxy_hs_pending(&hs, &p), 0);
	assert_null(p);
}

/* ---- init errors ---- */

static void test_init_errors(void **state)
{
	char big[PROXY_HS_CRED_MAX + 2], name[PROXY_HS_NAME_MAX + 2];
	struct proxy_uri u = uri(PROXY_SOCKS5H), h = uri(PROXY_HTTP);
	struct proxy_hs hs;
	const char *d;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';

	assert_int_equal(proxy_hs_init(&hs, &u, NULL, NULL, V4, 0, false),
			 -EINVAL);
	expect_err(&hs, PROXY_HS_PROTOCOL, "proxy_protocol",
		   "cannot start: target port 0");
	assert_int_equal(proxy_hs_pending(&hs, NULL), 0);
	assert_int_equal(
		proxy_hs_init(&hs, &u, NULL, NULL, "example.test", 80, false),
		-EINVAL);
	assert_int_equal(proxy_hs_init(&hs, &u, NULL, NULL, "a b", 80, true),
			 -EINVAL);
	assert_int_equal(
		proxy_hs_init(&hs, &h, NULL, NULL, "a\r\nX: y", 80, true),
		-EINVAL);
	assert_int_equal(proxy_hs_init(&hs, &h, NULL, NULL, "", 80, true),
			 -EINVAL);
	assert_int_equal(
		proxy_hs_init(&hs, &h, NULL, NULL, "fe80::1%eth0", 80, true),
		-EINVAL);
	assert_int_equal(proxy_hs_init(&hs, &u, NULL, NULL, name, 80, true),
			 -EINVAL);
	name[PROXY_HS_NAME_MAX] = '\0'; /* 255 is fine */
	assert_int_equal(proxy_hs_init(&hs, &u, NULL, NULL, name, 80, true), 0);
	assert_int_equal(proxy_hs_init(&hs, NULL, NULL, NULL, V4, 80, false),
			 -EINVAL);
	assert_int_equal(proxy_hs_init(&hs, &u, NULL, NULL, NULL, 80, false),
			 -EINVAL);
	u.scheme = (enum proxy_scheme)42;
	assert_int_equal(proxy_hs_init(&hs, &u, NULL, NULL, V4, 80, false),
			 -EINVAL);
	u.scheme = PROXY_SOCKS5;

	assert_int_equal(proxy_hs_init(&hs, &u, big, SECRET, V4, 80, false),
			 -E2BIG);
	expect_err(
		&hs, PROXY_HS_PROTOCOL, "proxy_protocol",
		"cannot start: the proxy user name is longer than 255 bytes");
	assert_int_equal(proxy_hs_init(&hs, &u, "user", big, V4, 80, false),
			 -E2BIG);
	proxy_hs_error_name(&hs, &d);
	assert_null(strstr(d, "xxxx"));
	assert_int_equal(proxy_hs_init(&hs, &h, "us:er", SECRET, V4, 80, false),
			 -EINVAL);
	no_secret(&hs);
	assert_null(memmem(&hs, sizeof(hs), SECRET, strlen(SECRET)));
	assert_int_equal(proxy_hs_init(&hs, &u, "us:er", SECRET, V4, 80, false),
			 0);
}

static void test_check_creds(void **state)
{
	char big[PROXY_HS_CRED_MAX + 2], err[160];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(
		proxy_hs_check_creds(PROXY_HTTP, NULL, NULL, err, sizeof(err)),
		0);
	assert_int_equal(proxy_hs_check_creds(PROXY_HTTPS, "u", SECRET, err,
					      sizeof(err)),
			 0);
	assert_int_equal(proxy_hs_check_creds(PROXY_HTTP, "u:v", SECRET, err,
					      sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "':'"));
	assert_int_equal(proxy_hs_check_creds(PROXY_SOCKS5, "u:v", SECRET, err,
					      sizeof(err)),
			 0);
	assert_int_equal(
		proxy_hs_check_creds(PROXY_SOCKS5, "u", big, err, sizeof(err)),
		-1);
	assert_string_equal(err, "the proxy password is longer than 255 bytes");
	assert_int_equal(
		proxy_hs_check_creds(PROXY_SOCKS5H, big, "pw", NULL, 0), -1);
}

/* ---- HTTP replies ---- */

static void test_http_ok_all_ways(void **state)
{
	static const char reply[] =
		"HTTP/1.1 200 Connection established\r\n"
		"Proxy-Agent: test\r\nContent-Length: 0\r\n\r\n";
	static const enum feed_way ways[] = {FEED_WHOLE, FEED_BYTES,
					     FEED_TRAILING};
	struct proxy_hs hs;
	size_t i, used;
	const char *d;

	(void)state;
	for (i = 0; i < 3; i++) {
		init_ok(&hs, PROXY_HTTP, "user", SECRET, V4, 443, false);
		send_all(&hs);
		assert_int_equal(FEED(&hs, reply, ways[i], &used),
				 PROXY_HS_DONE);
		assert_int_equal(used, sizeof(reply) - 1);
		assert_null(proxy_hs_error_name(&hs, &d));
		assert_string_equal(d, "");
		no_secret(&hs);
		assert_null(memmem(&hs, sizeof(hs), SECRET, strlen(SECRET)));
		/* it stays done and takes nothing more */
		assert_int_equal(
			proxy_hs_feed(&hs, (const uint8_t *)"x", 1, &used),
			PROXY_HS_DONE);
		assert_int_equal(used, 0);
		assert_int_equal(proxy_hs_eof(&hs), PROXY_HS_DONE);
		assert_int_equal(proxy_hs_pending(&hs, NULL), 0);
	}
}

static void test_http_ok_variants(void **state)
{
	static const char *const replies[] = {
		"HTTP/1.0 200 OK\r\n\r\n",
		"HTTP/1.1 200\r\n\r\n",
		"HTTP/1.1 200 OK\n\n",
		"HTTP/1.1 200 OK\r\nVia: 1.1 x\n\r\n",
		"HTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.1 200 \t odd\x01reason\xff\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
		"HTTP/1.1 102 Processing\r\nX: y\r\n\r\nHTTP/1.1 103 Early Hints\n\nHTTP/1.1 200 OK\r\n\r\n",
	};
	struct proxy_hs hs;
	size_t i, used, len;

	(void)state;
	for (i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
		len = strlen(replies[i]);
		init_ok(&hs, PROXY_HTTP, NULL, NULL, V4, 443, false);
		send_all(&hs);
		assert_int_equal(
			feed(&hs, replies[i], len, FEED_TRAILING, &used),
			PROXY_HS_DONE);
		assert_int_equal(used, len);
		init_ok(&hs, PROXY_HTTP, NULL, NULL, V4, 443, false);
		send_all(&hs);
		assert_int_equal(feed(&hs, replies[i], len, FEED_BYTES, &used),
				 PROXY_HS_DONE);
		assert_int_equal(used, len);
	}
}

/* http_reply() - a started, fully written HTTP handshake with credentials,
 * fed @reply (a C string) @way
 */
static enum proxy_hs_result http_reply(struct proxy_hs *hs, const char *reply,
				       enum feed_way way)
{
	init_ok(hs, PROXY_HTTP, "user", SECRET, V4, 443, false);
	send_all(hs);
	return feed(hs, reply, strlen(reply), way, NULL);
}

static void test_http_error_mapping(void **state)
{
	static const struct {
		const char *reply;
		enum proxy_hs_result r;
		const char *code, *detail;
	} cases[] = {
		{"HTTP/1.1 407 Proxy Authentication Required\r\n"
		 "Proxy-Authenticate: Basic realm=\"x\"\r\n\r\n",
		 PROXY_HS_AUTH_FAILED, "proxy_auth_failed",
		 "HTTP/1.1 407 Proxy Authentication Required"},
		{"HTTP/1.0 403 Access denied\r\n\r\n", PROXY_HS_PROXY_REFUSED,
		 "proxy_refused", "HTTP/1.0 403 Access denied"},
		{"HTTP/1.0 500 Unable to connect\r\n\r\n",
		 PROXY_HS_PROXY_REFUSED, "proxy_refused",
		 "HTTP/1.0 500 Unable to connect"},
		{"HTTP/1.1 400 Bad Request\n\n", PROXY_HS_PROXY_REFUSED,
		 "proxy_refused", "HTTP/1.1 400 Bad Request"},
		{"HTTP/1.1 405 Method Not Allowed\r\n\r\n",
		 PROXY_HS_PROXY_REFUSED, "proxy_refused",
		 "HTTP/1.1 405 Method Not Allowed"},
		{"HTTP/1.1 301 Moved\r\nLocation: /\r\n\r\n",
		 PROXY_HS_PROXY_REFUSED, "proxy_refused", "HTTP/1.1 301 Moved"},
		{"HTTP/1.1 502 Bad Gateway\r\n\r\n", PROXY_HS_REFUSED,
		 "refused", "HTTP/1.1 502 Bad Gateway"},
		{"HTTP/1.1 503 Service Unavailable   \r\n\r\n",
		 PROXY_HS_REFUSED, "refused",
		 "HTTP/1.1 503 Service Unavailable"},
		{"HTTP/1.1 504 Gateway Timeout\r\n\r\n", PROXY_HS_TIMEOUT,
		 "timeout", "HTTP/1.1 504 Gateway Timeout"},
		{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 407\r\n\r\n",
		 PROXY_HS_AUTH_FAILED, "proxy_auth_failed", "HTTP/1.1 407"},
		{"HTTP/1.1 403 Bad\x01\x7f\tthing\r\n\r\n",
		 PROXY_HS_PROXY_REFUSED, "proxy_refused",
		 "HTTP/1.1 403 Bad?? thing"},
	};
	struct proxy_hs hs;
	size_t i;
	int w;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (w = FEED_WHOLE; w <= FEED_TRAILING; w++) {
			assert_int_equal(http_reply(&hs, cases[i].reply,
						    (enum feed_way)w),
					 cases[i].r);
			expect_err(&hs, cases[i].r, cases[i].code,
				   cases[i].detail);
		}
	}
}

static void test_http_malformed(void **state)
{
	static const struct {
		const char *reply, *detail;
	} cases[] = {
		{"HTTP/2 200 OK\r\n\r\n", "not an HTTP reply (byte 5 is 0x32)"},
		{"\x05\x00", "not an HTTP reply (byte 0 is 0x05)"},
		{"http/1.1 200 OK\r\n\r\n",
		 "not an HTTP reply (byte 0 is 0x68)"},
		{"\r\n", "HTTP proxy reply: malformed status line"},
		{"HTTP/1.1 2000 OK\r\n\r\n",
		 "HTTP proxy reply: malformed status line"},
		{"HTTP/1.1 20 OK\r\n\r\n",
		 "HTTP proxy reply: malformed status line"},
		{"HTTP/1.1  200 OK\r\n\r\n",
		 "HTTP proxy reply: malformed status line"},
		{"HTTP/1.x 200 OK\r\n\r\n",
		 "HTTP proxy reply: malformed status line"},
		{"HTTP/1.1 2x0 OK\r\n\r\n",
		 "HTTP proxy reply: malformed status line"},
		{"HTTP/1.1 200OK\r\n\r\n",
		 "HTTP proxy reply: malformed status line"},
		{"HTTP/1.1 099 Low\r\n\r\n",
		 "HTTP proxy reply: status 99 out of range"},
		{"HTTP/1.1 600 High\r\n\r\n",
		 "HTTP proxy reply: status 600 out of range"},
		{"HTTP/1.1 101 Switching Protocols\r\n\r\n",
		 "HTTP proxy reply: unexpected 101 to CONNECT"},
		{"HTTP/1.1 200 OK\rX\r\n\r\n",
		 "HTTP proxy reply: CR not followed by LF"},
		{"HTTP/1.1 200 OK\r\nA: b\r\r\n",
		 "HTTP proxy reply: CR not followed by LF"},
	};
	struct proxy_hs hs;
	size_t i;
	int w;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (w = FEED_WHOLE; w <= FEED_TRAILING; w++) {
			assert_int_equal(http_reply(&hs, cases[i].reply,
						    (enum feed_way)w),
					 PROXY_HS_PROTOCOL);
			expect_err(&hs, PROXY_HS_PROTOCOL, "proxy_protocol",
				   cases[i].detail);
		}
	}
}

static void test_http_partial_and_eof(void **state)
{
	struct proxy_hs hs;
	size_t used;

	(void)state;
	/* no line end yet: it waits, then EOF is a cut reply */
	assert_int_equal(http_reply(&hs, "HTTP/1.1 200 OK", FEED_WHOLE),
			 PROXY_HS_MORE);
	assert_int_equal(http_reply(&hs, "HTTP/1.1 200 OK\r\n", FEED_BYTES),
			 PROXY_HS_MORE);
	assert_int_equal(
		http_reply(&hs, "HTTP/1.1 200 OK\r\nA: b\r\n", FEED_WHOLE),
		PROXY_HS_MORE);
	assert_int_equal(proxy_hs_eof(&hs), PROXY_HS_PROTOCOL);
	expect_err(&hs, PROXY_HS_PROTOCOL, "proxy_protocol",
		   "proxy closed the connection inside its HTTP CONNECT reply");
	/* nothing at all: the proxy turned us away */
	assert_int_equal(http_reply(&hs, "", FEED_WHOLE), PROXY_HS_MORE);
	assert_int_equal(proxy_hs_feed(&hs, NULL, 5, &used), PROXY_HS_MORE);
	assert_int_equal(used, 0);
	assert_int_equal(proxy_hs_eof(&hs), PROXY_HS_PROXY_REFUSED);
	expect_err(&hs, PROXY_HS_PROXY_REFUSED, "proxy_refused",
		   "proxy closed the connection before its HTTP CONNECT reply");
	/* EOF is sticky and further feeds consume nothing */
	assert_int_equal(proxy_hs_feed(&hs, (const uint8_t *)"HTTP", 4, &used),
			 PROXY_HS_PROXY_REFUSED);
	assert_int_equal(used, 0);
}

static void test_http_oversized(void **state)
{
	static char reply[PROXY_HS_HTTP_REPLY_MAX + 16];
	static const char status[] = "HTTP/1.1 200 OK\r\n";
	static const char blank[4] = {'\r', '\n', '\r', '\n'};
	static const char start[13] = {'H', 'T', 'T', 'P', '/', '1', '.',
				       '1', ' ', '2', '0', '0', ' '};
	struct proxy_hs hs;
	size_t used, n;

	(void)state;
	/* exactly at the bound: fine */
	n = PROXY_HS_HTTP_REPLY_MAX;
	memcpy(reply, status, sizeof(status) - 1);
	memset(reply + sizeof(status) - 1, 'h', n - (sizeof(status) - 1) - 4);
	memcpy(reply + n - 4, blank, sizeof(blank));
	init_ok(&hs, PROXY_HTTP, NULL, NULL, V4, 443, false);
	send_all(&hs);
	assert_int_equal(feed(&hs, reply, n, FEED_TRAILING, &used),
			 PROXY_HS_DONE);
	assert_int_equal(used, n);

	/* one more byte: too long */
	n++;
	memset(reply + sizeof(status) - 1, 'h', n - (sizeof(status) - 1) - 4);
	memcpy(reply + n - 4, blank, sizeof(blank));
	init_ok(&hs, PROXY_HTTP, "user", SECRET, V4, 443, false);
	send_all(&hs);
	assert_int_equal(feed(&hs, reply, n, FEED_WHOLE, &used),
			 PROXY_HS_PROTOCOL);
	assert_int_equal(used, PROXY_HS_HTTP_REPLY_MAX + 1);
	expect_err(&hs, PROXY_HS_PROTOCOL, "proxy_protocol",
		   "HTTP proxy reply: header over 16384 bytes");

	/* a status line that never ends */
	memset(reply, 'x', sizeof(reply));
	memcpy(reply, start, sizeof(start));
	init_ok(&hs, PROXY_HTTP, NULL, NULL, V4, 443, false);
	send_all(&hs);
	assert_int_equal(feed(&hs, reply, sizeof(reply), FEED_BYTES, &used),
			 PROXY_HS_PROTOCOL);
	assert_int_equal(used, PROXY_HS_HTTP_REPLY_MAX + 1);
}

static void test_http_reply_before_request(void **state)
{
	struct proxy_hs hs;
	const uint8_t *p;

	(void)state;
	init_ok(&hs, PROXY_HTTP, "user", SECRET, V4, 443, false);
	proxy_hs_wrote(&hs, 10);
	assert_int_equal(FEED(&hs, "HTTP/1.1 200 OK\r\n\r\n", FEED_WHOLE, NULL),
			 PROXY_HS_PROTOCOL);
	expect_err(&hs, PROXY_HS_PROTOCOL, "proxy_protocol",
		   "proxy replied before the whole request was sent");
	assert_int_equal(proxy_hs_pending(&hs, &p), 0);
	/* an error reply early is still that error */
	init_ok(&hs, PROXY_HTTP, "user", SECRET, V4, 443, false);
	assert_int_equal(
		FEED(&hs, "HTTP/1.1 407 Auth\r\n\r\n", FEED_BYTES, NULL),
		PROXY_HS_AUTH_FAILED);
	expect_err(&hs, PROXY_HS_AUTH_FAILED, "proxy_auth_failed",
		   "HTTP/1.1 407 Auth");
	assert_int_equal(proxy_hs_pending(&hs, NULL), 0);
}

static void test_http_reason_redacted(void **state)
{
	char line[256];
	struct proxy_hs hs;
	const char *d;
	int w;

	(void)state;
	for (w = FEED_WHOLE; w <= FEED_TRAILING; w++) {
		assert_int_equal(http_reply(&hs,
					    "HTTP/1.1 407 bad password " SECRET
					    " for user\r\n\r\n",
					    (enum feed_way)w),
				 PROXY_HS_AUTH_FAILED);
		expect_err(&hs, PROXY_HS_AUTH_FAILED, "proxy_auth_failed",
			   "HTTP/1.1 407 [reason withheld]");
		assert_int_equal(http_reply(&hs,
					    "HTTP/1.1 403 creds " SECRET_B64
					    "\r\n\r\n",
					    (enum feed_way)w),
				 PROXY_HS_PROXY_REFUSED);
		expect_err(&hs, PROXY_HS_PROXY_REFUSED, "proxy_refused",
			   "HTTP/1.1 403 [reason withheld]");
		/* late in the line: no stale copy past the new detail */
		assert_int_equal(
			http_reply(&hs,
				   "HTTP/1.1 403 a reason that goes on "
				   "and on, then says " SECRET
				   " at last\r\n\r\n",
				   (enum feed_way)w),
			PROXY_HS_PROXY_REFUSED);
		expect_err(&hs, PROXY_HS_PROXY_REFUSED, "proxy_refused",
			   "HTTP/1.1 403 [reason withheld]");
		/* a 2xx line holding it, then an error of our own */
		assert_int_equal(
			http_reply(&hs,
				   "HTTP/1.1 200 a reason that goes on "
				   "and on, then says " SECRET
				   "\r\nbad\rheader\r\n\r\n",
				   (enum feed_way)w),
			PROXY_HS_PROTOCOL);
		expect_err(&hs, PROXY_HS_PROTOCOL, "proxy_protocol",
			   "HTTP proxy reply: CR not followed by LF");
	}
	/* the password's start where the kept line is cut */
	snprintf(line, sizeof(line), "HTTP/1.1 403 %*s%s%s\r\n\r\n",
		 PROXY_HS_DETAIL_MAX - 1 - 13 - 5, "", SECRET, SECRET);
	assert_int_equal(http_reply(&hs, line, FEED_WHOLE),
			 PROXY_HS_PROXY_REFUSED);
	expect_err(&hs, PROXY_HS_PROXY_REFUSED, "proxy_refused",
		   "HTTP/1.1 403 [reason withheld]");
	/* a long harmless reason is kept, cut */
	snprintf(line, sizeof(line), "HTTP/1.1 403 %0200d\r\n\r\n", 7);
	assert_int_equal(http_reply(&hs, line, FEED_BYTES),
			 PROXY_HS_PROXY_REFUSED);
	expect_err(&hs, PROXY_HS_PROXY_REFUSED, "proxy_refused", NULL);
	proxy_hs_error_name(&hs, &d);
	assert_int_equal(strlen(d), PROXY_HS_DETAIL_MAX - 1);
	assert_memory_equal(d, "HTTP/1.1 403 000", 16);
}

/* ---- SOCKS5 replies ---- */

/* socks_to_reply() - a handshake with or without credentials, through
 * method selection (and auth) to the point where the CONNECT reply is due
 */
static void socks_to_reply(struct proxy_hs *hs, bool auth, const char *target,
			   bool by_name)
{
	init_ok(hs, by_name ? PROXY_SOCKS5H : PROXY_SOCKS5,
		auth ? "user" : NULL, auth ? SECRET : NULL, target, 443,
		by_name);
	send_all(hs);
	if (auth) {
		assert_int_equal(FEED(hs, "\x05\x02", FEED_WHOLE, NULL),
				 PROXY_HS_MORE);
		send_all(hs);
		assert_int_equal(FEED(hs, "\x01\x00", FEED_WHOLE, NULL),
				 PROXY_HS_MORE);
	} else {
		assert_int_equal(FEED(hs, "\x05\x00", FEED_WHOLE, NULL),
				 PROXY_HS_MORE);
	}
	send_all(hs);
}

static void test_socks5_ok_all_atyps(void **state)
{
	static const struct {
		const char *reply;
		size_t len;
	} replies[] = {
		{S5_OK_V4, S5_OK_V4_LN},
		{"\x05\x00\x00\x04"
		 "0123456789abcdef\x01\xbb",
		 22},
		{"\x05\x00\x00\x03\x05proxy\x01\xbb", 12},
		{"\x05\x00\x00\x03\x00\x01\xbb", 7},
		{"\x05\x00\x00\x03\xff"
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		 "xxxxxxxxxxxxxxx\x01\xbb",
		 262},
	};
	struct proxy_hs hs;
	size_t i, used;
	int w, auth;

	(void)state;
	for (i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
		for (w = FEED_WHOLE; w <= FEED_TRAILING; w++) {
			for (auth = 0; auth < 2; auth++) {
				socks_to_reply(&hs, auth, V4, false);
				assert_int_equal(feed(&hs, replies[i].reply,
						      replies[i].len,
						      (enum feed_way)w, &used),
						 PROXY_HS_DONE);
				assert_int_equal(used, replies[i].len);
				assert_null(proxy_hs_error_name(&hs, NULL));
				no_secret(&hs);
			}
		}
	}
	/* one more byte given: stays unconsumed */
	socks_to_reply(&hs, true, "example.test", true);
	assert_int_equal(
		feed(&hs, S5_OK_V4 "X", S5_OK_V4_LN + 1, FEED_WHOLE, &used),
		PROXY_HS_DONE);
	assert_int_equal(used, S5_OK_V4_LN);
}

static void test_socks5_pipelined_feed(void **state)
{
	struct proxy_hs hs;
	size_t used;

	(void)state;
	/* method reply and CONNECT reply in one buffer, CONNECT not yet
	 * sent: the proxy answered what it had not seen
	 */
	init_ok(&hs, PROXY_SOCKS5, NULL, NULL, V4, 443, false);
	send_all(&hs);
	assert_int_equal(FEED(&hs, "\x05\x00" S5_OK_V4, FEED_WHOLE, &used),
			 PROXY_HS_PROTOCOL);
	expect_err(&hs, PROXY_HS_PROTOCOL, "proxy_protocol",
		   "proxy replied before the whole request was sent");
	/* method reply before the greeting was written whole */
	init_ok(&hs, PROXY_SOCKS5, NULL, NULL, V4, 443, false);
	proxy_hs_wrote(&hs, 1);
	assert_int_equal(FEED(&hs, "\x05\x00", FEED_BYTES, NULL),
			 PROXY_HS_PROTOCOL);
	/* an error reply in the same situation is that error */
	init_ok(&hs, PROXY_SOCKS5, NULL, NULL, V4, 443, false);
	send_all(&hs);
	assert_int_equal(FEED(&hs, "\x05\x00\x05\x05", FEED_WHOLE, &used),
			 PROXY_HS_REFUSED);
	assert_int_equal(used, 4);
}

static void test_socks5_reply_codes(void **state)
{
	static const struct {
		uint8_t rep;
		enum proxy_hs_result r;
		const char *code, *detail;
	} cases[] = {
		{0x01, PROXY_HS_PROXY_REFUSED, "proxy_refused",
		 "SOCKS5 reply 0x01 general SOCKS server failure"},
		{0x02, PROXY_HS_PROXY_REFUSED, "proxy_refused",
		 "SOCKS5 reply 0x02 connection not allowed by ruleset"},
		{0x03, PROXY_HS_NET_UNREACHABLE, "unreachable",
		 "SOCKS5 reply 0x03 network unreachable"},
		{0x04, PROXY_HS_HOST_UNREACHABLE, "unreachable",
		 "SOCKS5 reply 0x04 host unreachable"},
		{0x05, PROXY_HS_REFUSED, "refused",
		 "SOCKS5 reply 0x05 connection refused"},
		{0x06, PROXY_HS_TIMEOUT, "timeout",
		 "SOCKS5 reply 0x06 TTL expired"},
		{0x07, PROXY_HS_PROXY_REFUSED, "proxy_refused",
		 "SOCKS5 reply 0x07 command not supported"},
		{0x08, PROXY_HS_PROXY_REFUSED, "proxy_refused",
		 "SOCKS5 reply 0x08 address type not supported"},
		{0x09, PROXY_HS_PROXY_REFUSED, "proxy_refused",
		 "SOCKS5 reply 0x09 unassigned"},
		{0xff, PROXY_HS_PROXY_REFUSED, "proxy_refused",
		 "SOCKS5 reply 0xff unassigned"},
	};
	uint8_t reply[S5_OK_V4_LN];
	struct proxy_hs hs;
	size_t i, used;
	int w;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (w = FEED_WHOLE; w <= FEED_TRAILING; w++) {
			memcpy(reply, S5_OK_V4, sizeof(reply));
			reply[1] = cases[i].rep;
			socks_to_reply(&hs, true, V6, false);
			assert_int_equal(feed(&hs, reply, sizeof(reply),
					      (enum feed_way)w, &used),
					 cases[i].r);
			/* decided at the code: nothing after it is read */
			assert_int_equal(used, 2);
			expect_err(&hs, cases[i].r, cases[i].code,
				   cases[i].detail);
		}
	}
	/* a short error reply (just VER REP) is enough */
	socks_to_reply(&hs, false, V4, false);
	assert_int_equal(FEED(&hs, "\x05\x05", FEED_WHOLE, NULL),
			 PROXY_HS_REFUSED);
}

static void test_socks5_method_errors(void **state)
{
	struct proxy_hs hs;

	(void)state;
	init_ok(&hs, PROXY_SOCKS5, NULL, NULL, V4, 443, false);
	send_all(&hs);
	assert_int_equal(FEED(&hs, "\x05\xff", FEED_BYTES, NULL),
			 PROXY_HS_AUTH_FAILED);
	expect_err(
		&hs, PROXY_HS_AUTH_FAILED, "proxy_auth_failed",
		"SOCKS5 no acceptable method (0xff): the proxy may need a user and password");

	init_ok(&hs, PROXY_SOCKS5, "user", SECRET, V4, 443, false);
	send_all(&hs);
	assert_int_equal(FEED(&hs, "\x05\xff", FEED_WHOLE, NULL),
			 PROXY_HS_AUTH_FAILED);
	expect_err(
		&hs, PROXY_HS_AUTH_FAILED, "proxy_auth_failed",
		"SOCKS5 no acceptable method (0xff): username/password not accepted");

	/* 0x02 when it was not offered */
	init_ok(&hs, PROXY_SOCKS5, NULL, NULL, V4, 443, false);
	send_all(&hs);
	assert_int_equal(FEED(&hs, "\x05\x02", FEED_WHOLE, NULL),
			 PROXY_HS_PROTOCOL);
	expect_err(&hs, PROXY_HS_PROTOCOL, "proxy_protocol",
		   "SOCKS5 proxy chose method 0x02, which was not offered");
	/* GSSAPI */
	init_ok(&hs, PROXY_SOCKS5, "user", SECRET, V4, 443, false);
	send_all(&hs);
	assert_int_equal(FEED(&hs, "\x05\x01", FEED_WHOLE, NULL),
			 PROXY_HS_PROTOCOL);
	expect_err(&hs, PROXY_HS_PROTOCOL, "proxy_protocol", NULL);
	/* SOCKS4 or HTTP on the other end */
	init_ok(&hs, PROXY_SOCKS5, NULL, NULL, V4, 443, false);
	send_all(&hs);
	assert_int_equal(
		FEED(&hs, "HTTP/1.1 400 Bad Request\r\n\r\n", FEED_WHOLE, NULL),
		PROXY_HS_PROTOCOL);
	expect_err(&hs, PROXY_HS_PROTOCOL, "proxy_protocol",
		   "SOCKS5 method reply version 0x48, expected 0x05");
}

static void test_socks5_auth_replies(void **state)
{
	struct proxy_hs hs;
	size_t used;

	(void)state;
	/* RFC 1929 version 1, and version 5 as some servers send it */
	socks_to_reply(&hs, true, V4, false);
	assert_int_equal(FEED(&hs, S5_OK_V4, FEED_WHOLE, NULL), PROXY_HS_DONE);
	init_ok(&hs, PROXY_SOCKS5, "user", SECRET, V4, 443, false);
	send_all(&hs);
	FEED(&hs, "\x05\x02", FEED_WHOLE, NULL);
	send_all(&hs);
	assert_int_equal(FEED(&hs, "\x05\x00", FEED_BYTES, &used),
			 PROXY_HS_MORE);
	EXPECT_OUT(&hs, "\x05\x01\x00\x01\xcb\x00\x71\x0a\x01\xbb");

	/* rejected */
	init_ok(&hs, PROXY_SOCKS5, "user", SECRET, V4, 443, false);
	send_all(&hs);
	FEED(&hs, "\x05\x02", FEED_WHOLE, NULL);
	send_all(&hs);
	assert_int_equal(FEED(&hs, "\x01\x01" S5_OK_V4, FEED_TRAILING, &used),
			 PROXY_HS_AUTH_FAILED);
	assert_int_equal(used, 2);
	expect_err(&hs, PROXY_HS_AUTH_FAILED, "proxy_auth_failed",
		   "SOCKS5 username/password rejected (status 0x01)");
	/* wrong version */
	init_ok(&hs, PROXY_SOCKS5, "user", SECRET, V4, 443, false);
	send_all(&hs);
	FEED(&hs, "\x05\x02", FEED_WHOLE, NULL);
	send_all(&hs);
	assert_int_equal(FEED(&hs, "\x02\x00", FEED_WHOLE, NULL),
			 PROXY_HS_PROTOCOL);
	expect_err(&hs, PROXY_HS_PROTOCOL, "proxy_protocol",
		   "SOCKS5 auth reply version 0x02, expected 0x01");
	/* EOF while waiting for the auth status */
	init_ok(&hs, PROXY_SOCKS5, "user", SECRET, V4, 443, false);
	send_all(&hs);
	FEED(&hs, "\x05\x02", FEED_WHOLE, NULL);
	assert_int_equal(proxy_hs_eof(&hs), PROXY_HS_PROXY_REFUSED);
	expect_err(
		&hs, PROXY_HS_PROXY_REFUSED, "proxy_refused",
		"proxy closed the connection before its SOCKS5 username/password reply");
}

static void test_socks5_reply_malformed(void **state)
{
	static const struct {
		const char *reply;
		size_t len, used;
		const char *detail;
	} cases[] = {
		{"\x04\x00\x00\x01", 4, 1,
		 "SOCKS5 reply version 0x04, expected 0x05"},
		{"\x00\x5a", 2, 1, "SOCKS5 reply version 0x00, expected 0x05"},
		{"\x05\x00\x01\x01", 4, 3,
		 "SOCKS5 reply reserved byte 0x01, expected 0x00"},
		{"\x05\x00\x00\x02", 4, 4,
		 "SOCKS5 reply address type 0x02 unknown"},
		{"\x05\x00\x00\x00", 4, 4,
		 "SOCKS5 reply address type 0x00 unknown"},
		{"\x05\x00\x00\xff\x01", 5, 4,
		 "SOCKS5 reply address type 0xff unknown"},
	};
	struct proxy_hs hs;
	size_t i, used;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		socks_to_reply(&hs, true, V4, false);
		assert_int_equal(feed(&hs, cases[i].reply, cases[i].len,
				      FEED_WHOLE, &used),
				 PROXY_HS_PROTOCOL);
		assert_int_equal(used, cases[i].used);
		expect_err(&hs, PROXY_HS_PROTOCOL, "proxy_protocol",
			   cases[i].detail);
	}
	/* method reply with a bad version */
	init_ok(&hs, PROXY_SOCKS5H, NULL, NULL, "a.test", 443, true);
	send_all(&hs);
	assert_int_equal(FEED(&hs, "\x04\x00", FEED_WHOLE, NULL),
			 PROXY_HS_PROTOCOL);
	expect_err(&hs, PROXY_HS_PROTOCOL, "proxy_protocol",
		   "SOCKS5 method reply version 0x04, expected 0x05");
}

static void test_socks5_truncated(void **state)
{
	static const struct {
		const char *reply;
		size_t len;
	} cuts[] = {
		{"\x05", 1},
		{"\x05\x00\x00", 3},
		{"\x05\x00\x00\x01", 4},
		{"\x05\x00\x00\x01\xcb\x00\x71\x0a\x01", 9},
		{"\x05\x00\x00\x04"
		 "0123456789abcdef\x01",
		 21},
		{"\x05\x00\x00\x03", 4},
		{"\x05\x00\x00\x03\x05prox", 9},
		{"\x05\x00\x00\x03\x05proxy\x01", 11},
	};
	struct proxy_hs hs;
	size_t i, used;
	int w;

	(void)state;
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		for (w = FEED_WHOLE; w <= FEED_BYTES; w++) {
			socks_to_reply(&hs, false, V4, false);
			assert_int_equal(feed(&hs, cuts[i].reply, cuts[i].len,
					      (enum feed_way)w, &used),
					 PROXY_HS_MORE);
			assert_int_equal(used, cuts[i].len);
			assert_int_equal(proxy_hs_pending(&hs, NULL), 0);
			assert_int_equal(proxy_hs_eof(&hs), PROXY_HS_PROTOCOL);
			expect_err(
				&hs, PROXY_HS_PROTOCOL, "proxy_protocol",
				"proxy closed the connection inside its SOCKS5 CONNECT reply");
		}
	}
	/* nothing of the CONNECT reply */
	socks_to_reply(&hs, true, V4, false);
	assert_int_equal(proxy_hs_eof(&hs), PROXY_HS_PROXY_REFUSED);
	expect_err(
		&hs, PROXY_HS_PROXY_REFUSED, "proxy_refused",
		"proxy closed the connection before its SOCKS5 CONNECT reply");
	/* nothing at all */
	init_ok(&hs, PROXY_SOCKS5, "user", SECRET, V4, 443, false);
	assert_int_equal(proxy_hs_eof(&hs), PROXY_HS_PROXY_REFUSED);
	expect_err(
		&hs, PROXY_HS_PROXY_REFUSED, "proxy_refused",
		"proxy closed the connection before its SOCKS5 method reply");
	/* half a method reply */
	init_ok(&hs, PROXY_SOCKS5, NULL, NULL, V4, 443, false);
	send_all(&hs);
	assert_int_equal(FEED(&hs, "\x05", FEED_WHOLE, NULL), PROXY_HS_MORE);
	assert_int_equal(proxy_hs_eof(&hs), PROXY_HS_PROTOCOL);
	expect_err(
		&hs, PROXY_HS_PROTOCOL, "proxy_protocol",
		"proxy closed the connection inside its SOCKS5 method reply");
}

static void test_wipe_and_names(void **state)
{
	struct proxy_hs hs;
	const char *d = "x";

	(void)state;
	/* dropping a handshake midway */
	init_ok(&hs, PROXY_SOCKS5, "user", SECRET, V4, 443, false);
	assert_non_null(memmem(&hs, sizeof(hs), SECRET, strlen(SECRET)));
	proxy_hs_wipe(&hs);
	assert_null(memmem(&hs, sizeof(hs), SECRET, strlen(SECRET)));
	assert_int_equal(proxy_hs_pending(&hs, NULL), 0);
	proxy_hs_wipe(&hs);
	assert_null(proxy_hs_error_name(&hs, &d));
	assert_string_equal(d, "");

	assert_null(proxy_hs_result_name(PROXY_HS_MORE));
	assert_null(proxy_hs_result_name(PROXY_HS_DONE));
	assert_string_equal(proxy_hs_result_name(PROXY_HS_PROXY_REFUSED),
			    "proxy_refused");
	assert_string_equal(proxy_hs_result_name(PROXY_HS_AUTH_FAILED),
			    "proxy_auth_failed");
	assert_string_equal(proxy_hs_result_name(PROXY_HS_REFUSED), "refused");
	assert_string_equal(proxy_hs_result_name(PROXY_HS_NET_UNREACHABLE),
			    "unreachable");
	assert_string_equal(proxy_hs_result_name(PROXY_HS_HOST_UNREACHABLE),
			    "unreachable");
	assert_string_equal(proxy_hs_result_name(PROXY_HS_TIMEOUT), "timeout");
	assert_string_equal(proxy_hs_result_name(PROXY_HS_PROTOCOL),
			    "proxy_protocol");
	assert_null(proxy_hs_result_name((enum proxy_hs_result)99));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64_rfc4648),
		cmocka_unit_test(test_base64_small_buffer),
		cmocka_unit_test(test_http_request_v4),
		cmocka_unit_test(test_http_request_v6_auth),
		cmocka_unit_test(test_http_request_name),
		cmocka_unit_test(test_http_request_longest),
		cmocka_unit_test(test_socks5_request_noauth_v4),
		cmocka_unit_test(test_socks5_request_auth_v6),
		cmocka_unit_test(test_socks5_request_auth_skipped),
		cmocka_unit_test(test_socks5_request_name),
		cmocka_unit_test(test_partial_writes),
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_check_creds),
		cmocka_unit_test(test_http_ok_all_ways),
		cmocka_unit_test(test_http_ok_variants),
		cmocka_unit_test(test_http_error_mapping),
		cmocka_unit_test(test_http_malformed),
		cmocka_unit_test(test_http_partial_and_eof),
		cmocka_unit_test(test_http_oversized),
		cmocka_unit_test(test_http_reply_before_request),
		cmocka_unit_test(test_http_reason_redacted),
		cmocka_unit_test(test_socks5_ok_all_atyps),
		cmocka_unit_test(test_socks5_pipelined_feed),
		cmocka_unit_test(test_socks5_reply_codes),
		cmocka_unit_test(test_socks5_method_errors),
		cmocka_unit_test(test_socks5_auth_replies),
		cmocka_unit_test(test_socks5_reply_malformed),
		cmocka_unit_test(test_socks5_truncated),
		cmocka_unit_test(test_wipe_and_names),
	};

	return cmocka_run_group_tests_name("proxy_handshake", tests, NULL,
					   NULL);
}
