/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * tls.h - non-blocking TLS client for the socket to an https:// proxy
 *
 * Included by the engine (src/engine/) and by tests/tools/tls_probe.c and
 * tests/unit/test_tls.c. OpenSSL stays behind this header: callers see two
 * opaque types and five results.
 *
 * One struct tls_ctx per run, built at start from the configuration (trust
 * store, --proxy-ca, --proxy-insecure); one struct tls_conn per upstream
 * socket. The caller owns the socket (non-blocking, connected, in its epoll
 * set) and keeps owning it: tls_conn_free() never closes it. Every call
 * returns at once; a TLS_WANT_READ / TLS_WANT_WRITE result says which
 * readiness to wait for before calling the same function again.
 *
 * Per flow (see "Theory of operation" in tls.c for the whole picture):
 *
 *	connect() -> EINPROGRESS, wait EPOLLOUT, SO_ERROR == 0
 *	c = tls_conn_new(ctx, fd, cfg->proxy.host)
 *	tls_conn_handshake(c) until TLS_DONE   (TLS_ERROR: "tls_failed")
 *	proxy_hs_*() with tls_conn_write() / tls_conn_read() instead of
 *	send() / recv(): the bytes proxy_hs_feed() did not consume are the
 *	tunnel's first payload
 *	relay: tls_conn_read() into the tree, tree data into tls_conn_write()
 *	the tree's FIN: tls_conn_shutdown(), then shutdown(fd, SHUT_WR)
 *	tls_conn_free(c), close(fd)
 *
 * Memory: per connection, what OpenSSL allocates. Measured with OpenSSL
 * 3.0 on x86-64 by tests/unit/test_tls.c: about 34 KiB once the tunnel is
 * up and waiting for data (the SSL object 8 KiB, the session with the
 * proxy's certificate 8 KiB, the 17 KiB read buffer that a read waiting
 * for the next record keeps), plus a 17 KiB write buffer only while a
 * record is being written (SSL_MODE_RELEASE_BUFFERS) and about 30 KiB more
 * during the handshake. Ours: the struct (~0.5 KiB) and, only while a
 * write is stalled, one record's bytes (TLS_RECORD_MAX, see
 * tls_conn_write()). The context holds the trust store once.
 *
 * Writes to the socket use send(MSG_NOSIGNAL): a reset from the proxy is
 * TLS_ERROR, never SIGPIPE.
 */
#ifndef CHILDFLOW_PROXY_TLS_H
#define CHILDFLOW_PROXY_TLS_H

#include <stdbool.h>
#include <stddef.h>

struct config;
struct tls_ctx;
struct tls_conn;

/* The flow log's connect_result.error for every TLS failure (SPEC.md §3) */
#define TLS_ERROR_CODE "tls_failed"

/* Room for an error detail or tls_conn_info() text, NUL included */
#define TLS_DETAIL_MAX 192

/* The largest plaintext of one TLS record, and so the most one
 * tls_conn_write() hands to OpenSSL at a time
 */
#define TLS_RECORD_MAX 16384

enum tls_result {
	TLS_DONE,	/* finished: handshake done, data moved */
	TLS_WANT_READ,	/* wait until the socket is readable, call again */
	TLS_WANT_WRITE, /* wait until the socket is writable, call again */
	TLS_CLOSED,	/* the proxy ended its side with close_notify */
	TLS_ERROR,	/* failed for good: TLS_ERROR_CODE, tls_conn_error() */
};

/* tls_ctx_new() - the run's TLS settings, built once at start
 * @cfg:	uses cfg->proxy_insecure and cfg->proxy_ca only
 * Trust: the system's default store (OpenSSL's default file and directory,
 * or SSL_CERT_FILE / SSL_CERT_DIR when set), plus every certificate in
 * cfg->proxy_ca, which may also be an intermediate or the proxy's own
 * self-signed certificate (X509_V_FLAG_PARTIAL_CHAIN). TLS 1.2 at least.
 * With cfg->proxy_insecure the chain is not checked (unknown issuer,
 * self-signed, expired...), but the name still is: a certificate that does
 * not name the proxy host fails the handshake either way.
 * Call before anything that could take away access to the files: the
 * default file and --proxy-ca are read here, but the default directory is
 * searched (by subject hash) at each verification, so it must stay
 * readable to the engine for the whole run.
 * Return: the context, or NULL with one line in @err (e.g. "--proxy-ca
 * /x.pem: cannot read it: No such file or directory").
 */
struct tls_ctx *tls_ctx_new(const struct config *cfg, char *err, size_t errlen);

/* tls_ctx_free() - free @ctx (NULL is fine); every tls_conn made from it
 * must be freed first. OpenSSL's global state needs no call of ours:
 * libcrypto frees it from its own atexit handler, which runs before
 * LeakSanitizer's check (no suppression is needed).
 */
void tls_ctx_free(struct tls_ctx *ctx);

/* tls_conn_new() - a TLS client on the connected, non-blocking socket @fd
 * @host:	the proxy host as in the URI (struct proxy_uri.host): a name,
 *		or an IPv4 or IPv6 literal without brackets. A name is sent
 *		as SNI and must match a DNS name of the certificate (wildcards
 *		in the leftmost label only; the subject CN only when the
 *		certificate has no DNS name); an IP literal is not sent and
 *		must match an IP address of the certificate.
 * Nothing is sent yet: call tls_conn_handshake().
 * Return: the connection, or NULL with errno set (ENOMEM, or EINVAL for an
 * empty or unusable @host).
 */
struct tls_conn *tls_conn_new(struct tls_ctx *ctx, int fd, const char *host);

