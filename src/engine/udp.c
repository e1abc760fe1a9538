/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * udp.c - UDP: one unconnected host socket per source of the tree
 *
 * Each (address, port) the tree sends from gets one host socket. Every
 * datagram goes out with sendto() to the destination the tree chose, after
 * the policy has agreed to that destination, with the tree's TTL (so that
 * traceroute's probes expire where they would without us). What comes back
 * is written to the tree with its true source, if the tree sent to that
 * address before (address-dependent filtering, as a NAT's conntrack does
 * for replies; the port may differ, as TFTP's and STUN's do): a host the
 * tree never chose, or that policy denies, cannot reach it. A flow keeps
 * its first destination in f.remote and up to UDP_PEERS_MAX others, the
 * oldest given up first. IP_RECVERR turns the
 * host's ICMP errors (port unreachable, time exceeded, ...) into the same
 * errors to the tree, quoting the tree's own datagram. Flows idle for
 * UDP_TIMEOUT_MS expire. DNS to the engine's resolver goes to dns.c.
 */
#include "engine/udp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/dns.h"
#include "engine/icmp.h"
#include "engine/sock.h"
#include "observe/events.h"
#include "policy/policy.h"
#include "util.h"

#define UDP_BATCH     32    /* datagrams read per wakeup */
#define UDP_MAX	      65535 /* largest datagram */
#define UDP_QUOTE_MAX 1024  /* bytes of a failed datagram quoted back */

static uint8_t udp_buf[PACKET_HDR_ROOM + UDP_MAX];

void udp_reply_to_child(struct engine *e, const struct ipaddr *from,
			uint16_t fport, const struct ipaddr *to, uint16_t tport,
			uint8_t *payload, size_t len)
{
	uint8_t *pkt = packet_build_udp(from, to, fport, tport, payload, len);

	tun_write(e, pkt, packet_ip_hlen(from->family) + 8 + len);
}

/* udp_is_multicast() - destinations nobody outside should hear from us */
static bool udp_is_multicast(const struct ipaddr *a)
{
	if (a->family == AF_INET) {
		uint32_t v = ntohl(a->v4.s_addr);

		/* multicast, broadcast, the tree's subnet broadcast */
		return (v >> 28) == 0xe || v == 0xffffffffu || v == 0x0a0002ffu;
	}
	return IN6_IS_ADDR_MULTICAST(&a->v6);
}

/* udp_deny() - report a denied destination and tell the tree */
static void udp_deny(struct engine *e, const struct packet *p,
		     const struct policy_decision *d)
{
	if (events_wanted()) {
		struct event ev = {.kind = EVENT_DENY,
				   .proto = EVENT_PROTO_UDP};

		ev.flow_id = flow_deny_id(e);
		ev.remote = p->dst;
		ev.remote_port = p->dport;
		ev.decision = d;
		events_emit(&ev);
	}
	icmp_error_to_child(e, &p->dst, ICMP_ERR_ADMIN_PROHIBITED, p->l3,
			    p->l3_len);
}

/* udp_peer_known() - did @u send to @a (the last UDP_PEERS_MAX others)? */
static bool udp_peer_known(const struct udp_flow *u, const struct ipaddr *a)
{
	unsigned int i;

	if (ipaddr_eq(&u->f.remote, a))
		return true;
	for (i = 0; i < u->n_peers; i++)
		if (ipaddr_eq(&u->peers[i], a))
			return true;
	return false;
}

/* udp_peer_add() - remember that @u sent to @a */
static void udp_peer_add(struct udp_flow *u, const struct ipaddr *a)
{
	if (udp_peer_known(u, a))
		return;
	if (!u->peers)
		u->peers = xcalloc(UDP_PEERS_MAX, sizeof(*u->peers));
	if (u->n_peers < UDP_PEERS_MAX) {
		u->peers[u->n_peers++] = *a;
		return;
	}
	u->peers[u->next_peer] = *a;
	u->next_peer = (uint8_t)((u->next_peer + 1) % UDP_PEERS_MAX);
}

/* udp_flow_new() - a host socket for the tree's source of @p */
static struct udp_flow *udp_flow_new(struct engine *e, const struct packet *p)
{
	struct flow_common *f = flow_alloc(e, FLOW_TYPE_UDP);
	int s;

	if (!f)
		return NULL;
	f->child = p->src;
	f->child_port = p->sport;
	f->remote = p->dst;
	f->remote_port = p->dport;
	s = socket(p->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0) {
		FLOW_DBG(f, "socket: %s", strerror(errno));
		flow_kill(f, EVENT_END_CLOSE);
		return NULL;
	}
	f->sock = s;
	sock_set_recverr(s, p->family);
	((struct udp_flow *)(void *)f)->ttl_set = -1;
	if (loop_epoll_add(e, s, EPOLLIN, EPOLL_TYPE_UDP, flow_idx(f))) {
		flow_kill(f, EVENT_END_CLOSE);
		return NULL;
	}
	flow_activate(f);
	if (events_wanted()) {
		struct event ev;

		flow_event(f, &ev, EVENT_FLOW_START, EVENT_PROTO_UDP);
		events_emit(&ev);
	}
	return (struct udp_flow *)(void *)f;
}

