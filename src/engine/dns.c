/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * dns.c - the engine's resolver at 10.0.2.3 and fd00::3
 *
 * The tree's resolv.conf names the engine. A query over UDP is read with
 * dnsmsg (hostile input: a query that does not parse is dropped), reported
 * (dns_query), and then either answered at once by the engine, when the
 * policy denies DNS (--offline: REFUSED) or the host has no IPv6 route (an
 * AAAA query gets an empty NOERROR answer, so programs fall back to IPv4
 * without waiting), or forwarded to the upstream resolver: --dns, else the
 * host's own resolv.conf servers, read at start. The engine lives in the
 * host's network namespace, so a stub on host loopback (127.0.0.53) works.
 * With --dns, port 53 of any address goes to that resolver, and the answer
 * comes back from the address the tree asked.
 *
 * Each client (tree address, port, server asked) is a flow with one
 * unconnected host socket; answers are accepted only from an upstream
 * resolver. A retried query (same id) goes to the next upstream, as glibc
 * would rotate through resolv.conf itself.
 *
 * DNS over TCP is relayed by tcp.c to the upstream resolver; the messages
 * in the stream are reported here (dns_stream_scan()).
 */
#include "engine/dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/dnsmsg.h"
#include "engine/sock.h"
#include "engine/udp.h"
#include "observe/events.h"
#include "policy/policy.h"
#include "util.h"

#define DNS_BATCH	16
#define DNS_RESOLV_CONF "/etc/resolv.conf"

static uint8_t dns_buf[PACKET_HDR_ROOM + DNSMSG_UDP_MAX];

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

const struct ipaddr *dns_upstream_for_tcp(const struct engine *e)
{
	return &e->dns_upstream[0];
}

/* dns_event_query() - report a query (@q parsed) asked of @server */
static void dns_event_query(uint32_t flow_id, const struct ipaddr *server,
			    bool tcp, const struct dnsmsg_question *q)
{
	struct event ev = {.kind = EVENT_DNS_QUERY,
			   .flow_id = flow_id,
			   .proto = EVENT_PROTO_DNS};

	ev.remote = *server;
	ev.remote_port = DNS_PORT;
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
	struct event ev = {.kind = EVENT_DNS_ANSWER,
			   .flow_id = flow_id,
			   .proto = EVENT_PROTO_DNS};

	ev.remote = *server;
	ev.remote_port = DNS_PORT;
	ev.dns_tcp = tcp;
	ev.qname = q ? q->qname : NULL;
	ev.qtype = q ? q->qtype : 0;
	ev.dns_mode = mode;
	ev.dns_bytes = len;
	ev.answer = a;
	events_emit(&ev);
}

size_t dns_answer_locally(struct engine *e, const uint8_t *q, size_t qlen,
			  uint8_t *out, size_t outlen,
			  enum event_dns_mode *mode)
{
	struct policy_flow pf = {.proto = POLICY_PROTO_DNS,
				 .dst_port = DNS_PORT};
	struct dnsmsg_question dq;
	struct policy_decision d;
	bool parsed;

