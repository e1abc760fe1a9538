/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * tcp.c - TCP translation: the tree's segments on one side, a host socket
 * on the other, and no TCP stack in between
 *
 * Theory of operation
 * -------------------
 * The tree runs a real TCP stack against tun0; the host runs a real TCP
 * stack against the peer. The engine joins the two byte streams with the
 * host socket's kernel buffers as the only buffers, speaking just enough
 * TCP towards the tree to make its stack do the work: sequence numbers,
 * windows, ACKs, retransmissions, FIN and RST.
 *
 * Opening. A SYN from the tree goes to policy_decide(). Denied: RST (the
 * tree sees ECONNREFUSED). Allowed: a non-blocking host socket connect()s
 * to the destination (or to --proxy; DNS to the engine's resolver gets a
 * socket whose other end dns.c serves) and the SYN stays unanswered: the
 * tree's stack retransmits it, which we ignore while connecting. Connected:
 * SYN-ACK with our MSS (from the MTU) and, when the tree offered it, window
 * scaling. Refused: RST. Host or network unreachable: ICMP unreachable
 * quoting the SYN. Timed out: silence, so the tree's own timer decides,
 * as it would without us.
 *
 * Tree to host. An in-order segment is send()-ed to the host socket; the
 * ACK (one per flow per batch of tun0 reads, tcp_flush_acks()) covers
 * only what the socket accepted. The window we advertise is the free
 * space of the host socket's send buffer (SO_MEMINFO: sndbuf - queued),
 * so a well-behaved tree never sends more than the kernel takes. When the
 * buffer is nearly full, an EPOLL_CTL_MOD makes the kernel note that we
 * wait (SOCK_NOSPACE), and EPOLLOUT brings the window update (EPOLLOUT is
 * read only then: it comes with every edge of the socket). An ACK asks
 * the socket for its free space only when data went in since the last
 * time (TCP_F_WND_STALE): only sending shrinks it. Out-of-order
 * segments are dropped with an immediate duplicate ACK, which drives the
 * tree's fast retransmit. Anything the socket did not take is dropped too
 * (TCP_F_DROPPED; rare, as the window keeps a reserve): when the socket
 * drains, a window update goes out, and the tree retransmits.
 *
 * Host to tree. Data is read with MSG_PEEK from the offset SO_PEEK_OFF
 * keeps (the end of what was sent), into the payload slots of prebuilt
 * frames, cut to the tree's MSS and limited by its window; each frame
 * gets its headers in place and goes out with one writev(), its checksum
 * left to the tree's kernel (tun.c). Peeks happen on EPOLLIN and when a
 * tree segment may have opened the window; once a peek found everything
 * sent, only EPOLLIN or a rewind peeks again (TCP_F_HOST_IDLE), so an
 * upload costs no peek per segment. Bytes leave the socket (recv MSG_TRUNC) only when the tree
 * ACKs them: the socket's receive queue is the retransmission buffer.
 * Three duplicate ACKs retransmit the first unacked segment (NewReno:
 * partial ACKs retransmit the next one); a retransmission timeout rewinds
 * to the last ACK and sends everything again. A zero window is probed on the timer.
 * Without SO_PEEK_OFF (kernels before 6.9) the already-sent bytes are
 * peeked into a discard buffer first.
 *
 * Closing. Tree FIN, once everything before it is in the socket:
 * shutdown(SHUT_WR), then ACK. Host EOF (the peek returns 0 once all data
 * is sent): FIN to the tree, retransmitted like data; when the host's FIN
 * was known before a peek that found less than it asked for, the FIN
 * rides on that peek's last segment. RST from the tree:
 * close the socket with SO_LINGER {1, 0}, so the peer gets an RST too;
 * a host error: RST to the tree. When both FINs are acked, the socket is
 * closed and the flow lingers for TCP_LINGER_MS to re-ACK a retransmitted
 * FIN. Flows idle for TCP_IDLE_MS are reset both ways.
 *
 * Through a proxy. The host socket connects to --proxy instead, and the
 * SYN stays unanswered until the proxy handshake (handshake.h: HTTP
 * CONNECT or SOCKS5) says the tunnel is up; its bytes are peeked and only
 * the handshake's own are taken, so what follows the reply is tunnel data
 * for the path above. A failure is what a failed direct connect looks like
 * to the tree (mostly an RST), with the reason in connect_result. An
 * https:// proxy adds TLS on the socket first (tls.h), handshake included:
 * then the socket holds ciphertext, and the flow relays through two
 * bounded plaintext buffers of its own (tcp_tls.c has that design); the
 * few places above where bytes enter or leave the socket ask `t->tls`.
 *
 * Sub-states (tcp.h): CONNECTING -> SYN_SENT_TO_CHILD -> ESTABLISHED ->
 * LINGER, each transition asserted; half-closes are flags.
 */
#include "engine/tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/dns.h"
#include "engine/icmp.h"
#include "engine/sniff.h"
#include "engine/sock.h"
#include "engine/tcp_tls.h"
#include "observe/events.h"
#include "policy/policy.h"
#include "proxy/handshake.h"
#include "proxy/tls.h"
#include "util.h"

#define TCP_FRAMES	    16	  /* segments peeked per recvmsg() */
#define TCP_ROUNDS	    2	  /* recvmsg() per tcp_data_to_child() */
#define TCP_FRAME_PAYLOAD   65536 /* payload room of one frame */
#define TCP_WSCALE_TO_CHILD 7	  /* our windows reach 8 MiB */
#define TCP_RTO_MIN_MS \
	400			  /* twice Linux's TCP_RTO_MIN: a busy loop
				   * must not look like loss */
#define TCP_RTO_MAX_MS	   10000  /* backoff ceiling */
#define TCP_RETRIES_MAX	   12	  /* retransmission timeouts before reset */
#define TCP_SYNACK_RETRIES 6	  /* SYN-ACKs before giving up */
#define TCP_CONNECT_MAX_MS 150000 /* safety net over the kernel's own */
#define TCP_LINGER_MS	   2000	  /* closed flows re-ACK FINs this long */
#define TCP_IDLE_MS	   (2ULL * 3600 * 1000) /* established, nothing either way */
#define TCP_DISCARD_SIZE   (8u << 20) /* peek fallback without SO_PEEK_OFF */
#define TCP_DUP_ACKS	   3	      /* duplicate ACKs for fast retransmit */
#define TCP_ISN_POOL	   64	      /* random ISNs per getrandom() */

struct tcp_frame {
	uint8_t hdr[PACKET_HDR_ROOM];
	uint8_t payload[TCP_FRAME_PAYLOAD];
};

/* Frames for host data on its way to the tree, headers built in place */
static struct tcp_frame tcp_frames[TCP_FRAMES];
/* Control segments: headers only */
static uint8_t tcp_ctl[PACKET_HDR_ROOM];
/* Flows owing an ACK at the end of this batch (TCP_F_ACK_PENDING) */
static uint32_t tcp_ack_list[FLOW_MAX];
static unsigned int tcp_ack_n;
/* Without SO_PEEK_OFF: where already-sent bytes are peeked to */
static uint8_t *tcp_discard;

/* tcp_dbg_counters - cheap numbers for CHILDFLOW_DEBUG=1 diagnosis */
static struct {
	uint64_t partial_sends, fast_retransmits, timeouts, ooo;
} tcp_stats;

int tcp_init(struct engine *e)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), zero = 0;
	char err[256];

	e->peek_off = s >= 0 && !setsockopt(s, SOL_SOCKET, SO_PEEK_OFF, &zero,
					    sizeof(zero));
	if (s >= 0)
		close(s);
	if (!e->peek_off && !tcp_discard)
		tcp_discard = xmalloc(TCP_DISCARD_SIZE);
	tcp_ack_n = 0;
	if (tcp_tls_init(e->cfg, err, sizeof(err))) {
		util_err("%s", err);
		events_failure("preflight", "proxy_tls_unavailable", err);
		return -1;
	}
	return 0;
}

void tcp_fini(void)
{
	tcp_tls_fini();
}

/* tcp_proto() - the event protocol of @t: DNS over TCP counts as tcp */
static enum event_proto tcp_proto(const struct tcp_flow *t)
{
	(void)t;
	return EVENT_PROTO_TCP;
}

