/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_tcp_tls.c - the plaintext buffers of TLS flows (src/engine/tcp_tls.c)
 * against an OpenSSL server on a socketpair
 *
 * Bytes for the tree stay until acknowledged and can be copied again from
 * any offset, across the ring's wrap; reading from TLS stops when the
 * buffer is full and resumes on ACK; the tree's bytes are taken only as far
 * as the window says and reach the server intact; the tree's FIN becomes
 * close_notify and SHUT_WR; the server's close_notify ends the stream, and
 * a cut without it is an error, reported only once everything before it
 * was acknowledged. The buffers start at TCP_TLS_RING_MIN and grow only
 * when the bytes in flight need it, keeping their bytes in order across a
 * growth while wrapped; the run's budget refuses growth (the flow goes on
 * at its size, intact); a failed allocation fails the flow closed; an
 * empty to_child ring can go back to its first size.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "engine/tcp_tls.h"
#include "proxy/tls.h"

#define RX	   TCP_TLS_BUF_TO_CHILD
#define TX	   TCP_TLS_BUF_FROM_CHILD
#define RING_MIN   ((size_t)TCP_TLS_RING_MIN)
#define MAX_ROUNDS 1000000 /* no test may spin for ever */

static EVP_PKEY *srv_key;
static X509 *srv_cert;

struct pair {
	struct tcp_tls *tt;
	SSL_CTX *sctx;
	SSL *s;
	int cfd, sfd;
};

/* pattern() - byte @i of the test streams: not periodic in the ring size */
static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 131 + (i >> 11) + (i >> 19));
}

static void fill_pattern(uint8_t *buf, size_t from, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = pattern(from + i);
}

static void check_pattern(const uint8_t *buf, size_t from, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] != pattern(from + i))
			fail_msg("byte %zu: %u, expected %u", from + i, buf[i],
				 pattern(from + i));
	}
}

/* setup_all() - a self-signed certificate for proxy.test, and the TLS
 * context tcp_tls_init() builds for -p https://proxy.test:443
 * --proxy-insecure (the name is still checked)
 */
