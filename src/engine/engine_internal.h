/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * engine_internal.h - what the engine's files share; only src/engine/
 * includes it
 *
 * One struct engine holds the state of the run (descriptors, the tree's
 * and the engine's addresses, what the host allows); it is passed down as
 * @e, never global. The epoll reference packs what an event is and which
 * flow it belongs to, so that the loop dispatches with one switch and no
 * lookup.
 */
#ifndef CHILDFLOW_ENGINE_INTERNAL_H
#define CHILDFLOW_ENGINE_INTERNAL_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "config.h"
#include "policy/cidr.h"
#include "policy/policy.h"
#include "sandbox/sandbox.h"

struct namemap;

enum epoll_type {
	EPOLL_TYPE_NONE = 0,
	EPOLL_TYPE_TUN,	   /* tun0: packets from the tree */
	EPOLL_TYPE_SIGNAL, /* signalfd: SIGINT, SIGTERM, SIGHUP */
	EPOLL_TYPE_PIDFD,  /* the tree's pid 1 exited */
	EPOLL_TYPE_TIMER,  /* the engine's tick */
	EPOLL_TYPE_TCP,	   /* host socket of a TCP flow */
	EPOLL_TYPE_UDP,	   /* host socket of a UDP flow */
	EPOLL_TYPE_ICMP,   /* host ping/raw socket of an ICMP flow */
	EPOLL_TYPE_DNS,	   /* host socket to the upstream resolver */
};

/* union epoll_ref - what goes into epoll_data.u32 */
union epoll_ref {
	struct {
		uint32_t type : 8;  /* enum epoll_type */
		uint32_t flow : 24; /* flow table index */
	};
	uint32_t u32;
};

static_assert(sizeof(union epoll_ref) == sizeof(uint32_t),
	      "epoll_ref must fit epoll_data.u32");

#define DNS_UPSTREAM_MAX 3 /* as glibc's MAXNS */

enum icmp_mode {
	ICMP_MODE_NONE, /* neither ping nor raw sockets: admin-prohibited */
	ICMP_MODE_PING, /* SOCK_DGRAM ping sockets */
	ICMP_MODE_RAW,	/* SOCK_RAW, with CAP_NET_RAW */
};

struct engine {
	const struct config *cfg;
	struct sandbox *sb;
	struct namemap *names; /* address -> names, for domain rules; or NULL */
	int epfd, sigfd, timerfd, tun_fd;
	uint64_t now_ms; /* CLOCK_MONOTONIC, refreshed after each epoll_wait */

	/* The tree's side (DESIGN.md "Addresses seen by the child") */
	struct ipaddr tree4, gw4, dns4, tree6, gw6, dns6;

	/* What the host offers, probed at start */
	bool ipv6_ok;  /* a route to the IPv6 internet exists */
	bool peek_off; /* SO_PEEK_OFF works on TCP sockets */
	enum icmp_mode icmp4, icmp6;
	bool icmp_warned;

	/* Upstream resolvers: --dns, or the host's resolv.conf */
	struct ipaddr dns_upstream[DNS_UPSTREAM_MAX];
	unsigned int n_dns_upstream;

	/* --proxy: its address, resolved once at start (loop_setup()) */
	struct ipaddr proxy_addr;
	uint16_t proxy_port;

	uint32_t next_flow_id;
	unsigned int sigint_count;
	bool tree_gone;
	bool timer_fast;	/* the tick runs at TIMER_FAST_MS */
	bool timer_fast_wanted; /* a handler armed a short deadline */
};

/* loop_epoll_add() / loop_epoll_mod() - (re)register @fd for @events,
 * tagged with @type and flow index @flow
 * Return: 0, or -errno.
 */
int loop_epoll_add(struct engine *e, int fd, uint32_t events,
		   enum epoll_type type, unsigned int flow);
int loop_epoll_mod(struct engine *e, int fd, uint32_t events,
		   enum epoll_type type, unsigned int flow);

/* loop_is_engine_addr() - is @a one of the engine's own addresses on the
 * tree's side (gateway or DNS)?
 */
bool loop_is_engine_addr(const struct engine *e, const struct ipaddr *a);

/* loop_is_engine_dns() - is @a the engine's DNS address (10.0.2.3, fd00::3)? */
bool loop_is_engine_dns(const struct engine *e, const struct ipaddr *a);

/* loop_dst_forbidden() - may the engine never open a host socket towards
 * @a? Loopback, unspecified, multicast, broadcast and IPv4-mapped: the
 * host's own loopback must stay out of the tree's reach whatever it sends.
 */
bool loop_dst_forbidden(const struct ipaddr *a);

/* loop_policy() - the one policy decision for a new flow: ties the names
 * the name map knows for @pf->dst to it, then asks policy_decide()
 * Return: the verdict (also in @d)
 */
enum policy_verdict loop_policy(struct engine *e, struct policy_flow *pf,
				struct policy_decision *d);

/* tun_write() - write one packet to tun0; a failure loses the packet, as
 * a lossy link would (TCP retransmits)
 */
void tun_write(struct engine *e, const void *pkt, size_t len);

/* tun_write_partial() - the same for a packet whose transport checksum at
 * @l4_off + @csum_off holds only the pseudo header's sum: the tree's
 * kernel is told to take it as checked (tun.c)
 */
void tun_write_partial(struct engine *e, const void *pkt, size_t len,
		       size_t l4_off, size_t csum_off);

/* tun_handler() - read packets from tun0 until EAGAIN (bounded) and hand
 * each to its protocol
 */
void tun_handler(struct engine *e);

#endif /* CHILDFLOW_ENGINE_INTERNAL_H */