/* tcp_event() - fill the common fields of an event about @t */
static void tcp_event(const struct tcp_flow *t, struct event *ev,
		      enum event_kind kind)
{
	flow_event(&t->f, ev, kind, tcp_proto(t));
	ev->via_proxy = (t->flags & TCP_F_PROXY) != 0;
	ev->remote_name = dns_pool_name(&t->f.remote); /* --proxy-dns */
}

/* tcp_wnd_field() - the 16-bit window field for @t's current window */
static uint16_t tcp_wnd_field(const struct tcp_flow *t)
{
	uint32_t w = t->wnd_to_child >> t->wscale_to_child;

	return w > 0xffff ? 0xffff : (uint16_t)w;
}

/* tcp_send_raw() - a header-only segment from @src:@sport to @dst:@dport */
static void tcp_send_raw(struct engine *e, const struct ipaddr *src,
			 const struct ipaddr *dst, uint16_t sport,
			 uint16_t dport, uint32_t seq, uint32_t ack,
			 uint8_t flags, uint16_t wnd)
{
	struct packet_tcp_seg s = {
		.src = src,
		.dst = dst,
		.sport = sport,
		.dport = dport,
		.seq = seq,
		.ack = ack,
		.flags = flags,
		.wnd = wnd,
		.wscale = PACKET_WSCALE_NONE,
		.ttl = 64,
	};
	uint8_t *pkt = packet_build_tcp(&s, tcp_ctl + sizeof(tcp_ctl), 0);

	tun_write(e, pkt, packet_tcp_hlen(&s));
}

/* tcp_send_flags() - a segment of @t with @flags and no data, at @seq */
static void tcp_send_flags(struct engine *e, struct tcp_flow *t, uint8_t flags,
			   uint32_t seq)
{
	struct packet_tcp_seg s = {
		.src = &t->f.remote,
		.dst = &t->f.child,
		.sport = t->f.remote_port,
		.dport = t->f.child_port,
		.seq = seq,
		.ack = t->seq_from_child,
		.flags = flags,
		.wnd = tcp_wnd_field(t),
		.wscale = PACKET_WSCALE_NONE,
		.ttl = 64,
	};
	uint8_t *pkt;

	if (flags & TCP_SYN) {
		size_t hdr = (t->f.child.family == AF_INET ? 40 : 60);

		s.mss = (uint16_t)(PACKET_MTU - hdr);
		s.wscale = t->wscale_to_child ? t->wscale_to_child
					      : PACKET_WSCALE_NONE;
		/* the window of a SYN is never scaled */
		s.wnd = t->wnd_to_child > 0xffff ? 0xffff
						 : (uint16_t)t->wnd_to_child;
	}
	pkt = packet_build_tcp(&s, tcp_ctl + sizeof(tcp_ctl), 0);
	tun_write(e, pkt, packet_tcp_hlen(&s));
	if (flags & TCP_ACK) {
		t->seq_ack_to_child = t->seq_from_child;
		t->flags &= (uint16_t)~TCP_F_ACK_PENDING;
	}
}

/* tcp_ack_now() - an ACK at once (duplicate ACKs must not be merged) */
static void tcp_ack_now(struct engine *e, struct tcp_flow *t)
{
	tcp_send_flags(e, t, TCP_ACK, t->seq_to_child);
}

/* tcp_ack_later() - owe the tree an ACK at the end of this batch */
static void tcp_ack_later(struct tcp_flow *t)
{
	if (t->flags & TCP_F_ACK_PENDING)
		return;
	ASSERT(tcp_ack_n < FLOW_MAX);
	t->flags |= TCP_F_ACK_PENDING;
	tcp_ack_list[tcp_ack_n++] = flow_idx(&t->f);
}

/* tcp_update_wnd_tls() - the window of a TLS flow: the free space of its
 * buffer towards the proxy (tcp_tls.c); EPOLLOUT comes by itself, as TLS
 * writes until the socket says EAGAIN
 */
static void tcp_update_wnd_tls(struct tcp_flow *t)
{
	size_t free_space = tcp_tls_wnd(t->tls);
	uint32_t max = 0xffffu << t->wscale_to_child;

	t->wnd_to_child = free_space > max ? max : (uint32_t)free_space;
}

/* tcp_update_wnd() - the window to advertise: free space of the host
 * socket's send buffer. When it is low, make sure EPOLLOUT will come.
 */
static void tcp_update_wnd(struct engine *e, struct tcp_flow *t)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t sl = sizeof(mem);
	uint32_t sndbuf, queued, free_space, max;

	if (t->f.sock < 0)
		return;
	t->flags &= (uint16_t)~TCP_F_WND_STALE;
	if (t->tls) {
		tcp_update_wnd_tls(t);
		return;
	}
	if (getsockopt(t->f.sock, SOL_SOCKET, SO_MEMINFO, mem, &sl) ||
	    sl < sizeof(uint32_t) * (SK_MEMINFO_WMEM_QUEUED + 1))
		return;
	sndbuf = mem[SK_MEMINFO_SNDBUF];
	queued = mem[SK_MEMINFO_WMEM_QUEUED];
	free_space = sndbuf > queued ? sndbuf - queued : 0;
	/* send() counts buffer overhead too: keep an eighth in reserve so
	 * that what the window allows is taken whole
	 */
	free_space = free_space > sndbuf / 8 ? free_space - sndbuf / 8 : 0;
	max = 0xffffu << t->wscale_to_child;
	t->wnd_to_child = free_space > max ? max : free_space;
	/* The kernel wakes EPOLLOUT writers only when it knows one waits;
	 * a poll (which EPOLL_CTL_MOD does) while not writable tells it.
	 */
	if (free_space < queued / 2 && !(t->flags & TCP_F_WND_WAIT)) {
		t->flags |= TCP_F_WND_WAIT;
		loop_epoll_mod(e, t->f.sock,
			       EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
			       EPOLL_TYPE_TCP, flow_idx(&t->f));
	}
}

/* tcp_kill() - the flow is over (flow_end says @end) */
static void tcp_kill(struct tcp_flow *t, enum event_end end)
{
	flow_kill(&t->f, end);
}

/* tcp_reset() - the flow is over abruptly: RST to the tree and to the host
 * peer (SO_LINGER 0 at close)
 */
static void tcp_reset(struct engine *e, struct tcp_flow *t, const char *why)
{
	FLOW_DBG(&t->f, "reset: %s", why);
	if (t->tls && *tcp_tls_detail(t->tls))
		FLOW_DBG(&t->f, "tls: %s", tcp_tls_detail(t->tls));
	if (t->tls && tcp_tls_nomem(t->tls)) {
		char detail[96];

		snprintf(detail, sizeof(detail), "flow %u: %s", t->f.id,
			 tcp_tls_detail(t->tls));
		events_failure("run", "tls_buffer_nomem", detail);
	}
	if (t->state != TCP_STATE_CONNECTING)
		tcp_send_flags(e, t, TCP_RST | TCP_ACK, t->seq_to_child);
	t->flags |= TCP_F_RST_HOST;
	tcp_kill(t, EVENT_END_RESET);
}

/* tcp_rst_unknown() - answer a segment that belongs to no flow, as a TCP
 * stack does for a closed port (RFC 793 "reset generation")
 */
static void tcp_rst_unknown(struct engine *e, const struct packet *p)
{
	uint32_t ack;

	if (p->flags & TCP_RST)
		return;
	if (p->flags & TCP_ACK) {
		tcp_send_raw(e, &p->dst, &p->src, p->dport, p->sport, p->ack, 0,
			     TCP_RST, 0);
		return;
	}
	ack = p->seq + (uint32_t)p->payload_len +
	      ((p->flags & TCP_SYN) ? 1 : 0) + ((p->flags & TCP_FIN) ? 1 : 0);
	tcp_send_raw(e, &p->dst, &p->src, p->dport, p->sport, 0, ack,
		     TCP_RST | TCP_ACK, 0);
}

