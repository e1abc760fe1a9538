/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * tcp_tls.h - the TLS side of a TCP flow through an https:// proxy: the
 * flow's TLS connection and its two bounded plaintext buffers
 *
 * Only tcp.c includes it (theory of operation at the top of tcp_tls.c).
 * Nothing here knows TCP sequence numbers or the tree: tcp.c passes
 * offsets and byte counts, and these functions say what TLS took or gave.
 */
#ifndef CHILDFLOW_TCP_TLS_H
#define CHILDFLOW_TCP_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct config;
struct tls_conn;
struct tcp_tls;

/* Plaintext held per TLS flow, each way, once the tunnel is up, at most:
 * proxy to tree, decrypted and not yet acknowledged by the tree; tree to
 * proxy, acknowledged to the tree and not yet taken by TLS
 */
#define TCP_TLS_BUF_TO_CHILD   (256u << 10)
#define TCP_TLS_BUF_FROM_CHILD (256u << 10)

/* What each of the two rings starts with, once bytes need it (the window
 * offered before); they double while the bytes in flight need it, up to
 * the sizes above (tcp_tls.c)
 */
#define TCP_TLS_RING_MIN (16u << 10)

/* All rings of the run together: growth beyond this is refused, and the
 * flow goes on at the size it has (the first TCP_TLS_RING_MIN of each
 * ring is always given)
 */
#define TCP_TLS_BUDGET ((size_t)64 << 20)

/* Seams for tests, set before any flow starts: the budget (the run keeps
 * TCP_TLS_BUDGET) and the allocator of the rings (malloc)
 */
extern size_t tcp_tls_budget;
extern void *(*tcp_tls_alloc)(size_t size);

/* How long a flow must have been quiet (no segment from the tree) before
 * its empty rings are freed (tcp_tls_trim())
 */
#define TCP_TLS_TRIM_MS 2000

/* tcp_tls_mem() - bytes of rings all TLS flows of the run hold now */
size_t tcp_tls_mem(void);

/* tcp_tls_init() - the run's TLS context, when --proxy is https://
 * Reads the trust store and --proxy-ca: call before the tree starts.
 * Return: 0 (also when no TLS is needed), or -1 with one line in @err
 */
int tcp_tls_init(const struct config *cfg, char *err, size_t errlen);

/* tcp_tls_fini() - free the context; every flow must be freed first */
void tcp_tls_fini(void);

/* tcp_tls_new() - TLS state for the connected socket @fd to the proxy
 * @host:	the proxy host as in the URI (SNI and the name checked)
 * No buffers yet: they come when bytes need them, after
 * tcp_tls_relay_start().
 * Return: the state, or NULL with errno set
 */
struct tcp_tls *tcp_tls_new(int fd, const char *host);

/* tcp_tls_conn() - the TLS connection of @tt, for the handshakes */
struct tls_conn *tcp_tls_conn(struct tcp_tls *tt);

/* tcp_tls_relay_start() - the CONNECT tunnel is up: keep @early (@n bytes
 * the proxy sent after its reply header, at most TCP_TLS_BUF_TO_CHILD) as
 * the first bytes for the tree, in a to_child ring that holds them; the
 * rings are otherwise allocated when bytes first need them
 * Return: 0, -ENOMEM, or -EINVAL (too much early data, or called twice)
 */
int tcp_tls_relay_start(struct tcp_tls *tt, const uint8_t *early, size_t n);

/* tcp_tls_to_child() - bytes for the tree
 * @off:	where to start, counted from the oldest byte the tree has not
 *		acknowledged (what was sent before is kept for retransmission)
 * @iov, @iovcnt: where to copy them, in order
 * First takes what TLS has decrypted, as far as the buffer has room; the
 * buffer grows while @off plus the room of @iov is more than it holds.
 * Return: bytes copied; 0 when the proxy ended its stream (close_notify)
 * and everything before it was copied; -EAGAIN when nothing is there yet;
 * -EPROTO once TLS failed and the tree has acknowledged everything that
 * came before the failure (the tree then gets an RST, not a FIN);
 * -ENOMEM when the buffer could not grow (tcp_tls_nomem(): reset the flow)
 */
ssize_t tcp_tls_to_child(struct tcp_tls *tt, size_t off,
			 const struct iovec *iov, unsigned int iovcnt);

/* tcp_tls_acked() - the tree acknowledged the next @n bytes: drop them
 * Return: @n, or -1 when fewer than @n are held (a broken invariant)
 */
ssize_t tcp_tls_acked(struct tcp_tls *tt, size_t n);

/* tcp_tls_from_child() - take the tree's bytes for the proxy, as many as
 * the buffer has room for, and push what TLS can take now; when they fill
 * the buffer, or more than half of it still waits for TLS, grow it (a
 * larger window next)
 * Return: bytes taken (the tree may be acked for them), or -1 with errno
 * EPROTO when TLS failed, ENOMEM when the buffer could not grow (send()'s
 * convention). After -1 the flow must be reset: the bytes of this call are
 * not taken, though some may have reached the proxy.
 */
ssize_t tcp_tls_from_child(struct tcp_tls *tt, const uint8_t *data, size_t len);

/* tcp_tls_fin_from_child() - the tree closed its side: close_notify and
 * shutdown(SHUT_WR) once every byte before it is in the socket
 * Return: 0, or -EPROTO when TLS failed
 */
int tcp_tls_fin_from_child(struct tcp_tls *tt);

/* tcp_tls_flush() - push held bytes (and the close_notify) on whatever
 * readiness the socket has: call on every event of the socket
 * Return: 0, or -EPROTO when TLS failed
 */
int tcp_tls_flush(struct tcp_tls *tt);

/* tcp_tls_wnd() - room for the tree's bytes at the buffer's present
 * size (TCP_TLS_RING_MIN while it has none): the window to advertise
 */
size_t tcp_tls_wnd(const struct tcp_tls *tt);

/* tcp_tls_idle() - nothing of the tree's is held any more, and its FIN,
 * if any, became a close_notify: the socket may close
 */
bool tcp_tls_idle(const struct tcp_tls *tt);

/* tcp_tls_trim() - give memory back: free an empty to_child ring, and an
 * empty from_child ring that never grew (one that grew stays: the tree may
 * have been offered its free space). Call on a flow quiet for
 * TCP_TLS_TRIM_MS; the rings come back when bytes need them.
 */
void tcp_tls_trim(struct tcp_tls *tt);

/* tcp_tls_nomem() - a buffer could not grow: the flow must be reset */
bool tcp_tls_nomem(const struct tcp_tls *tt);

/* tcp_tls_detail() - why TLS failed (or the flow ran out of memory), or "" */
const char *tcp_tls_detail(const struct tcp_tls *tt);

/* tcp_tls_free() - free @tt (NULL is fine); the socket stays open */
void tcp_tls_free(struct tcp_tls *tt);

#endif /* CHILDFLOW_TCP_TLS_H */
