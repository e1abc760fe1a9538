/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * tls.c - TLS to an https:// upstream proxy, with OpenSSL 3, non-blocking
 *
 * Theory of operation
 * -------------------
 * With `-p https://host:port` every TCP flow of the tree becomes three
 * layers on one host socket: TCP to the proxy, TLS inside it, and an HTTP
 * CONNECT tunnel inside TLS. The engine owns the socket and its epoll
 * registration; this file owns only the TLS state (one SSL per socket) and
 * never blocks, sleeps or polls: each call does what the socket allows now
 * and says which readiness (TLS_WANT_READ / TLS_WANT_WRITE) to wait for.
 *
 * The engine drives one flow like this:
 *
 *   1. TCP: non-blocking connect() to the proxy; EPOLLOUT and SO_ERROR 0.
 *      The tree's SYN is still unanswered.
 *   2. TLS: tls_conn_new(), then tls_conn_handshake() on each readiness it
 *      asks for, until TLS_DONE. TLS_ERROR fails the flow with
 *      connect_result.error "tls_failed" and tls_conn_error()'s detail; the
 *      tree sees what a failed direct connect looks like (an RST).
 *   3. CONNECT: the proxy_hs_*() state machine of handshake.h, fed through
 *      tls_conn_write() and tls_conn_read() instead of send() and recv().
 *      A read may bring the CONNECT reply and the tunnel's first bytes in
 *      one record: what proxy_hs_feed() did not consume is payload for the
 *      tree. PROXY_HS_DONE: answer the tree's SYN.
 *   4. Relay. Tree to proxy: segment payload goes to tls_conn_write(); the
 *      ACK covers *taken. Proxy to tree: tls_conn_read() into the engine's
 *      own buffer, then out to the tree, as much as its window allows.
 *      epoll does not see bytes OpenSSL has already taken off the socket,
 *      so after EPOLLIN the engine reads until TLS_WANT_READ, or checks
 *      tls_conn_has_pending() whenever the tree's window reopens.
 *   5. End. The tree's FIN: tls_conn_shutdown() (close_notify), then
 *      shutdown(SHUT_WR); reading goes on. TLS_CLOSED from a read (the
 *      proxy's close_notify) is the proxy's FIN. TLS_ERROR, including a TCP
 *      FIN without close_notify, resets the tree's side: a FIN forged on the
 *      path must not make a cut-short download look complete (that is why
 *      SSL_OP_IGNORE_UNEXPECTED_EOF is not set).
 *
 * Why the plain-TCP zero-copy path cannot apply. For a plain flow the host
 * socket's receive queue is the engine's retransmission buffer: bytes are
 * MSG_PEEKed (at SO_PEEK_OFF) into frames for the tree and leave the
 * socket only when the tree ACKs them, so the engine keeps no data of its
 * own. With TLS the queue holds ciphertext. Plaintext exists only after
 * SSL_read() has consumed and decrypted whole records, and SSL_peek() can
 * look only inside the current record, not at an offset. So a TLS flow
 * must copy: decrypted bytes the tree has not ACKed yet live in an
 * engine-side buffer per flow (bounded by the window the engine
 * advertises), and each byte is copied once more into a frame; towards
 * the proxy each byte is copied into OpenSSL's record buffer, encrypted,
 * then written. The costs are that memory, two copies and the cipher per
 * byte, and a window towards the tree that only approximates the socket's
 * free space (each record adds 21 to 29 bytes). Kernel TLS (kTLS), which
 * decrypts inside the socket, might one day make plaintext peekable again;
 * nothing here relies on it.
 *
 * Writes. OpenSSL requires that an SSL_write() that returned WANT_* be
 * repeated with the same bytes: part of the record may already be on the
 * wire. The tree's segment is gone by then (the engine ACKs or drops it),
 * so tls_conn_write() copies that one record's bytes (at most
 * TLS_RECORD_MAX) into a buffer of its own, counts them as taken, and
 * replays them from there, which SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
 * permits. Writes are cut to one record each and
 * SSL_MODE_ENABLE_PARTIAL_WRITE makes SSL_write() return after every
 * record, so at most one record is ever held. The buffer exists only while
 * a write is stalled.
 *
 * Memory. Per connection, OpenSSL's: the SSL object, the session with
 * the proxy's certificate, and two record buffers of about 17 KiB.
 * SSL_MODE_RELEASE_BUFFERS frees the write buffer after each record and
 * the read buffer whenever it is empty; a read waiting for the next
 * record holds it, so an open tunnel costs about 34 KiB (tls.h has the
 * breakdown, tests/unit/test_tls.c measures it). Reads use read-ahead
 * (one read(2) per socket buffer rather than two per record), which is
 * why tls_conn_has_pending() and not only SSL_pending() matters.
 *
 * Writes go through a socket BIO of our own whose write is
 * send(MSG_NOSIGNAL): a proxy that resets the connection is a TLS_ERROR,
 * never a SIGPIPE, whatever the caller's signal settings.
 *
 * Verification. SSL_VERIFY_PEER with the trust store of tls_ctx_new() and
 * the proxy host set on each SSL (SSL_set1_host() for a name,
 * X509_VERIFY_PARAM_set1_ip_asc() for an IP literal), so OpenSSL checks the
 * chain and the name in one X509_verify_cert(). The verify callback records
 * the first failure as the detail; with --proxy-insecure it lets every
 * chain error pass (noting the first for tls_conn_info()) but never a
 * name mismatch. After the handshake the name is checked once more with
 * X509_check_host() / X509_check_ip_asc() on the peer certificate, so no
 * path through OpenSSL's verifier can skip it.
 */
