/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * icmp.c - ICMP echo for the tree, and the ICMP errors it receives
 *
 * An echo request from the tree goes out through a host socket of its own
 * session (tree address + echo id): a ping socket (SOCK_DGRAM, allowed by
 * net.ipv4.ping_group_range) or, with CAP_NET_RAW, a raw socket; with the
 * tree's TTL, so `traceroute -I` probes expire at the right hop. Replies
 * come back with the session's echo id restored. Errors about our echo
 * requests (time exceeded, unreachable) arrive through IP_RECVERR with the
 * address of the router that sent them, and are rebuilt for the tree from
 * that router, quoting the tree's own request. When the host allows
 * neither socket kind, the tree gets "administratively prohibited" and the
 * user one warning: a fake reply would lie about reachability.
 *
 * The errors the engine itself has to tell the tree (refused by policy,
 * unreachable, port unreachable on the engine's addresses) are built by
 * icmp_error_to_child(), for every protocol.
 */
#include "engine/icmp.h"

#include <errno.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/dns.h"
#include "engine/sock.h"
#include "observe/events.h"
#include "policy/policy.h"
#include "util.h"

#define ICMP_BATCH     16
#define ICMP_MAX       65535
#define ICMP_QUOTE_MAX 1232

static uint8_t icmp_buf[PACKET_HDR_ROOM + ICMP_MAX];
static uint8_t icmp_err_buf[PACKET_HDR_ROOM + ICMP_QUOTE_MAX + 64];

/* icmp_probe() - which kind of echo socket the host gives us for @family */
static enum icmp_mode icmp_probe(int family)
{
	int proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	int s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, proto);

	if (s >= 0) {
		close(s);
		return ICMP_MODE_PING;
	}
	s = socket(family, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (s >= 0) {
		close(s);
		return ICMP_MODE_RAW;
	}
	return ICMP_MODE_NONE;
}

void icmp_init(struct engine *e)
{
	e->icmp4 = icmp_probe(AF_INET);
	e->icmp6 = icmp_probe(AF_INET6);
}

/* icmp_err_type() - type and code of @err for @family */
static void icmp_err_type(int family, enum icmp_err err, uint8_t *type,
			  uint8_t *code)
{
	static const uint8_t v4[][2] = {
		[ICMP_ERR_NET_UNREACH] = {3, 0},
		[ICMP_ERR_HOST_UNREACH] = {3, 1},
		[ICMP_ERR_PORT_UNREACH] = {3, 3},
		[ICMP_ERR_ADMIN_PROHIBITED] = {3, 13},
	};
	static const uint8_t v6[][2] = {
		[ICMP_ERR_NET_UNREACH] = {1, 0},
		[ICMP_ERR_HOST_UNREACH] = {1, 3},
		[ICMP_ERR_PORT_UNREACH] = {1, 4},
		[ICMP_ERR_ADMIN_PROHIBITED] = {1, 1},
	};

	*type = family == AF_INET ? v4[err][0] : v6[err][0];
	*code = family == AF_INET ? v4[err][1] : v6[err][1];
}

void icmp_error_to_child(struct engine *e, const struct ipaddr *from,
			 enum icmp_err err, const uint8_t *orig,
			 size_t orig_len)
{
	uint8_t type, code;
	size_t len;

	if (!orig_len)
		return;
	icmp_err_type(from->family, err, &type, &code);
	len = packet_build_icmp_error(from, type, code, 0, orig, orig_len,
				      icmp_err_buf, sizeof(icmp_err_buf));
	if (len)
		tun_write(e, icmp_err_buf, len);
}

void icmp_errqueue_to_child(struct engine *e,
			    const struct sock_extended_err *ee,
			    const struct ipaddr *offender,
			    const struct ipaddr *dst, const uint8_t *quote,
			    size_t quote_len)
{
	uint32_t rest = 0;
	size_t len;

	(void)dst;
	if (!quote_len)
		return;
	if (ee->ee_origin == SO_EE_ORIGIN_ICMP && ee->ee_type == 3 &&
	    ee->ee_code == 4) /* fragmentation needed: next-hop MTU */
		rest = htonl(ee->ee_info & 0xffff);
	else if (ee->ee_origin == SO_EE_ORIGIN_ICMP6 && ee->ee_type == 2)
		rest = htonl(ee->ee_info); /* packet too big: MTU */
	len = packet_build_icmp_error(offender, ee->ee_type, ee->ee_code, rest,
				      quote, quote_len, icmp_err_buf,
				      sizeof(icmp_err_buf));
	if (len)
		tun_write(e, icmp_err_buf, len);
}

/* icmp_echo_types() - echo request and reply types of @family */
static void icmp_echo_types(int family, uint8_t *req, uint8_t *rep)
{
	*req = family == AF_INET ? 8 : 128;
	*rep = family == AF_INET ? 0 : 129;
}

/* icmp_reply_to_child() - an echo reply from @from, with the tree's @id and
 * @seq, carrying @len bytes at @payload (room for headers in front)
 */
static void icmp_reply_to_child(struct engine *e, const struct ipaddr *from,
				const struct ipaddr *to, uint16_t id,
				uint16_t seq, uint8_t *payload, size_t len)
{
	uint8_t req, rep;
	uint32_t rest = htonl(((uint32_t)id << 16) | seq);
	uint8_t *pkt;

	icmp_echo_types(from->family, &req, &rep);
	pkt = packet_build_icmp(from, to, rep, 0, rest, 64, payload, len);
	tun_write(e, pkt, packet_ip_hlen(from->family) + 8 + len);
}

/* icmp_deny() - report and refuse an echo request */
static void icmp_deny(struct engine *e, const struct packet *p,
		      const struct policy_decision *d)
{
	if (events_wanted() && d) {
		struct event ev = {.kind = EVENT_DENY};

		ev.flow_id = flow_deny_id(e);
		ev.proto = p->family == AF_INET ? EVENT_PROTO_ICMP4
						: EVENT_PROTO_ICMP6;
		ev.remote = p->dst;
		ev.decision = d;
		events_emit(&ev);
	}
	icmp_error_to_child(e, &p->dst, ICMP_ERR_ADMIN_PROHIBITED, p->l3,
			    p->l3_len);
}

/* icmp_flow_new() - a host echo socket for the tree's session of @p */
static struct icmp_flow *icmp_flow_new(struct engine *e, const struct packet *p,
				       enum icmp_mode mode)
{
	int proto = p->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	struct flow_common *f = flow_alloc(e, FLOW_TYPE_ICMP);
	struct icmp_flow *i = (struct icmp_flow *)(void *)f;
	int s;

	if (!f)
		return NULL;
	f->child = p->src;
	f->child_port = p->icmp_id;
	f->remote = p->dst;
	i->raw = mode == ICMP_MODE_RAW;
	i->ttl_set = -1;
	i->id_to_host = p->icmp_id;
	s = socket(p->family,
		   (i->raw ? SOCK_RAW : SOCK_DGRAM) | SOCK_NONBLOCK |
			   SOCK_CLOEXEC,
		   proto);
	if (s < 0) {
		FLOW_DBG(f, "socket: %s", strerror(errno));
		flow_kill(f, EVENT_END_CLOSE);
		return NULL;
	}
	f->sock = s;
	sock_set_recverr(s, p->family);
	if (i->raw && p->family == AF_INET) {
		struct icmp_filter filt = {~(1u << ICMP_ECHOREPLY)};

		setsockopt(s, SOL_RAW, ICMP_FILTER, &filt, sizeof(filt));
	} else if (i->raw) {
		struct icmp6_filter filt;

		ICMP6_FILTER_SETBLOCKALL(&filt);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filt);
		setsockopt(s, IPPROTO_ICMPV6, ICMP6_FILTER, &filt,
			   sizeof(filt));
	}
	if (loop_epoll_add(e, s, EPOLLIN, EPOLL_TYPE_ICMP, flow_idx(f))) {
		flow_kill(f, EVENT_END_CLOSE);
		return NULL;
	}
	flow_activate(f);
	if (events_wanted()) {
		struct event ev;

		flow_event(f, &ev, EVENT_FLOW_START,
			   p->family == AF_INET ? EVENT_PROTO_ICMP4
						: EVENT_PROTO_ICMP6);
		events_emit(&ev);
	}
	return i;
}