/* tcp_syn_quote() - rebuild the tree's SYN of @t, for an ICMP error */
static size_t tcp_syn_quote(const struct tcp_flow *t, uint8_t *out,
			    size_t outlen)
{
	uint8_t th[20] = {0};
	uint32_t isn = t->seq_from_child - 1;

	th[0] = (uint8_t)(t->f.child_port >> 8);
	th[1] = (uint8_t)t->f.child_port;
	th[2] = (uint8_t)(t->f.remote_port >> 8);
	th[3] = (uint8_t)t->f.remote_port;
	th[4] = (uint8_t)(isn >> 24);
	th[5] = (uint8_t)(isn >> 16);
	th[6] = (uint8_t)(isn >> 8);
	th[7] = (uint8_t)isn;
	th[12] = 5 << 4;
	th[13] = TCP_SYN;
	th[14] = 0xff;
	th[15] = 0xff;
	return packet_build_quote(&t->f.child, &t->f.remote, IPPROTO_TCP, 64,
				  sizeof(th), th, sizeof(th), out, outlen);
}

/* tcp_connect_error_code() - SPEC §3 connect_result.error for errno @err */
static const char *tcp_connect_error_code(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return "refused";
	case ENETUNREACH:
	case EHOSTUNREACH:
		return "unreachable";
	case ETIMEDOUT:
		return "timeout";
	default:
		return "error";
	}
}

/* tcp_proxy_free() - drop the handshake of @t, if any, wiping it */
static void tcp_proxy_free(struct tcp_flow *t)
{
	if (!t->hs)
		return;
	proxy_hs_wipe(t->hs);
	free(t->hs);
	t->hs = NULL;
}

/* tcp_fail_to_child() - the connection cannot be made: report @code and
 * @detail, and make the tree see what a direct connection would have seen
 * for errno @err (ETIMEDOUT: silence; unreachable: ICMP; else RST)
 */
static void tcp_fail_to_child(struct engine *e, struct tcp_flow *t, int err,
			      const char *code, const char *detail)
{
	uint8_t quote[64];
	size_t qlen;

	ASSERT(t->state == TCP_STATE_CONNECTING);
	if (events_wanted()) {
		struct event ev;

		tcp_event(t, &ev, EVENT_FLOW_FAILED);
		ev.error = code;
		ev.error_detail = detail;
		events_emit(&ev);
	}
	tcp_proxy_free(t);
	switch (err) {
	case ETIMEDOUT:
		tcp_kill(t, EVENT_END_TIMEOUT); /* silence */
		return;
	case ENETUNREACH:
	case EHOSTUNREACH:
		qlen = tcp_syn_quote(t, quote, sizeof(quote));
		icmp_error_to_child(e, &t->f.remote,
				    err == ENETUNREACH ? ICMP_ERR_NET_UNREACH
						       : ICMP_ERR_HOST_UNREACH,
				    quote, qlen);
		tcp_kill(t, EVENT_END_CLOSE);
		return;
	default: /* refused, and whatever else: the tree sees a refusal */
		tcp_send_raw(e, &t->f.remote, &t->f.child, t->f.remote_port,
			     t->f.child_port, 0, t->seq_from_child,
			     TCP_RST | TCP_ACK, 0);
		tcp_kill(t, EVENT_END_RESET);
		return;
	}
}

/* tcp_connect_failed() - the host connect() (or the socket to the proxy)
 * failed with @err
 */
static void tcp_connect_failed(struct engine *e, struct tcp_flow *t, int err)
{
	char detail[PROXY_HS_NAME_MAX + 64];
	const struct config *cfg = e->cfg;

	if ((t->flags & TCP_F_PROXY) && !t->hs && err == ECONNREFUSED) {
		snprintf(detail, sizeof(detail),
			 strchr(cfg->proxy.host, ':')
				 ? "proxy [%s]:%u refused the connection"
				 : "proxy %s:%u refused the connection",
			 cfg->proxy.host, (unsigned int)cfg->proxy.port);
		tcp_fail_to_child(e, t, err, "proxy_refused", detail);
		return;
	}
	tcp_fail_to_child(e, t, err, tcp_connect_error_code(err),
			  strerror(err));
}

/* tcp_isn() - a random initial sequence number towards the tree, from a
 * pool that one getrandom() fills for TCP_ISN_POOL connections (one
 * system call per connection less)
 */
static uint32_t tcp_isn(const struct engine *e, const struct tcp_flow *t)
{
	static uint32_t pool[TCP_ISN_POOL];
	static unsigned int left;

	if (!left) {
		if (getrandom(pool, sizeof(pool), GRND_NONBLOCK) !=
		    (ssize_t)sizeof(pool))
			return (uint32_t)(e->now_ms * 2654435761u) ^ t->f.id;
		left = TCP_ISN_POOL;
	}
	return pool[--left];
}

/* tcp_connected() - the host connect() succeeded: SYN-ACK to the tree */
static void tcp_connected(struct engine *e, struct tcp_flow *t)
{
	uint32_t isn;

	ASSERT(t->state == TCP_STATE_CONNECTING);
	tcp_proxy_free(t);
	if (e->peek_off && (t->flags & TCP_F_PROXY) && !t->tls)
		setsockopt(t->f.sock, SOL_SOCKET, SO_PEEK_OFF, &(int){0},
			   sizeof(int));
	isn = tcp_isn(e, t);
	t->seq_init_to_child = isn;
	t->seq_ack_from_child = isn;
	t->seq_to_child = isn + 1;
	t->seq_max_to_child = isn + 1;
	tcp_update_wnd(e, t);
	t->state = TCP_STATE_SYN_SENT_TO_CHILD;
	tcp_send_flags(e, t, TCP_SYN | TCP_ACK, isn);
	t->rto_ms = TCP_RTO_MIN_MS;
	t->retries = 0;
	t->timer_at_ms = e->now_ms + t->rto_ms;
	e->timer_fast_wanted = true;
	if (events_wanted()) {
		struct event ev;

		tcp_event(t, &ev, EVENT_FLOW_CONNECTED);
		events_emit(&ev);
	}
}

/* tcp_proxy_failed() - the proxy handshake of @t ended in an error */
static void tcp_proxy_failed(struct engine *e, struct tcp_flow *t,
			     enum proxy_hs_result res)
{
	const char *detail = NULL;
	const char *code = proxy_hs_error_name(t->hs, &detail);
	int err;

	switch (res) {
	case PROXY_HS_NET_UNREACHABLE:
		err = ENETUNREACH;
		break;
	case PROXY_HS_HOST_UNREACHABLE:
		err = EHOSTUNREACH;
		break;
	case PROXY_HS_TIMEOUT:
		err = ETIMEDOUT;
		break;
	default: /* refused, proxy_refused, auth failed, protocol */
		err = ECONNREFUSED;
		break;
	}
	FLOW_DBG(&t->f, "proxy handshake: %s (%s)", code ? code : "?",
		 detail ? detail : "");
	tcp_fail_to_child(e, t, err, code ? code : "proxy_protocol", detail);
}

/* tcp_proxy_tls_failed() - TLS to the proxy failed before the tunnel was
 * up: tls_failed with TLS's detail; the tree sees a refused connection
 */
static void tcp_proxy_tls_failed(struct engine *e, struct tcp_flow *t)
{
	const char *detail = tcp_tls_detail(t->tls);

	FLOW_DBG(&t->f, "proxy TLS: %s", detail);
	tcp_fail_to_child(e, t, ECONNREFUSED, TLS_ERROR_CODE, detail);
}

/* tcp_proxy_io_tls() - tcp_proxy_io() for an https:// proxy: the TLS
 * handshake, then the CONNECT handshake through TLS. What the read that
 * completes the reply holds beyond it is the tunnel's first payload, kept
 * for the tree (tcp_tls_relay_start()); what OpenSSL holds beyond that is
 * read by the relay. Each step does what the socket allows and returns;
 * the socket's next event (EPOLLET, after TLS saw EAGAIN) calls again.
 */