#include "proxy/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "config.h"

/* Room for a host: a DNS name (253) or an IPv6 literal, NUL included */
#define TLS_HOST_MAX 256

/* Room for the chain error --proxy-insecure let pass */
#define TLS_SKIPPED_MAX 96

struct tls_ctx {
	SSL_CTX *ssl_ctx;
	BIO_METHOD *bio_meth; /* the socket BIO, writing with MSG_NOSIGNAL */
	bool insecure; /* --proxy-insecure: chain errors pass, names never */
};

struct tls_conn {
	struct tls_ctx *ctx;
	SSL *ssl;
	bool is_ip;	  /* host is an IP literal */
	bool handshaken;  /* tls_conn_handshake() returned TLS_DONE */
	bool failed;	  /* a call returned TLS_ERROR; all will */
	bool peer_closed; /* the proxy's close_notify was read */
	bool shut;	  /* our close_notify is in the socket */
	uint8_t *held;	  /* a stalled write's record, see tls_conn_write() */
	size_t held_off;  /* how much of it OpenSSL has finished */
	size_t held_len;
	char host[TLS_HOST_MAX];
	char skipped[TLS_SKIPPED_MAX]; /* chain error let pass, or "" */
	char detail[TLS_DETAIL_MAX];   /* why it failed, or "" */
};

/* tls_host_is_ip() - see tls.h */
bool tls_host_is_ip(const char *host)
{
	unsigned char a[sizeof(struct in6_addr)];

	return host && (inet_pton(AF_INET, host, a) == 1 ||
			inet_pton(AF_INET6, host, a) == 1);
}

/* tls_openssl_reason() - the reason text of OpenSSL error @e, or a number */
static const char *tls_openssl_reason(unsigned long e, char *buf, size_t len)
{
	const char *r = ERR_reason_error_string(e);

	if (r)
		return r;
	snprintf(buf, len, "OpenSSL error %#lx", e);
	return buf;
}

/* tls_bio_write() - the socket BIO's write, with send(MSG_NOSIGNAL): a
 * proxy that reset the connection must not kill the engine with SIGPIPE,
 * whatever its signal dispositions are
 * Return: bytes written, or -1 (retry flag set for EAGAIN and EINTR)
 */