void icmp_from_child(struct engine *e, const struct packet *p)
{
	struct policy_flow pf = {.proto = POLICY_PROTO_ICMP, .dst = p->dst};
	enum icmp_mode mode = p->family == AF_INET ? e->icmp4 : e->icmp6;
	uint8_t *payload = icmp_buf + PACKET_HDR_ROOM;
	struct sockaddr_storage ss;
	struct policy_decision d;
	struct flow_common *f;
	struct icmp_flow *i;
	uint8_t req, rep;
	socklen_t sl;
	uint64_t sum;
	uint16_t csum;
	ssize_t n = -1;
	int tries;

	icmp_echo_types(p->family, &req, &rep);
	if (p->icmp_type != req || p->icmp_code != 0)
		return; /* only echo requests leave the tree */
	if (loop_is_engine_addr(e, &p->dst)) {
		/* the engine is the gateway: it answers for itself */
		memcpy(payload, p->payload, p->payload_len);
		icmp_reply_to_child(e, &p->dst, &p->src, p->icmp_id,
				    p->icmp_seq, payload, p->payload_len);
		return;
	}
	if (loop_dst_forbidden(&p->dst)) {
		icmp_deny(e, p, NULL);
		return;
	}
	/* --proxy-dns: a pool address is reachable only over the proxy */
	pf.by_name = dns_pool_contains(&p->dst);
	if (loop_policy(e, &pf, &d) == POLICY_VERDICT_DENY) {
		icmp_deny(e, p, &d);
		return;
	}
	if (mode == ICMP_MODE_NONE) {
		if (!e->icmp_warned) {
			util_err(
				"warning: this host allows neither ping sockets (net.ipv4.ping_group_range) nor raw sockets: ICMP echo from the command is refused");
			e->icmp_warned = true;
		}
		icmp_error_to_child(e, &p->dst, ICMP_ERR_ADMIN_PROHIBITED,
				    p->l3, p->l3_len);
		return;
	}
	f = flow_lookup(FLOW_TYPE_ICMP, &p->src, p->icmp_id, NULL, 0);
	i = f ? (struct icmp_flow *)(void *)f : icmp_flow_new(e, p, mode);
	if (!i)
		return;
	if (i->ttl_set != p->ttl && !sock_set_ttl(i->f.sock, p->family, p->ttl))
		i->ttl_set = p->ttl;

	/* The echo request as it goes out: the kernel sets the id of ping
	 * sockets (and the checksum of ICMPv6); IPv4 raw needs ours
	 */
	payload[0] = req;
	payload[1] = 0;
	payload[2] = payload[3] = 0;
	payload[4] = (uint8_t)(i->id_to_host >> 8);
	payload[5] = (uint8_t)i->id_to_host;
	payload[6] = (uint8_t)(p->icmp_seq >> 8);
	payload[7] = (uint8_t)p->icmp_seq;
	memcpy(payload + 8, p->payload, p->payload_len);
	sum = packet_csum_add(payload, 8 + p->payload_len, 0);
	csum = packet_csum_fold(sum);
	memcpy(payload + 2, &csum, 2);
	sl = sock_addr_fill(&ss, &p->dst, 0);
	/* A failed send may report an older ICMP error (sk_err, e.g. the
	 * time exceeded of the previous traceroute probe): try once more
	 */
	for (tries = 0; tries < 2; tries++) {
		n = sendto(i->f.sock, payload, 8 + p->payload_len, MSG_DONTWAIT,
			   (struct sockaddr *)&ss, sl);
		if (n >= 0 || errno == EAGAIN || errno == EWOULDBLOCK)
			break;
	}
	if (n < 0) {
		if (errno == ENETUNREACH || errno == EHOSTUNREACH)
			icmp_error_to_child(e, &p->dst,
					    errno == ENETUNREACH
						    ? ICMP_ERR_NET_UNREACH
						    : ICMP_ERR_HOST_UNREACH,
					    p->l3, p->l3_len);
	} else {
		i->f.bytes_from_child += p->payload_len;
	}
	i->f.last_ms = e->now_ms;
}

