/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * dns.c - the engine's resolver at 10.0.2.3 and fd00::3
 *
 * The tree's resolv.conf names the engine. A query is read with dnsmsg
 * (hostile input: a query that does not parse is dropped), reported
 * (dns_query), and then either answered at once by the engine
 * (dns_answer_locally()) or forwarded to the upstream resolver: --dns,
 * else the host's own resolv.conf servers, read at start. The engine lives
 * in the host's network namespace, so a stub on host loopback (127.0.0.53)
 * works. With --dns, port 53 of any address goes to that resolver, and the
 * answer comes back from the address the tree asked.
 *
 * The engine answers itself, in this order: when the policy denies DNS
 * (--offline, --proxy-only without --proxy-dns: REFUSED); for a name the
 * domain rules deny (an empty NOERROR answer: the tree fails at once and
 * no query for the name leaves the host); under --proxy-dns, every query
 * (A and AAAA with an address of the pool, policy/fakeip.h, that stands
 * for the name until the proxy resolves it; any other type an empty
 * answer: nothing is ever forwarded); and AAAA when the host has no IPv6
 * route (empty, so programs fall back to IPv4 without waiting).
 *
 * UDP. Each client (tree address, port, server asked) is a flow with one
 * unconnected host socket; answers are accepted only from an upstream
 * resolver. A retried query (same id) goes to the next upstream, as glibc
 * would rotate through resolv.conf itself.
 *
 * TCP. A DNS-over-TCP connection of the tree is an ordinary TCP flow of
 * tcp.c (handshake, windows, retransmissions, FIN and RST towards the
 * tree), whose host socket, instead of reaching the upstream resolver,
 * is one end of a loopback TCP connection made by dns_tcp_open(); the
 * other end is a DNS flow (struct dns_flow, tcp = 1) served here, in the
 * same epoll loop. So every query over TCP gets exactly the answer UDP
 * would: synthetic ones are written by the engine, the others go to the
 * upstream resolver over a TCP connection of this flow (up_sock), opened
 * only when a query has to be forwarded, so that a connection that gets
 * only synthetic answers sends nothing at all off the host. Answers come
 * back in whatever order they are ready (RFC 7766 allows it; the tree
 * matches them by id).
 *
 * Why loopback TCP and not an AF_UNIX socketpair: tcp.c's host side needs
 * MSG_PEEK with SO_PEEK_OFF and recv(MSG_TRUNC) to drop acked bytes; the
 * kernel does MSG_TRUNC discards only for TCP (an AF_UNIX stream answers
 * EFAULT), and tcp.c keeps its one code path. The pair is made with a
 * listener that lives only inside dns_tcp_open() (bound to 127.0.0.1 on
 * an ephemeral port, closed before the function returns) and the accepted
 * end is checked to be the very socket we connected, so no other process
 * can take its place.
 *
 * Messages are framed by their 2-byte length. A whole message is read at
 * once: SO_RCVLOWAT is set to its full length, so level-triggered epoll
 * stays quiet until all of it is there, and nothing is buffered in the
 * engine for input. What a socket does not take at once (the tree is slow
 * to read answers; the upstream connection is still being made) waits in
 * one buffer per direction, and nothing more is read from the side that
 * feeds it until it is gone: memory per connection is at most one message
 * each way.
 */
#include "engine/dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/dnsmsg.h"
#include "engine/sock.h"
#include "engine/udp.h"
#include "observe/events.h"
#include "policy/fakeip.h"
#include "policy/policy.h"
#include "util.h"

#define DNS_BATCH	16
#define DNS_RESOLV_CONF "/etc/resolv.conf"
#define DNS_TCP_ROUNDS	64 /* messages per socket per dns_tcp_run() */

/* struct dns_flow.tcp_flags */
#define DNS_TCP_UP_CONNECTING 0x01 /* up_sock's connect() is in progress */
#define DNS_TCP_UP_EOF	      0x02 /* the upstream closed its side */
#define DNS_TCP_TREE_EOF      0x04 /* the tree closed its side */

/* A message of up to 65535 bytes behind its 2-byte length (TCP), or a UDP
 * datagram with room for the headers in front
 */
static uint8_t dns_buf[PACKET_HDR_ROOM + 2 + DNSMSG_UDP_MAX];
/* Replies built by the engine, TCP: behind their 2-byte length */
static uint8_t dns_reply[2 + DNSMSG_UDP_MAX];

/* The --proxy-dns pool (policy/fakeip.h): engine state like the buffers
 * above, one per process; tcp.c, udp.c and icmp.c ask through
 * dns_pool_*()
 */