static int tls_bio_write(BIO *b, const char *buf, int len)
{
	ssize_t n;
	int fd = -1;

	BIO_clear_retry_flags(b);
	if (BIO_get_fd(b, &fd) < 0 || fd < 0 || len < 0) {
		errno = EBADF;
		return -1;
	}
	n = send(fd, buf, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		BIO_set_retry_write(b);
	return (int)n;
}

/* tls_bio_method() - OpenSSL's socket BIO (reads, EOF tracking, ctrl)
 * with tls_bio_write() for writes
 * Return: the method, or NULL
 */
static BIO_METHOD *tls_bio_method(void)
{
	const BIO_METHOD *sock = BIO_s_socket();
	int type = BIO_get_new_index();
	BIO_METHOD *m;

	if (type < 0)
		return NULL;
	m = BIO_meth_new(type | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
			 "childflow proxy socket");
	if (!m)
		return NULL;
	if (!BIO_meth_set_write(m, tls_bio_write) ||
	    !BIO_meth_set_read(m, BIO_meth_get_read(sock)) ||
	    !BIO_meth_set_ctrl(m, BIO_meth_get_ctrl(sock)) ||
	    !BIO_meth_set_create(m, BIO_meth_get_create(sock)) ||
	    !BIO_meth_set_destroy(m, BIO_meth_get_destroy(sock))) {
		BIO_meth_free(m);
		return NULL;
	}
	return m;
}

/* tls_ctx_load_ca() - add every certificate of --proxy-ca @path to @ssl_ctx
 * Return: 0, or -1 with the reason in @err
 */
static int tls_ctx_load_ca(SSL_CTX *ssl_ctx, const char *path, char *err,
			   size_t errlen)
{
	char why[64];
	FILE *f;

	/* OpenSSL's own message for a missing file is "system lib": open it
	 * once ourselves to say what is wrong
	 */
	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "--proxy-ca %s: cannot read it: %s", path,
			 strerror(errno));
		return -1;
	}
	fclose(f);

	ERR_clear_error();
	if (SSL_CTX_load_verify_locations(ssl_ctx, path, NULL) != 1) {
		snprintf(
			err, errlen,
			"--proxy-ca %s: no PEM certificate could be loaded from it (%s)",
			path,
			tls_openssl_reason(ERR_peek_last_error(), why,
					   sizeof(why)));
		ERR_clear_error();
		return -1;
	}
	return 0;
}

/* tls_ctx_new() - see tls.h */
struct tls_ctx *tls_ctx_new(const struct config *cfg, char *err, size_t errlen)
{
	struct tls_ctx *ctx;
	char why[64];
	SSL_CTX *s;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		snprintf(err, errlen, "TLS for the proxy: out of memory");
		return NULL;
	}
	ctx->insecure = cfg->proxy_insecure;

	ERR_clear_error();
	s = SSL_CTX_new(TLS_client_method());
	if (!s) {
		snprintf(err, errlen,
			 "TLS for the proxy: cannot set up OpenSSL: %s",
			 tls_openssl_reason(ERR_peek_last_error(), why,
					    sizeof(why)));
		goto fail;
	}
	ctx->ssl_ctx = s;

	ctx->bio_meth = tls_bio_method();
	if (!ctx->bio_meth) {
		snprintf(
			err, errlen,
			"TLS for the proxy: cannot set up OpenSSL's socket I/O");
		goto fail;
	}

	if (SSL_CTX_set_min_proto_version(s, TLS1_2_VERSION) != 1) {
		snprintf(err, errlen,
			 "TLS for the proxy: cannot require TLS 1.2 or later");
		goto fail;
	}

	/* The default file (SSL_CERT_FILE) is read now, the default
	 * directory (SSL_CERT_DIR) at each verification, by hash. A missing
	 * default store is not an error here: --proxy-ca may be all there
	 * is, and a handshake against an unknown issuer says so per flow.
	 */
	if (SSL_CTX_set_default_verify_paths(s) != 1)
		ERR_clear_error();
	if (cfg->proxy_ca && tls_ctx_load_ca(s, cfg->proxy_ca, err, errlen))
		goto fail;

	/* A --proxy-ca that is an intermediate, or the proxy's own
	 * certificate, is a trust anchor in its own right
	 */
	X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(s),
				    X509_V_FLAG_PARTIAL_CHAIN);

	SSL_CTX_set_mode(s, SSL_MODE_ENABLE_PARTIAL_WRITE |
				    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				    SSL_MODE_RELEASE_BUFFERS);
	/* A server's renegotiation request (TLS 1.2) is refused; TLS 1.3
	 * has none. No compression (CRIME).
	 */
	SSL_CTX_set_options(s, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_read_ahead(s, 1);
	/* No session cache: every flow does a full handshake (resumption
	 * would need one ticket per flow to stay unlinkable, RFC 8446 C.4)
	 */
	SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
	return ctx;

fail:
	ERR_clear_error();
	tls_ctx_free(ctx);
	return NULL;
}