static void tcp_proxy_io_tls(struct engine *e, struct tcp_flow *t)
{
	struct tls_conn *c = tcp_tls_conn(t->tls);
	enum tls_result r = tls_conn_handshake(c);
	uint8_t buf[4096];

	if (r == TLS_ERROR) {
		tcp_proxy_tls_failed(e, t);
		return;
	}
	if (r != TLS_DONE)
		return;
	if (events_debug() && proxy_hs_pending(t->hs, NULL) &&
	    !tls_conn_unsent(c)) {
		char info[TLS_DETAIL_MAX];

		FLOW_DBG(&t->f, "proxy TLS: %s",
			 tls_conn_info(c, info, sizeof(info)));
	}
	for (;;) {
		enum proxy_hs_result res;
		const uint8_t *out;
		size_t n = proxy_hs_pending(t->hs, &out), got = 0, used = 0;

		if (n || tls_conn_unsent(c)) {
			size_t taken;

			r = tls_conn_write(c, out, n, &taken);
			proxy_hs_wrote(t->hs, taken);
			if (r == TLS_ERROR) {
				tcp_proxy_tls_failed(e, t);
				return;
			}
			/* stalled: EPOLLOUT comes; the reply cannot yet */
		}
		r = tls_conn_read(c, buf, sizeof(buf), &got);
		if (r == TLS_ERROR) {
			tcp_proxy_tls_failed(e, t);
			return;
		}
		if (r == TLS_WANT_READ || r == TLS_WANT_WRITE)
			return;
		if (r == TLS_CLOSED)
			res = proxy_hs_eof(t->hs);
		else
			res = proxy_hs_feed(t->hs, buf, got, &used);
		if (res == PROXY_HS_MORE)
			continue;
		if (res != PROXY_HS_DONE) {
			tcp_proxy_failed(e, t, res);
			return;
		}
		if (tcp_tls_relay_start(t->tls, buf + used, got - used)) {
			tcp_connect_failed(e, t, ENOMEM);
			return;
		}
		tcp_connected(e, t);
		return;
	}
}

/* tcp_proxy_io() - move the handshake of @t on: write what it offers,
 * feed it what the proxy sent (peeked, then only the handshake's bytes
 * taken: what follows is tunnel data for the normal path), until it
 * waits for the socket, succeeds or fails
 */
static void tcp_proxy_io(struct engine *e, struct tcp_flow *t)
{
	uint8_t buf[4096];

	if (t->tls) {
		tcp_proxy_io_tls(e, t);
		return;
	}

	for (;;) {
		enum proxy_hs_result res;
		const uint8_t *out;
		size_t n = proxy_hs_pending(t->hs, &out), used = 0;
		ssize_t r;

		if (n) {
			r = send(t->f.sock, out, n, MSG_NOSIGNAL);
			if (r < 0) {
				if (errno != EAGAIN && errno != EWOULDBLOCK)
					tcp_connect_failed(e, t, errno);
				return;
			}
			proxy_hs_wrote(t->hs, (size_t)r);
			continue;
		}
		r = recv(t->f.sock, buf, sizeof(buf), MSG_PEEK);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				tcp_connect_failed(e, t, errno);
			return;
		}
		if (r == 0) {
			res = proxy_hs_eof(t->hs);
		} else {
			res = proxy_hs_feed(t->hs, buf, (size_t)r, &used);
			if (used && recv(t->f.sock, NULL, used, MSG_TRUNC) !=
					    (ssize_t)used) {
				tcp_connect_failed(e, t, errno ? errno : EIO);
				return;
			}
		}
		if (res == PROXY_HS_DONE) {
			tcp_connected(e, t);
			return;
		}
		if (res != PROXY_HS_MORE) {
			tcp_proxy_failed(e, t, res);
			return;
		}
	}
}

/* tcp_proxy_start() - the socket of @t reached the proxy: start the
 * handshake for the tree's destination
 */
static void tcp_proxy_start(struct engine *e, struct tcp_flow *t)
{
	const struct config *cfg = e->cfg;
	const char *name = dns_pool_name(&t->f.remote); /* --proxy-dns */
	char host[INET6_ADDRSTRLEN];

	t->hs = calloc(1, sizeof(*t->hs));
	if (!t->hs) {
		tcp_connect_failed(e, t, ENOMEM);
		return;
	}
	inet_ntop(t->f.remote.family, &t->f.remote.v6, host, sizeof(host));
	if (cfg->proxy.scheme == PROXY_HTTPS) {
		t->tls = tcp_tls_new(t->f.sock, cfg->proxy.host);
		if (!t->tls) {
			char detail[64];

			snprintf(detail, sizeof(detail), "cannot start TLS: %s",
				 strerror(errno));
			tcp_fail_to_child(e, t, ECONNREFUSED, TLS_ERROR_CODE,
					  detail);
			return;
		}
	}
	if (proxy_hs_init(t->hs, &cfg->proxy, cfg->proxy_user,
			  cfg->proxy_password, name ? name : host,
			  t->f.remote_port, name != NULL)) {
		tcp_proxy_failed(e, t, proxy_hs_result(t->hs));
		return;
	}
	tcp_proxy_io(e, t);
}

/* tcp_sock_connected() - the host socket of @t connected: to the
 * destination (SYN-ACK now) or to the proxy (handshake first)
 */
static void tcp_sock_connected(struct engine *e, struct tcp_flow *t)
{
	if (t->flags & TCP_F_PROXY)
		tcp_proxy_start(e, t);
	else
		tcp_connected(e, t);
}

/* tcp_event_deny() - report a denied connection attempt */
static void tcp_event_deny(struct engine *e, const struct packet *p,
			   enum event_proto proto,
			   const struct policy_decision *d, bool via_proxy)
{
	struct event ev = {.kind = EVENT_DENY, .proto = proto};

	ev.flow_id = flow_deny_id(e);
	ev.via_proxy = via_proxy;
	ev.remote_name = dns_pool_name(&p->dst); /* --proxy-dns */

	ev.remote = p->dst;
	ev.remote_port = p->dport;
	ev.decision = d;
	events_emit(&ev);
}

/* tcp_no_name() - @t goes to a --proxy-dns address that stands for no
 * name in this run (the tree kept it from another run, or made it up):
 * there is nothing to connect to. Reported like an unreachable host, and
 * the tree is told so by ICMP.
 */
static void tcp_no_name(struct engine *e, struct tcp_flow *t)
{
	char addr[64], detail[160];

	flow_activate(&t->f);
	if (events_wanted()) {
		struct event ev;

		t->flags |= TCP_F_REPORTED;
		tcp_event(t, &ev, EVENT_FLOW_START);
		events_emit(&ev);
	}
	ip_format(&t->f.remote, addr, sizeof(addr));
	snprintf(
		detail, sizeof(detail),
		"--proxy-dns: %s stands for no name in this run; resolve the name again",
		addr);
	tcp_fail_to_child(e, t, EHOSTUNREACH, "unreachable", detail);
}