static struct fakeip dns_pool;
static bool dns_pool_on;

/* dns_read_resolv_conf() - the nameserver lines of @path, in order */
static void dns_read_resolv_conf(struct engine *e, const char *path)
{
	char line[512];
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f) &&
	       e->n_dns_upstream < DNS_UPSTREAM_MAX) {
		char addr[128], *pct;
		struct ipaddr a;

		if (sscanf(line, " nameserver %127s", addr) != 1)
			continue;
		pct = strchr(addr, '%'); /* zone ids: link-local, unused here */
		if (pct)
			*pct = '\0';
		if (ip_parse(addr, &a, NULL, 0))
			continue;
		e->dns_upstream[e->n_dns_upstream++] = a;
	}
	fclose(f);
}

void dns_init(struct engine *e)
{
	if (dns_pool_on)
		fakeip_free(&dns_pool);
	dns_pool_on = e->cfg->has_proxy && e->cfg->proxy_dns;
	if (dns_pool_on)
		fakeip_init(&dns_pool, 0);

	e->n_dns_upstream = 0;
	if (e->cfg->has_dns) {
		e->dns_upstream[0] = e->cfg->dns;
		e->n_dns_upstream = 1;
		return;
	}
	dns_read_resolv_conf(e, DNS_RESOLV_CONF);
	if (!e->n_dns_upstream) { /* glibc's default: a local server */
		ip_parse("127.0.0.1", &e->dns_upstream[0], NULL, 0);
		e->n_dns_upstream = 1;
	}
}

bool dns_is_query(const struct engine *e, const struct ipaddr *dst,
		  uint16_t port)
{
	return port == DNS_PORT &&
	       (e->cfg->has_dns || loop_is_engine_dns(e, dst));
}

bool dns_pool_contains(const struct ipaddr *a)
{
	return dns_pool_on && fakeip_contains(a);
}

const char *dns_pool_name(const struct ipaddr *a)
{
	return dns_pool_on ? fakeip_lookup(&dns_pool, a) : NULL;
}

const char *dns_pool_hold(const struct ipaddr *a)
{
	return dns_pool_on ? fakeip_hold(&dns_pool, a) : NULL;
}

void dns_pool_release(const struct ipaddr *a)
{
	if (dns_pool_on)
		fakeip_release(&dns_pool, a);
}

/* dns_event_init() - an event of @kind about flow @flow_id's DNS traffic
 * with @server
 */
static void dns_event_init(struct event *ev, enum event_kind kind,
			   uint32_t flow_id, const struct ipaddr *server)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->flow_id = flow_id;
	ev->proto = EVENT_PROTO_DNS;
	ev->remote = *server;
	ev->remote_port = DNS_PORT;
}

/* dns_event_query() - report a query (@q parsed) asked of @server */
static void dns_event_query(uint32_t flow_id, const struct ipaddr *server,
			    bool tcp, const struct dnsmsg_question *q)
{
	struct event ev;

	dns_event_init(&ev, EVENT_DNS_QUERY, flow_id, server);
	ev.dns_tcp = tcp;
	ev.qname = q->qname;
	ev.qtype = q->qtype;
	events_emit(&ev);
}

/* dns_event_answer() - report an answer of @len bytes */
static void dns_event_answer(uint32_t flow_id, const struct ipaddr *server,
			     bool tcp, const struct dnsmsg_question *q,
			     const struct dnsmsg_answer *a,
			     enum event_dns_mode mode, size_t len)
{
	struct event ev;

	dns_event_init(&ev, EVENT_DNS_ANSWER, flow_id, server);
	ev.dns_tcp = tcp;
	ev.qname = q ? q->qname : NULL;
	ev.qtype = q ? q->qtype : 0;
	ev.dns_mode = mode;
	ev.dns_bytes = len;
	ev.answer = a;
	events_emit(&ev);
}

/* dns_event_deny() - report a denied query to @server (@qname or NULL)
 * of flow @flow_id (0: none)
 */
static void dns_event_deny(uint32_t flow_id, const struct ipaddr *server,
			   const char *qname, const struct policy_decision *d)
{
	struct event ev;

	dns_event_init(&ev, EVENT_DENY, flow_id, server);
	ev.qname = qname;
	ev.decision = d;
	events_emit(&ev);
}

/* dns_answer_pool() - the --proxy-dns answer to @q (parsed as @dq): a
 * pool address for A and AAAA of class IN, else (or when the pool has no
 * room, or the name cannot be a proxy target) an empty NOERROR answer
 */