/* tls_ctx_free() - see tls.h */
void tls_ctx_free(struct tls_ctx *ctx)
{
	if (!ctx)
		return;
	SSL_CTX_free(ctx->ssl_ctx);
	BIO_meth_free(ctx->bio_meth);
	free(ctx);
}

/* tls_put() - append @s (@n bytes) to @buf at *@off, printable ASCII only
 * (anything else becomes '?'), never past @len - 1; keeps @buf terminated
 */
static void tls_put(char *buf, size_t len, size_t *off, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && *off + 1 < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		buf[(*off)++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	buf[*off] = '\0';
}

/* tls_cert_names() - the names @cert is for, as "a, b, 1.2.3.4", into @buf:
 * its DNS and IP subject alternative names, or else its subject CN
 * Return: @buf ("no name at all" when there is none)
 */
static const char *tls_cert_names(X509 *cert, char *buf, size_t len)
{
	GENERAL_NAMES *gens;
	size_t off = 0;
	int i, n;

	buf[0] = '\0';
	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	n = gens ? sk_GENERAL_NAME_num(gens) : 0;
	for (i = 0; i < n; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		char ip[INET6_ADDRSTRLEN] = "";
		const char *s = NULL;
		size_t sl = 0;

		if (g->type == GEN_DNS) {
			s = (const char *)ASN1_STRING_get0_data(g->d.dNSName);
			sl = (size_t)ASN1_STRING_length(g->d.dNSName);
		} else if (g->type == GEN_IPADD) {
			int l = ASN1_STRING_length(g->d.iPAddress);
			const void *a = ASN1_STRING_get0_data(g->d.iPAddress);

			if ((l == 4 && inet_ntop(AF_INET, a, ip, sizeof(ip))) ||
			    (l == 16 &&
			     inet_ntop(AF_INET6, a, ip, sizeof(ip)))) {
				s = ip;
				sl = strlen(ip);
			}
		}
		if (!s)
			continue;
		if (off)
			tls_put(buf, len, &off, ", ", 2);
		tls_put(buf, len, &off, s, sl);
	}
	GENERAL_NAMES_free(gens);

	if (!off) {
		X509_NAME *subj = X509_get_subject_name(cert);
		int k = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
		X509_NAME_ENTRY *e =
			k >= 0 ? X509_NAME_get_entry(subj, k) : NULL;
		ASN1_STRING *cn = e ? X509_NAME_ENTRY_get_data(e) : NULL;

		if (cn)
			tls_put(buf, len, &off,
				(const char *)ASN1_STRING_get0_data(cn),
				(size_t)ASN1_STRING_length(cn));
	}
	if (!off)
		snprintf(buf, len, "no name at all");
	return buf;
}

/* tls_name_detail() - "hostname mismatch: certificate is for X, not H"
 * (or "IP address mismatch: ...") into @c->detail, unless one is there;
 * a long list of names is cut ("...") before the host is
 */
static void tls_name_detail(struct tls_conn *c, X509 *cert)
{
	static const char not [] = ", not ";
	char names[TLS_DETAIL_MAX];
	const char *kind = c->is_ip ? "IP address" : "hostname";
	size_t off = 0, room, tail, nl;

	if (c->detail[0])
		return;
	if (cert)
		tls_cert_names(cert, names, sizeof(names));
	else
		snprintf(names, sizeof(names), "?");

	tls_put(c->detail, sizeof(c->detail), &off, kind, strlen(kind));
	tls_put(c->detail, sizeof(c->detail), &off,
		" mismatch: certificate is for ",
		strlen(" mismatch: certificate is for "));
	room = sizeof(c->detail) - 1 - off;
	tail = strlen(not ) + strlen(c->host);
	nl = strlen(names);
	if (nl + tail > room) {
		nl = room > tail + 3 ? room - tail - 3 : 0;
		tls_put(c->detail, sizeof(c->detail), &off, names, nl);
		tls_put(c->detail, sizeof(c->detail), &off, "...", 3);
	} else {
		tls_put(c->detail, sizeof(c->detail), &off, names, nl);
	}
	tls_put(c->detail, sizeof(c->detail), &off, not, strlen(not ));
	tls_put(c->detail, sizeof(c->detail), &off, c->host, strlen(c->host));
}

/* tls_is_name_error() - whether X509_V_ERR_* @err is about the name */
static bool tls_is_name_error(int err)
{
	return err == X509_V_ERR_HOSTNAME_MISMATCH ||
	       err == X509_V_ERR_IP_ADDRESS_MISMATCH ||
	       err == X509_V_ERR_EMAIL_MISMATCH;
}

/* tls_verify_cb() - OpenSSL's verify callback, for each certificate of the
 * chain and each check (SSL_CTX_set_verify(3))
 * @ok:		whether this check passed
 * @xs:		the verification, which leads to the SSL and our tls_conn
 * Records the first failure for tls_conn_error(). --proxy-insecure: every
 * failure but the name's passes.
 * Return: 1 to go on, 0 to fail the handshake
 */
static int tls_verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(
		xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_conn *c = ssl ? SSL_get_app_data(ssl) : NULL;
	int err;

	if (ok)
		return 1;
	if (!c)
		return 0;
	err = X509_STORE_CTX_get_error(xs);
	if (tls_is_name_error(err)) {
		tls_name_detail(c, X509_STORE_CTX_get_current_cert(xs));
		return 0;
	}
	if (c->ctx->insecure) {
		if (!c->skipped[0])
			snprintf(c->skipped, sizeof(c->skipped), "%s",
				 X509_verify_cert_error_string(err));
		return 1;
	}
	if (!c->detail[0])
		snprintf(c->detail, sizeof(c->detail),
			 "certificate verify failed: %s",
			 X509_verify_cert_error_string(err));
	return 0;
}

/* tls_conn_new() - see tls.h */
struct tls_conn *tls_conn_new(struct tls_ctx *ctx, int fd, const char *host)
{
	size_t hl = host ? strlen(host) : 0;
	struct tls_conn *c;
	BIO *bio;

	if (!ctx || fd < 0 || !hl || hl >= TLS_HOST_MAX) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	c->ctx = ctx;
	memcpy(c->host, host, hl + 1);
	c->is_ip = tls_host_is_ip(host);

	ERR_clear_error();
	c->ssl = SSL_new(ctx->ssl_ctx);
	if (!c->ssl)
		goto nomem;
	SSL_set_app_data(c->ssl, c);
	SSL_set_connect_state(c->ssl);
	SSL_set_verify(c->ssl, SSL_VERIFY_PEER, tls_verify_cb);
	/* Without BIO_CLOSE: the engine closes the socket */
	bio = BIO_new(ctx->bio_meth);
	if (!bio)
		goto nomem;
	BIO_set_fd(bio, fd, BIO_NOCLOSE);
	SSL_set_bio(c->ssl, bio, bio);

	if (c->is_ip) {
		/* RFC 6066 §3: no SNI for a literal address */
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl),
						  host) != 1)
			goto inval;
	} else {
		SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (SSL_set1_host(c->ssl, host) != 1 ||
		    SSL_set_tlsext_host_name(c->ssl, host) != 1)
			goto inval;
	}
	return c;