/* icmp_errqueue() - errors about our echo requests, to the tree */
static void icmp_errqueue(struct engine *e, struct icmp_flow *i)
{
	int family = i->f.child.family;
	int n_err;

	for (n_err = 0; n_err < ICMP_BATCH; n_err++) {
		uint8_t data[ICMP_QUOTE_MAX], quote[ICMP_QUOTE_MAX + 64];
		struct sock_err err;
		uint8_t req, rep;
		size_t qlen;
		int rc;

		rc = sock_errqueue_read(i->f.sock, family, data, sizeof(data),
					&err);
		if (rc < 0)
			break;
		if (!rc || err.len < 8)
			continue;
		/* the tree's request as it left: its own echo id */
		icmp_echo_types(family, &req, &rep);
		data[0] = req;
		data[4] = (uint8_t)(i->f.child_port >> 8);
		data[5] = (uint8_t)i->f.child_port;
		qlen = packet_build_quote(
			&i->f.child, &err.dst,
			family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6,
			(uint8_t)(i->ttl_set < 0 ? 64 : i->ttl_set), err.len,
			data, err.len, quote, sizeof(quote));
		icmp_errqueue_to_child(e, &err.ee,
				       err.offender.family ? &err.offender
							   : &err.dst,
				       &err.dst, quote, qlen);
	}
}