/* tcp_syn_from_child() - a SYN for a new connection: decide, connect */
static void tcp_syn_from_child(struct engine *e, const struct packet *p)
{
	struct policy_flow pf = {
		.proto = POLICY_PROTO_TCP, .dst = p->dst, .dst_port = p->dport};
	const struct ipaddr *target = &p->dst;
	struct sockaddr_storage ss;
	struct policy_decision d;
	struct flow_common *f;
	struct tcp_flow *t;
	int s, one = 1, zero = 0;
	uint16_t port = p->dport;
	const char *name = NULL;
	bool dns = false;
	socklen_t sl;

	if (dns_is_query(e, &p->dst, p->dport)) {
		dns = true;
		pf.proto = POLICY_PROTO_DNS;
	} else if (loop_is_engine_addr(e, &p->dst) ||
		   loop_dst_forbidden(&p->dst)) {
		tcp_rst_unknown(e, p); /* nothing listens there */
		return;
	}
	pf.via_proxy = e->cfg->has_proxy && !dns;
	if (dns_pool_contains(&p->dst)) {
		/* --proxy-dns: the address stands for a name; the proxy
		 * connects to the name, and domain rules judge it
		 */
		name = dns_pool_name(&p->dst);
		pf.by_name = true;
		pf.names = &name;
		pf.n_names = name ? 1 : 0;
	}
	if ((pf.by_name ? policy_decide(e->cfg, &pf, &d)
			: loop_policy(e, &pf, &d)) == POLICY_VERDICT_DENY) {
		if (events_wanted())
			tcp_event_deny(e, p,
				       dns ? EVENT_PROTO_DNS : EVENT_PROTO_TCP,
				       &d, pf.via_proxy);
		tcp_rst_unknown(e, p);
		return;
	}
	f = flow_alloc(e, FLOW_TYPE_TCP);
	if (!f) {
		tcp_rst_unknown(e, p);
		return;
	}
	if (name)
		dns_pool_hold(&p->dst); /* released by tcp_free() */
	t = (struct tcp_flow *)(void *)f;
	f->child = p->src;
	f->child_port = p->sport;
	f->remote = p->dst;
	f->remote_port = p->dport;
	t->state = TCP_STATE_CONNECTING;
	t->seq_from_child = p->seq + 1;
	t->seq_ack_to_child = t->seq_from_child;
	t->wnd_from_child = p->wnd;
	if (p->wscale != PACKET_WSCALE_NONE) {
		t->wscale_from_child = p->wscale;
		t->wscale_to_child = TCP_WSCALE_TO_CHILD;
	}
	t->mss_to_child = p->mss ? p->mss : (p->family == AF_INET ? 536 : 1220);
	if (t->mss_to_child > PACKET_MTU - 60)
		t->mss_to_child = PACKET_MTU - 60;
	if (pf.via_proxy) {
		target = &e->proxy_addr;
		port = e->proxy_port;
		t->flags |= TCP_F_PROXY;
	}
	t->timer_at_ms = e->now_ms + TCP_CONNECT_MAX_MS;
	if (pf.by_name && !name) {
		tcp_no_name(e, t);
		return;
	}

	/* DNS over TCP: the engine's resolver answers on the other end of
	 * a loopback pair (dns.c); the socket is connected, EPOLLOUT says so
	 */
	if (dns)
		s = dns_tcp_open(e, f);
	else
		s = socket(target->family,
			   SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0) {
		FLOW_DBG(f, "socket: %s", strerror(dns ? -s : errno));
		tcp_rst_unknown(e, p);
		flow_kill(f, EVENT_END_RESET);
		return;
	}
	f->sock = s;
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* through the proxy: only once the handshake's peeks are over */
	if (e->peek_off && !(t->flags & TCP_F_PROXY))
		setsockopt(s, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero));
	flow_activate(f);
	if (events_wanted()) {
		struct event ev;

		t->flags |= TCP_F_REPORTED;
		tcp_event(t, &ev, EVENT_FLOW_START);
		events_emit(&ev);
	}
	if (loop_epoll_add(e, s, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
			   EPOLL_TYPE_TCP, flow_idx(f))) {
		tcp_connect_failed(e, t, ENOMEM);
		return;
	}
	if (dns)
		return;
	sl = sock_addr_fill(&ss, target, port);
	if (connect(s, (struct sockaddr *)&ss, sl) == 0)
		tcp_sock_connected(e, t);
	else if (errno != EINPROGRESS)
		tcp_connect_failed(e, t, errno);
}

/* tcp_set_peek_off() - tell the kernel where the next peek starts */
static void tcp_set_peek_off(struct engine *e, struct tcp_flow *t)
{
	int off = (int)(t->seq_to_child - t->seq_ack_from_child);

	if (e->peek_off && !t->tls)
		setsockopt(t->f.sock, SOL_SOCKET, SO_PEEK_OFF, &off,
			   sizeof(off));
}

/* tcp_send_frames() - write the @n bytes peeked into tcp_frames as
 * segments of at most @seg bytes starting at @seq, the last one with FIN
 * when @fin
 */
static void tcp_send_frames(struct engine *e, struct tcp_flow *t, uint32_t seq,
			    size_t n, size_t seg, bool fin)
{
	struct packet_tcp_seg s = {
		.src = &t->f.remote,
		.dst = &t->f.child,
		.sport = t->f.remote_port,
		.dport = t->f.child_port,
		.ack = t->seq_from_child,
		.flags = TCP_ACK,
		.wnd = tcp_wnd_field(t),
		.wscale = PACKET_WSCALE_NONE,
		.ttl = 64,
		.csum_partial = true, /* no one sums the payload (tun.c) */
	};
	size_t hlen = packet_tcp_hlen(&s), i;
	size_t iph = packet_ip_hlen(t->f.remote.family);

	for (i = 0; n; i++) {
		size_t len = n < seg ? n : seg;
		uint8_t *pkt;

		s.seq = seq;
		s.flags = (uint8_t)(TCP_ACK |
				    (len == n ? TCP_PSH | (fin ? TCP_FIN : 0)
					      : 0));
		pkt = packet_build_tcp(&s, tcp_frames[i].payload, len);
		tun_write_partial(e, pkt, hlen + len, iph, PACKET_TCP_CSUM_OFF);
		seq += (uint32_t)len;
		n -= len;
	}
	t->seq_ack_to_child = t->seq_from_child;
	t->flags &= (uint16_t)~TCP_F_ACK_PENDING;
}

/* tcp_arm_rto() - start the retransmission timer if it is not running */
static void tcp_arm_rto(struct engine *e, struct tcp_flow *t)
{
	if (!t->timer_at_ms) {
		t->timer_at_ms = e->now_ms + t->rto_ms;
		e->timer_fast_wanted = true;
	}
}

/* tcp_peek_tls() - tcp_peek() for a TLS flow: from its plaintext buffer
 * (tcp_tls_to_child()), at the same offset
 */
static ssize_t tcp_peek_tls(struct tcp_flow *t, size_t want, size_t seg)
{
	struct iovec iov[TCP_FRAMES];
	size_t total = 0;
	unsigned int k;

	for (k = 0; k < TCP_FRAMES && total < want; k++) {
		size_t len = want - total < seg ? want - total : seg;

		iov[k].iov_base = tcp_frames[k].payload;
		iov[k].iov_len = len;
		total += len;
	}
	return tcp_tls_to_child(t->tls, t->seq_to_child - t->seq_ack_from_child,
				iov, k);
}

/* tcp_peek() - peek up to @want bytes (in segments of @seg) from the
 * current offset into tcp_frames
 * Return: bytes peeked, 0 at EOF, -EAGAIN when nothing is there yet,
 * or another -errno.
 */
static ssize_t tcp_peek(struct engine *e, struct tcp_flow *t, size_t want,
			size_t seg)
{
	struct iovec iov[TCP_FRAMES + 1];
	struct msghdr mh = {.msg_iov = iov};
	size_t total = 0, skip = 0;
	unsigned int k = 0, j;
	ssize_t n;

	if (t->tls)
		return tcp_peek_tls(t, want, seg);

	if (!e->peek_off) {
		skip = t->seq_to_child - t->seq_ack_from_child;
		if (skip >= TCP_DISCARD_SIZE)
			return -EAGAIN;
		if (skip) {
			iov[k].iov_base = tcp_discard;
			iov[k++].iov_len = skip;
		}
		if (want > TCP_DISCARD_SIZE - skip)
			want = TCP_DISCARD_SIZE - skip;
	}
	for (j = 0; j < TCP_FRAMES && total < want; j++) {
		size_t len = want - total < seg ? want - total : seg;

		iov[k].iov_base = tcp_frames[j].payload;
		iov[k++].iov_len = len;
		total += len;
	}
	mh.msg_iovlen = k;
	n = recvmsg(t->f.sock, &mh, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0) {
		/* Everything the socket holds was sent: until EPOLLIN says
		 * that more came, a peek would find nothing again
		 */
		if (e->peek_off && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    t->seq_to_child == t->seq_max_to_child)
			t->flags |= TCP_F_HOST_IDLE;
		return -errno;
	}
	if (!e->peek_off) {
		if ((size_t)n < skip)
			return -EAGAIN; /* cannot happen: those were peeked */
		n -= (ssize_t)skip;
		if (!n && !(t->flags & TCP_F_HOST_RDHUP))
			return -EAGAIN;
	}
	return n;
}

/* tcp_data_to_child() - send the tree what the host sent, as far as its
 * window allows; then the FIN, once the host's EOF is reached
 */
