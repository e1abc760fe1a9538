/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * tcp_tls.c - TCP flows through an https:// proxy: TLS inside the host
 * socket, and the plaintext buffers that the relay needs because of it
 *
 * Theory of operation
 * -------------------
 * A plain flow keeps no data of its own (tcp.c): bytes for the tree are
 * MSG_PEEKed from the host socket at SO_PEEK_OFF and leave it only when the
 * tree ACKs them, and the window offered to the tree is the free space of
 * the socket's send buffer. Through an https:// proxy the socket carries
 * ciphertext, which can be neither peeked at an offset nor ACKed by the
 * byte, so a TLS flow keeps two plaintext buffers, allocated when the
 * CONNECT tunnel is up and freed with the flow (or when it lingers):
 *
 *   to_child  (TCP_TLS_BUF_TO_CHILD, 256 KiB)  what TLS decrypted and the
 *             tree has not ACKed yet. Segments for the tree are copied from
 *             it at the offset of seq_to_child; retransmissions copy again
 *             from the start; the tree's ACK drops bytes from the front.
 *             TLS is read only while it has room: when it is full, the rest
 *             waits in OpenSSL and in the socket (whose filling receive
 *             buffer slows the proxy down), and reading resumes when the
 *             tree ACKs. epoll does not see what OpenSSL already holds
 *             (read-ahead, tls_conn_has_pending()), so reading is not tied
 *             to EPOLLIN: every attempt to send to the tree reads first.
 *
 *   from_child (TCP_TLS_BUF_FROM_CHILD, 256 KiB) what the tree sent and
 *             we ACKed, not yet taken by tls_conn_write(). The window
 *             offered to the tree is its free space, so a well-behaved
 *             tree never sends more than it takes. Every socket event and
 *             every new segment pushes it on; tls_conn_write() takes whole
 *             records and keeps (at most) one stalled record itself.
 *
 * Both are rings, so memory per TLS flow is fixed: 512 KiB of buffers plus
 * OpenSSL's own (about 34 KiB per open tunnel, see tls.h), and none at all
 * before the tunnel is up. Plain flows get neither, and their path does not
 * change: tcp.c asks `t->tls` at the few points where bytes enter or leave
 * the socket.
 *
 * Ends. The proxy's close_notify (TLS_CLOSED) is its FIN: tcp_tls_to_child()
 * returns 0 once everything before it went out. A TLS error (a reset, or a
 * TCP FIN without close_notify, which could be a cut made on the path) is
 * an RST for the tree, given only once the tree has ACKed the bytes
 * decrypted before it. The tree's FIN becomes close_notify and then
 * shutdown(SHUT_WR), after every byte before it; until then the flow is not
 * idle (tcp_tls_idle()), so its socket stays open.
 */
#include "engine/tcp_tls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "proxy/tls.h"

struct tcp_tls {
	struct tls_conn *c;
	int fd;
	uint8_t *buf; /* to_child ring, then from_child ring; NULL until up */
	size_t rx_start, rx_len; /* to_child: rx_start holds the oldest
				  * byte the tree has not ACKed */
	size_t tx_start, tx_len; /* from_child: not yet taken by TLS */
	bool rx_eof;		 /* the proxy's close_notify was read */
	bool rx_err;		 /* reading failed: RST once all is ACKed */
	bool fin_from_child;	 /* close_notify owed after tx */
	bool shut;		 /* close_notify and SHUT_WR done */
	bool failed;		 /* writing failed */
};

/* The run's TLS settings: trust store, --proxy-ca, --proxy-insecure */
static struct tls_ctx *tcp_tls_ctx;

int tcp_tls_init(const struct config *cfg, char *err, size_t errlen)
{
	if (!cfg->has_proxy || cfg->proxy.scheme != PROXY_HTTPS || tcp_tls_ctx)
		return 0;
	tcp_tls_ctx = tls_ctx_new(cfg, err, errlen);
	return tcp_tls_ctx ? 0 : -1;
}