static int setup_all(void **state)
{
	struct config cfg;
	X509_EXTENSION *ext;
	X509V3_CTX v3;
	X509_NAME *name;
	char err[256] = "";

	(void)state;
	setenv("SSL_CERT_FILE", "/nonexistent/test_tcp_tls.pem", 1);
	setenv("SSL_CERT_DIR", "/nonexistent/test_tcp_tls.d", 1);
	srv_key = EVP_EC_gen("P-256");
	assert_non_null(srv_key);
	srv_cert = X509_new();
	assert_non_null(srv_cert);
	X509_set_version(srv_cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(srv_cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(srv_cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(srv_cert), 86400);
	X509_set_pubkey(srv_cert, srv_key);
	name = X509_get_subject_name(srv_cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)"proxy.test", -1, -1,
				   0);
	X509_set_issuer_name(srv_cert, name);
	X509V3_set_ctx(&v3, srv_cert, srv_cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
				  "DNS:proxy.test");
	assert_non_null(ext);
	X509_add_ext(srv_cert, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(srv_cert, srv_key, EVP_sha256()) > 0);

	memset(&cfg, 0, sizeof(cfg));
	cfg.has_proxy = true;
	cfg.proxy.scheme = PROXY_HTTPS;
	cfg.proxy_insecure = true;
	if (tcp_tls_init(&cfg, err, sizeof(err)))
		fail_msg("tcp_tls_init: %s", err);
	return 0;
}

static int teardown_all(void **state)
{
	(void)state;
	tcp_tls_fini();
	X509_free(srv_cert);
	EVP_PKEY_free(srv_key);
	return 0;
}

/* Allocations tcp_tls_alloc() lets through before it fails; -1: all */
static int alloc_left = -1;

/* test_alloc() - malloc() until alloc_left runs out */
static void *test_alloc(size_t size)
{
	if (!alloc_left)
		return NULL;
	if (alloc_left > 0)
		alloc_left--;
	return malloc(size);
}

/* pair_handshake() - a socketpair (with @sockbuf bytes of socket buffers
 * each way when > 0), our TLS state on one end, an OpenSSL server on the
 * other, both handshaken; no tunnel yet
 */
static void pair_handshake(struct pair *p, int sockbuf)
{
	bool c_done = false, s_done = false;
	int sv[2], round;

	/* what a run has, even after a test that failed half-way */
	tcp_tls_budget = TCP_TLS_BUDGET;
	tcp_tls_alloc = malloc;
	alloc_left = -1;
	memset(p, 0, sizeof(*p));
	assert_int_equal(socketpair(AF_UNIX,
				    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
				    0, sv),
			 0);
	p->cfd = sv[0];
	p->sfd = sv[1];
	for (int i = 0; sockbuf > 0 && i < 2; i++) {
		setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &sockbuf,
			   sizeof(sockbuf));
		setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &sockbuf,
			   sizeof(sockbuf));
	}
	p->tt = tcp_tls_new(p->cfd, "proxy.test");
	assert_non_null(p->tt);
	p->sctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(p->sctx);
	SSL_CTX_set_mode(p->sctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
					  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	assert_int_equal(SSL_CTX_use_certificate(p->sctx, srv_cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(p->sctx, srv_key), 1);
	p->s = SSL_new(p->sctx);
	assert_non_null(p->s);
	SSL_set_fd(p->s, p->sfd);
	SSL_set_accept_state(p->s);
	for (round = 0; round < 100 && !(c_done && s_done); round++) {
		enum tls_result r = tls_conn_handshake(tcp_tls_conn(p->tt));

		assert_int_not_equal(r, TLS_ERROR);
		c_done = r == TLS_DONE;
		if (!s_done) {
			int k = SSL_do_handshake(p->s);

			s_done = k == 1;
			if (!s_done) {
				k = SSL_get_error(p->s, k);
				assert_true(k == SSL_ERROR_WANT_READ ||
					    k == SSL_ERROR_WANT_WRITE);
			}
		}
	}
	assert_true(c_done && s_done);
}

/* pair_open() - pair_handshake(), then the tunnel starts with @early */
static void pair_open(struct pair *p, const uint8_t *early, size_t n,
		      int sockbuf)
{
	pair_handshake(p, sockbuf);
	assert_int_equal(tcp_tls_relay_start(p->tt, early, n), 0);
}

/* pair_close() - free everything of @p; the run's rings are all gone
 * again, and the seams are back to what a run has
 */
static void pair_close(struct pair *p)
{
	tcp_tls_free(p->tt);
	assert_int_equal(tcp_tls_mem(), 0);
	tcp_tls_budget = TCP_TLS_BUDGET;
	tcp_tls_alloc = malloc;
	alloc_left = -1;
	SSL_free(p->s);
	SSL_CTX_free(p->sctx);
	close(p->cfd);
	if (p->sfd >= 0)
		close(p->sfd);
	ERR_clear_error();
}

/* srv_send() - the server sends stream bytes @from .. @from + @n, as many
 * as the socket takes now
 * Return: how many
 */
static size_t srv_send(struct pair *p, size_t from, size_t n)
{
	static uint8_t buf[65536];
	size_t done = 0;

	while (done < n) {
		size_t k = n - done < sizeof(buf) ? n - done : sizeof(buf), w;

		fill_pattern(buf, from + done, k);
		if (SSL_write_ex(p->s, buf, k, &w) != 1) {
			int e = SSL_get_error(p->s, 0);

			assert_true(e == SSL_ERROR_WANT_WRITE ||
				    e == SSL_ERROR_WANT_READ);
			ERR_clear_error();
			break;
		}
		done += w;
	}
	return done;
}

/* srv_recv() - the server reads what has come, checking it against the
 * stream at *@at
 * Return: 1 while open, 0 once close_notify was read
 */
static int srv_recv(struct pair *p, size_t *at)
{
	static uint8_t buf[65536];
	size_t got;

	for (;;) {
		if (SSL_read_ex(p->s, buf, sizeof(buf), &got) == 1) {
			check_pattern(buf, *at, got);
			*at += got;
			continue;
		}
		switch (SSL_get_error(p->s, 0)) {
		case SSL_ERROR_WANT_READ:
		case SSL_ERROR_WANT_WRITE:
			ERR_clear_error();
			return 1;
		case SSL_ERROR_ZERO_RETURN:
			ERR_clear_error();
			return 0;
		default:
			fail_msg("server read failed");
		}
	}
}

/* to_child() - tcp_tls_to_child() into @buf (@len), split over two iovecs
 * so that both get used
 */
static ssize_t to_child(struct pair *p, size_t off, uint8_t *buf, size_t len)
{
	struct iovec iov[2] = {
		{.iov_base = buf, .iov_len = len / 3},
		{.iov_base = buf + len / 3, .iov_len = len - len / 3},
	};

	return tcp_tls_to_child(p->tt, off, iov, 2);
}

/* to_child_wait() - to_child() until it has news (not -EAGAIN), for what
 * the server just sent to arrive
 */
static ssize_t to_child_wait(struct pair *p, size_t off, uint8_t *buf,
			     size_t len)
{
	ssize_t n = -EAGAIN;
	int round;

	for (round = 0; round < 100 && n == -EAGAIN; round++)
		n = to_child(p, off, buf, len);
	return n;
}

/* Every byte reaches the tree in order, across many wraps of the ring,
 * with the tunnel's first bytes first; unacknowledged bytes can be copied
 * again from any offset; ACKs of odd sizes
 */
static void test_to_child_wraps(void **state)
{
	static uint8_t buf[3 * 65536];
	const size_t total = 4u << 20, early = 100;
	size_t sent = early, acked = 0, round = 0;
	uint8_t first[100];
	struct pair p;

	(void)state;
	fill_pattern(first, 0, early);
	pair_open(&p, first, early, 0);
	while (acked < total) {
		ssize_t n;

		assert_true(++round < MAX_ROUNDS);
		sent += srv_send(&p, sent,
				 total - sent < 50000 ? total - sent : 50000);
		n = to_child(&p, 0, buf, sizeof(buf));
		if (n == -EAGAIN)
			continue;
		assert_true(n > 0);
		assert_true((size_t)n <= RX);
		check_pattern(buf, acked, (size_t)n);
		if (n > 10) {
			/* a retransmission from the middle */
			ssize_t m = to_child(&p, (size_t)n / 2, buf, 1000);

			assert_true(m > 0);
			check_pattern(buf, acked + (size_t)n / 2, (size_t)m);
		}
		n = n < (ssize_t)(7001 + (round % 7) * 9973)
			    ? n
			    : (ssize_t)(7001 + (round % 7) * 9973);
		assert_int_equal(tcp_tls_acked(p.tt, (size_t)n), n);
		acked += (size_t)n;
	}
	assert_int_equal(acked, total);
	pair_close(&p);
}

/* Reading stops when the buffer is full (the rest waits in OpenSSL and the
 * socket) and resumes as soon as the tree acknowledges
 */
static void test_to_child_stops_when_full(void **state)
{
	static uint8_t buf[65536];
	const size_t total = RX + 300000;
	size_t sent = 0, have = 0, base, round = 0;
	struct pair p;
	ssize_t n;

	(void)state;
	pair_open(&p, NULL, 0, 0);
	/* the tree never ACKs: we get exactly the buffer's worth */
	while (sent < total || have < RX) {
		assert_true(++round < MAX_ROUNDS);
		sent += srv_send(&p, sent, total - sent);
		n = to_child(&p, have, buf, sizeof(buf));
		if (n == -EAGAIN) {
			if (have == RX)
				break; /* full: the server is stuck too */
			continue;
		}
		assert_true(n > 0);
		check_pattern(buf, have, (size_t)n);
		have += (size_t)n;
		assert_true(have <= RX);
	}
	assert_int_equal(have, RX);
	assert_int_equal(to_child(&p, have, buf, sizeof(buf)), -EAGAIN);
	/* an ACK makes room: the rest comes, in order */
	assert_int_equal(tcp_tls_acked(p.tt, 100000), 100000);
	base = 100000;
	have -= 100000;
	while (base + have < total) {
		assert_true(++round < MAX_ROUNDS);
		sent += srv_send(&p, sent, total - sent);
		n = to_child(&p, have, buf, sizeof(buf));
		if (n == -EAGAIN)
			continue;
		assert_true(n > 0);
		check_pattern(buf, base + have, (size_t)n);
		have += (size_t)n;
		assert_int_equal(tcp_tls_acked(p.tt, have), (ssize_t)have);
		base += have;
		have = 0;
	}
	assert_int_equal(base, total);
	pair_close(&p);
}

/* from_child_run() - the tree's bytes are taken as far as the window (the
 * free space of the buffer) goes, and reach the server intact when it
 * reads; the FIN becomes close_notify, then SHUT_WR. @sockbuf: socket
 * buffer size, or 0 for the default; the server reads whenever the
 * window is closed, and every @every rounds once it was. @grow: the
 * buffer may grow to its cap (and must, as the socket is behind); else
 * the budget holds it at twice TCP_TLS_RING_MIN (TLS takes a whole
 * record, TLS_RECORD_MAX, when it can, so a ring of one record would be
 * emptied at every push and never wrap). @odd: the tree's segments have sizes
 * that are not a divisor of the buffer's, so that TLS's pushes end
 * anywhere in it, and often at its very end
 */
static void from_child_run(int sockbuf, size_t every, bool grow, bool odd)
{
	static uint8_t buf[100000];
	const size_t total = 3u << 20;
	size_t taken = 0, at = 0, round = 0, wnd, wnd_max = 0;
	bool was_full = false;
	struct pair p;
	ssize_t n;

	pair_open(&p, NULL, 0, sockbuf);
	if (!grow) /* from_child may double once; to_child is never used */
		tcp_tls_budget = 2 * RING_MIN;
	assert_int_equal(tcp_tls_wnd(p.tt), RING_MIN);
	while (taken < total) {
		size_t want = odd ? 1 + (round * 7919) % 9001 : sizeof(buf);

		if (want > total - taken)
			want = total - taken;
		assert_true(++round < MAX_ROUNDS);
		wnd = tcp_tls_wnd(p.tt);
		if (wnd > wnd_max)
			wnd_max = wnd;
		fill_pattern(buf, taken, want);
		n = tcp_tls_from_child(p.tt, buf, want);
		assert_true(n >= 0);
		/* never more than the window said */
		assert_true((size_t)n <= wnd);
		assert_true((size_t)n == (want < wnd ? want : wnd));
		taken += (size_t)n;
		if (!tcp_tls_wnd(p.tt))
			was_full = true;
		/* the server reads once the window has closed, then now
		 * and then
		 */
		if (!tcp_tls_wnd(p.tt) || (was_full && round % every == 0)) {
			assert_int_equal(srv_recv(&p, &at), 1);
			assert_int_equal(tcp_tls_flush(p.tt), 0);
		}
	}
	assert_true(was_full);
	assert_true(wnd_max > RING_MIN && wnd_max <= TX);
	if (!grow)
		assert_int_equal(tcp_tls_mem(), 2 * RING_MIN);
	assert_int_equal(tcp_tls_fin_from_child(p.tt), 0);
	for (round = 0; srv_recv(&p, &at); round++) {
		assert_true(round < MAX_ROUNDS);
		assert_int_equal(tcp_tls_flush(p.tt), 0);
	}
	assert_int_equal(at, total);
	assert_true(tcp_tls_idle(p.tt));
	/* SHUT_WR after close_notify: the server's socket reads EOF */
	assert_int_equal(recv(p.sfd, buf, sizeof(buf), 0), 0);
	pair_close(&p);
}

/* Small socket buffers: TLS takes the buffer a record or two at a time, so
 * that its start moves round the ring, which grows to its cap
 */
static void test_from_child_small_socket(void **state)
{
	(void)state;
	from_child_run(16384, 8, true, false);
}

/* Default socket buffers and a server that reads at once: one push often
 * takes the buffer up to its end
 */
static void test_from_child_default_socket(void **state)
{
	(void)state;
	from_child_run(0, 1, true, false);
}

/* A ring the budget holds at two records and segments of odd sizes.
 * TLS takes whole records, so the ring's start moves by records; the
 * bytes up to its very end go to TLS in one piece when the ring is full
 * and wrapped after a stall (start one record in) and the socket then has
 * room for all of them: the server reads only when the window has closed,
 * from socket buffers larger than the ring. An over-read at the end would
 * put a foreign byte into the stream (and ASan would see it too).
 */
static void test_from_child_ring_end(void **state)
{
	(void)state;
	from_child_run(0, MAX_ROUNDS, false, true);
}

/* The same with tiny socket buffers: TLS stalls on almost every record */
static void test_from_child_ring_end_small(void **state)
{
	(void)state;
	from_child_run(4096, 3, false, true);
}

/* The same with the ring free to grow and odd segments */
static void test_from_child_grows_odd(void **state)
{
	(void)state;
	from_child_run(4096, 5, true, true);
}

/* to_child_prefix() - the tree reads what is held from @off (@len at
 * most), waiting for the server's bytes; checks them against the stream
 * at @base + @off
 * Return: bytes read
 */
static size_t to_child_prefix(struct pair *p, size_t base, size_t off,
			      size_t len)
{
	static uint8_t buf[RX];
	ssize_t n = -EAGAIN;
	int round;

	assert_true(len <= sizeof(buf));
	for (round = 0; round < 1000 && n == -EAGAIN; round++)
		n = to_child(p, off, buf, len);
	assert_true(n > 0);
	check_pattern(buf, base + off, (size_t)n);
	return (size_t)n;
}

/* The to_child ring grows only when the tree asks for more than it holds,
 * and keeps its bytes in order when it grows while wrapped
 */
static void test_to_child_grows_wrapped(void **state)
{
	const size_t first = 10000;
	struct pair p;

	(void)state;
	pair_open(&p, NULL, 0, 0);
	/* no ring while there is nothing to read (after what TLS itself
	 * had to read: the server's session tickets)
	 */
	assert_int_equal(to_child(&p, 0, (uint8_t[16]){0}, 16), -EAGAIN);
	tcp_tls_trim(p.tt);
	assert_int_equal(tcp_tls_mem(), 0);
	assert_int_equal(to_child(&p, 0, (uint8_t[16]){0}, 16), -EAGAIN);
	assert_int_equal(tcp_tls_mem(), 0);
	assert_int_equal(srv_send(&p, 0, 200000), 200000);
	/* the ring full, and no more asked for: no growth */
	assert_int_equal(to_child_prefix(&p, 0, 0, RING_MIN), RING_MIN);
	assert_int_equal(tcp_tls_mem(), RING_MIN);
	/* ACK some: the next bytes go round the end of the ring */
	assert_int_equal(tcp_tls_acked(p.tt, first), first);
	assert_int_equal(to_child_prefix(&p, first, RING_MIN - first, first),
			 first);
	assert_int_equal(tcp_tls_mem(), RING_MIN);
	/* the tree's window asks for more: it grows (twice), wrapped */
	assert_int_equal(to_child_prefix(&p, first, RING_MIN, 3 * RING_MIN),
			 3 * RING_MIN);
	assert_int_equal(tcp_tls_mem(), 4 * RING_MIN);
	/* everything held is still there, in order, from the oldest byte */
	assert_int_equal(to_child_prefix(&p, first, 0, 4 * RING_MIN),
			 4 * RING_MIN);
	assert_int_equal(tcp_tls_mem(), 4 * RING_MIN);
	/* and the rest of the stream follows */
	assert_int_equal(tcp_tls_acked(p.tt, 4 * RING_MIN), 4 * RING_MIN);
	assert_int_equal(to_child_prefix(&p, first + 4 * RING_MIN, 0, RX),
			 200000 - first - 4 * RING_MIN);
	pair_close(&p);
}

/* tcp_tls_trim(): an empty to_child ring is freed (not one that holds
 * bytes), and comes back, growing as needed, when bytes do; an empty
 * from_child ring is freed while it never grew (the window stays), not
 * once it did; the streams go on intact both ways
 */
static void test_trim(void **state)
{
	static uint8_t buf[3 * RING_MIN];
	const size_t total = 200000, first = 4 * RING_MIN;
	size_t at = 0;
	struct pair p;
	int round;

	(void)state;
	pair_open(&p, NULL, 0, 0);
	assert_int_equal(srv_send(&p, 0, total), total);
	assert_int_equal(to_child_prefix(&p, 0, 0, first), first);
	assert_int_equal(tcp_tls_mem(), first);
	tcp_tls_trim(p.tt); /* holds bytes: stays */
	assert_int_equal(tcp_tls_mem(), first);
	assert_int_equal(tcp_tls_acked(p.tt, first), first);
	tcp_tls_trim(p.tt);
	assert_int_equal(tcp_tls_mem(), 0);
	assert_int_equal(to_child_prefix(&p, first, 0, RX), total - first);
	assert_int_equal(tcp_tls_acked(p.tt, total - first), total - first);
	/* from_child: a few bytes, taken by TLS, then quiet */
	fill_pattern(buf, 0, 1000);
	assert_int_equal(tcp_tls_from_child(p.tt, buf, 1000), 1000);
	assert_int_equal(tcp_tls_mem(), RX + RING_MIN); /* to_child grew */
	tcp_tls_trim(p.tt);
	assert_int_equal(tcp_tls_mem(), 0);
	assert_int_equal(tcp_tls_wnd(p.tt), RING_MIN);
	/* a full window grows it; then it stays, and so does its window */
	fill_pattern(buf, 1000, sizeof(buf));
	assert_int_equal(tcp_tls_from_child(p.tt, buf, sizeof(buf)), RING_MIN);
	for (round = 0; round < 1000 && !tcp_tls_idle(p.tt); round++) {
		assert_int_equal(srv_recv(&p, &at), 1);
		assert_int_equal(tcp_tls_flush(p.tt), 0);
	}
	assert_true(tcp_tls_idle(p.tt));
	assert_int_equal(tcp_tls_wnd(p.tt), 2 * RING_MIN);
	tcp_tls_trim(p.tt);
	assert_int_equal(tcp_tls_wnd(p.tt), 2 * RING_MIN);
	assert_int_equal(tcp_tls_mem(), 2 * RING_MIN);
	for (round = 0; round < 100 && at < 1000 + RING_MIN; round++)
		assert_int_equal(srv_recv(&p, &at), 1);
	assert_int_equal(at, 1000 + RING_MIN);
	pair_close(&p);
}

/* Early bytes beyond TCP_TLS_RING_MIN get a to_child ring that holds
 * them; from_child has none yet
 */
static void test_early_beyond_min(void **state)
{
	static uint8_t early[RING_MIN + 5000];
	struct pair p;

	(void)state;
	fill_pattern(early, 0, sizeof(early));
	pair_open(&p, early, sizeof(early), 0);
	assert_int_equal(tcp_tls_mem(), 2 * RING_MIN);
	assert_int_equal(to_child_prefix(&p, 0, 0, RX), sizeof(early));
	pair_close(&p);
}

/* The budget refuses growth: the flow goes on at the size it has, and
 * every byte arrives, in order, both ways
 */
static void test_budget_refuses_growth(void **state)
{
	static uint8_t buf[65536];
	const size_t total = 300000;
	size_t sent = 0, acked = 0, taken = 0, at = 0, round = 0;
	struct pair p;

	(void)state;
	pair_open(&p, NULL, 0, 4096);
	tcp_tls_budget = RING_MIN; /* no growth: the first rings are given */
	/* to the tree: never more than the ring holds, however much is asked */
	while (acked < total) {
		ssize_t n;

		assert_true(++round < MAX_ROUNDS);
		sent += srv_send(&p, sent, total - sent);
		n = to_child(&p, 0, buf, sizeof(buf));
		if (n == -EAGAIN)
			continue;
		assert_true(n > 0 && n <= (ssize_t)RING_MIN);
		check_pattern(buf, acked, (size_t)n);
		assert_int_equal(tcp_tls_acked(p.tt, (size_t)n), n);
		acked += (size_t)n;
	}
	assert_int_equal(tcp_tls_mem(), RING_MIN);
	/* from the tree, with the server behind: the window stays small */
	while (taken < total) {
		size_t want = total - taken < sizeof(buf) ? total - taken
							  : sizeof(buf);
		ssize_t n;

		assert_true(++round < MAX_ROUNDS);
		assert_true(tcp_tls_wnd(p.tt) <= RING_MIN);
		fill_pattern(buf, taken, want);
		n = tcp_tls_from_child(p.tt, buf, want);
		assert_true(n >= 0);
		taken += (size_t)n;
		if (!tcp_tls_wnd(p.tt)) {
			assert_int_equal(srv_recv(&p, &at), 1);
			assert_int_equal(tcp_tls_flush(p.tt), 0);
		}
	}
	assert_int_equal(tcp_tls_mem(), 2 * RING_MIN);
	assert_int_equal(tcp_tls_fin_from_child(p.tt), 0);
	for (round = 0; srv_recv(&p, &at); round++) {
		assert_true(round < MAX_ROUNDS);
		assert_int_equal(tcp_tls_flush(p.tt), 0);
	}
	assert_int_equal(at, total);
	pair_close(&p);
}

/* An allocation for the to_child ring's growth fails: the flow fails
 * closed, and says why; nothing more goes either way
 */
static void test_nomem_to_child(void **state)
{
	uint8_t buf[65536];
	struct pair p;
	ssize_t n = -EAGAIN;
	int round;

	(void)state;
	pair_open(&p, NULL, 0, 0);
	tcp_tls_alloc = test_alloc;
	alloc_left = 1; /* the first ring, not its growth */
	assert_int_equal(srv_send(&p, 0, 100000), 100000);
	for (round = 0; round < 1000 && n == -EAGAIN; round++)
		n = to_child(&p, 0, buf, sizeof(buf));
	assert_int_equal(n, -ENOMEM);
	assert_true(tcp_tls_nomem(p.tt));
	assert_string_not_equal(tcp_tls_detail(p.tt), "");
	assert_int_equal(tcp_tls_wnd(p.tt), 0);
	assert_int_equal(to_child(&p, 0, buf, 100), -ENOMEM);
	errno = 0;
	assert_int_equal(tcp_tls_from_child(p.tt, buf, 100), -1);
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(tcp_tls_mem(), RING_MIN);
	pair_close(&p);
}

/* An allocation for the from_child ring's growth fails: the flow fails
 * closed; what reached the server is the stream's start, intact, and no
 * more than the tree had offered (taken, and the failed call's bytes)
 */
static void test_nomem_from_child(void **state)
{
	static uint8_t buf[65536];
	size_t taken = 0, at = 0, round = 0;
	struct pair p;
	ssize_t n = 0;

	(void)state;
	pair_open(&p, NULL, 0, 4096);
	tcp_tls_alloc = test_alloc;
	alloc_left = 1; /* the first ring, not its growth */
	while (n >= 0) {
		assert_true(++round < MAX_ROUNDS);
		assert_true(tcp_tls_wnd(p.tt) <= RING_MIN);
		fill_pattern(buf, taken, sizeof(buf));
		n = tcp_tls_from_child(p.tt, buf, sizeof(buf));
		if (n > 0)
			taken += (size_t)n;
	}
	assert_int_equal(errno, ENOMEM);
	assert_true(tcp_tls_nomem(p.tt));
	assert_int_equal(tcp_tls_wnd(p.tt), 0);
	assert_true(taken <= RING_MIN);
	assert_int_equal(srv_recv(&p, &at), 1);
	assert_true(at <= taken + RING_MIN);
	pair_close(&p);
}

/* The first allocation of a ring fails: for early bytes at the start of
 * the tunnel (nothing kept or counted), for the first bytes from TLS, for
 * the tree's first bytes: each fails the flow closed
 */
static void test_nomem_first(void **state)
{
	uint8_t early[10] = {0}, buf[100];
	struct pair p;
	ssize_t n = -EAGAIN;
	int round;

	(void)state;
	pair_handshake(&p, 0);
	tcp_tls_alloc = test_alloc;
	alloc_left = 0;
	assert_int_equal(tcp_tls_relay_start(p.tt, early, sizeof(early)),
			 -ENOMEM);
	assert_int_equal(tcp_tls_mem(), 0);
	assert_int_equal(tcp_tls_wnd(p.tt), 0);
	pair_close(&p);

	pair_open(&p, NULL, 0, 0);
	tcp_tls_alloc = test_alloc;
	alloc_left = 0;
	assert_int_equal(srv_send(&p, 0, 100), 100);
	for (round = 0; round < 1000 && n == -EAGAIN; round++)
		n = to_child(&p, 0, buf, sizeof(buf));
	assert_int_equal(n, -ENOMEM);
	assert_int_equal(tcp_tls_wnd(p.tt), 0);
	pair_close(&p);

	pair_open(&p, NULL, 0, 0);
	tcp_tls_alloc = test_alloc;
	alloc_left = 0;
	assert_int_equal(tcp_tls_wnd(p.tt), RING_MIN);
	errno = 0;
	assert_int_equal(tcp_tls_from_child(p.tt, buf, sizeof(buf)), -1);
	assert_int_equal(errno, ENOMEM);
	assert_true(tcp_tls_nomem(p.tt));
	assert_int_equal(tcp_tls_mem(), 0);
	pair_close(&p);
}

/* The server's close_notify: the stream ends once everything before it
 * was copied; what is not acknowledged can still be copied again
 */
static void test_close_notify_is_eof(void **state)
{
	uint8_t buf[4096];
	struct pair p;
	ssize_t n;

	(void)state;
	pair_open(&p, NULL, 0, 0);
	assert_int_equal(srv_send(&p, 0, 1000), 1000);
	assert_true(SSL_shutdown(p.s) >= 0);
	n = to_child_wait(&p, 0, buf, sizeof(buf));
	assert_int_equal(n, 1000);
	check_pattern(buf, 0, 1000);
	assert_int_equal(to_child(&p, 1000, buf, sizeof(buf)), 0);
	assert_int_equal(to_child(&p, 0, buf, sizeof(buf)), 1000);
	assert_int_equal(tcp_tls_acked(p.tt, 1000), 1000);
	assert_int_equal(to_child(&p, 0, buf, sizeof(buf)), 0);
	assert_string_equal(tcp_tls_detail(p.tt), "");
	pair_close(&p);
}

/* A cut without close_notify (it could be made on the path): the bytes
 * before it still go to the tree, then an error, once they are acked
 */
static void test_cut_is_error_after_ack(void **state)
{
	uint8_t buf[4096];
	struct pair p;
	ssize_t n;

	(void)state;
	pair_open(&p, NULL, 0, 0);
	assert_int_equal(srv_send(&p, 0, 1000), 1000);
	shutdown(p.sfd, SHUT_RDWR);
	n = to_child_wait(&p, 0, buf, sizeof(buf));
	assert_int_equal(n, 1000);
	check_pattern(buf, 0, 1000);
	/* in flight: wait for the tree's ACK */
	assert_int_equal(to_child(&p, 1000, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(tcp_tls_acked(p.tt, 1000), 1000);
	assert_int_equal(to_child(&p, 0, buf, sizeof(buf)), -EPROTO);
	assert_string_not_equal(tcp_tls_detail(p.tt), "");
	pair_close(&p);
}

/* An ACK beyond what is held is refused, not trusted */
static void test_ack_beyond(void **state)
{
	uint8_t early[10] = {0}, buf[64];
	struct pair p;

	(void)state;
	pair_open(&p, early, sizeof(early), 0);
	assert_int_equal(to_child(&p, 0, buf, sizeof(buf)), 10);
	assert_int_equal(tcp_tls_acked(p.tt, 11), -1);
	assert_int_equal(tcp_tls_acked(p.tt, 10), 10);
	assert_int_equal(to_child(&p, 1, buf, sizeof(buf)), -EINVAL);
	pair_close(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_to_child_wraps),
		cmocka_unit_test(test_to_child_stops_when_full),
		cmocka_unit_test(test_from_child_small_socket),
		cmocka_unit_test(test_from_child_default_socket),
		cmocka_unit_test(test_from_child_ring_end),
		cmocka_unit_test(test_from_child_ring_end_small),
		cmocka_unit_test(test_from_child_grows_odd),
		cmocka_unit_test(test_to_child_grows_wrapped),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_early_beyond_min),
		cmocka_unit_test(test_budget_refuses_growth),
		cmocka_unit_test(test_nomem_to_child),
		cmocka_unit_test(test_nomem_from_child),
		cmocka_unit_test(test_nomem_first),
		cmocka_unit_test(test_close_notify_is_eof),
		cmocka_unit_test(test_cut_is_error_after_ack),
		cmocka_unit_test(test_ack_beyond),
	};

	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