static void tcp_data_to_child(struct engine *e, struct tcp_flow *t)
{
	size_t seg = t->mss_to_child;

	if (seg > TCP_FRAME_PAYLOAD)
		seg = TCP_FRAME_PAYLOAD;
	unsigned int rounds = 0;

	if (t->state != TCP_STATE_ESTABLISHED)
		return;
	/* At most TCP_ROUNDS peeks per call, so that one busy flow cannot
	 * hold the loop (and every other flow's ACKs) for long: the tree's
	 * next ACK calls again
	 */
	while (rounds++ < TCP_ROUNDS) {
		uint32_t inflight = t->seq_to_child - t->seq_ack_from_child;
		bool drained, fin;
		size_t avail;
		ssize_t n;

		if (t->flags & TCP_F_FIN_TO_CHILD) {
			if (t->seq_to_child == t->seq_fin_to_child) {
				tcp_send_flags(e, t, TCP_FIN | TCP_ACK,
					       t->seq_fin_to_child);
				t->seq_to_child++;
				if (seq_gt(t->seq_to_child,
					   t->seq_max_to_child))
					t->seq_max_to_child = t->seq_to_child;
				break;
			}
			if (seq_gt(t->seq_to_child, t->seq_fin_to_child))
				break;
		}
		if (inflight >= t->wnd_from_child)
			break;
		avail = t->wnd_from_child - inflight;
		if (t->flags & TCP_F_FIN_TO_CHILD &&
		    avail > t->seq_fin_to_child - t->seq_to_child)
			avail = t->seq_fin_to_child - t->seq_to_child;
		n = tcp_peek(e, t, avail, seg);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			break;
		if (n < 0) {
			tcp_reset(e, t, strerror((int)-n));
			return;
		}
		if (n == 0) {
			if (t->flags & TCP_F_FIN_TO_CHILD)
				break; /* cannot happen: data ends at FIN */
			t->flags |= TCP_F_FIN_TO_CHILD;
			t->seq_fin_to_child = t->seq_to_child;
			rounds--; /* the FIN itself takes no peek */
			continue;
		}
		drained = (size_t)n < avail && (size_t)n < seg * TCP_FRAMES;
		/* The host's FIN came before this peek, which found less
		 * than it asked for: these are the last bytes, and the FIN
		 * goes with them, which saves a segment and a peek for EOF
		 * (a retransmission sends it alone)
		 */
		fin = drained && e->peek_off && t->flags & TCP_F_HOST_RDHUP &&
		      !(t->flags & TCP_F_FIN_TO_CHILD);
		tcp_send_frames(e, t, t->seq_to_child, (size_t)n, seg, fin);
		t->seq_to_child += (uint32_t)n;
		if (seq_gt(t->seq_to_child, t->seq_max_to_child)) {
			t->f.bytes_to_child +=
				t->seq_to_child - t->seq_max_to_child;
			t->seq_max_to_child = t->seq_to_child;
		}
		if (fin) {
			t->flags |= TCP_F_FIN_TO_CHILD;
			t->seq_fin_to_child = t->seq_to_child;
			t->seq_to_child++;
			if (seq_gt(t->seq_to_child, t->seq_max_to_child))
				t->seq_max_to_child = t->seq_to_child;
		}
		if (drained)
			break;
	}
	if (t->seq_to_child != t->seq_ack_from_child || !t->wnd_from_child)
		tcp_arm_rto(e, t);
}

/* tcp_retransmit_one() - resend the first unacked segment (fast
 * retransmit), leaving the peek offset where it was
 */
static void tcp_retransmit_one(struct engine *e, struct tcp_flow *t)
{
	uint32_t data_end = t->flags & TCP_F_FIN_TO_CHILD ? t->seq_fin_to_child
							  : t->seq_to_child;
	size_t seg = t->mss_to_child, len;
	uint32_t saved = t->seq_to_child;
	ssize_t n;

	if (seg > TCP_FRAME_PAYLOAD)
		seg = TCP_FRAME_PAYLOAD;
	if (!seq_lt(t->seq_ack_from_child, data_end)) {
		if (t->flags & TCP_F_FIN_TO_CHILD &&
		    t->seq_ack_from_child == t->seq_fin_to_child)
			tcp_send_flags(e, t, TCP_FIN | TCP_ACK,
				       t->seq_fin_to_child);
		return;
	}
	len = data_end - t->seq_ack_from_child;
	if (len > seg)
		len = seg;
	t->seq_to_child = t->seq_ack_from_child;
	tcp_set_peek_off(e, t);
	n = tcp_peek(e, t, len, seg);
	if (n > 0)
		tcp_send_frames(e, t, t->seq_ack_from_child, (size_t)n, seg,
				false);
	t->seq_to_child = saved;
	tcp_set_peek_off(e, t);
	tcp_stats.fast_retransmits++;
}

/* tcp_ack_from_child() - the ACK field of a tree segment: free what it
 * acknowledges, count duplicates, take its window
 */
static void tcp_ack_from_child(struct engine *e, struct tcp_flow *t,
			       const struct packet *p)
{
	uint32_t wnd = (uint32_t)p->wnd << t->wscale_from_child;
	uint32_t ack = p->ack;

	if (seq_gt(ack, t->seq_max_to_child))
		return; /* acks what was never sent: ignore the field */
	if (seq_gt(ack, t->seq_ack_from_child)) {
		uint32_t upto = ack;
		size_t k;

		if (t->flags & TCP_F_FIN_TO_CHILD &&
		    seq_gt(upto, t->seq_fin_to_child))
			upto = t->seq_fin_to_child;
		k = upto - t->seq_ack_from_child;
		if (k) {
			ssize_t n = t->tls ? tcp_tls_acked(t->tls, k)
					   : recv(t->f.sock, NULL, k,
						  MSG_TRUNC | MSG_DONTWAIT);

			if (n != (ssize_t)k) {
				tcp_reset(e, t, "discard of acked data failed");
				return;
			}
		}
		t->seq_ack_from_child = ack;
		if (seq_lt(t->seq_to_child, ack))
			t->seq_to_child = ack;
		if (t->flags & TCP_F_FIN_TO_CHILD &&
		    ack == t->seq_fin_to_child + 1)
			t->flags |= TCP_F_FIN_ACKED;
		t->dup_acks = 0;
		t->retries = 0;
		t->rto_ms = TCP_RTO_MIN_MS;
		t->timer_at_ms = 0;
		t->wnd_from_child = wnd;
		if (t->flags & TCP_F_RECOVERY) {
			if (seq_ge(ack, t->seq_recover))
				t->flags &= (uint16_t)~TCP_F_RECOVERY;
			else
				tcp_retransmit_one(e, t); /* partial ACK */
		}
		if (t->seq_to_child != t->seq_ack_from_child)
			tcp_arm_rto(e, t);
		return;
	}
	if (ack == t->seq_ack_from_child && !p->payload_len &&
	    !(p->flags & (TCP_SYN | TCP_FIN)) && wnd == t->wnd_from_child &&
	    t->seq_to_child != t->seq_ack_from_child) {
		if (++t->dup_acks == TCP_DUP_ACKS &&
		    !(t->flags & TCP_F_RECOVERY)) {
			t->flags |= TCP_F_RECOVERY;
			t->seq_recover = t->seq_max_to_child;
			tcp_retransmit_one(e, t);
		}
	}
	t->wnd_from_child = wnd;
}

/* tcp_sniff() - the host name the tree's first bytes on @t ask for (TLS
 * server_name, HTTP Host), kept for flow_end; looked at once, and only
 * when somebody reads events
 */
static void tcp_sniff(struct tcp_flow *t, const uint8_t *data, size_t len)
{
	char name[SNIFF_NAME_MAX];
	enum sniff_kind kind;

	t->flags |= TCP_F_SNIFFED;
	if (!events_wanted())
		return;
	kind = sniff_host(data, len, name);
	if (kind == SNIFF_NONE)
		return;
	t->host_seen = xstrdup(name);
	if (kind == SNIFF_TLS_SNI)
		t->flags |= TCP_F_HOST_SNI;
}

/* tcp_data_from_child() - payload and FIN of a tree segment: in order
 * into the host socket, as much as it takes
 */