void udp_from_child(struct engine *e, const struct packet *p)
{
	struct policy_flow pf = {
		.proto = POLICY_PROTO_UDP, .dst = p->dst, .dst_port = p->dport};
	struct sockaddr_storage ss;
	struct policy_decision d;
	struct flow_common *f;
	struct udp_flow *u;
	socklen_t sl;
	ssize_t n;
	int tries;

	if (dns_is_query(e, &p->dst, p->dport)) {
		dns_udp_from_child(e, p);
		return;
	}
	if (udp_is_multicast(&p->dst))
		return; /* mDNS, SSDP, broadcasts: the tree's link only */
	if (loop_is_engine_addr(e, &p->dst)) {
		icmp_error_to_child(e, &p->dst, ICMP_ERR_PORT_UNREACH, p->l3,
				    p->l3_len);
		return;
	}
	if (loop_dst_forbidden(&p->dst)) {
		icmp_error_to_child(e, &p->dst, ICMP_ERR_ADMIN_PROHIBITED,
				    p->l3, p->l3_len);
		return;
	}
	/* --proxy-dns: a pool address is reachable only over the proxy */
	pf.by_name = dns_pool_contains(&p->dst);
	if (loop_policy(e, &pf, &d) == POLICY_VERDICT_DENY) {
		udp_deny(e, p, &d);
		return;
	}
	f = flow_lookup(FLOW_TYPE_UDP, &p->src, p->sport, NULL, 0);
	u = f ? (struct udp_flow *)(void *)f : udp_flow_new(e, p);
	if (!u)
		return;
	udp_peer_add(u, &p->dst);
	if (u->ttl_set != p->ttl && !sock_set_ttl(u->f.sock, p->family, p->ttl))
		u->ttl_set = p->ttl;
	sl = sock_addr_fill(&ss, &p->dst, p->dport);
	/* A failed send may report an older ICMP error (sk_err) instead of
	 * its own: try once more before believing it
	 */
	for (tries = 0; tries < 2; tries++) {
		n = sendto(u->f.sock, p->payload, p->payload_len, MSG_DONTWAIT,
			   (struct sockaddr *)&ss, sl);
		if (n >= 0 || errno == EAGAIN || errno == EWOULDBLOCK)
			break;
	}
	if (n < 0 && (errno == ENETUNREACH || errno == EHOSTUNREACH))
		icmp_error_to_child(e, &p->dst,
				    errno == ENETUNREACH
					    ? ICMP_ERR_NET_UNREACH
					    : ICMP_ERR_HOST_UNREACH,
				    p->l3, p->l3_len);
	if (n > 0)
		u->f.bytes_from_child += (uint64_t)n;
	u->f.last_ms = e->now_ms;
}

/* udp_errqueue() - the host's ICMP errors about our datagrams, to the tree */
static void udp_errqueue(struct engine *e, struct udp_flow *u)
{
	uint8_t quote[UDP_QUOTE_MAX + 64];
	int i;

	for (i = 0; i < UDP_BATCH; i++) {
		uint8_t data[UDP_QUOTE_MAX], l4[8 + UDP_QUOTE_MAX];
		int ttl = u->ttl_set < 0 ? 64 : u->ttl_set;
		struct sock_err err;
		size_t qlen;
		int rc;

		rc = sock_errqueue_read(u->f.sock, u->f.child.family, data,
					sizeof(data), &err);
		if (rc < 0)
			break;
		if (!rc)
			continue;
		/* the tree's datagram as it left: UDP header + payload */
		l4[0] = (uint8_t)(u->f.child_port >> 8);
		l4[1] = (uint8_t)u->f.child_port;
		l4[2] = (uint8_t)(err.dst_port >> 8);
		l4[3] = (uint8_t)err.dst_port;
		l4[4] = (uint8_t)((8 + err.len) >> 8);
		l4[5] = (uint8_t)(8 + err.len);
		l4[6] = l4[7] = 0;
		memcpy(l4 + 8, data, err.len);
		qlen = packet_build_quote(&u->f.child, &err.dst, IPPROTO_UDP,
					  (uint8_t)ttl, 8 + err.len, l4,
					  8 + err.len, quote, sizeof(quote));
		icmp_errqueue_to_child(e, &err.ee,
				       err.offender.family ? &err.offender
							   : &err.dst,
				       &err.dst, quote, qlen);
	}
}

void udp_sock_handler(struct engine *e, struct udp_flow *u, uint32_t events)
{
	uint8_t *payload = udp_buf + PACKET_HDR_ROOM;
	int i;

	if (events & EPOLLERR)
		udp_errqueue(e, u);
	if (!(events & EPOLLIN))
		return;
	for (i = 0; i < UDP_BATCH; i++) {
		struct ipaddr from;
		uint16_t fport;
		ssize_t n;

		n = sock_recvfrom(u->f.sock, payload, UDP_MAX, &from, &fport);
		if (n == -EAGAIN)
			break;
		if (n < 0)
			continue; /* an old ICMP error (sk_err): go on */
		if (from.family != u->f.child.family ||
		    !udp_peer_known(u, &from)) {
			FLOW_DBG(&u->f, "dropped a datagram from a stranger");
			continue;
		}
		udp_reply_to_child(e, &from, fport, &u->f.child,
				   u->f.child_port, payload, (size_t)n);
		u->f.bytes_to_child += (uint64_t)n;
		u->f.last_ms = e->now_ms;
	}
}

void udp_timer(struct engine *e, struct udp_flow *u)
{
	if (e->now_ms - u->f.last_ms > UDP_TIMEOUT_MS)
		flow_kill(&u->f, EVENT_END_TIMEOUT);
}

void udp_free(struct engine *e, struct udp_flow *u)
{
	free(u->peers);
	u->peers = NULL;
	flow_close_datagram(e, &u->f, EVENT_PROTO_UDP);
}