static size_t dns_answer_pool(const uint8_t *q, size_t qlen,
			      const struct dnsmsg_question *dq, uint8_t *out,
			      size_t outlen, enum event_dns_mode *mode,
			      struct dnsmsg_answer *pool)
{
	struct ipaddr v4, v6;
	size_t len;

	if (dq->qclass == DNS_CLASS_IN &&
	    (dq->qtype == DNS_TYPE_A || dq->qtype == DNS_TYPE_AAAA) &&
	    !fakeip_assign(&dns_pool, dq->qname, &v4, &v6)) {
		const struct ipaddr *ip = dq->qtype == DNS_TYPE_A ? &v4 : &v6;

		len = dnsmsg_build_answer(q, qlen, ip, 1, FAKEIP_TTL, out,
					  outlen);
		if (len) {
			*mode = EVENT_DNS_SYNTHETIC_PROXY_DNS;
			if (pool) {
				memset(pool, 0, sizeof(*pool));
				pool->q = *dq;
				pool->ips[0] = *ip;
				pool->n_ips = 1;
				snprintf(pool->names[0], sizeof(pool->names[0]),
					 "%s", dq->qname);
				pool->n_names = 1;
				pool->min_ttl = FAKEIP_TTL;
			}
			return len;
		}
	}
	*mode = EVENT_DNS_SYNTHETIC_EMPTY;
	return dnsmsg_build_reply(q, qlen, DNS_RCODE_NOERROR, out, outlen);
}

size_t dns_answer_locally(struct engine *e, uint32_t flow_id,
			  const struct ipaddr *server, const uint8_t *q,
			  size_t qlen, const struct dnsmsg_question *dq,
			  uint8_t *out, size_t outlen,
			  enum event_dns_mode *mode, struct dnsmsg_answer *pool)
{
	struct policy_flow pf = {.proto = POLICY_PROTO_DNS,
				 .dst_port = DNS_PORT};
	struct policy_decision d;

	pf.dst = *server;
	if (policy_decide(e->cfg, &pf, &d) == POLICY_VERDICT_DENY) {
		if (events_wanted())
			dns_event_deny(flow_id, server, NULL, &d);
		*mode = EVENT_DNS_SYNTHETIC_REFUSED;
		return dnsmsg_build_reply(q, qlen, DNS_RCODE_REFUSED, out,
					  outlen);
	}
	if (policy_decide_name(e->cfg, dq->qname, &d) == POLICY_VERDICT_DENY) {
		/* A denied name resolves to nothing: the tree fails at once,
		 * and no query for it leaves the host
		 */
		if (events_wanted())
			dns_event_deny(flow_id, server, dq->qname, &d);
		*mode = EVENT_DNS_SYNTHETIC_EMPTY;
		return dnsmsg_build_reply(q, qlen, DNS_RCODE_NOERROR, out,
					  outlen);
	}
	if (dns_pool_on) /* the proxy resolves: nothing is forwarded */
		return dns_answer_pool(q, qlen, dq, out, outlen, mode, pool);
	if (!e->ipv6_ok && dq->qtype == DNS_TYPE_AAAA) {
		*mode = EVENT_DNS_SYNTHETIC_EMPTY;
		return dnsmsg_build_reply(q, qlen, DNS_RCODE_NOERROR, out,
					  outlen);
	}
	return 0;
}

/* dns_flow_socket() - (re)open @d's socket for its current upstream */
static int dns_flow_socket(struct engine *e, struct dns_flow *d)
{
	int family = e->dns_upstream[d->upstream].family, s;

	if (d->f.sock >= 0 && d->sock_family == family)
		return 0;
	if (d->f.sock >= 0) {
		close(d->f.sock);
		d->f.sock = -1;
	}
	s = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (loop_epoll_add(e, s, EPOLLIN, EPOLL_TYPE_DNS, flow_idx(&d->f))) {
		close(s);
		return -EIO;
	}
	d->f.sock = s;
	d->sock_family = (uint8_t)family;
	return 0;
}

/* dns_flow_new() - a client flow for the query in @p */
static struct dns_flow *dns_flow_new(struct engine *e, const struct packet *p)
{
	struct flow_common *f = flow_alloc(e, FLOW_TYPE_DNS);
	struct dns_flow *d = (struct dns_flow *)(void *)f;

	if (!f)
		return NULL;
	f->child = p->src;
	f->child_port = p->sport;
	f->remote = p->dst;
	f->remote_port = p->dport;
	d->up_sock = -1;
	if (dns_flow_socket(e, d)) {
		flow_kill(f, EVENT_END_CLOSE);
		return NULL;
	}
	flow_activate(f);
	return d;
}

