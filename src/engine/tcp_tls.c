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
 * byte, so a TLS flow keeps two plaintext rings once the CONNECT tunnel is
 * up, each allocated when bytes first need it and freed with the flow (or
 * when it lingers, or has been quiet: see below):
 *
 *   to_child  (up to TCP_TLS_BUF_TO_CHILD, 256 KiB) what TLS decrypted and
 *             the tree has not ACKed yet. Segments for the tree are copied from
 *             it at the offset of seq_to_child; retransmissions copy again
 *             from the start; the tree's ACK drops bytes from the front.
 *             TLS is read only while it has room: when it is full, the rest
 *             waits in OpenSSL and in the socket (whose filling receive
 *             buffer slows the proxy down), and reading resumes when the
 *             tree ACKs. epoll does not see what OpenSSL already holds
 *             (read-ahead, tls_conn_has_pending()), so reading is not tied
 *             to EPOLLIN: every attempt to send to the tree reads first.
 *
 *   from_child (up to TCP_TLS_BUF_FROM_CHILD, 256 KiB) what the tree sent
 *             and we ACKed, not yet taken by tls_conn_write(). The window
 *             offered to the tree is its free space, so a well-behaved
 *             tree never sends more than it takes. Every socket event and
 *             every new segment pushes it on; tls_conn_write() takes whole
 *             records and keeps (at most) one stalled record itself.
 *
 * Memory follows traffic. A ring is allocated only when bytes need it:
 * to_child when TLS has something to read (OpenSSL holds bytes, or the
 * socket has data, its end or an error), from_child when the tree's first
 * bytes come; until then the window offered is TCP_TLS_RING_MIN (16 KiB),
 * its first size. Each ring then doubles, up to its cap, only when the
 * bytes in flight need it: to_child when it is full while the tree's window
 * asks for more than it holds (tcp.c asks for window's worth at the offset
 * past what is in flight); from_child when a segment of the tree fills it
 * to the brim (the window is what limits the tree), or when, after TLS took
 * what it could, more than half of it still waits (the socket is behind,
 * and the tree's next window would be small). Growth copies the ring to a
 * new allocation, oldest byte first, so offsets from the oldest byte stay
 * valid. When the flow has been quiet for TCP_TLS_TRIM_MS (tcp_tls_trim(),
 * from tcp.c's timer; not at once, as a bulk transfer empties the rings
 * often and would pay for new allocations each time), an empty to_child
 * ring is freed, and so is an empty from_child ring that never grew. A
 * from_child ring that grew stays while the flow lives: the window offered
 * to the tree is its free space, and a window once offered must stay
 * usable. So a quiet tunnel holds no rings (256 KiB if the tree once sent
 * at full speed), a busy one up to 512 KiB, plus OpenSSL's own (about 34
 * KiB, see tls.h). Freed rings go back to malloc(), which keeps them
 * resident for reuse; after every MiB freed, malloc_trim() hands the free
 * pages back to the kernel.
 *
 * All rings of the run share a budget, TCP_TLS_BUDGET (64 MiB): growth
 * that would pass it is refused and the ring keeps its size; the flow goes
 * on, slower, never wrong (to_child hands out what it holds; from_child's
 * window stays as it was). The first TCP_TLS_RING_MIN of each ring does not
 * wait for the budget: a tunnel must work at all, and their number is
 * bounded by the flow table. An allocation that fails is not a refusal:
 * the process is short of memory, and the flow fails closed
 * (tcp_tls_nomem(); tcp.c resets it and logs a runtime_failure
 * tls_buffer_nomem) with every byte it took still in order; nothing is
 * dropped silently. That includes a from_child ring that was freed while
 * quiet and cannot come back for the window of TCP_TLS_RING_MIN offered.
 *
 * Plain flows get none of this, and their path does not change: tcp.c asks
 * `t->tls` at the few points where bytes enter or leave the socket.
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
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "proxy/tls.h"

/* struct tcp_tls_ring - one plaintext ring
 * @buf:	@cap bytes; NULL until the tunnel is up
 * @cap:	TCP_TLS_RING_MIN, doubled while needed, up to @max
 * @max:	TCP_TLS_BUF_TO_CHILD or TCP_TLS_BUF_FROM_CHILD
 * @start:	the oldest byte held
 * @len:	bytes held, from @start on, wrapping at @cap
 */
struct tcp_tls_ring {
	uint8_t *buf;
	size_t cap, max, start, len;
};