	pf.dst = e->dns4;
	if (policy_decide(e->cfg, &pf, &d) == POLICY_VERDICT_DENY) {
		if (events_wanted()) {
			struct event ev = {.kind = EVENT_DENY,
					   .proto = EVENT_PROTO_DNS};

			ev.remote = e->dns4;
			ev.remote_port = DNS_PORT;
			ev.decision = &d;
			events_emit(&ev);
		}
		*mode = EVENT_DNS_SYNTHETIC_REFUSED;
		return dnsmsg_build_reply(q, qlen, DNS_RCODE_REFUSED, out,
					  outlen);
	}
	parsed = !dnsmsg_parse_question(q, qlen, &dq);
	if (policy_decide_name(e->cfg, parsed ? dq.qname : NULL, &d) ==
	    POLICY_VERDICT_DENY) {
		/* A denied name resolves to nothing: the tree fails at once,
		 * and no query for it leaves the host
		 */
		if (events_wanted()) {
			struct event ev = {.kind = EVENT_DENY,
					   .proto = EVENT_PROTO_DNS};

			ev.remote = e->dns4;
			ev.remote_port = DNS_PORT;
			ev.qname = parsed ? dq.qname : NULL;
			ev.decision = &d;
			events_emit(&ev);
		}
		*mode = EVENT_DNS_SYNTHETIC_EMPTY;
		return dnsmsg_build_reply(q, qlen, DNS_RCODE_NOERROR, out,
					  outlen);
	}
	if (!e->ipv6_ok && parsed && dq.qtype == DNS_TYPE_AAAA) {
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
	if (dns_flow_socket(e, d)) {
		flow_kill(f, EVENT_END_CLOSE);
		return NULL;
	}
	flow_activate(f);
	return d;
}

void dns_udp_from_child(struct engine *e, const struct packet *p)
{
	uint8_t *out = dns_buf + PACKET_HDR_ROOM;
	struct dnsmsg_question q;
	enum event_dns_mode mode;
	struct sockaddr_storage ss;
	struct flow_common *f;
	struct dns_flow *d;
	socklen_t sl;
	size_t len;

	if (dnsmsg_parse_question(p->payload, p->payload_len, &q) ||
	    q.is_response)
		return; /* not a query: dropped */
	f = flow_lookup(FLOW_TYPE_DNS, &p->src, p->sport, &p->dst, p->dport);
	if (events_wanted())
		dns_event_query(f ? f->id : 0, &p->dst, false, &q);

	len = dns_answer_locally(e, p->payload, p->payload_len, out,
				 DNSMSG_UDP_MAX, &mode);
	if (len) {
		udp_reply_to_child(e, &p->dst, p->dport, &p->src, p->sport, out,
				   len);
		if (events_wanted())
			dns_event_answer(f ? f->id : 0, &p->dst, false, &q,
					 NULL, mode, len);
		return;
	}

	d = f ? (struct dns_flow *)(void *)f : dns_flow_new(e, p);
	if (!d)
		return;
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

void dns_sock_handler(struct engine *e, struct dns_flow *d, uint32_t events)
{
	uint8_t *msg = dns_buf + PACKET_HDR_ROOM;
	int i;

	if (!(events & EPOLLIN))
		return;
	for (i = 0; i < DNS_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct ipaddr from;
		uint16_t port;
		ssize_t n;

		n = recvfrom(d->f.sock, msg, DNSMSG_UDP_MAX, MSG_DONTWAIT,
			     (struct sockaddr *)&ss, &sl);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			continue;
		}
		sock_addr_read(&ss, &from, &port);
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

void dns_stream_scan(struct engine *e, const struct flow_common *f,
		     bool to_child, const uint8_t *data, size_t len,
		     uint32_t seq, uint32_t *next)
{
	(void)e;
	for (;;) {
		int32_t off = (int32_t)(*next - seq);
		size_t mlen;

		if (off < 0 || (size_t)off + 2 > len)
			return; /* starts later, or split: best effort */
		mlen = ((size_t)data[off] << 8) | data[off + 1];
		if ((size_t)off + 2 + mlen <= len && events_wanted()) {
			const uint8_t *m = data + off + 2;

			if (to_child) {
				struct dnsmsg_answer a;
				bool ok = !dnsmsg_parse_answer(m, mlen, &a);

				dns_event_answer(f->id, &f->remote, true,
						 ok ? &a.q : NULL,
						 ok ? &a : NULL,
						 EVENT_DNS_RELAYED, mlen);
			} else {
				struct dnsmsg_question q;

				if (!dnsmsg_parse_question(m, mlen, &q))
					dns_event_query(f->id, &f->remote, true,
							&q);
			}
		}
		*next += (uint32_t)(2 + mlen);
	}
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
}
