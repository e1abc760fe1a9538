/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * loop.c - the engine's one thread and its one epoll loop
 *
 * Theory of operation
 * -------------------
 * The tree's only route leads to tun0, whose other end is the descriptor
 * sandbox_spawn() handed us. Everything the tree sends arrives here as IP
 * packets; everything it receives, we write. Between the two, the engine
 * keeps one flow per TCP connection, UDP source, ICMP echo session and DNS
 * client (flow.h), each with a host socket in the host's network namespace.
 *
 * One epoll set holds: tun0, one socket per flow, a timerfd (the tick),
 * a signalfd (SIGINT/SIGTERM/SIGHUP, forwarded to the tree; a second
 * SIGINT kills it) and the pidfd of the tree's pid 1. Each registration
 * carries an epoll_ref (engine_internal.h): its type and flow index, so
 * the loop dispatches with one switch and finds the flow without a lookup.
 *
 * After every batch of events, two deferred steps run in this order:
 * tcp_flush_acks() sends the ACKs owed for the tree's data (one per flow
 * per batch, however many segments came), then flow_sweep() frees the flows
 * that handlers marked dead. Handlers therefore never free anything, and a
 * flow is never used after it is gone.
 *
 * The tick runs every TIMER_SLOW_MS when nothing is in flight and every
 * TIMER_FAST_MS while some TCP flow waits for a retransmission deadline;
 * it gives each flow its timer hook (expiry, retransmission, probes).
 *
 * When the pidfd fires, the tree is gone, but not its last data: its TCP
 * sockets live on, orphaned, until they have sent everything (tun0 keeps
 * the namespace alive). The loop relays until each has sent its FIN or
 * RST (at most LOOP_GRACE_MS), then ends every flow (flow_end
 * "sandbox_exit"; host sockets are closed, so data they accepted still
 * reaches its peer) and returns the command's status.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "engine/dns.h"
#include "engine/engine.h"
#include "engine/flow_table.h"
#include "engine/icmp.h"
#include "engine/sock.h"
#include "engine/tcp.h"
#include "engine/udp.h"
#include "observe/events.h"
#include "policy/namemap.h"
#include "util.h"

#define LOOP_EVENTS   256  /* epoll events per wakeup */
#define TIMER_SLOW_MS 1000 /* tick when no TCP data is in flight */
#define TIMER_FAST_MS 20   /* tick while retransmission timers run */
#define LOOP_GRACE_MS 2000 /* relay a gone tree's last TCP data this long */

int loop_epoll_add(struct engine *e, int fd, uint32_t events,
		   enum epoll_type type, unsigned int flow)
{
	union epoll_ref ref = {.type = type, .flow = flow};
	struct epoll_event ev = {.events = events, .data.u64 = ref.u32};

	return epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int loop_epoll_mod(struct engine *e, int fd, uint32_t events,
		   enum epoll_type type, unsigned int flow)
{
	union epoll_ref ref = {.type = type, .flow = flow};
	struct epoll_event ev = {.events = events, .data.u64 = ref.u32};

	return epoll_ctl(e->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

bool loop_is_engine_dns(const struct engine *e, const struct ipaddr *a)
{
	return ipaddr_eq(a, &e->dns4) || ipaddr_eq(a, &e->dns6);
}

bool loop_is_engine_addr(const struct engine *e, const struct ipaddr *a)
{
	return ipaddr_eq(a, &e->gw4) || ipaddr_eq(a, &e->gw6) ||
	       loop_is_engine_dns(e, a);
}

bool loop_dst_forbidden(const struct ipaddr *a)
{
	if (a->family == AF_INET) {
		uint32_t v = ntohl(a->v4.s_addr);

		return (v >> 24) == 0 || (v >> 24) == 127 || (v >> 28) == 0xe ||
		       v == 0xffffffffu;
	}
	return IN6_IS_ADDR_UNSPECIFIED(&a->v6) ||
	       IN6_IS_ADDR_LOOPBACK(&a->v6) || IN6_IS_ADDR_MULTICAST(&a->v6) ||
	       IN6_IS_ADDR_V4MAPPED(&a->v6) || IN6_IS_ADDR_V4COMPAT(&a->v6);
}

/* loop_now() - CLOCK_MONOTONIC in ms */
static uint64_t loop_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* loop_timer_set() - run the tick every @ms */
static void loop_timer_set(struct engine *e, unsigned int ms)
{
	struct itimerspec its = {
		.it_interval = {ms / 1000, (long)(ms % 1000) * 1000000},
		.it_value = {ms / 1000, (long)(ms % 1000) * 1000000},
	};

	if (timerfd_settime(e->timerfd, 0, &its, NULL) < 0)
		util_err("timerfd_settime: %s", strerror(errno));
}

/* loop_addr() - parse one of sandbox.h's address constants */
static void loop_addr(const char *s, struct ipaddr *a)
{
	if (ip_parse(s, a, NULL, 0))
		ASSERT(0);
}

/* loop_probe_ipv6() - does the host have a route to the IPv6 internet?
 * Connecting a UDP socket sends nothing; it only looks the route up.
 */
static bool loop_probe_ipv6(void)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6,
				  .sin6_port = htons(53)};
	bool ok;
	int s;