struct tcp_tls {
	struct tls_conn *c;
	int fd;
	struct tcp_tls_ring rx; /* to_child: rx.start holds the oldest byte
				 * the tree has not ACKed */
	struct tcp_tls_ring tx; /* from_child: not yet taken by TLS */
	bool up;		/* the rings are there */
	bool rx_eof;		/* the proxy's close_notify was read */
	bool rx_err;		/* reading failed: RST once all is ACKed */
	bool fin_from_child;	/* close_notify owed after tx */
	bool shut;		/* close_notify and SHUT_WR done */
	bool failed;		/* writing failed */
	bool nomem;		/* a ring could not grow: the flow is over */
};

/* The run's TLS settings: trust store, --proxy-ca, --proxy-insecure */
static struct tls_ctx *tcp_tls_ctx;

/* Bytes of rings freed between two calls of malloc_trim() */
#define TCP_TLS_RELEASE_STEP ((size_t)1 << 20)

/* Bytes of all rings of the run, against tcp_tls_budget */
static size_t tcp_tls_mem_used;

size_t tcp_tls_budget = TCP_TLS_BUDGET;
void *(*tcp_tls_alloc)(size_t size) = malloc;

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

size_t tcp_tls_mem(void)
{
	return tcp_tls_mem_used;
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
	tt->rx.max = TCP_TLS_BUF_TO_CHILD;
	tt->tx.max = TCP_TLS_BUF_FROM_CHILD;
	return tt;
}

struct tls_conn *tcp_tls_conn(struct tcp_tls *tt)
{
	return tt->c;
}

/* tcp_tls_ring_alloc() - give the empty ring @r @cap bytes, counted in
 * the run's total (the caller checked the budget, if it applies)
 * Return: 0, or -ENOMEM
 */
static int tcp_tls_ring_alloc(struct tcp_tls_ring *r, size_t cap)
{
	r->buf = tcp_tls_alloc(cap);
	if (!r->buf)
		return -ENOMEM;
	r->cap = cap;
	r->start = r->len = 0;
	tcp_tls_mem_used += cap;
	return 0;
}

/* tcp_tls_released() - @n bytes of rings were freed. malloc() keeps freed
 * memory inside the heap, resident, for reuse; after each MiB freed, ask
 * it to hand the free pages back, so that the engine's RSS follows traffic
 * down as well as up (glibc; elsewhere the allocator decides)
 */