/* dns_answer_event() - report the engine's own answer to @q */
static void dns_answer_event(uint32_t flow_id, const struct ipaddr *server,
			     bool tcp, const struct dnsmsg_question *q,
			     const struct dnsmsg_answer *pool,
			     enum event_dns_mode mode, size_t len)
{
	dns_event_answer(flow_id, server, tcp, q,
			 mode == EVENT_DNS_SYNTHETIC_PROXY_DNS ? pool : NULL,
			 mode, len);
}

void dns_udp_from_child(struct engine *e, const struct packet *p)
{
	uint8_t *out = dns_buf + PACKET_HDR_ROOM;
	struct dnsmsg_answer pool;
	struct dnsmsg_question q;
	enum event_dns_mode mode;
	struct sockaddr_storage ss;
	struct flow_common *f;
	struct dns_flow *d;
	uint32_t id;
	socklen_t sl;
	size_t len;

	if (dnsmsg_parse_question(p->payload, p->payload_len, &q) ||
	    q.is_response)
		return; /* not a query: dropped */
	f = flow_lookup(FLOW_TYPE_DNS, &p->src, p->sport, &p->dst, p->dport);
	/* a new client's first query: its flow's id, from before the flow
	 * exists (an answer of our own needs no flow, but joins its query)
	 */
	id = f ? f->id : flow_deny_id(e);
	if (events_wanted())
		dns_event_query(id, &p->dst, false, &q);

	len = dns_answer_locally(e, id, &p->dst, p->payload, p->payload_len, &q,
				 out, DNSMSG_UDP_MAX, &mode, &pool);
	if (len) {
		udp_reply_to_child(e, &p->dst, p->dport, &p->src, p->sport, out,
				   len);
		if (events_wanted())
			dns_answer_event(id, &p->dst, false, &q, &pool, mode,
					 len);
		return;
	}

	d = f ? (struct dns_flow *)(void *)f : dns_flow_new(e, p);
	if (!d)
		return;
	d->f.id = id;
	if (f && q.id == d->last_id && e->n_dns_upstream > 1) {
		/* the tree retries: ask the next resolver */
		d->upstream = (uint8_t)((d->upstream + 1) % e->n_dns_upstream);
		if (dns_flow_socket(e, d)) {
			flow_kill(&d->f, EVENT_END_CLOSE);
			return;
		}
	}
	d->last_id = q.id;
	sl = sock_addr_fill(&ss, &e->dns_upstream[d->upstream], DNS_PORT);
	if (sendto(d->f.sock, p->payload, p->payload_len, MSG_DONTWAIT,
		   (struct sockaddr *)&ss, sl) > 0)
		d->f.bytes_from_child += p->payload_len;
	else
		FLOW_DBG(&d->f, "sendto upstream: %s", strerror(errno));
	d->f.last_ms = e->now_ms;
}

/* dns_from_upstream() - is @a:@port one of our upstream resolvers? */
static bool dns_from_upstream(const struct engine *e, const struct ipaddr *a,
			      uint16_t port)
{
	unsigned int i;

	if (port != DNS_PORT)
		return false;
	for (i = 0; i < e->n_dns_upstream; i++)
		if (ipaddr_eq(a, &e->dns_upstream[i]))
			return true;
	return false;
}

/* dns_udp_handler() - answers from the upstream for UDP client @d */
static void dns_udp_handler(struct engine *e, struct dns_flow *d,
			    uint32_t events)
{
	uint8_t *msg = dns_buf + PACKET_HDR_ROOM;
	int i;

	if (!(events & EPOLLIN))
		return;
	for (i = 0; i < DNS_BATCH; i++) {
		struct ipaddr from;
		uint16_t port;
		ssize_t n;

		n = sock_recvfrom(d->f.sock, msg, DNSMSG_UDP_MAX, &from, &port);
		if (n == -EAGAIN)
			break;
		if (n < 0)
			continue;
		if (!dns_from_upstream(e, &from, port))
			continue;
		if (events_wanted()) {
			struct dnsmsg_answer a;
			bool ok = !dnsmsg_parse_answer(msg, (size_t)n, &a);

			dns_event_answer(d->f.id, &d->f.remote, false,
					 ok ? &a.q : NULL, ok ? &a : NULL,
					 EVENT_DNS_RELAYED, (size_t)n);
		}
		udp_reply_to_child(e, &d->f.remote, d->f.remote_port,
				   &d->f.child, d->f.child_port, msg,
				   (size_t)n);
		d->f.bytes_to_child += (uint64_t)n;
		d->f.last_ms = e->now_ms;
	}
}