inval:
	ERR_clear_error();
	tls_conn_free(c);
	errno = EINVAL;
	return NULL;
nomem:
	ERR_clear_error();
	tls_conn_free(c);
	errno = ENOMEM;
	return NULL;
}

/* tls_fail() - mark @c failed after SSL error @sslerr, with @sys_errno the
 * errno of the failed call; keeps a detail the verify callback wrote
 * Return: TLS_ERROR
 */
static enum tls_result tls_fail(struct tls_conn *c, int sslerr, int sys_errno)
{
	unsigned long e = ERR_peek_error();
	char why[64];
	int reason;

	c->failed = true;
	if (c->detail[0])
		goto out;

	switch (sslerr) {
	case SSL_ERROR_SYSCALL:
		if (sys_errno)
			snprintf(c->detail, sizeof(c->detail),
				 "socket error: %s", strerror(sys_errno));
		else
			snprintf(c->detail, sizeof(c->detail),
				 "the proxy closed the connection %s",
				 c->handshaken ? "without close_notify"
					       : "during the handshake");
		break;
	case SSL_ERROR_ZERO_RETURN:
		snprintf(c->detail, sizeof(c->detail),
			 "the proxy sent close_notify during the handshake");
		break;
	case SSL_ERROR_SSL:
		reason = ERR_GET_REASON(e);
		if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
		    reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			snprintf(c->detail, sizeof(c->detail),
				 "the proxy closed the connection %s",
				 c->handshaken ? "without close_notify"
					       : "during the handshake");
		} else if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
			   reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
			long v = SSL_get_verify_result(c->ssl);