static void tcp_data_from_child(struct engine *e, struct tcp_flow *t,
				const struct packet *p)
{
	const uint8_t *data = p->payload;
	size_t len = p->payload_len;
	bool fin = p->flags & TCP_FIN;
	uint32_t seq = p->seq;

	if (t->flags & TCP_F_FIN_FROM_CHILD) {
		tcp_ack_now(e, t); /* a retransmission after its FIN */
		return;
	}
	if (seq_lt(seq, t->seq_from_child)) {
		uint32_t skip = t->seq_from_child - seq;

		if (skip > len || (skip == len && !fin)) {
			tcp_ack_now(e, t); /* all old: say where we are */
			return;
		}
		data += skip;
		len -= skip;
		seq = t->seq_from_child;
	}
	if (seq != t->seq_from_child) {
		tcp_stats.ooo++;
		FLOW_DBG(&t->f, "out of order: %u bytes at %u, expected %u",
			 (unsigned int)len, seq, t->seq_from_child);
		tcp_ack_now(e, t); /* out of order: duplicate ACK */
		return;
	}
	if (len && !(t->flags & TCP_F_SNIFFED))
		tcp_sniff(t, data, len);
	if (len) {
		ssize_t n = t->tls ? tcp_tls_from_child(t->tls, data, len)
				   : send(t->f.sock, data, len,
					  MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				tcp_reset(e, t, strerror(errno));
				return;
			}
			n = 0;
		}
		t->seq_from_child += (uint32_t)n;
		t->f.bytes_from_child += (uint64_t)n;
		if (n > 0)
			t->flags |= TCP_F_WND_STALE;
		if ((size_t)n < len) {
			FLOW_DBG(&t->f, "host took %zd of %zu bytes", n, len);
			t->flags |= TCP_F_DROPPED;
			tcp_stats.partial_sends++;
			fin = false;
			if (!n)
				return; /* no news: EPOLLOUT will update */
		}
	}
	if (fin) {
		if (!t->tls)
			shutdown(t->f.sock, SHUT_WR);
		else if (tcp_tls_fin_from_child(t->tls) < 0) {
			tcp_reset(e, t, "TLS to the proxy failed");
			return;
		}
		t->seq_from_child++;
		t->flags |= TCP_F_FIN_FROM_CHILD;
	}
	tcp_ack_later(t);
}

/* tcp_check_closed() - both directions closed and acked: close the
 * socket, linger to re-ACK a retransmitted FIN
 */
static void tcp_check_closed(struct engine *e, struct tcp_flow *t)
{
	if (t->f.state != FLOW_STATE_ACTIVE ||
	    t->state != TCP_STATE_ESTABLISHED)
		return;
	if ((t->flags & (TCP_F_FIN_FROM_CHILD | TCP_F_FIN_ACKED)) !=
	    (TCP_F_FIN_FROM_CHILD | TCP_F_FIN_ACKED))
		return;
	if (t->tls) {
		/* the tree's bytes and FIN must reach the proxy first */
		if (!tcp_tls_idle(t->tls))
			return;
		tcp_tls_free(t->tls);
		t->tls = NULL;
	}
	close(t->f.sock);
	t->f.sock = -1;
	t->state = TCP_STATE_LINGER;
	t->timer_at_ms = e->now_ms + TCP_LINGER_MS;
	FLOW_DBG(&t->f, "closed both ways");
}

/* tcp_established() - a segment of an established connection */
static void tcp_established(struct engine *e, struct tcp_flow *t,
			    const struct packet *p)
{
	if (p->flags & TCP_SYN) {
		tcp_ack_now(e, t); /* RFC 5961 challenge ACK */
		return;
	}
	if (!(p->flags & TCP_ACK))
		return;
	tcp_ack_from_child(e, t, p);
	if (t->f.state != FLOW_STATE_ACTIVE)
		return;
	if (p->payload_len || (p->flags & TCP_FIN)) {
		tcp_data_from_child(e, t, p);
		if (t->f.state != FLOW_STATE_ACTIVE)
			return;
	} else if (seq_lt(p->seq, t->seq_from_child)) {
		/* a zero window probe or keepalive (an old sequence number):
		 * it wants our current ACK and window
		 */
		tcp_update_wnd(e, t);
		tcp_ack_now(e, t);
	}
	/* Host data goes out on EPOLLIN, and here when this segment opened
	 * the window or a retransmission rewound: a peek per segment of an
	 * upload would find nothing every time (a third of its system calls)
	 */
	if (!(t->flags & TCP_F_HOST_IDLE) ||
	    t->seq_to_child != t->seq_max_to_child)
		tcp_data_to_child(e, t);
	if (t->f.state == FLOW_STATE_ACTIVE)
		tcp_check_closed(e, t);
}

void tcp_from_child(struct engine *e, const struct packet *p)
{
	struct flow_common *f = flow_lookup(FLOW_TYPE_TCP, &p->src, p->sport,
					    &p->dst, p->dport);
	struct tcp_flow *t;

	if (!f) {
		if ((p->flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN)
			tcp_syn_from_child(e, p);
		else
			tcp_rst_unknown(e, p);
		return;
	}
	t = (struct tcp_flow *)(void *)f;
	f->last_ms = e->now_ms;

	if (p->flags & TCP_RST) {
		if (t->state == TCP_STATE_LINGER) {
			flow_kill(f, EVENT_END_CLOSE);
			return;
		}
		FLOW_DBG(f, "reset by the tree");
		t->flags |= TCP_F_RST_HOST;
		flow_kill(f, EVENT_END_RESET);
		return;
	}
	switch (t->state) {
	case TCP_STATE_CONNECTING:
		return; /* SYN retransmissions wait for connect() */
	case TCP_STATE_SYN_SENT_TO_CHILD:
		if (p->flags & TCP_SYN) {
			if (!(p->flags & TCP_ACK) &&
			    p->seq + 1 == t->seq_from_child)
				tcp_send_flags(e, t, TCP_SYN | TCP_ACK,
					       t->seq_init_to_child);
			return;
		}
		if (!(p->flags & TCP_ACK) ||
		    p->ack != t->seq_init_to_child + 1) {
			if (p->flags & TCP_ACK)
				tcp_rst_unknown(e, p);
			return;
		}
		t->state = TCP_STATE_ESTABLISHED;
		t->seq_ack_from_child = p->ack;
		t->wnd_from_child = (uint32_t)p->wnd << t->wscale_from_child;
		t->timer_at_ms = 0;
		t->rto_ms = TCP_RTO_MIN_MS;
		t->retries = 0;
		tcp_established(e, t, p);
		return;
	case TCP_STATE_ESTABLISHED:
		tcp_established(e, t, p);
		return;
	case TCP_STATE_LINGER:
		if ((p->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
			flow_kill(f, EVENT_END_CLOSE); /* port reused */
			tcp_syn_from_child(e, p);
		} else if (p->flags & TCP_FIN) {
			tcp_ack_now(e, t);
		}
		return;
	default:
		ASSERT(0);
	}
}

/* tcp_sock_tls() - an event on the socket of a TLS flow once the tunnel
 * is up. TLS may want either readiness for either direction, so every
 * event pushes the tree's bytes on, reads for the tree, and sends a window
 * update when the buffer towards the proxy has more room.
 */
static void tcp_sock_tls(struct engine *e, struct tcp_flow *t)
{
	uint32_t old = t->wnd_to_child;

	if (tcp_tls_flush(t->tls) < 0) {
		tcp_reset(e, t, "TLS to the proxy failed");
		return;
	}
	tcp_data_to_child(e, t);
	if (t->f.state != FLOW_STATE_ACTIVE)
		return;
	if (t->state == TCP_STATE_ESTABLISHED) {
		tcp_update_wnd(e, t);
		if (t->wnd_to_child > old || t->flags & TCP_F_DROPPED)
			tcp_ack_now(e, t);
		t->flags &= (uint16_t)~TCP_F_DROPPED;
	}
	tcp_check_closed(e, t);
}

void tcp_sock_handler(struct engine *e, struct tcp_flow *t, uint32_t events)
{
	int err = 0;
	socklen_t sl = sizeof(err);

	if (t->state == TCP_STATE_CONNECTING) {
		if (t->hs) {
			tcp_proxy_io(e, t);
			return;
		}
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (getsockopt(t->f.sock, SOL_SOCKET, SO_ERROR, &err, &sl))
			err = errno;
		if (err) {
			tcp_connect_failed(e, t, err);
			return;
		}
		tcp_sock_connected(e, t);
		/* Connected, and nothing came yet: until EPOLLIN, the
		 * tree's handshake ACK need not peek (a proxy's handshake
		 * may have left data behind without a new edge)
		 */
		if (t->state == TCP_STATE_SYN_SENT_TO_CHILD &&
		    !(t->flags & TCP_F_PROXY) &&
		    !(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)))
			t->flags |= TCP_F_HOST_IDLE;
		return;
	}
	if (t->state == TCP_STATE_LINGER)
		return;
	if (events & EPOLLERR) {
		if (getsockopt(t->f.sock, SOL_SOCKET, SO_ERROR, &err, &sl))
			err = errno;
		if (err) {
			tcp_reset(e, t, strerror(err));
			return;
		}
	}
	if (t->tls) {
		tcp_sock_tls(e, t);
		return;
	}
	if (events & (EPOLLRDHUP | EPOLLHUP))
		t->flags |= TCP_F_HOST_RDHUP;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) {
		t->flags &= (uint16_t)~TCP_F_HOST_IDLE;
		tcp_data_to_child(e, t);
	}
	if (t->f.state != FLOW_STATE_ACTIVE)
		return;
	/* EPOLLOUT comes with every edge of an edge-triggered socket that
	 * has room; it is news only when we waited for it
	 */
	if (events & EPOLLOUT && t->state == TCP_STATE_ESTABLISHED &&
	    t->flags & (TCP_F_WND_WAIT | TCP_F_DROPPED)) {
		uint32_t old = t->wnd_to_child;

		t->flags &= (uint16_t)~TCP_F_WND_WAIT;
		tcp_update_wnd(e, t);
		/* A window update. Never more: extra duplicate ACKs make the
		 * tree's stack believe in reordering and raise its duplicate
		 * ACK threshold, which turns the next loss into a long stall
		 */
		if (t->wnd_to_child > old || t->flags & TCP_F_DROPPED)
			tcp_ack_now(e, t);
		t->flags &= (uint16_t)~TCP_F_DROPPED;
	}
	tcp_check_closed(e, t);
}

