/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_sniff.c - unit tests for the host name of a connection's first
 * bytes (src/engine/sniff.c)
 *
 * ClientHellos are real ones, written by OpenSSL into a memory BIO for a
 * given server name (TLS 1.2 and 1.3), then cut at every length and
 * damaged at every length field; HTTP requests are written out. Every
 * input is copied into a heap buffer of exactly its length so that
 * AddressSanitizer catches any read past it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>

#include "engine/sniff.h"

/* sniff_exact() - sniff_host() over a heap copy of exactly @len bytes */
static enum sniff_kind sniff_exact(const void *data, size_t len, char *name)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum sniff_kind k;

	assert_non_null(copy);
	memcpy(copy, data, len);
	k = sniff_host(copy, len, name);
	free(copy);
	return k;
}

/* client_hello() - the first flight of an OpenSSL client for @sni (NULL:
 * no server_name), up to @max_version; its length in *@len
 */
static uint8_t *client_hello(const char *sni, int max_version, size_t *len)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	BIO *rbio = BIO_new(BIO_s_mem()), *wbio = BIO_new(BIO_s_mem());
	SSL *ssl;
	char *p;
	uint8_t *out;
	long n;

	assert_non_null(ctx);
	assert_true(SSL_CTX_set_max_proto_version(ctx, max_version));
	ssl = SSL_new(ctx);
	assert_non_null(ssl);
	SSL_set_bio(ssl, rbio, wbio);
	if (sni)
		assert_true(SSL_set_tlsext_host_name(ssl, sni));
	SSL_set_connect_state(ssl);
	assert_true(SSL_do_handshake(ssl) <= 0); /* wants the server */
	n = BIO_get_mem_data(wbio, &p);
	assert_true(n > 0);
	out = malloc((size_t)n);
	assert_non_null(out);
	memcpy(out, p, (size_t)n);
	*len = (size_t)n;
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return out;
}

static void test_tls_sni(void **state)
{
	static const int versions[] = {TLS1_2_VERSION, TLS1_3_VERSION};
	char name[SNIFF_NAME_MAX];
	size_t i, len;

	(void)state;
	for (i = 0; i < 2; i++) {
		uint8_t *ch = client_hello("Origin.Test", versions[i], &len);

		assert_int_equal(sniff_exact(ch, len, name), SNIFF_TLS_SNI);
		assert_string_equal(name, "origin.test");
		free(ch);
	}
}

static void test_tls_without_sni(void **state)
{
	char name[SNIFF_NAME_MAX];
	size_t len;
	uint8_t *ch = client_hello(NULL, TLS1_3_VERSION, &len);

	(void)state;
	assert_int_equal(sniff_exact(ch, len, name), SNIFF_NONE);
	assert_string_equal(name, "");
	free(ch);
}

/* Every prefix: either nothing or the right name, never a wrong one */
static void test_tls_truncated(void **state)
{
	char name[SNIFF_NAME_MAX];
	size_t len, cut, found = 0;
	uint8_t *ch = client_hello("a.example.test", TLS1_3_VERSION, &len);

	(void)state;
	for (cut = 0; cut < len; cut++) {
		enum sniff_kind k = sniff_exact(ch, cut, name);

		if (k == SNIFF_NONE) {
			assert_string_equal(name, "");
			continue;
		}
		assert_int_equal(k, SNIFF_TLS_SNI);
		assert_string_equal(name, "a.example.test");
		found++;
	}
	/* the name is whole well before the end (padding, key shares) */
	assert_true(found > 0);
	free(ch);
}

/* Every byte changed to 0x00 and 0xff: no crash, and a name found is a
 * valid lower-case host name
 */