	/* 2001:4860:4860::8888: any global unicast address would do */
	if (inet_pton(AF_INET6, "2001:4860:4860::8888", &sa.sin6_addr) != 1)
		return false;
	s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return false;
	ok = connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(s);
	return ok;
}

/* loop_raise_nofile() - one descriptor per flow: lift the soft limit to
 * the hard one (the tree was cloned already and keeps its own)
 */
static void loop_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* loop_proxy_unresolved() - say that --proxy's @host has no address
 * (@why), on stderr and in the flow log
 * Return: -1
 */
static int loop_proxy_unresolved(const char *host, const char *why)
{
	char detail[512];

	snprintf(detail, sizeof(detail), "cannot resolve the proxy host %s: %s",
		 host, why);
	util_err("%s", detail);
	events_failure("preflight", "proxy_unresolvable", detail);
	return -1;
}

/* loop_resolve_proxy() - the address of --proxy's host (an IP literal or
 * a name, resolved here once), into e->proxy_addr
 * Return: 0, or -1 when it cannot be resolved
 */
static int loop_resolve_proxy(struct engine *e)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL, *ai;
	uint16_t port;
	int rc;

	if (!e->cfg->has_proxy)
		return 0;
	rc = getaddrinfo(e->cfg->proxy.host, NULL, &hints, &res);
	if (rc)
		return loop_proxy_unresolved(e->cfg->proxy.host,
					     gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		struct sockaddr_storage ss = {0};

		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
		sock_addr_read(&ss, &e->proxy_addr, &port);
		if (e->proxy_addr.family)
			break;
	}
	freeaddrinfo(res);
	if (!e->proxy_addr.family)
		return loop_proxy_unresolved(e->cfg->proxy.host, "no address");
	e->proxy_port = e->cfg->proxy.port;
	return 0;
}

/* loop_setup() - everything the loop needs, before the tree may start
 * Return: 0, or -1 with one line printed
 */
static int loop_setup(struct engine *e)
{
	sigset_t mask;

	loop_addr(SANDBOX_ADDR4, &e->tree4);
	loop_addr(SANDBOX_GW4, &e->gw4);
	loop_addr(SANDBOX_DNS4, &e->dns4);
	loop_addr(SANDBOX_ADDR6, &e->tree6);
	loop_addr(SANDBOX_GW6, &e->gw6);
	loop_addr(SANDBOX_DNS6, &e->dns6);
	e->now_ms = loop_now();
	loop_raise_nofile();
	signal(SIGPIPE, SIG_IGN);

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		util_err("cannot block signals: %s", strerror(errno));
		return -1;
	}
	e->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	e->timerfd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (e->sigfd < 0 || e->epfd < 0 || e->timerfd < 0) {
		util_err("cannot set up the engine's event loop: %s",
			 strerror(errno));
		return -1;
	}
	if (loop_epoll_add(e, e->tun_fd, EPOLLIN, EPOLL_TYPE_TUN, 0) ||
	    loop_epoll_add(e, e->sigfd, EPOLLIN, EPOLL_TYPE_SIGNAL, 0) ||
	    loop_epoll_add(e, e->sb->pidfd, EPOLLIN, EPOLL_TYPE_PIDFD, 0) ||
	    loop_epoll_add(e, e->timerfd, EPOLLIN, EPOLL_TYPE_TIMER, 0)) {
		util_err("cannot set up the engine's event loop: %s",
			 strerror(errno));
		return -1;
	}
	loop_timer_set(e, TIMER_SLOW_MS);
	if (loop_resolve_proxy(e) < 0)
		return -1;

	flow_init();
	e->ipv6_ok = loop_probe_ipv6();
	if (tcp_init(e) < 0)
		return -1;
	icmp_init(e);
	dns_init(e);
	return 0;
}

/* loop_signal() - SIGINT/SIGTERM/SIGHUP for childflow: pass them on */
static void loop_signal(struct engine *e)
{
	struct signalfd_siginfo si;

	while (read(e->sigfd, &si, sizeof(si)) == sizeof(si)) {
		int sig = (int)si.ssi_signo;

		if (sig == SIGINT)
			e->sigint_count++;
		sandbox_signal(e->sb, sig,
			       sig == SIGINT && e->sigint_count >= 2);
	}
}

/* loop_tick() - the timerfd fired: run every flow's timer hook */
static void loop_tick(struct engine *e)
{
	uint64_t n;
	bool fast;

	if (read(e->timerfd, &n, sizeof(n)) < 0)
		return;
	/* ACKs still queued on tun0 would make retransmission timers fire
	 * for data that has arrived: read them first
	 */
	tun_handler(e);
	fast = flow_timers(e);
	if (fast != e->timer_fast) {
		e->timer_fast = fast;
		loop_timer_set(e, fast ? TIMER_FAST_MS : TIMER_SLOW_MS);
	}
}