void tcp_flush_acks(struct engine *e)
{
	unsigned int i;

	for (i = 0; i < tcp_ack_n; i++) {
		struct tcp_flow *t =
			(struct tcp_flow *)(void *)flow_at(tcp_ack_list[i]);

		if (t->f.state != FLOW_STATE_ACTIVE ||
		    !(t->flags & TCP_F_ACK_PENDING))
			continue;
		/* Only sending shrinks the window; it grows on EPOLLOUT */
		if (t->flags & TCP_F_WND_STALE)
			tcp_update_wnd(e, t);
		tcp_ack_now(e, t);
	}
	tcp_ack_n = 0;
}

/* tcp_rto() - the retransmission timer of an established flow fired */
static void tcp_rto(struct engine *e, struct tcp_flow *t)
{
	t->timer_at_ms = 0;
	if (t->seq_to_child != t->seq_ack_from_child) {
		if (++t->retries > TCP_RETRIES_MAX) {
			tcp_reset(e, t, "retransmissions timed out");
			return;
		}
		tcp_stats.timeouts++;
		FLOW_DBG(
			&t->f,
			"timeout %u: %u bytes in flight, window %u, %u ms since last",
			t->retries, t->seq_to_child - t->seq_ack_from_child,
			t->wnd_from_child,
			(unsigned int)(e->now_ms - t->f.last_ms));
		t->rto_ms = t->rto_ms * 2 > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS
							   : t->rto_ms * 2;
		t->dup_acks = 0;
		if (!t->wnd_from_child) { /* window closed: probe instead */
			tcp_send_flags(e, t, TCP_ACK, t->seq_to_child - 1);
		} else if (t->retries == 1) {
			/* First timeout: often only the ACK was late or lost.
			 * Resend the first segment; the tree's ACK then says
			 * how much it really has (partial ACKs continue).
			 */
			t->flags |= TCP_F_RECOVERY;
			t->seq_recover = t->seq_max_to_child;
			tcp_retransmit_one(e, t);
		} else {
			/* go back to the last ACK and send everything again */
			t->seq_to_child = t->seq_ack_from_child;
			tcp_set_peek_off(e, t);
			t->flags &= (uint16_t)~TCP_F_RECOVERY;
			tcp_data_to_child(e, t);
		}
		tcp_arm_rto(e, t);
		return;
	}
	if (!t->wnd_from_child) {
		/* zero window probe: an old sequence number makes the tree
		 * answer with its current window
		 */
		tcp_send_flags(e, t, TCP_ACK, t->seq_to_child - 1);
		t->rto_ms = t->rto_ms * 2 > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS
							   : t->rto_ms * 2;
		tcp_arm_rto(e, t);
	}
}

bool tcp_timer(struct engine *e, struct tcp_flow *t)
{
	switch (t->state) {
	case TCP_STATE_CONNECTING:
		if (e->now_ms >= t->timer_at_ms)
			tcp_connect_failed(e, t, ETIMEDOUT);
		return false;
	case TCP_STATE_SYN_SENT_TO_CHILD:
		if (e->now_ms < t->timer_at_ms)
			return true;
		if (++t->retries > TCP_SYNACK_RETRIES) {
			tcp_reset(e, t, "no ACK for our SYN-ACK");
			return false;
		}
		tcp_send_flags(e, t, TCP_SYN | TCP_ACK, t->seq_init_to_child);
		t->rto_ms *= 2;
		t->timer_at_ms = e->now_ms + t->rto_ms;
		return true;
	case TCP_STATE_LINGER:
		if (e->now_ms >= t->timer_at_ms)
			flow_kill(&t->f, EVENT_END_CLOSE);
		return false;
	case TCP_STATE_ESTABLISHED:
		if (e->now_ms - t->f.last_ms > TCP_IDLE_MS) {
			tcp_reset(e, t, "idle timeout");
			t->f.end = EVENT_END_TIMEOUT;
			return false;
		}
		if (t->tls && e->now_ms - t->f.last_ms > TCP_TLS_TRIM_MS)
			tcp_tls_trim(t->tls); /* quiet: give memory back */
		if (t->timer_at_ms && e->now_ms >= t->timer_at_ms)
			tcp_rto(e, t);
		if (t->f.state != FLOW_STATE_ACTIVE)
			return false;
		if (t->wnd_to_child < t->mss_to_child && t->f.sock >= 0) {
			uint32_t old = t->wnd_to_child;

			tcp_update_wnd(e, t);
			if (t->wnd_to_child > old)
				tcp_ack_now(e, t);
		}
		return t->timer_at_ms != 0 || t->wnd_to_child < t->mss_to_child;
	default:
		ASSERT(0);
	}
	return false;
}

bool tcp_unfinished(const struct tcp_flow *t)
{
	return t->state == TCP_STATE_ESTABLISHED &&
	       (!(t->flags & TCP_F_FIN_FROM_CHILD) ||
		(t->tls && !tcp_tls_idle(t->tls)));
}

void tcp_free(struct engine *e, struct tcp_flow *t)
{
	tcp_proxy_free(t);
	tcp_tls_free(t->tls);
	t->tls = NULL;
	if (t->f.sock >= 0) {
		if (t->flags & TCP_F_RST_HOST) {
			struct linger l = {.l_onoff = 1, .l_linger = 0};

			setsockopt(t->f.sock, SOL_SOCKET, SO_LINGER, &l,
				   sizeof(l));
		}
		close(t->f.sock);
		t->f.sock = -1;
	}
	/* every connect_attempt ends with a flow_end, a failed one too */
	if (events_wanted() && (t->flags & TCP_F_REPORTED)) {
		struct event ev;

		tcp_event(t, &ev, EVENT_FLOW_END);
		ev.bytes_sent = t->f.bytes_from_child;
		ev.bytes_received = t->f.bytes_to_child;
		ev.duration_ms = e->now_ms - t->f.start_ms;
		/* a lingering flow has closed both ways already: whatever
		 * frees it (its timer, the tree's exit), it ended by close
		 */
		ev.end = t->state == TCP_STATE_LINGER
				 ? EVENT_END_CLOSE
				 : (enum event_end)t->f.end;
		if (t->flags & TCP_F_HOST_SNI)
			ev.sni = t->host_seen;
		else
			ev.http_host = t->host_seen;
		events_emit(&ev);
	}
	free(t->host_seen);
	t->host_seen = NULL;
	dns_pool_release(&t->f.remote); /* held at the SYN, if a pool one */
}

void tcp_debug_totals(void)
{
	if (!events_debug())
		return;
	fprintf(stderr,
		"childflow: tcp totals: %llu partial sends, %llu out of order, %llu fast retransmits, %llu timeouts\n",
		(unsigned long long)tcp_stats.partial_sends,
		(unsigned long long)tcp_stats.ooo,
		(unsigned long long)tcp_stats.fast_retransmits,
		(unsigned long long)tcp_stats.timeouts);
}