/* tls_conn_handshake() - run the TLS handshake as far as the socket allows
 * Call when the TCP connect has finished, then again on the readiness
 * each TLS_WANT_* result names.
 * Return: TLS_DONE (certificate and name verified; data may flow),
 * TLS_WANT_READ, TLS_WANT_WRITE, or TLS_ERROR (see tls_conn_error()).
 */
enum tls_result tls_conn_handshake(struct tls_conn *c);

/* tls_conn_read() - decrypted bytes from the proxy
 * @buf, @len:	where to put up to @len bytes (@len 0: TLS_DONE, nothing)
 * @got:	set to how many were put there (0 unless TLS_DONE)
 * Returns at most one record's plaintext per call. Decrypted bytes beyond
 * @len, and records OpenSSL has already taken from the socket, stay inside
 * OpenSSL where epoll cannot see them: call again while
 * tls_conn_has_pending() is true, rather than waiting for EPOLLIN. Only
 * after tls_conn_handshake() returned TLS_DONE (before: TLS_ERROR).
 * Return: TLS_DONE with *@got > 0; TLS_WANT_READ (nothing yet);
 * TLS_WANT_WRITE (TLS must send something first: wait for EPOLLOUT, then
 * call again); TLS_CLOSED (the proxy's close_notify: the clean end of its
 * stream, a FIN for the tree; we may still write); TLS_ERROR, which
 * includes a TCP FIN or RST without close_notify (it could be a cut made
 * on the path, so the tree should get an RST, not a FIN).
 */
enum tls_result tls_conn_read(struct tls_conn *c, void *buf, size_t len,
			      size_t *got);

/* tls_conn_write() - encrypt and send bytes to the proxy
 * @buf, @len:	the bytes; @len 0 only pushes out what is held (below)
 * @taken:	set to how many of them TLS took. Taken bytes are TLS's to
 *		deliver: never pass them again (ACK them to the tree).
 * OpenSSL insists that a write it could not finish be retried with the
 * same bytes. So when the socket is full in the middle of a record, this
 * keeps a copy of that record's bytes (at most TLS_RECORD_MAX), counts them
 * as taken, and returns TLS_WANT_*; the next call, on that readiness, first
 * finishes them, then takes new bytes. The caller never retries anything.
 * Return: TLS_DONE (all @len taken and handed to the socket), TLS_WANT_READ
 * or TLS_WANT_WRITE (*@taken may be less than @len, or 0: call again on
 * that readiness, with the rest or with @len 0), TLS_ERROR.
 */
enum tls_result tls_conn_write(struct tls_conn *c, const void *buf, size_t len,
			       size_t *taken);

/* tls_conn_unsent() - bytes taken by tls_conn_write() that are not in the
 * socket yet (a held record, at most TLS_RECORD_MAX). While not 0, call
 * tls_conn_write() again (with @len 0, or with more bytes, which go after
 * them) on the readiness the last write returned. The engine counts them
 * on top of its own buffer towards the proxy (src/engine/tcp_tls.c).
 */
size_t tls_conn_unsent(const struct tls_conn *c);

/* tls_conn_pending() - decrypted bytes ready for tls_conn_read() without
 * touching the socket (SSL_pending())
 */
size_t tls_conn_pending(const struct tls_conn *c);

/* tls_conn_has_pending() - whether tls_conn_read() may return data without
 * the socket becoming readable: decrypted bytes, or whole or partial records
 * already read from the socket (SSL_has_pending()). epoll does not signal
 * these.
 */
bool tls_conn_has_pending(const struct tls_conn *c);

/* tls_conn_shutdown() - end our side: send close_notify
 * Held bytes (tls_conn_unsent()) go first. After TLS_DONE, half-close the
 * socket with shutdown(fd, SHUT_WR); tls_conn_read() still works until the
 * proxy closes. No further tls_conn_write(). Idempotent.
 * Return: TLS_DONE (close_notify is in the socket), TLS_WANT_READ or
 * TLS_WANT_WRITE (call again then), TLS_ERROR.
 */
enum tls_result tls_conn_shutdown(struct tls_conn *c);

/* tls_conn_error() - why @c failed
 * @detail:	if not NULL, set to one printable line: "certificate verify
 *		failed: self-signed certificate", "hostname mismatch:
 *		certificate is for wrong.test, not proxy.test", "the proxy
 *		closed the connection during the handshake", "wrong version
 *		number (is the proxy speaking TLS?)", ... ("" while no error).
 *		Certificate names and OpenSSL's reasons only: never key
 *		material or tunnel data.
 * Return: TLS_ERROR_CODE once a call returned TLS_ERROR, NULL before
 */
const char *tls_conn_error(const struct tls_conn *c, const char **detail);

/* tls_conn_info() - after the handshake, a line for debug logs: "TLSv1.3
 * TLS_AES_256_GCM_SHA384", plus ", chain not verified (--proxy-insecure):
 * <why>" when --proxy-insecure let a chain error pass
 * Return: @buf
 */
const char *tls_conn_info(const struct tls_conn *c, char *buf, size_t len);

/* tls_conn_free() - free @c (NULL is fine) without sending anything; the
 * socket stays open. Also right after tls_conn_new().
 */
void tls_conn_free(struct tls_conn *c);

/* tls_host_is_ip() - whether @host is an IPv4 or IPv6 literal (without
 * brackets), which is checked against the certificate's IP addresses
 * instead of its DNS names and not sent as SNI
 */
bool tls_host_is_ip(const char *host);

#endif /* CHILDFLOW_PROXY_TLS_H */