/* loop_need_fast_tick() - a handler armed a short deadline */
static void loop_need_fast_tick(struct engine *e)
{
	if (!e->timer_fast) {
		e->timer_fast = true;
		loop_timer_set(e, TIMER_FAST_MS);
	}
}

/* loop_dispatch() - one epoll event to its handler */
static void loop_dispatch(struct engine *e, const struct epoll_event *ev)
{
	union epoll_ref ref = {.u32 = (uint32_t)ev->data.u64};
	union flow *fl = NULL;

	if (ref.type >= EPOLL_TYPE_TCP) {
		fl = flow_entry(flow_at(ref.flow));
		if (fl->f.state != FLOW_STATE_ACTIVE)
			return; /* killed earlier in this batch */
	}
	switch ((enum epoll_type)ref.type) {
	case EPOLL_TYPE_TUN:
		tun_handler(e);
		break;
	case EPOLL_TYPE_SIGNAL:
		loop_signal(e);
		break;
	case EPOLL_TYPE_PIDFD:
		e->tree_gone = true;
		break;
	case EPOLL_TYPE_TIMER:
		loop_tick(e);
		break;
	case EPOLL_TYPE_TCP:
		tcp_sock_handler(e, &fl->tcp, ev->events);
		break;
	case EPOLL_TYPE_UDP:
		udp_sock_handler(e, &fl->udp, ev->events);
		break;
	case EPOLL_TYPE_ICMP:
		icmp_sock_handler(e, &fl->icmp, ev->events);
		break;
	case EPOLL_TYPE_DNS:
		dns_sock_handler(e, &fl->dns, ev->events);
		break;
	case EPOLL_TYPE_NONE:
	default:
		ASSERT(0);
	}
}

/* loop_close() - release the loop's own descriptors */
static void loop_close(struct engine *e)
{
	if (e->epfd >= 0)
		close(e->epfd);
	if (e->sigfd >= 0)
		close(e->sigfd);
	if (e->timerfd >= 0)
		close(e->timerfd);
	e->epfd = e->sigfd = e->timerfd = -1;
}

/* loop_batch() - wait for one batch of events (at most @timeout_ms, -1
 * for no limit) and handle it, deferred steps included
 * Return: 0, or -1 when epoll_wait() failed
 */
static int loop_batch(struct engine *e, int timeout_ms)
{
	static struct epoll_event events[LOOP_EVENTS];
	int n, i;

	n = epoll_wait(e->epfd, events, LOOP_EVENTS, timeout_ms);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		util_err("epoll_wait: %s", strerror(errno));
		return -1;
	}
	e->now_ms = loop_now();
	for (i = 0; i < n; i++)
		loop_dispatch(e, &events[i]);
	tcp_flush_acks(e);
	flow_sweep(e);
	if (e->timer_fast_wanted) {
		e->timer_fast_wanted = false;
		loop_need_fast_tick(e);
	}
	return 0;
}

/* loop_drain() - the tree is gone, but its last TCP data may still be on
 * its way: its sockets live on, orphaned, in the network namespace that
 * our tun0 descriptor keeps. Relay until each of them has sent its FIN
 * or RST, for at most LOOP_GRACE_MS, so that a command that wrote and
 * exited loses nothing.
 */
static void loop_drain(struct engine *e)
{
	uint64_t deadline;

	epoll_ctl(e->epfd, EPOLL_CTL_DEL, e->sb->pidfd, NULL);
	e->now_ms = loop_now();
	deadline = e->now_ms + LOOP_GRACE_MS;
	tun_handler(e);
	tcp_flush_acks(e);
	flow_sweep(e);
	while (flow_tcp_unfinished() && e->now_ms < deadline) {
		if (loop_batch(e, (int)(deadline - e->now_ms)) < 0)
			break;
	}
}

enum policy_verdict loop_policy(struct engine *e, struct policy_flow *pf,
				struct policy_decision *d)
{
	if (e->names)
		namemap_lookup(e->names, &pf->dst, &pf->names, &pf->n_names);
	return policy_decide(e->cfg, pf, d);
}

int engine_run(const struct config *cfg, struct sandbox *sb,
	       struct namemap *names)
{
	struct engine eng = {.cfg = cfg,
			     .sb = sb,
			     .names = names,
			     .tun_fd = sb->tun_fd,
			     .epfd = -1,
			     .sigfd = -1,
			     .timerfd = -1};
	struct engine *e = &eng;

	/* events_init() is run_command()'s: the sinks are registered there */
	if (loop_setup(e) < 0 || sandbox_go(sb) < 0) {
		tcp_fini();
		loop_close(e);
		sandbox_signal(sb, SIGKILL, true);
		return EXIT_CHILDFLOW;
	}

	while (!e->tree_gone) {
		if (loop_batch(e, -1) < 0) {
			sandbox_signal(sb, SIGKILL, true);
			break;
		}
	}

	loop_drain(e);
	flow_kill_all(e, EVENT_END_SANDBOX_EXIT);
	tcp_debug_totals();
	tcp_fini();
	loop_close(e);
	return sandbox_reap(sb);
}
