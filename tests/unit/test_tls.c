/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_tls.c - the TLS client for https:// proxies (src/proxy/tls.c)
 * against an OpenSSL server in the same process
 *
 * Certificates are made here, fresh per run: a CA, a leaf for proxy.test
 * (and 127.0.0.1, ::1) signed by it, a self-signed one, one for
 * wrong.test, and an expired one. Client and server sit on the two ends of
 * a non-blocking socketpair and are stepped in turn, so every WANT_READ /
 * WANT_WRITE path runs; tiny socket buffers force stalled writes. No
 * network namespace is touched.
 *
 * OpenSSL's allocator is wrapped (CRYPTO_set_mem_functions, first thing in
 * main) to measure what one client connection holds: the number tls.h
 * quotes comes from test_memory_per_conn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "proxy/tls.h"

#define STEPS_MAX 100000     /* a handshake or transfer that loops is a bug */
#define BULK	  (1u << 20) /* bytes each way in the transfer tests */

/* ---- OpenSSL allocations made while `counting`, still live ---- */

struct mem_hdr {
	size_t size;
	int counted;
	int pad; /* keeps the block 16-byte aligned */
};

static int counting;
static long long counted_live;

static void *mem_malloc(size_t n, const char *file, int line)
{
	struct mem_hdr *h = malloc(sizeof(*h) + n);

	(void)file;
	(void)line;
	if (!h)
		return NULL;
	h->size = n;
	h->counted = counting;
	if (counting)
		counted_live += (long long)n;
	return h + 1;
}

static void mem_free(void *p, const char *file, int line)
{
	struct mem_hdr *h;

	(void)file;
	(void)line;
	if (!p)
		return;
	h = (struct mem_hdr *)p - 1;
	if (h->counted)
		counted_live -= (long long)h->size;
	free(h);
}

static void *mem_realloc(void *p, size_t n, const char *file, int line)
{
	struct mem_hdr *h;
	void *q;

	if (!p)
		return mem_malloc(n, file, line);
	if (!n) {
		mem_free(p, file, line);
		return NULL;
	}
	h = (struct mem_hdr *)p - 1;
	q = mem_malloc(n, file, line);
	if (!q)
		return NULL;
	memcpy(q, p, h->size < n ? h->size : n);
	mem_free(p, file, line);
	return q;
}

/* ---- certificates ---- */

struct cred {
	EVP_PKEY *key;
	X509 *cert;
};

static struct {
	struct cred ca, leaf, self, wrong, expired;
	char ca_path[64];      /* the CA as PEM, for --proxy-ca */
	char self_path[64];    /* the self-signed leaf as PEM */
	char garbage_path[64]; /* not PEM at all */
} pki;

/* add_ext() - add extension @nid = @value to @x, issued by @issuer */
static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* make_cred() - a P-256 key and a certificate for @cn with @san (or none),
 * signed by @issuer (self-signed when NULL), valid from @from to @to
 * seconds from now
 */