			snprintf(c->detail, sizeof(c->detail),
				 "certificate verify failed: %s",
				 X509_verify_cert_error_string(v));
		} else if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
			   reason == SSL_R_WRONG_VERSION_NUMBER &&
			   !c->handshaken) {
			snprintf(
				c->detail, sizeof(c->detail),
				"wrong version number (is the proxy speaking TLS?)");
		} else if (e) {
			snprintf(c->detail, sizeof(c->detail), "%s",
				 tls_openssl_reason(e, why, sizeof(why)));
		} else {
			snprintf(c->detail, sizeof(c->detail),
				 "TLS protocol error");
		}
		break;
	default:
		snprintf(c->detail, sizeof(c->detail),
			 "unexpected OpenSSL state %d", sslerr);
		break;
	}
out:
	ERR_clear_error();
	return TLS_ERROR;
}

/* tls_result_of() - what a failed SSL_*() call on @c means
 * @sys_errno:	errno right after the call
 * Return: TLS_WANT_READ, TLS_WANT_WRITE, TLS_CLOSED (close_notify after the
 * handshake) or TLS_ERROR (@c marked failed)
 */
static enum tls_result tls_result_of(struct tls_conn *c, int sys_errno)
{
	int e = SSL_get_error(c->ssl, 0);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		return TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		if (c->handshaken) {
			ERR_clear_error();
			c->peer_closed = true;
			return TLS_CLOSED;
		}
		return tls_fail(c, e, sys_errno);
	default:
		return tls_fail(c, e, sys_errno);
	}
}