void tcp_tls_fini(void)
{
	tls_ctx_free(tcp_tls_ctx);
	tcp_tls_ctx = NULL;
}

struct tcp_tls *tcp_tls_new(int fd, const char *host)
{
	struct tcp_tls *tt;

	if (!tcp_tls_ctx) {
		errno = EINVAL;
		return NULL;
	}
	tt = calloc(1, sizeof(*tt));
	if (!tt) {
		errno = ENOMEM;
		return NULL;
	}
	tt->c = tls_conn_new(tcp_tls_ctx, fd, host);
	if (!tt->c) {
		int err = errno;

		free(tt);
		errno = err;
		return NULL;
	}
	tt->fd = fd;
	return tt;
}

struct tls_conn *tcp_tls_conn(struct tcp_tls *tt)
{
	return tt->c;
}

/* tcp_tls_rx() / tcp_tls_tx() - the two rings in the one allocation */
static uint8_t *tcp_tls_rx(const struct tcp_tls *tt)
{
	return tt->buf;
}

static uint8_t *tcp_tls_tx(const struct tcp_tls *tt)
{
	return tt->buf + TCP_TLS_BUF_TO_CHILD;
}

int tcp_tls_relay_start(struct tcp_tls *tt, const uint8_t *early, size_t n)
{
	if (n > TCP_TLS_BUF_TO_CHILD)
		return -EINVAL;
	tt->buf = malloc((size_t)TCP_TLS_BUF_TO_CHILD + TCP_TLS_BUF_FROM_CHILD);
	if (!tt->buf)
		return -ENOMEM;
	if (n)
		memcpy(tcp_tls_rx(tt), early, n);
	tt->rx_len = n;
	return 0;
}

/* tcp_tls_fill() - decrypt into the to_child ring while it has room and
 * TLS has bytes; note the proxy's end or a failure
 */
static void tcp_tls_fill(struct tcp_tls *tt)
{
	uint8_t *rx = tcp_tls_rx(tt);

	while (!tt->rx_eof && !tt->rx_err &&
	       tt->rx_len < TCP_TLS_BUF_TO_CHILD) {
		size_t end = (tt->rx_start + tt->rx_len) % TCP_TLS_BUF_TO_CHILD;
		size_t room = TCP_TLS_BUF_TO_CHILD - tt->rx_len, got;
		enum tls_result r;

		if (room > TCP_TLS_BUF_TO_CHILD - end)
			room = TCP_TLS_BUF_TO_CHILD - end;
		r = tls_conn_read(tt->c, rx + end, room, &got);
		switch (r) {
		case TLS_DONE:
			tt->rx_len += got;
			break;
		case TLS_CLOSED:
			tt->rx_eof = true;
			return;
		case TLS_ERROR:
			tt->rx_err = true;
			return;
		case TLS_WANT_READ:
		case TLS_WANT_WRITE:
		default:
			return; /* the socket's next event calls again */
		}
	}
}

ssize_t tcp_tls_to_child(struct tcp_tls *tt, size_t off,
			 const struct iovec *iov, unsigned int iovcnt)
{
	const uint8_t *rx = tcp_tls_rx(tt);
	size_t avail, pos, done = 0;
	unsigned int i;

	if (!tt->buf)
		return -EAGAIN;
	tcp_tls_fill(tt);
	if (off > tt->rx_len)
		return -EINVAL; /* sent bytes are kept until ACKed */
	avail = tt->rx_len - off;
	if (!avail) {
		if (tt->rx_err)
			return tt->rx_len ? -EAGAIN : -EPROTO;
		return tt->rx_eof ? 0 : -EAGAIN;
	}
	pos = (tt->rx_start + off) % TCP_TLS_BUF_TO_CHILD;
	for (i = 0; i < iovcnt && done < avail; i++) {
		uint8_t *dst = iov[i].iov_base;
		size_t want = iov[i].iov_len, k = 0;

		if (want > avail - done)
			want = avail - done;
		while (k < want) {
			size_t n = want - k;

			if (n > TCP_TLS_BUF_TO_CHILD - pos)
				n = TCP_TLS_BUF_TO_CHILD - pos;
			memcpy(dst + k, rx + pos, n);
			k += n;
			pos = (pos + n) % TCP_TLS_BUF_TO_CHILD;
		}
		done += want;
	}
	return (ssize_t)done;
}