static struct cred make_cred(const char *cn, const char *san, bool ca,
			     const struct cred *issuer, long from, long to)
{
	static long serial = 1;
	struct cred c;
	X509_NAME *name;

	c.key = EVP_EC_gen("P-256");
	assert_non_null(c.key);
	c.cert = X509_new();
	assert_non_null(c.cert);
	X509_set_version(c.cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c.cert), serial++);
	X509_gmtime_adj(X509_getm_notBefore(c.cert), from);
	X509_gmtime_adj(X509_getm_notAfter(c.cert), to);
	X509_set_pubkey(c.cert, c.key);
	name = X509_get_subject_name(c.cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(
		c.cert, issuer ? X509_get_subject_name(issuer->cert) : name);
	add_ext(c.cert, issuer ? issuer->cert : c.cert, NID_basic_constraints,
		ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	if (ca)
		add_ext(c.cert, c.cert, NID_key_usage,
			"critical,keyCertSign,cRLSign");
	else
		add_ext(c.cert, issuer ? issuer->cert : c.cert,
			NID_ext_key_usage, "serverAuth");
	if (san)
		add_ext(c.cert, issuer ? issuer->cert : c.cert,
			NID_subject_alt_name, san);
	assert_true(X509_sign(c.cert, issuer ? issuer->key : c.key,
			      EVP_sha256()) > 0);
	return c;
}

static void free_cred(struct cred *c)
{
	X509_free(c->cert);
	EVP_PKEY_free(c->key);
}

/* write_pem() - @x as PEM into a new temporary file named into @path */
static void write_pem(X509 *x, char *path, size_t len)
{
	FILE *f;
	int fd;

	snprintf(path, len, "/tmp/test_tls.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	if (x)
		assert_int_equal(PEM_write_X509(f, x), 1);
	else
		fputs("this is not a certificate\n", f);
	assert_int_equal(fclose(f), 0);
}

static int pki_setup(void **state)
{
	(void)state;
	pki.ca = make_cred("childflow test CA", NULL, true, NULL, -3600, 86400);
	pki.leaf = make_cred("proxy.test", "DNS:proxy.test,IP:127.0.0.1,IP:::1",
			     false, &pki.ca, -3600, 86400);
	pki.self = make_cred("proxy.test", "DNS:proxy.test,IP:127.0.0.1", false,
			     NULL, -3600, 86400);
	pki.wrong = make_cred("wrong.test", "DNS:wrong.test", false, &pki.ca,
			      -3600, 86400);
	pki.expired = make_cred("proxy.test", "DNS:proxy.test", false, &pki.ca,
				-2L * 86400, -86400);
	write_pem(pki.ca.cert, pki.ca_path, sizeof(pki.ca_path));
	write_pem(pki.self.cert, pki.self_path, sizeof(pki.self_path));
	write_pem(NULL, pki.garbage_path, sizeof(pki.garbage_path));
	/* The machine's own trust store must not decide anything here */
	setenv("SSL_CERT_FILE", "/nonexistent/test_tls.pem", 1);
	setenv("SSL_CERT_DIR", "/nonexistent/test_tls.d", 1);
	return 0;
}

static int pki_teardown(void **state)
{
	(void)state;
	unlink(pki.ca_path);
	unlink(pki.self_path);
	unlink(pki.garbage_path);
	free_cred(&pki.ca);
	free_cred(&pki.leaf);
	free_cred(&pki.self);
	free_cred(&pki.wrong);
	free_cred(&pki.expired);
	return 0;
}

/* ---- a client and a server on a socketpair ---- */

struct pair {
	struct tls_ctx *ctx;
	struct tls_conn *c;
	SSL_CTX *sctx;
	SSL *s;
	int cfd, sfd;
	bool s_done, s_failed;
	char sni[256]; /* what the server saw, "" for none */
};

/* client_ctx() - tls_ctx_new() with @ca and @insecure, which must work */
static struct tls_ctx *client_ctx(const char *ca, bool insecure)
{
	struct config cfg;
	struct tls_ctx *ctx;
	char err[256] = "";

	memset(&cfg, 0, sizeof(cfg));
	cfg.proxy_ca = (char *)ca;
	cfg.proxy_insecure = insecure;
	ctx = tls_ctx_new(&cfg, err, sizeof(err));
	if (!ctx)
		fail_msg("tls_ctx_new: %s", err);
	return ctx;
}

/* sni_cb() - the server's SNI callback: note the name the client sent */
/* NOLINTNEXTLINE(readability-non-const-parameter): OpenSSL's signature */
static int sni_cb(SSL *s, int *al, void *arg)
{
	struct pair *p = arg;
	const char *n = SSL_get_servername(s, TLSEXT_NAMETYPE_host_name);

	(void)al;
	snprintf(p->sni, sizeof(p->sni), "%s", n ? n : "");
	return SSL_TLSEXT_ERR_OK;
}

/* pair_open() - client for @host with @ca/@insecure, server with @srv
 * (TLS 1.3 at most, or @max_version); @sockbuf > 0 shrinks the socket
 * buffers
 */
static void pair_open(struct pair *p, const struct cred *srv, const char *host,
		      const char *ca, bool insecure, int max_version,
		      int sockbuf)
{
	int sv[2];

	memset(p, 0, sizeof(*p));
	assert_int_equal(socketpair(AF_UNIX,
				    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
				    0, sv),
			 0);
	p->cfd = sv[0];
	p->sfd = sv[1];
	if (sockbuf > 0) {
		for (int i = 0; i < 2; i++) {
			setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &sockbuf,
				   sizeof(sockbuf));
			setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &sockbuf,
				   sizeof(sockbuf));
		}
	}

	p->ctx = client_ctx(ca, insecure);
	counting = 1;
	p->c = tls_conn_new(p->ctx, p->cfd, host);
	counting = 0;
	assert_non_null(p->c);

	p->sctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(p->sctx);
	if (max_version)
		SSL_CTX_set_max_proto_version(p->sctx, max_version);
	SSL_CTX_set_mode(p->sctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
					  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_tlsext_servername_callback(p->sctx, sni_cb);
	SSL_CTX_set_tlsext_servername_arg(p->sctx, p);
	assert_int_equal(SSL_CTX_use_certificate(p->sctx, srv->cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(p->sctx, srv->key), 1);
	p->s = SSL_new(p->sctx);
	assert_non_null(p->s);
	SSL_set_fd(p->s, p->sfd);
	SSL_set_accept_state(p->s);
}

static void pair_close(struct pair *p)
{
	counting = 1;
	tls_conn_free(p->c);
	counting = 0;
	tls_ctx_free(p->ctx);
	SSL_free(p->s);
	SSL_CTX_free(p->sctx);
	if (p->cfd >= 0)
		close(p->cfd);
	if (p->sfd >= 0)
		close(p->sfd);
	ERR_clear_error();
}

/* server_step() - one step of the server's handshake */
static void server_step(struct pair *p)
{
	int r;

	if (p->s_done || p->s_failed)
		return;
	r = SSL_do_handshake(p->s);
	if (r == 1) {
		p->s_done = true;
		return;
	}
	r = SSL_get_error(p->s, r);
	if (r != SSL_ERROR_WANT_READ && r != SSL_ERROR_WANT_WRITE)
		p->s_failed = true;
	ERR_clear_error();
}

/* pair_handshake() - step both until the client is done and the server
 * too, or one of them failed
 * Return: the client's last result
 */
static enum tls_result pair_handshake(struct pair *p)
{
	enum tls_result r = TLS_ERROR;

	for (int i = 0; i < STEPS_MAX; i++) {
		counting = 1;
		r = tls_conn_handshake(p->c);
		counting = 0;
		server_step(p);
		if (r == TLS_ERROR || (r == TLS_DONE && p->s_done))
			return r;
		if (r == TLS_DONE && p->s_failed)
			return r;
	}
	fail_msg("the handshake did not end");
	return r;
}

/* expect_fail() - the handshake fails with a detail equal to @want */
static void expect_fail(const struct cred *srv, const char *host,
			const char *ca, bool insecure, const char *want)
{
	struct pair p;
	const char *detail = NULL;

	pair_open(&p, srv, host, ca, insecure, 0, 0);
	assert_int_equal(pair_handshake(&p), TLS_ERROR);
	assert_string_equal(tls_conn_error(p.c, &detail), TLS_ERROR_CODE);
	assert_string_equal(detail, want);
	/* It stays failed */
	assert_int_equal(tls_conn_handshake(p.c), TLS_ERROR);
	pair_close(&p);
}

/* expect_ok() - the handshake works; returns tls_conn_info() in @info */
static void expect_ok(const struct cred *srv, const char *host, const char *ca,
		      bool insecure, char *info, size_t len)
{
	struct pair p;
	const char *detail = "x";

	pair_open(&p, srv, host, ca, insecure, 0, 0);
	assert_int_equal(pair_handshake(&p), TLS_DONE);
	assert_null(tls_conn_error(p.c, &detail));
	assert_string_equal(detail, "");
	if (info)
		tls_conn_info(p.c, info, len);
	pair_close(&p);
}

/* ---- the tests ---- */

static void test_host_is_ip(void **state)
{
	(void)state;
	assert_true(tls_host_is_ip("203.0.113.30"));
	assert_true(tls_host_is_ip("2001:db8::30"));
	assert_true(tls_host_is_ip("::1"));
	assert_false(tls_host_is_ip("proxy.test"));
	assert_false(tls_host_is_ip("[2001:db8::30]"));
	assert_false(tls_host_is_ip("203.0.113"));
	assert_false(tls_host_is_ip(""));
	assert_false(tls_host_is_ip(NULL));
}

static void test_ctx_errors(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.proxy_ca = "/nonexistent/ca.pem";
	assert_null(tls_ctx_new(&cfg, err, sizeof(err)));
	assert_string_equal(
		err,
		"--proxy-ca /nonexistent/ca.pem: cannot read it: No such file or directory");

	cfg.proxy_ca = pki.garbage_path;
	assert_null(tls_ctx_new(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "no PEM certificate could be loaded"));
	assert_non_null(strstr(err, pki.garbage_path));
	assert_int_equal(ERR_peek_error(), 0);
}

static void test_conn_new_errors(void **state)
{
	struct tls_ctx *ctx = client_ctx(NULL, false);
	char longname[300];

	(void)state;
	errno = 0;
	assert_null(tls_conn_new(ctx, 5, ""));
	assert_int_equal(errno, EINVAL);
	assert_null(tls_conn_new(ctx, -1, "proxy.test"));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_null(tls_conn_new(ctx, 5, longname));
	tls_conn_free(NULL);
	tls_ctx_free(ctx);
	tls_ctx_free(NULL);
}

static void test_trusted_ca(void **state)
{
	char info[TLS_DETAIL_MAX];

	(void)state;
	expect_ok(&pki.leaf, "proxy.test", pki.ca_path, false, info,
		  sizeof(info));
	assert_non_null(strstr(info, "TLSv1.3"));
	assert_null(strstr(info, "not verified"));
}

static void test_trusted_env(void **state)
{
	(void)state;
	setenv("SSL_CERT_FILE", pki.ca_path, 1);
	expect_ok(&pki.leaf, "proxy.test", NULL, false, NULL, 0);
	setenv("SSL_CERT_FILE", "/nonexistent/test_tls.pem", 1);
}

static void test_untrusted(void **state)
{
	(void)state;
	expect_fail(
		&pki.leaf, "proxy.test", NULL, false,
		"certificate verify failed: unable to get local issuer certificate");
}

static void test_self_signed(void **state)
{
	char info[TLS_DETAIL_MAX];

	(void)state;
	expect_fail(&pki.self, "proxy.test", pki.ca_path, false,
		    "certificate verify failed: self-signed certificate");
	expect_ok(&pki.self, "proxy.test", NULL, true, info, sizeof(info));
	assert_non_null(strstr(
		info,
		", chain not verified (--proxy-insecure): self-signed certificate"));
	/* The certificate itself as --proxy-ca: pinned */
	expect_ok(&pki.self, "proxy.test", pki.self_path, false, NULL, 0);
	/* Insecure, but the name is still checked */
	expect_fail(
		&pki.self, "other.test", NULL, true,
		"hostname mismatch: certificate is for proxy.test, 127.0.0.1, not other.test");
}

static void test_wrong_name(void **state)
{
	(void)state;
	expect_fail(
		&pki.wrong, "proxy.test", pki.ca_path, false,
		"hostname mismatch: certificate is for wrong.test, not proxy.test");
	expect_fail(
		&pki.wrong, "proxy.test", pki.ca_path, true,
		"hostname mismatch: certificate is for wrong.test, not proxy.test");
	expect_fail(
		&pki.wrong, "proxy.test", NULL, true,
		"hostname mismatch: certificate is for wrong.test, not proxy.test");
	/* A name is not a suffix match */
	expect_fail(
		&pki.leaf, "xproxy.test", pki.ca_path, false,
		"hostname mismatch: certificate is for proxy.test, 127.0.0.1, ::1, not xproxy.test");
}

static void test_expired(void **state)
{
	(void)state;
	expect_fail(&pki.expired, "proxy.test", pki.ca_path, false,
		    "certificate verify failed: certificate has expired");
	expect_ok(&pki.expired, "proxy.test", pki.ca_path, true, NULL, 0);
}

static void test_ip_literals(void **state)
{
	struct pair p;

	(void)state;
	pair_open(&p, &pki.leaf, "127.0.0.1", pki.ca_path, false, 0, 0);
	assert_int_equal(pair_handshake(&p), TLS_DONE);
	assert_string_equal(p.sni, ""); /* no SNI for an address */
	pair_close(&p);

	pair_open(&p, &pki.leaf, "proxy.test", pki.ca_path, false, 0, 0);
	assert_int_equal(pair_handshake(&p), TLS_DONE);
	assert_string_equal(p.sni, "proxy.test");
	pair_close(&p);

	expect_ok(&pki.leaf, "::1", pki.ca_path, false, NULL, 0);
	expect_fail(
		&pki.leaf, "127.0.0.2", pki.ca_path, false,
		"IP address mismatch: certificate is for proxy.test, 127.0.0.1, ::1, not 127.0.0.2");
	expect_fail(
		&pki.wrong, "127.0.0.1", pki.ca_path, true,
		"IP address mismatch: certificate is for wrong.test, not 127.0.0.1");
	/* The DNS name does not stand in for the address, nor the other way */
	expect_fail(
		&pki.self, "::1", NULL, true,
		"IP address mismatch: certificate is for proxy.test, 127.0.0.1, not ::1");
}

static void test_tls12(void **state)
{
	char info[TLS_DETAIL_MAX];
	struct pair p;

	(void)state;
	pair_open(&p, &pki.leaf, "proxy.test", pki.ca_path, false,
		  TLS1_2_VERSION, 0);
	assert_int_equal(pair_handshake(&p), TLS_DONE);
	tls_conn_info(p.c, info, sizeof(info));
	assert_non_null(strstr(info, "TLSv1.2"));
	pair_close(&p);

	pair_open(&p, &pki.wrong, "proxy.test", NULL, true, TLS1_2_VERSION, 0);
	assert_int_equal(pair_handshake(&p), TLS_ERROR);
	pair_close(&p);
}

static void test_not_tls(void **state)
{
	static const char reply[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
	struct pair p;
	const char *detail;

	(void)state;
	pair_open(&p, &pki.leaf, "proxy.test", pki.ca_path, false, 0, 0);
	assert_int_equal(tls_conn_handshake(p.c), TLS_WANT_READ);
	assert_int_equal(write(p.sfd, reply, sizeof(reply) - 1),
			 (ssize_t)sizeof(reply) - 1);
	assert_int_equal(tls_conn_handshake(p.c), TLS_ERROR);
	tls_conn_error(p.c, &detail);
	assert_string_equal(
		detail, "wrong version number (is the proxy speaking TLS?)");
	pair_close(&p);
}

static void test_eof_in_handshake(void **state)
{
	struct pair p;
	const char *detail;
	uint8_t hello[4096];

	(void)state;
	/* The proxy reads the ClientHello, then closes: a FIN */
	pair_open(&p, &pki.leaf, "proxy.test", pki.ca_path, false, 0, 0);
	assert_int_equal(tls_conn_handshake(p.c), TLS_WANT_READ);
	assert_true(read(p.sfd, hello, sizeof(hello)) > 0);
	close(p.sfd);
	p.sfd = -1;
	assert_int_equal(tls_conn_handshake(p.c), TLS_ERROR);
	tls_conn_error(p.c, &detail);
	assert_string_equal(
		detail, "the proxy closed the connection during the handshake");
	pair_close(&p);

	/* It closes without reading: an RST */
	pair_open(&p, &pki.leaf, "proxy.test", pki.ca_path, false, 0, 0);
	assert_int_equal(tls_conn_handshake(p.c), TLS_WANT_READ);
	close(p.sfd);
	p.sfd = -1;
	assert_int_equal(tls_conn_handshake(p.c), TLS_ERROR);
	tls_conn_error(p.c, &detail);
	assert_string_equal(detail, "socket error: Connection reset by peer");
	pair_close(&p);
}

/* server_drain() - the server reads what it can into @got (up to @cap) */
static size_t server_drain(struct pair *p, uint8_t *got, size_t have,
			   size_t cap)
{
	size_t n;

	while (have < cap && SSL_read_ex(p->s, got + have, cap - have, &n))
		have += n;
	ERR_clear_error();
	return have;
}

static uint8_t pattern_byte(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 11));
}

/* Tree-sized segments through a tiny socket buffer: every stall keeps a
 * record, nothing is lost or doubled
 */
static void test_write_stalls(void **state)
{
	uint8_t *src = malloc(BULK), *got = malloc(BULK);
	size_t off = 0, have = 0, seg = 1;
	unsigned int stalls = 0, partial = 0, flushes = 0;
	struct pair p;

	(void)state;
	assert_non_null(src);
	assert_non_null(got);
	for (size_t i = 0; i < BULK; i++)
		src[i] = pattern_byte(i);
	pair_open(&p, &pki.leaf, "proxy.test", pki.ca_path, false, 0, 4096);
	assert_int_equal(pair_handshake(&p), TLS_DONE);

	for (int i = 0; i < STEPS_MAX && have < BULK; i++) {
		size_t n = BULK - off, taken = 0;
		enum tls_result r;

		seg = seg * 31 % 65521; /* 1 .. 65520 bytes, like segments */
		if (n > seg)
			n = seg;
		if (tls_conn_unsent(p.c) && (i & 1)) {
			/* Flush only: what a stalled flow does on EPOLLOUT */
			r = tls_conn_write(p.c, NULL, 0, &taken);
			flushes++;
			assert_int_equal(taken, 0);
		} else {
			r = tls_conn_write(p.c, src + off, n, &taken);
			assert_true(taken <= n);
			if (taken < n)
				partial++;
		}
		assert_int_not_equal(r, TLS_ERROR);
		if (r == TLS_WANT_WRITE) {
			stalls++;
			assert_true(tls_conn_unsent(p.c) > 0);
			assert_true(tls_conn_unsent(p.c) <= TLS_RECORD_MAX);
		} else {
			assert_int_equal(r, TLS_DONE);
			assert_int_equal(tls_conn_unsent(p.c), 0);
		}
		off += taken;
		have = server_drain(&p, got, have, BULK);
	}
	assert_int_equal(off, BULK);
	assert_int_equal(have, BULK);
	assert_memory_equal(src, got, BULK);
	assert_true(stalls > 10);
	assert_true(partial > 10);
	assert_true(flushes > 0);
	print_message("# %u stalled writes, %u partial, %u flush-only\n",
		      stalls, partial, flushes);
	pair_close(&p);
	free(src);
	free(got);
}

/* The proxy's direction: small reads, has_pending between them; then its
 * close_notify is TLS_CLOSED, and ours reaches it
 */
static void test_read_pending_close(void **state)
{
	uint8_t *src = malloc(BULK), *got = malloc(BULK);
	size_t sent = 0, have = 0;
	unsigned int from_buffer = 0, pending_seen = 0;
	enum tls_result r;
	struct pair p;
	size_t n;

	(void)state;
	assert_non_null(src);
	assert_non_null(got);
	for (size_t i = 0; i < BULK; i++)
		src[i] = pattern_byte(i);
	pair_open(&p, &pki.leaf, "proxy.test", pki.ca_path, false, 0, 8192);
	assert_int_equal(pair_handshake(&p), TLS_DONE);

	for (int i = 0; i < STEPS_MAX && have < BULK; i++) {
		size_t w;

		if (sent < BULK &&
		    SSL_write_ex(p.s, src + sent,
				 BULK - sent < 5000 ? BULK - sent : 5000, &w))
			sent += w;
		ERR_clear_error();
		/* Read like the engine: until WANT_READ, small pieces */
		do {
			bool before = tls_conn_has_pending(p.c);

			if (tls_conn_pending(p.c))
				pending_seen++;
			r = tls_conn_read(
				p.c, got + have,
				BULK - have < 1000 ? BULK - have : 1000, &n);
			assert_true(r == TLS_DONE || r == TLS_WANT_READ);
			if (r == TLS_DONE && before)
				from_buffer++;
			have += n;
		} while (r == TLS_DONE && have < BULK);
	}
	assert_int_equal(have, BULK);
	assert_memory_equal(src, got, BULK);
	assert_true(from_buffer > 0);
	assert_true(pending_seen > 0);

	/* The proxy's close_notify */
	assert_true(SSL_shutdown(p.s) >= 0);
	assert_int_equal(tls_conn_read(p.c, got, 10, &n), TLS_CLOSED);
	assert_int_equal(n, 0);
	assert_int_equal(tls_conn_read(p.c, got, 10, &n), TLS_CLOSED);
	assert_false(tls_conn_has_pending(p.c));
	assert_null(tls_conn_error(p.c, NULL));
	/* We can still write, then close ours */
	assert_int_equal(tls_conn_write(p.c, "bye", 3, &n), TLS_DONE);
	assert_int_equal(n, 3);
	assert_int_equal(tls_conn_shutdown(p.c), TLS_DONE);
	assert_int_equal(tls_conn_shutdown(p.c), TLS_DONE);
	assert_true(SSL_read_ex(p.s, got, 10, &n));
	assert_memory_equal(got, "bye", 3);
	assert_false(SSL_read_ex(p.s, got, 10, &n));
	assert_int_equal(SSL_get_error(p.s, 0), SSL_ERROR_ZERO_RETURN);
	ERR_clear_error();
	pair_close(&p);
	free(src);
	free(got);
}

/* Our close_notify first (the tree's FIN): the proxy may still send */
static void test_half_close(void **state)
{
	struct pair p;
	uint8_t buf[64];
	size_t n;

	(void)state;
	pair_open(&p, &pki.leaf, "proxy.test", pki.ca_path, false, 0, 0);
	assert_int_equal(pair_handshake(&p), TLS_DONE);
	assert_int_equal(tls_conn_write(p.c, "request", 7, &n), TLS_DONE);
	assert_int_equal(tls_conn_shutdown(p.c), TLS_DONE);
	assert_int_equal(tls_conn_write(p.c, "more", 4, &n), TLS_ERROR);
	assert_int_equal(n, 0);
	pair_close(&p);

	pair_open(&p, &pki.leaf, "proxy.test", pki.ca_path, false, 0, 0);
	assert_int_equal(pair_handshake(&p), TLS_DONE);
	assert_int_equal(tls_conn_write(p.c, "request", 7, &n), TLS_DONE);
	assert_int_equal(tls_conn_shutdown(p.c), TLS_DONE);
	assert_true(SSL_read_ex(p.s, buf, sizeof(buf), &n));
	assert_int_equal(n, 7);
	assert_false(SSL_read_ex(p.s, buf, sizeof(buf), &n));
	assert_int_equal(SSL_get_error(p.s, 0), SSL_ERROR_ZERO_RETURN);
	ERR_clear_error();
	assert_true(SSL_write_ex(p.s, "response", 8, &n));
	assert_int_equal(tls_conn_read(p.c, buf, sizeof(buf), &n), TLS_DONE);
	assert_int_equal(n, 8);
	assert_memory_equal(buf, "response", 8);
	assert_int_equal(SSL_shutdown(p.s), 1);
	assert_int_equal(tls_conn_read(p.c, buf, sizeof(buf), &n), TLS_CLOSED);
	pair_close(&p);
}

/* A TCP FIN without close_notify after the handshake is an error */
static void test_unexpected_eof(void **state)
{
	struct pair p;
	uint8_t buf[64];
	const char *detail;
	size_t n;

	(void)state;
	pair_open(&p, &pki.leaf, "proxy.test", pki.ca_path, false, 0, 0);
	assert_int_equal(pair_handshake(&p), TLS_DONE);
	assert_true(SSL_write_ex(p.s, "partial", 7, &n));
	shutdown(p.sfd, SHUT_WR);
	assert_int_equal(tls_conn_read(p.c, buf, sizeof(buf), &n), TLS_DONE);
	assert_int_equal(n, 7);
	assert_int_equal(tls_conn_read(p.c, buf, sizeof(buf), &n), TLS_ERROR);
	assert_string_equal(tls_conn_error(p.c, &detail), "tls_failed");
	assert_string_equal(
		detail, "the proxy closed the connection without close_notify");
	assert_int_equal(tls_conn_write(p.c, "x", 1, &n), TLS_ERROR);
	assert_int_equal(tls_conn_shutdown(p.c), TLS_ERROR);
	pair_close(&p);
}

/* What one connection holds in the relay phase: its tunnel up, every
 * record read and the next awaited (idle), and with a record half read
 * (busy). The idle number is what tls.h quotes.
 */
static void test_memory_per_conn(void **state)
{
	enum { N = 16 };
	struct pair p[N];
	long long base, idle, busy;
	uint8_t buf[4096];
	size_t n;

	(void)state;
	base = counted_live;
	for (int i = 0; i < N; i++) {
		pair_open(&p[i], &pki.leaf, "proxy.test", pki.ca_path, false, 0,
			  0);
		assert_int_equal(pair_handshake(&p[i]), TLS_DONE);
		/* The CONNECT exchange, as a stand-in */
		counting = 1;
		assert_int_equal(tls_conn_write(p[i].c, "CONNECT", 7, &n),
				 TLS_DONE);
		counting = 0;
		assert_true(SSL_read_ex(p[i].s, buf, sizeof(buf), &n));
		assert_true(SSL_write_ex(p[i].s, "HTTP/1.1 200 OK\r\n\r\n", 19,
					 &n));
		counting = 1;
		assert_int_equal(tls_conn_read(p[i].c, buf, sizeof(buf), &n),
				 TLS_DONE);
		assert_int_equal(n, 19);
		assert_int_equal(tls_conn_read(p[i].c, buf, sizeof(buf), &n),
				 TLS_WANT_READ);
		counting = 0;
	}
	idle = (counted_live - base) / N;
	for (int i = 0; i < N; i++) {
		memset(buf, 'x', sizeof(buf));
		counting = 1;
		assert_int_equal(tls_conn_write(p[i].c, buf, sizeof(buf), &n),
				 TLS_DONE);
		counting = 0;
		assert_true(SSL_read_ex(p[i].s, buf, sizeof(buf), &n));
		assert_true(SSL_write_ex(p[i].s, buf, 100, &n));
		counting = 1;
		assert_int_equal(tls_conn_read(p[i].c, buf, 50, &n), TLS_DONE);
		counting = 0;
	}
	busy = (counted_live - base) / N;
	print_message(
		"# OpenSSL per connection: %lld bytes idle, %lld with a record half read\n",
		idle, busy);
	assert_true(idle > 0);
	assert_true(idle < 40LL * 1024);
	assert_true(busy < 64LL * 1024);
	for (int i = 0; i < N; i++)
		pair_close(&p[i]);
	assert_int_equal(counted_live, base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_is_ip),
		cmocka_unit_test(test_ctx_errors),
		cmocka_unit_test(test_conn_new_errors),
		cmocka_unit_test(test_trusted_ca),
		cmocka_unit_test(test_trusted_env),
		cmocka_unit_test(test_untrusted),
		cmocka_unit_test(test_self_signed),
		cmocka_unit_test(test_wrong_name),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_ip_literals),
		cmocka_unit_test(test_tls12),
		cmocka_unit_test(test_not_tls),
		cmocka_unit_test(test_eof_in_handshake),
		cmocka_unit_test(test_write_stalls),
		cmocka_unit_test(test_read_pending_close),
		cmocka_unit_test(test_half_close),
		cmocka_unit_test(test_unexpected_eof),
		cmocka_unit_test(test_memory_per_conn),
	};

	/* Before OpenSSL allocates anything */
	if (!CRYPTO_set_mem_functions(mem_malloc, mem_realloc, mem_free))
		return 1;
	return cmocka_run_group_tests_name("tls", tests, pki_setup,
					   pki_teardown);
}