/* tls_check_peer() - after the handshake: the certificate is there and
 * names the host (once more, whatever the verifier did)
 * Return: 0, or -1 with @c failed
 */
static int tls_check_peer(struct tls_conn *c)
{
	X509 *cert = SSL_get0_peer_certificate(c->ssl);
	int ok;

	if (!cert) {
		c->failed = true;
		snprintf(c->detail, sizeof(c->detail),
			 "the proxy sent no certificate");
		return -1;
	}
	if (!c->ctx->insecure && SSL_get_verify_result(c->ssl) != X509_V_OK) {
		c->failed = true;
		snprintf(c->detail, sizeof(c->detail),
			 "certificate verify failed: %s",
			 X509_verify_cert_error_string(
				 SSL_get_verify_result(c->ssl)));
		return -1;
	}
	if (c->is_ip)
		ok = X509_check_ip_asc(cert, c->host, 0);
	else
		ok = X509_check_host(cert, c->host, strlen(c->host),
				     X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
				     NULL);
	if (ok != 1) {
		c->failed = true;
		tls_name_detail(c, cert);
		return -1;
	}
	return 0;
}

/* tls_conn_handshake() - see tls.h */
enum tls_result tls_conn_handshake(struct tls_conn *c)
{
	int r;

	if (c->failed)
		return TLS_ERROR;
	if (c->handshaken)
		return TLS_DONE;

	ERR_clear_error();
	errno = 0;
	r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		if (tls_check_peer(c)) {
			ERR_clear_error();
			return TLS_ERROR;
		}
		c->handshaken = true;
		return TLS_DONE;
	}
	return tls_result_of(c, errno);
}

/* tls_conn_read() - see tls.h */
enum tls_result tls_conn_read(struct tls_conn *c, void *buf, size_t len,
			      size_t *got)
{
	*got = 0;
	if (c->failed)
		return TLS_ERROR;
	if (c->peer_closed)
		return TLS_CLOSED;
	if (!c->handshaken) {
		c->failed = true;
		snprintf(c->detail, sizeof(c->detail),
			 "read before the handshake");
		return TLS_ERROR;
	}
	if (!len)
		return TLS_DONE;

	ERR_clear_error();
	errno = 0;
	if (SSL_read_ex(c->ssl, buf, len, got) == 1)
		return TLS_DONE;
	*got = 0;
	return tls_result_of(c, errno);
}

/* tls_write_some() - one SSL_write_ex() of @n bytes (at most a record)
 * Return: TLS_DONE with *@w set, TLS_WANT_*, or TLS_ERROR
 */
static enum tls_result tls_write_some(struct tls_conn *c, const uint8_t *p,
				      size_t n, size_t *w)
{
	enum tls_result r;

	*w = 0;
	ERR_clear_error();
	errno = 0;
	if (SSL_write_ex(c->ssl, p, n, w) == 1)
		return TLS_DONE;
	*w = 0;
	r = tls_result_of(c, errno);
	if (r == TLS_CLOSED) {
		/* Not a state writes can be in: the proxy's close_notify
		 * does not stop our direction
		 */
		c->failed = true;
		snprintf(c->detail, sizeof(c->detail),
			 "write failed after the proxy's close_notify");
		return TLS_ERROR;
	}
	return r;
}

/* tls_flush_held() - finish the record a stalled tls_conn_write() kept
 * Return: TLS_DONE once nothing is held, else as tls_write_some()
 */
static enum tls_result tls_flush_held(struct tls_conn *c)
{
	while (c->held_off < c->held_len) {
		enum tls_result r;
		size_t w;

		r = tls_write_some(c, c->held + c->held_off,
				   c->held_len - c->held_off, &w);
		if (r != TLS_DONE)
			return r;
		c->held_off += w;
	}
	free(c->held);
	c->held = NULL;
	c->held_off = c->held_len = 0;
	return TLS_DONE;
}