static void tcp_tls_released(size_t n)
{
	static size_t since_trim;

	since_trim += n;
	if (since_trim < TCP_TLS_RELEASE_STEP)
		return;
	since_trim = 0;
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/* tcp_tls_ring_free() - drop @r's memory from the run's total */
static void tcp_tls_ring_free(struct tcp_tls_ring *r)
{
	if (!r->buf)
		return;
	tcp_tls_mem_used -= r->cap;
	tcp_tls_released(r->cap);
	free(r->buf);
	r->buf = NULL;
	r->cap = r->start = r->len = 0;
}

/* tcp_tls_ring_copy() - copy @n bytes held in @r from offset @off (from
 * the oldest byte) to @dst; the caller checked that @off + @n <= r->len
 */
static void tcp_tls_ring_copy(const struct tcp_tls_ring *r, size_t off,
			      uint8_t *dst, size_t n)
{
	size_t pos, k = 0;

	if (!n)
		return;
	pos = (r->start + off) % r->cap;
	while (k < n) {
		size_t c = n - k;

		if (c > r->cap - pos)
			c = r->cap - pos;
		memcpy(dst + k, r->buf + pos, c);
		k += c;
		pos = (pos + c) % r->cap;
	}
}

/* tcp_tls_ring_put() - append @n bytes of @data; the caller checked that
 * they fit (@n <= r->cap - r->len)
 */
static void tcp_tls_ring_put(struct tcp_tls_ring *r, const uint8_t *data,
			     size_t n)
{
	size_t pos, k = 0;

	if (!n)
		return;
	pos = (r->start + r->len) % r->cap;
	while (k < n) {
		size_t c = n - k;

		if (c > r->cap - pos)
			c = r->cap - pos;
		memcpy(r->buf + pos, data + k, c);
		k += c;
		pos = (pos + c) % r->cap;
	}
	r->len += n;
}

/* tcp_tls_ring_drop() - forget the @n oldest bytes (@n <= r->len); an
 * empty ring starts over at 0, so that the next fill gets it whole
 */
static void tcp_tls_ring_drop(struct tcp_tls_ring *r, size_t n)
{
	r->len -= n;
	r->start = r->len ? (r->start + n) % r->cap : 0;
}

/* tcp_tls_ring_head() - where the oldest bytes are, in one piece
 * Return: how many (up to the end of the buffer)
 */
static size_t tcp_tls_ring_head(const struct tcp_tls_ring *r,
				const uint8_t **at)
{
	*at = r->buf;
	if (!r->len)
		return 0; /* also when there is no buffer */
	*at += r->start;
	return r->len < r->cap - r->start ? r->len : r->cap - r->start;
}

/* tcp_tls_ring_tail() - where the next bytes go, in one piece
 * Return: how many fit there (up to the end of the buffer)
 */
static size_t tcp_tls_ring_tail(const struct tcp_tls_ring *r, uint8_t **at)
{
	size_t end = (r->start + r->len) % r->cap, room = r->cap - r->len;

	*at = r->buf + end;
	return room < r->cap - end ? room : r->cap - end;
}

/* tcp_tls_ring_grow() - double @r, oldest byte first in the new buffer,
 * if its cap and the run's budget allow
 * Return: 1 when it grew; 0 when the cap or the budget refused (the ring
 * is as it was); -ENOMEM when the allocation failed (the ring is as it
 * was, and the flow must end)
 */
static int tcp_tls_ring_grow(struct tcp_tls_ring *r)
{
	size_t cap = r->cap * 2;
	uint8_t *buf;

	if (cap > r->max || tcp_tls_mem_used + cap - r->cap > tcp_tls_budget)
		return 0;
	buf = tcp_tls_alloc(cap);
	if (!buf)
		return -ENOMEM;
	tcp_tls_ring_copy(r, 0, buf, r->len);
	free(r->buf);
	tcp_tls_mem_used += cap - r->cap;
	r->buf = buf;
	r->cap = cap;
	r->start = 0;
	return 1;
}

int tcp_tls_relay_start(struct tcp_tls *tt, const uint8_t *early, size_t n)
{
	if (n > TCP_TLS_BUF_TO_CHILD || tt->up)
		return -EINVAL;
	if (n) {
		size_t rx_cap = TCP_TLS_RING_MIN;

		while (rx_cap < n)
			rx_cap *= 2;
		if (tcp_tls_ring_alloc(&tt->rx, rx_cap))
			return -ENOMEM;
		tcp_tls_ring_put(&tt->rx, early, n);
	}
	tt->up = true;
	return 0;
}

/* tcp_tls_rx_wanted() - is there anything for TLS to read, so that the
 * to_child ring must be there: bytes OpenSSL holds, or anything at all on
 * the socket (data, its end or an error: TLS must see each of them)
 */
static bool tcp_tls_rx_wanted(const struct tcp_tls *tt)
{
	uint8_t byte;

	if (tls_conn_has_pending(tt->c))
		return true;
	return recv(tt->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) >= 0 ||
	       (errno != EAGAIN && errno != EWOULDBLOCK);
}

/* tcp_tls_fill() - decrypt into the to_child ring while TLS has bytes
 * (allocating the ring first if it has none): as far as it has room,
 * then, while the tree wants @need bytes held, growing it; note the
 * proxy's end or a failure
 * Return: 0, or -ENOMEM when an allocation failed (tt->nomem is set)
 */
static int tcp_tls_fill(struct tcp_tls *tt, size_t need)
{
	if (!tt->rx.buf && !tt->rx_eof && !tt->rx_err) {
		if (!tcp_tls_rx_wanted(tt))
			return 0;
		if (tcp_tls_ring_alloc(&tt->rx, TCP_TLS_RING_MIN)) {
			tt->nomem = true;
			return -ENOMEM;
		}
	}
	while (!tt->rx_eof && !tt->rx_err) {
		enum tls_result r;
		uint8_t *at;
		size_t room, got;

		if (tt->rx.len == tt->rx.cap) {
			int k;

			if (need <= tt->rx.cap)
				return 0;
			k = tcp_tls_ring_grow(&tt->rx);
			if (k < 0) {
				tt->nomem = true;
				return k;
			}
			if (!k)
				return 0; /* cap or budget: go on as we are */
		}
		room = tcp_tls_ring_tail(&tt->rx, &at);
		r = tls_conn_read(tt->c, at, room, &got);
		switch (r) {
		case TLS_DONE:
			tt->rx.len += got;
			break;
		case TLS_CLOSED:
			tt->rx_eof = true;
			return 0;
		case TLS_ERROR:
			tt->rx_err = true;
			return 0;
		case TLS_WANT_READ:
		case TLS_WANT_WRITE:
		default:
			return 0; /* the socket's next event calls again */
		}
	}
	return 0;
}

ssize_t tcp_tls_to_child(struct tcp_tls *tt, size_t off,
			 const struct iovec *iov, unsigned int iovcnt)
{
	size_t avail, want = 0, done = 0;
	unsigned int i;

	if (tt->nomem)
		return -ENOMEM;
	if (!tt->up)
		return -EAGAIN;
	for (i = 0; i < iovcnt; i++)
		want += iov[i].iov_len;
	if (tcp_tls_fill(tt, off + want) < 0)
		return -ENOMEM;
	if (off > tt->rx.len)
		return -EINVAL; /* sent bytes are kept until ACKed */
	avail = tt->rx.len - off;
	if (!avail) {
		if (tt->rx_err)
			return tt->rx.len ? -EAGAIN : -EPROTO;
		return tt->rx_eof ? 0 : -EAGAIN;
	}
	for (i = 0; i < iovcnt && done < avail; i++) {
		size_t n = iov[i].iov_len;

		if (n > avail - done)
			n = avail - done;
		tcp_tls_ring_copy(&tt->rx, off + done, iov[i].iov_base, n);
		done += n;
	}
	return (ssize_t)done;
}

ssize_t tcp_tls_acked(struct tcp_tls *tt, size_t n)
{
	if (!tt->up || n > tt->rx.len)
		return -1;
	tcp_tls_ring_drop(&tt->rx, n);
	return (ssize_t)n;
}

int tcp_tls_flush(struct tcp_tls *tt)
{
	enum tls_result r;

	if (tt->failed)
		return -EPROTO;
	if (!tt->up)
		return 0;
	while (tt->tx.len || tls_conn_unsent(tt->c)) {
		const uint8_t *at;
		size_t n = tcp_tls_ring_head(&tt->tx, &at), taken;

		r = tls_conn_write(tt->c, at, n, &taken);
		tcp_tls_ring_drop(&tt->tx, taken);
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
	size_t n;

	if (tt->nomem) {
		errno = ENOMEM;
		return -1;
	}
	if (tt->failed || !tt->up || tt->fin_from_child) {
		errno = EPROTO;
		return -1;
	}
	/* the window offered while it had none was TCP_TLS_RING_MIN */
	if (!tt->tx.buf && tcp_tls_ring_alloc(&tt->tx, TCP_TLS_RING_MIN))
		goto nomem;
	n = tt->tx.cap - tt->tx.len;
	if (n > len)
		n = len;
	tcp_tls_ring_put(&tt->tx, data, n);
	/* The tree used the whole window: it is the window that limits it */
	if (tt->tx.len == tt->tx.cap && tcp_tls_ring_grow(&tt->tx) < 0)
		goto nomem;
	if (tcp_tls_flush(tt) < 0) {
		errno = EPROTO;
		return -1;
	}
	/* TLS is behind: a bigger ring lets the next window be bigger */
	if (tt->tx.len > tt->tx.cap / 2 && tcp_tls_ring_grow(&tt->tx) < 0)
		goto nomem;
	return (ssize_t)n;
nomem:
	tt->nomem = true;
	errno = ENOMEM;
	return -1;
}

int tcp_tls_fin_from_child(struct tcp_tls *tt)
{
	tt->fin_from_child = true;
	return tcp_tls_flush(tt);
}

size_t tcp_tls_wnd(const struct tcp_tls *tt)
{
	if (!tt->up || tt->nomem)
		return 0;
	return tt->tx.buf ? tt->tx.cap - tt->tx.len : TCP_TLS_RING_MIN;
}

bool tcp_tls_idle(const struct tcp_tls *tt)
{
	return !tt->tx.len && !tls_conn_unsent(tt->c) &&
	       (!tt->fin_from_child || tt->shut);
}

void tcp_tls_trim(struct tcp_tls *tt)
{
	if (!tt->up)
		return;
	if (!tt->rx.len)
		tcp_tls_ring_free(&tt->rx);
	/* the window offered stays TCP_TLS_RING_MIN (tcp_tls_wnd()) */
	if (!tt->tx.len && tt->tx.cap == TCP_TLS_RING_MIN)
		tcp_tls_ring_free(&tt->tx);
}

bool tcp_tls_nomem(const struct tcp_tls *tt)
{
	return tt->nomem;
}

const char *tcp_tls_detail(const struct tcp_tls *tt)
{
	const char *detail = "";

	if (tt->nomem)
		return "out of memory growing a TLS plaintext buffer";
	tls_conn_error(tt->c, &detail);
	return detail;
}

void tcp_tls_free(struct tcp_tls *tt)
{
	if (!tt)
		return;
	tls_conn_free(tt->c);
	tcp_tls_ring_free(&tt->rx);
	tcp_tls_ring_free(&tt->tx);
	free(tt);
}