/* --- DNS over TCP ------------------------------------------------------ */

/* dns_tcp_pair() - a connected loopback TCP pair: *@ours is the end the
 * DNS flow serves, the return value the end for tcp.c (see the header)
 * Return: the socket for tcp.c, or -errno
 */
static int dns_tcp_pair(int *ours)
{
	struct sockaddr_in la = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_in ca = {0}, peer = {0};
	socklen_t sl = sizeof(la);
	int l, c = -1, a = -1, err, tries;

	l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l < 0)
		return -errno;
	if (bind(l, (struct sockaddr *)&la, sizeof(la)) ||
	    getsockname(l, (struct sockaddr *)&la, &sl) || listen(l, 8))
		goto fail;
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c < 0)
		goto fail;
	if (connect(c, (struct sockaddr *)&la, sizeof(la)) &&
	    errno != EINPROGRESS)
		goto fail;
	sl = sizeof(ca);
	if (getsockname(c, (struct sockaddr *)&ca, &sl))
		goto fail;
	/* Loopback completes the handshake inside connect(); take only the
	 * connection that comes from our own socket
	 */
	for (tries = 0; tries < 8; tries++) {
		sl = sizeof(peer);
		a = accept4(l, (struct sockaddr *)&peer, &sl,
			    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (a < 0)
			goto fail;
		if (peer.sin_port == ca.sin_port &&
		    peer.sin_addr.s_addr == ca.sin_addr.s_addr)
			break;
		close(a);
		a = -1;
	}
	if (a < 0) {
		errno = EADDRINUSE;
		goto fail;
	}
	close(l);
	*ours = a;
	return c;
fail:
	err = errno ? errno : EIO;
	if (c >= 0)
		close(c);
	close(l);
	return -err;
}

int dns_tcp_open(struct engine *e, const struct flow_common *tf)
{
	struct flow_common *f;
	struct dns_flow *d;
	int s, ours = -1;

	s = dns_tcp_pair(&ours);
	if (s < 0)
		return s;
	f = flow_alloc(e, FLOW_TYPE_DNS);
	if (!f) {
		close(s);
		close(ours);
		return -ENOMEM;
	}
	d = (struct dns_flow *)(void *)f;
	/* The key of a UDP client never has port 0 on the server side:
	 * lookups of UDP queries cannot find this flow
	 */
	f->child = tf->child;
	f->child_port = tf->child_port;
	f->remote = tf->remote;
	f->remote_port = 0;
	f->sock = ours;
	d->tcp = 1;
	d->up_sock = -1;
	d->tcp_flow_id = tf->id;
	d->ev_mask = EPOLLIN;
	setsockopt(ours, SOL_SOCKET, SO_RCVLOWAT, &(int){2}, sizeof(int));
	if (loop_epoll_add(e, ours, d->ev_mask, EPOLL_TYPE_DNS, flow_idx(f))) {
		flow_kill(f, EVENT_END_CLOSE);
		close(s);
		return -EIO;
	}
	flow_activate(f);
	return s;
}

/* dns_tcp_interest() - set the epoll interest of @fd (one of @d's
 * sockets) to @want, *@mask being what it is now. Level-triggered: a
 * socket we must not read yet (an error or hang-up would be reported
 * again and again while we wait) leaves the epoll set until we want it.
 */