ssize_t tcp_tls_acked(struct tcp_tls *tt, size_t n)
{
	if (!tt->buf || n > tt->rx_len)
		return -1;
	tt->rx_len -= n;
	/* empty: start over at 0, so the next read gets the whole ring */
	tt->rx_start =
		tt->rx_len ? (tt->rx_start + n) % TCP_TLS_BUF_TO_CHILD : 0;
	return (ssize_t)n;
}

int tcp_tls_flush(struct tcp_tls *tt)
{
	const uint8_t *tx = tcp_tls_tx(tt);
	enum tls_result r;

	if (tt->failed)
		return -EPROTO;
	if (!tt->buf)
		return 0;
	while (tt->tx_len || tls_conn_unsent(tt->c)) {
		size_t n = tt->tx_len, taken;

		if (n > TCP_TLS_BUF_FROM_CHILD - tt->tx_start)
			n = TCP_TLS_BUF_FROM_CHILD - tt->tx_start;
		r = tls_conn_write(tt->c, tx + tt->tx_start, n, &taken);
		tt->tx_len -= taken;
		tt->tx_start = tt->tx_len ? (tt->tx_start + taken) %
						    TCP_TLS_BUF_FROM_CHILD
					  : 0;
		if (r == TLS_ERROR) {
			tt->failed = true;
			return -EPROTO;
		}
		if (r != TLS_DONE)
			return 0; /* EPOLLOUT (or EPOLLIN) calls again */
	}
	if (tt->fin_from_child && !tt->shut) {
		r = tls_conn_shutdown(tt->c);
		if (r == TLS_ERROR) {
			tt->failed = true;
			return -EPROTO;
		}
		if (r != TLS_DONE)
			return 0;
		shutdown(tt->fd, SHUT_WR);
		tt->shut = true;
	}
	return 0;
}

ssize_t tcp_tls_from_child(struct tcp_tls *tt, const uint8_t *data, size_t len)
{
	uint8_t *tx = tcp_tls_tx(tt);
	size_t n, k = 0, pos;

	if (tt->failed || !tt->buf || tt->fin_from_child) {
		errno = EPROTO;
		return -1;
	}
	n = TCP_TLS_BUF_FROM_CHILD - tt->tx_len;
	if (n > len)
		n = len;
	pos = (tt->tx_start + tt->tx_len) % TCP_TLS_BUF_FROM_CHILD;
	while (k < n) {
		size_t c = n - k;

		if (c > TCP_TLS_BUF_FROM_CHILD - pos)
			c = TCP_TLS_BUF_FROM_CHILD - pos;
		memcpy(tx + pos, data + k, c);
		k += c;
		pos = (pos + c) % TCP_TLS_BUF_FROM_CHILD;
	}
	tt->tx_len += n;
	if (tcp_tls_flush(tt) < 0) {
		errno = EPROTO;
		return -1;
	}
	return (ssize_t)n;
}

int tcp_tls_fin_from_child(struct tcp_tls *tt)
{
	tt->fin_from_child = true;
	return tcp_tls_flush(tt);
}

size_t tcp_tls_wnd(const struct tcp_tls *tt)
{
	return tt->buf ? TCP_TLS_BUF_FROM_CHILD - tt->tx_len : 0;
}

bool tcp_tls_idle(const struct tcp_tls *tt)
{
	return !tt->tx_len && !tls_conn_unsent(tt->c) &&
	       (!tt->fin_from_child || tt->shut);
}

const char *tcp_tls_detail(const struct tcp_tls *tt)
{
	const char *detail = "";

	tls_conn_error(tt->c, &detail);
	return detail;
}

void tcp_tls_free(struct tcp_tls *tt)
{
	if (!tt)
		return;
	tls_conn_free(tt->c);
	free(tt->buf);
	free(tt);
}