void icmp_sock_handler(struct engine *e, struct icmp_flow *i, uint32_t events)
{
	int family = i->f.child.family, k;
	uint8_t req, rep;

	icmp_echo_types(family, &req, &rep);
	if (events & EPOLLERR)
		icmp_errqueue(e, i);
	if (!(events & EPOLLIN))
		return;
	for (k = 0; k < ICMP_BATCH; k++) {
		uint8_t *data = icmp_buf + PACKET_HDR_ROOM;
		struct ipaddr from;
		uint16_t port, id, seq;
		size_t len;
		ssize_t n;

		n = sock_recvfrom(i->f.sock, data, ICMP_MAX, &from, &port);
		if (n == -EAGAIN)
			break;
		if (n < 0)
			continue;
		len = (size_t)n;
		if (i->raw && family == AF_INET) {
			size_t ihl;

			if (len < 20)
				continue;
			ihl = (size_t)(data[0] & 0x0f) * 4;
			if (ihl < 20 || ihl > len)
				continue;
			data += ihl;
			len -= ihl;
		}
		if (len < 8 || data[0] != rep)
			continue;
		id = (uint16_t)((data[4] << 8) | data[5]);
		seq = (uint16_t)((data[6] << 8) | data[7]);
		if (i->raw && id != i->id_to_host)
			continue; /* another session's reply */
		if (from.family != family)
			continue;
		icmp_reply_to_child(e, &from, &i->f.child, i->f.child_port, seq,
				    data + 8, len - 8);
		i->f.bytes_to_child += len - 8;
		i->f.last_ms = e->now_ms;
	}
}

void icmp_timer(struct engine *e, struct icmp_flow *i)
{
	if (e->now_ms - i->f.last_ms > ICMP_TIMEOUT_MS)
		flow_kill(&i->f, EVENT_END_TIMEOUT);
}

void icmp_free(struct engine *e, struct icmp_flow *i)
{
	flow_close_datagram(e, &i->f,
			    i->f.child.family == AF_INET ? EVENT_PROTO_ICMP4
							 : EVENT_PROTO_ICMP6);
}