static void dns_tcp_interest(struct engine *e, struct dns_flow *d, int fd,
			     uint32_t want, uint32_t *mask)
{
	int ret;

	if (want == *mask)
		return;
	if (!want)
		ret = epoll_ctl(e->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno
								      : 0;
	else if (!*mask)
		ret = loop_epoll_add(e, fd, want, EPOLL_TYPE_DNS,
				     flow_idx(&d->f));
	else
		ret = loop_epoll_mod(e, fd, want, EPOLL_TYPE_DNS,
				     flow_idx(&d->f));
	if (!ret)
		*mask = want;
}

/* dns_tcp_arm() - the epoll interest of @d's sockets for what it waits
 * for: to write what is pending, else to read (not the side whose
 * messages could not be passed on)
 */
static void dns_tcp_arm(struct engine *e, struct dns_flow *d)
{
	uint32_t want = d->to_tree ? EPOLLOUT
			: d->to_up || (d->tcp_flags & DNS_TCP_TREE_EOF)
				? 0
				: EPOLLIN;
	uint32_t up_want = 0;

	dns_tcp_interest(e, d, d->f.sock, want, &d->ev_mask);
	if (d->up_sock < 0)
		return;
	if (d->tcp_flags & DNS_TCP_UP_CONNECTING || d->to_up)
		up_want = EPOLLOUT;
	else if (!d->to_tree && !(d->tcp_flags & DNS_TCP_UP_EOF))
		up_want = EPOLLIN;
	dns_tcp_interest(e, d, d->up_sock, up_want, &d->up_ev_mask);
}

/* dns_tcp_send() - send @len bytes of @buf to @sock; what it does not
 * take is copied to *@rest (@rest_len, @rest_off) to go later
 * Return: 0, or -errno when @sock failed
 */
static int dns_tcp_send(int sock, const uint8_t *buf, size_t len,
			uint8_t **rest, uint32_t *rest_len, uint32_t *rest_off)
{
	ssize_t n = send(sock, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		n = 0;
	}
	if ((size_t)n == len)
		return 0;
	*rest = xmalloc(len - (size_t)n);
	memcpy(*rest, buf + n, len - (size_t)n);
	*rest_len = (uint32_t)(len - (size_t)n);
	*rest_off = 0;
	return 0;
}

/* dns_tcp_flush() - send what waits in *@rest to @sock
 * Return: 1 when all of it is gone (or nothing waited), 0 when some is
 * left, -errno when @sock failed
 */
static int dns_tcp_flush(int sock, uint8_t **rest, uint32_t *len, uint32_t *off)
{
	ssize_t n;

	if (!*rest)
		return 1;
	n = send(sock, *rest + *off, *len - *off, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	*off += (uint32_t)n;
	if (*off < *len)
		return 0;
	free(*rest);
	*rest = NULL;
	*len = *off = 0;
	return 1;
}

/* dns_tcp_peer_closed() - has the peer of @sock shut down its side?
 * (to tell a message cut short by EOF from one still arriving)
 */
static bool dns_tcp_peer_closed(int sock)
{
	struct pollfd pfd = {.fd = sock, .events = POLLRDHUP};

	return poll(&pfd, 1, 0) > 0 &&
	       (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* dns_tcp_read() - take the next whole message from @sock into dns_buf
 * (its length first). Until all of it is there, SO_RCVLOWAT makes epoll
 * wait for the rest.
 * Return: the message's length (its 2-byte prefix not counted; 0 is a
 * valid, empty message), -EAGAIN when it is not all there yet, -EPIPE at
 * EOF (a message cut short by EOF included), or another -errno
 */
static ssize_t dns_tcp_read(int sock)
{
	uint8_t hdr[2];
	size_t mlen = 0;
	ssize_t n;
	int avail = 0, lowat;

	n = recv(sock, hdr, 2, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0)
		return -EPIPE;
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (n == 2) {
		mlen = (size_t)hdr[0] << 8 | hdr[1];
		if (ioctl(sock, FIONREAD, &avail) < 0)
			return -errno;
		if ((size_t)avail >= 2 + mlen) {
			n = recv(sock, dns_buf, 2 + mlen, MSG_DONTWAIT);
			if (n != (ssize_t)(2 + mlen))
				return n < 0 ? -errno : -EIO;
			setsockopt(sock, SOL_SOCKET, SO_RCVLOWAT, &(int){2},
				   sizeof(int));
			return (ssize_t)mlen;
		}
	}
	if (dns_tcp_peer_closed(sock))
		return -EPIPE;
	lowat = (int)(2 + mlen);
	setsockopt(sock, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat));
	return -EAGAIN;
}

/* dns_tcp_upstream() - make sure @d has a connection to the upstream
 * resolver (opened now, the first time a query must be forwarded)
 * Return: 0, or -errno
 */
static int dns_tcp_upstream(struct engine *e, struct dns_flow *d)
{
	const struct ipaddr *up = &e->dns_upstream[0];
	struct sockaddr_storage ss;
	socklen_t sl;
	int s;

	if (d->up_sock >= 0)
		return 0;
	s = socket(up->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	setsockopt(s, SOL_SOCKET, SO_RCVLOWAT, &(int){2}, sizeof(int));
	sl = sock_addr_fill(&ss, up, DNS_PORT);
	if (connect(s, (struct sockaddr *)&ss, sl) && errno != EINPROGRESS) {
		int err = errno;

		close(s);
		return -err;
	}
	if (loop_epoll_add(e, s, EPOLLOUT, EPOLL_TYPE_DNS, flow_idx(&d->f))) {
		close(s);
		return -EIO;
	}
	d->up_sock = s;
	d->up_ev_mask = EPOLLOUT;
	d->tcp_flags |= DNS_TCP_UP_CONNECTING;
	d->tcp_flags &= (uint8_t)~DNS_TCP_UP_EOF;
	return 0;
}

/* dns_tcp_up_close() - drop @d's upstream connection (the next forwarded
 * query opens a new one)
 */
static void dns_tcp_up_close(struct dns_flow *d)
{
	if (d->up_sock >= 0)
		close(d->up_sock); /* also leaves the epoll set */
	d->up_sock = -1;
	d->up_ev_mask = 0;
	d->owed = 0;
	d->tcp_flags &= (uint8_t) ~(DNS_TCP_UP_CONNECTING | DNS_TCP_UP_EOF);
	free(d->to_up);
	d->to_up = NULL;
	d->to_up_len = d->to_up_off = 0;
}

/* dns_tcp_query() - the tree's query in dns_buf (@mlen bytes behind the
 * length): report it, answer it or forward it
 * Return: 0, or -errno when the connection must end
 */
static int dns_tcp_query(struct engine *e, struct dns_flow *d, size_t mlen)
{
	const uint8_t *m = dns_buf + 2;
	struct dnsmsg_answer pool;
	struct dnsmsg_question q;
	enum event_dns_mode mode;
	size_t len;
	int ret;

	if (dnsmsg_parse_question(m, mlen, &q) || q.is_response)
		return 0; /* not a query: dropped, as over UDP */
	if (events_wanted())
		dns_event_query(d->tcp_flow_id, &d->f.remote, true, &q);
	len = dns_answer_locally(e, d->tcp_flow_id, &d->f.remote, m, mlen, &q,
				 dns_reply + 2, DNSMSG_UDP_MAX, &mode, &pool);
	if (len) {
		dns_reply[0] = (uint8_t)(len >> 8);
		dns_reply[1] = (uint8_t)len;
		if (events_wanted())
			dns_answer_event(d->tcp_flow_id, &d->f.remote, true, &q,
					 &pool, mode, len);
		d->f.bytes_to_child += len;
		return dns_tcp_send(d->f.sock, dns_reply, 2 + len, &d->to_tree,
				    &d->to_tree_len, &d->to_tree_off);
	}
	ret = dns_tcp_upstream(e, d);
	if (ret)
		return ret;
	d->owed++;
	if (d->tcp_flags & DNS_TCP_UP_CONNECTING) {
		d->to_up = xmalloc(2 + mlen);
		memcpy(d->to_up, dns_buf, 2 + mlen);
		d->to_up_len = (uint32_t)(2 + mlen);
		d->to_up_off = 0;
		return 0;
	}
	return dns_tcp_send(d->up_sock, dns_buf, 2 + mlen, &d->to_up,
			    &d->to_up_len, &d->to_up_off);
}

/* dns_tcp_answer() - an upstream answer in dns_buf (@mlen bytes behind
 * the length): report it and pass it to the tree
 * Return: 0, or -errno
 */
static int dns_tcp_answer(struct dns_flow *d, size_t mlen)
{
	if (d->owed)
		d->owed--;
	if (events_wanted()) {
		struct dnsmsg_answer a;
		bool ok = !dnsmsg_parse_answer(dns_buf + 2, mlen, &a);

		dns_event_answer(d->tcp_flow_id, &d->f.remote, true,
				 ok ? &a.q : NULL, ok ? &a : NULL,
				 EVENT_DNS_RELAYED, mlen);
	}
	d->f.bytes_to_child += mlen;
	return dns_tcp_send(d->f.sock, dns_buf, 2 + mlen, &d->to_tree,
			    &d->to_tree_len, &d->to_tree_off);
}

/* dns_tcp_up_connected() - is @d's upstream connect() over? Fails @d's
 * upstream side when it did not work
 * Return: 0 (connected, or still connecting), or -errno
 */
static int dns_tcp_up_connected(struct dns_flow *d)
{
	int err = 0;
	socklen_t sl = sizeof(err);

	if (!(d->tcp_flags & DNS_TCP_UP_CONNECTING))
		return 0;
	if (getsockopt(d->up_sock, SOL_SOCKET, SO_ERROR, &err, &sl))
		err = errno;
	if (err)
		return -err;
	/* writable once connected; not yet: still in progress */
	if (send(d->up_sock, NULL, 0, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return -errno;
	}
	d->tcp_flags &= (uint8_t)~DNS_TCP_UP_CONNECTING;
	return 0;
}

/* dns_tcp_run() - move @d on as far as its sockets allow: pending
 * writes first, then answers from the upstream, then the tree's queries;
 * end it when both sides are done
 */
static void dns_tcp_run(struct engine *e, struct dns_flow *d)
{
	int rounds, ret = 0;
	ssize_t n;

	for (rounds = 0; rounds < DNS_TCP_ROUNDS; rounds++) {
		bool progress = false;

		ret = dns_tcp_flush(d->f.sock, &d->to_tree, &d->to_tree_len,
				    &d->to_tree_off);
		if (ret < 0)
			break;
		ret = 0;
		if (d->up_sock >= 0) {
			ret = dns_tcp_up_connected(d);
			if (ret < 0)
				break;
			if (!(d->tcp_flags & DNS_TCP_UP_CONNECTING)) {
				ret = dns_tcp_flush(d->up_sock, &d->to_up,
						    &d->to_up_len,
						    &d->to_up_off);
				if (ret < 0)
					break;
				ret = 0;
			}
		}
		if (!d->to_tree && d->up_sock >= 0 &&
		    !(d->tcp_flags &
		      (DNS_TCP_UP_CONNECTING | DNS_TCP_UP_EOF))) {
			n = dns_tcp_read(d->up_sock);
			if (n >= 0) {
				ret = dns_tcp_answer(d, (size_t)n);
				if (ret < 0)
					break;
				progress = true;
			} else if (n == -EPIPE) {
				d->tcp_flags |= DNS_TCP_UP_EOF;
				progress = true;
			} else if (n != -EAGAIN) {
				ret = (int)n;
				break;
			}
		}
		if (!d->to_tree && !d->to_up &&
		    !(d->tcp_flags & DNS_TCP_TREE_EOF)) {
			n = dns_tcp_read(d->f.sock);
			if (n >= 0) {
				ret = dns_tcp_query(e, d, (size_t)n);
				if (ret < 0)
					break;
				d->f.bytes_from_child += (uint64_t)n;
				progress = true;
			} else if (n == -EPIPE) {
				d->tcp_flags |= DNS_TCP_TREE_EOF;
				if (d->up_sock >= 0 &&
				    !(d->tcp_flags & DNS_TCP_UP_CONNECTING))
					shutdown(d->up_sock, SHUT_WR);
				progress = true;
			} else if (n != -EAGAIN) {
				ret = (int)n;
				break;
			}
		}
		if (d->tcp_flags & DNS_TCP_UP_EOF && !d->owed && !d->to_up)
			dns_tcp_up_close(d); /* idle upstream went away */
		if (!progress)
			break;
	}
	d->f.last_ms = e->now_ms;
	if (ret < 0) {
		FLOW_DBG(&d->f, "dns over tcp: %s", strerror(-ret));
		flow_kill(&d->f, EVENT_END_RESET);
		return;
	}
	/* Done: the tree sent its last query and has every answer it will
	 * get; or the upstream went away owing answers it will never send
	 * (the tree sees the connection close, as with a relayed one)
	 */
	if (!d->to_tree && (((d->tcp_flags & DNS_TCP_TREE_EOF) && !d->owed) ||
			    ((d->tcp_flags & DNS_TCP_UP_EOF) && d->owed))) {
		flow_kill(&d->f, EVENT_END_CLOSE);
		return;
	}
	dns_tcp_arm(e, d);
}

void dns_sock_handler(struct engine *e, struct dns_flow *d, uint32_t events)
{
	int err = 0;
	socklen_t sl = sizeof(err);

	if (!d->tcp) {
		dns_udp_handler(e, d, events);
		return;
	}
	/* Which of the two sockets it was does not matter: dns_tcp_run()
	 * tries both. An error or hang-up is the tree's end only when its
	 * socket says so (the upstream's shows in its reads).
	 */
	if (events & (EPOLLERR | EPOLLHUP) &&
	    (getsockopt(d->f.sock, SOL_SOCKET, SO_ERROR, &err, &sl) || err)) {
		FLOW_DBG(&d->f, "dns over tcp: the tree's end failed");
		flow_kill(&d->f, EVENT_END_RESET);
		return;
	}
	dns_tcp_run(e, d);
}

void dns_timer(struct engine *e, struct dns_flow *d)
{
	if (e->now_ms - d->f.last_ms > DNS_TIMEOUT_MS)
		flow_kill(&d->f, EVENT_END_TIMEOUT);
}

void dns_free(struct engine *e, struct dns_flow *d)
{
	(void)e;
	if (d->f.sock >= 0) {
		close(d->f.sock);
		d->f.sock = -1;
	}
	if (d->tcp) {
		dns_tcp_up_close(d);
		free(d->to_tree);
		d->to_tree = NULL;
	}
}