/* tls_conn_write() - see tls.h */
enum tls_result tls_conn_write(struct tls_conn *c, const void *buf, size_t len,
			       size_t *taken)
{
	const uint8_t *p = buf;
	enum tls_result r;

	*taken = 0;
	if (c->failed)
		return TLS_ERROR;
	if (!c->handshaken || c->shut) {
		c->failed = true;
		snprintf(c->detail, sizeof(c->detail), "write %s",
			 c->shut ? "after close_notify"
				 : "before the handshake");
		return TLS_ERROR;
	}

	r = tls_flush_held(c);
	if (r != TLS_DONE)
		return r;

	while (*taken < len) {
		size_t n = len - *taken, w;

		if (n > TLS_RECORD_MAX)
			n = TLS_RECORD_MAX;
		r = tls_write_some(c, p + *taken, n, &w);
		if (r == TLS_DONE) {
			*taken += w;
			continue;
		}
		if (r == TLS_ERROR)
			return r;

		/* Stalled: OpenSSL may have this record half-sent and must
		 * see the same bytes again, from our copy
		 */
		c->held = malloc(n);
		if (!c->held) {
			c->failed = true;
			snprintf(c->detail, sizeof(c->detail), "out of memory");
			return TLS_ERROR;
		}
		memcpy(c->held, p + *taken, n);
		c->held_off = 0;
		c->held_len = n;
		*taken += n;
		return r;
	}
	return TLS_DONE;
}

/* tls_conn_unsent() - see tls.h */
size_t tls_conn_unsent(const struct tls_conn *c)
{
	return c->held_len - c->held_off;
}

/* tls_conn_pending() - see tls.h */
size_t tls_conn_pending(const struct tls_conn *c)
{
	int n = SSL_pending(c->ssl);

	return n > 0 ? (size_t)n : 0;
}

/* tls_conn_has_pending() - see tls.h */
bool tls_conn_has_pending(const struct tls_conn *c)
{
	return !c->failed && !c->peer_closed && SSL_has_pending(c->ssl);
}

/* tls_conn_shutdown() - see tls.h */
enum tls_result tls_conn_shutdown(struct tls_conn *c)
{
	enum tls_result r;

	if (c->failed)
		return TLS_ERROR;
	if (c->shut)
		return TLS_DONE;
	if (!c->handshaken) {
		c->failed = true;
		snprintf(c->detail, sizeof(c->detail),
			 "shutdown before the handshake");
		return TLS_ERROR;
	}

	r = tls_flush_held(c);
	if (r != TLS_DONE)
		return r;

	ERR_clear_error();
	errno = 0;
	/* 0: ours is sent, theirs not seen yet; 1: both. Either way we do
	 * not call it again: reading goes on through tls_conn_read().
	 */
	if (SSL_shutdown(c->ssl) >= 0) {
		c->shut = true;
		return TLS_DONE;
	}
	r = tls_result_of(c, errno);
	return r == TLS_CLOSED ? TLS_ERROR : r;
}

/* tls_conn_error() - see tls.h */
const char *tls_conn_error(const struct tls_conn *c, const char **detail)
{
	if (detail)
		*detail = c->failed ? c->detail : "";
	return c->failed ? TLS_ERROR_CODE : NULL;
}

/* tls_conn_info() - see tls.h */
const char *tls_conn_info(const struct tls_conn *c, char *buf, size_t len)
{
	const char *cipher = SSL_get_cipher_name(c->ssl);

	snprintf(buf, len, "%s %s%s%s", SSL_get_version(c->ssl),
		 cipher ? cipher : "(none)",
		 c->skipped[0] ? ", chain not verified (--proxy-insecure): "
			       : "",
		 c->skipped);
	return buf;
}

/* tls_conn_free() - see tls.h */
void tls_conn_free(struct tls_conn *c)
{
	if (!c)
		return;
	SSL_free(c->ssl);
	free(c->held);
	free(c);
}