static void test_tls_damaged(void **state)
{
	char name[SNIFF_NAME_MAX];
	size_t len, i, j;
	uint8_t *ch = client_hello("damaged.test", TLS1_2_VERSION, &len);

	(void)state;
	for (i = 0; i < len; i++) {
		static const uint8_t bad[] = {0x00, 0xff};
		uint8_t keep = ch[i];

		for (j = 0; j < 2; j++) {
			ch[i] = bad[j];
			if (sniff_exact(ch, len, name) == SNIFF_NONE)
				continue;
			assert_true(strlen(name) > 0);
			assert_null(
				strpbrk(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ "));
		}
		ch[i] = keep;
	}
	free(ch);
}

/* A server_name that is not a host name is not taken */
static void test_tls_bad_name(void **state)
{
	char name[SNIFF_NAME_MAX];
	size_t len;
	uint8_t *ch = client_hello("xx.test", TLS1_3_VERSION, &len);
	uint8_t *at = memmem(ch, len, "xx.test", 7);

	(void)state;
	assert_non_null(at);
	at[0] = '"';
	assert_int_equal(sniff_exact(ch, len, name), SNIFF_NONE);
	at[0] = 0x01;
	assert_int_equal(sniff_exact(ch, len, name), SNIFF_NONE);
	free(ch);
}

static void test_http_host(void **state)
{
	static const struct {
		const char *req;
		enum sniff_kind kind;
		const char *name;
	} cases[] = {
		{"GET / HTTP/1.1\r\nHost: Origin.Test\r\n\r\n", SNIFF_HTTP_HOST,
		 "origin.test"},
		{"GET /x HTTP/1.1\r\nUser-Agent: t\r\nhost:  a.test:8080 \r\n\r\n",
		 SNIFF_HTTP_HOST, "a.test"},
		{"POST /p HTTP/1.0\nHOST: b.test\n\n", SNIFF_HTTP_HOST,
		 "b.test"},
		{"GET / HTTP/1.1\r\nHost: [2001:DB8::10]:80\r\n\r\n",
		 SNIFF_HTTP_HOST, "2001:db8::10"},
		{"GET / HTTP/1.1\r\nHost: 203.0.113.10\r\n", SNIFF_HTTP_HOST,
		 "203.0.113.10"},
		/* the Host header after the blank line is body, not header */
		{"GET / HTTP/1.1\r\nX: y\r\n\r\nHost: c.test\r\n", SNIFF_NONE,
		 ""},
		/* a Host line not yet whole */
		{"GET / HTTP/1.1\r\nHost: c.te", SNIFF_NONE, ""},
		{"GET / HTTP/1.1\r\nHost: \r\n\r\n", SNIFF_NONE, ""},
		{"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", SNIFF_NONE, ""},
		{"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", SNIFF_NONE, ""},
		{"GET / HTTP/1.1\r\nHost: evil\"}\r\n\r\n", SNIFF_NONE, ""},
		{"FOO / HTTP/1.1\r\nHost: d.test\r\n\r\n", SNIFF_NONE, ""},
		{"GET /\r\nHost: d.test\r\n\r\n", SNIFF_NONE, ""},
		{"SSH-2.0-OpenSSH_9.2\r\n", SNIFF_NONE, ""},
		{"", SNIFF_NONE, ""},
	};
	char name[SNIFF_NAME_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum sniff_kind k =
			sniff_exact(cases[i].req, strlen(cases[i].req), name);

		assert_int_equal(k, cases[i].kind);
		assert_string_equal(name, cases[i].name);
	}
}

static void test_http_long_name(void **state)
{
	char req[600], name[SNIFF_NAME_MAX], host[300];

	(void)state;
	memset(host, 'a', sizeof(host));
	host[253] = '\0';
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", host);
	assert_int_equal(sniff_exact(req, strlen(req), name), SNIFF_HTTP_HOST);
	assert_string_equal(name, host);
	host[253] = 'a';
	host[254] = '\0';
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", host);
	assert_int_equal(sniff_exact(req, strlen(req), name), SNIFF_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_sni),
		cmocka_unit_test(test_tls_without_sni),
		cmocka_unit_test(test_tls_truncated),
		cmocka_unit_test(test_tls_damaged),
		cmocka_unit_test(test_tls_bad_name),
		cmocka_unit_test(test_http_host),
		cmocka_unit_test(test_http_long_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
