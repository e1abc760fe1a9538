/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * cfload.c - the load generator and world server of bench/run
 *
 * One small program, so that every column of the benchmark runs the same
 * client code: natively, inside a childflow tree, inside pasta and inside
 * slirp4netns. Each client mode runs for a fixed time, then prints one line
 * of key=value pairs on stdout that bench/run records as they are.
 *
 *   cfload serve ADDR PORT
 *       world side: TCP echo (TCP_NODELAY) that also holds any number of idle
 *       connections, and UDP echo, on ADDR:PORT; one epoll loop; runs until
 *       killed.
 *   cfload rr ADDR PORT SECONDS SIZE
 *       request/response latency: one TCP connection, SIZE-byte messages sent
 *       one at a time, each timed until its echo is back. Prints p50_us,
 *       p99_us, count.
 *   cfload crate ADDR PORT SECONDS CONC
 *       connection rate: CONC connections at a time, each one connect, an
 *       HTTP/1.1 GET with "Connection: close", the whole response, close.
 *       Prints rate (completed per second), ok, err.
 *   cfload udp ADDR PORT SECONDS WINDOW SIZE
 *       small-datagram rate: WINDOW datagrams of SIZE bytes in flight
 *       against a UDP echo, a new one sent for each echo received. Prints
 *       rate (echoes per second), sent, recv.
 *   cfload dns SERVER|resolv NAME SECONDS WINDOW
 *       DNS query rate: WINDOW queries for NAME (type A) in flight against
 *       SERVER port 53 (the first nameserver of /etc/resolv.conf with
 *       "resolv", i.e. what a program in the tree would use). Prints rate
 *       (answers per second), sent, recv, server.
 *   cfload hold ADDR PORT COUNT READYFILE
 *       scale: open COUNT idle TCP connections (256 connecting at a time,
 *       giving up after 60 s, or 15 s without progress), then write
 *       READYFILE (the number held) and keep them open, sending nothing,
 *       until SIGTERM or SIGINT. Prints held (still open at the end), err
 *       (connects failed or given up) and lost (closed by the far end while
 *       held: a relay that drops idle connections shows here).
 *
 * Lost datagrams (udp, dns) are detected by silence: when nothing comes back
 * for a while, every datagram in flight counts as lost and the window is
 * refilled, so a lossy path costs rate but never stalls the run.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CFLOAD_MAX_EVENTS 256
#define CFLOAD_BUF	  65536
/* Connections that may be connecting at once in hold mode. */
#define CFLOAD_HOLD_PENDING 256
/* Silence after which udp/dns consider their window lost (ms). */
#define CFLOAD_LOSS_MS 200

static volatile sig_atomic_t cfload_stop;

/* cfload_die() - print a setup failure and exit 1. */
static void __attribute__((noreturn, format(printf, 1, 2)))
cfload_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("cfload: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* cfload_now() - monotonic time in nanoseconds. */
static uint64_t cfload_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* cfload_num() - parse a positive decimal argument or die naming it. */
static long cfload_num(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0)
		cfload_die("bad %s: %s", what, s);
	return v;
}

/* cfload_addr() - fill an IPv4 or IPv6 socket address from text and port. */
static socklen_t cfload_addr(const char *host, long port,
			     struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		return sizeof(*a4);
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		return sizeof(*a6);
	}
	cfload_die("not an IP address: %s", host);
}

/* cfload_nofile() - raise the soft open-files limit to the hard one. */
static void cfload_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* cfload_on_signal() - ask the running loop to finish. */
static void cfload_on_signal(int sig)
{
	(void)sig;
	cfload_stop = 1;
}

/* cfload_signals() - SIGTERM/SIGINT end a loop cleanly; SIGPIPE is ignored. */
static void cfload_signals(void)
{
	struct sigaction sa = {.sa_handler = cfload_on_signal};

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* cfload_socket() - a non-blocking socket of the address's family. */
static int cfload_socket(const struct sockaddr_storage *ss, int type)
{
	int fd = socket(ss->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	return fd;
}

/* cfload_nodelay() - turn Nagle off: every message is one request. */
static void cfload_nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* ------------------------------------------------------------------------ */
/* serve: TCP and UDP echo in the world namespace.                          */
/* ------------------------------------------------------------------------ */

/* epoll_data of the two listening sockets; connections carry their fd. */
#define CFLOAD_TAG_LISTEN (-1)
#define CFLOAD_TAG_UDP	  (-2)

/* cfload_serve_tcp() - echo what a connection sent; close it on EOF/error. */
static void cfload_serve_tcp(int ep, int fd, char *buf)
{
	for (;;) {
		ssize_t n = recv(fd, buf, CFLOAD_BUF, 0);

		if (n > 0) {
			/* Requests are small and answered one at a time: the send
			 * buffer always takes the echo whole. */
			if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) < 0 &&
			    errno != EAGAIN)
				break;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		break;
	}
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
}

/* cfload_serve_udp() - echo every waiting datagram to its sender. */
static void cfload_serve_udp(int fd, char *buf)
{
	struct sockaddr_storage from;
	socklen_t len;
	ssize_t n;

	for (;;) {
		len = sizeof(from);
		n = recvfrom(fd, buf, CFLOAD_BUF, 0, (struct sockaddr *)&from,
			     &len);
		if (n < 0)
			return;
		sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
	}
}

/* cfload_serve() - world server: accept, echo, hold, until killed. */
static int cfload_serve(const char *host, long port)
{
	struct epoll_event ev, evs[CFLOAD_MAX_EVENTS];
	struct sockaddr_storage ss;
	socklen_t sl = cfload_addr(host, port, &ss);
	int one = 1, lfd, ufd, ep, n, i;
	char *buf = malloc(CFLOAD_BUF);

	cfload_nofile();
	cfload_signals();
	lfd = cfload_socket(&ss, SOCK_STREAM);
	ufd = cfload_socket(&ss, SOCK_DGRAM);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!buf || lfd < 0 || ufd < 0 || ep < 0)
		cfload_die("serve: %s", strerror(errno));
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&ss, sl) || listen(lfd, 4096) ||
	    bind(ufd, (struct sockaddr *)&ss, sl))
		cfload_die("serve: bind %s:%ld: %s", host, port,
			   strerror(errno));
	ev.events = EPOLLIN;
	ev.data.fd = CFLOAD_TAG_LISTEN;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	ev.data.fd = CFLOAD_TAG_UDP;
	epoll_ctl(ep, EPOLL_CTL_ADD, ufd, &ev);

	while (!cfload_stop) {
		n = epoll_wait(ep, evs, CFLOAD_MAX_EVENTS, 1000);
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == CFLOAD_TAG_UDP) {
				cfload_serve_udp(ufd, buf);
			} else if (fd == CFLOAD_TAG_LISTEN) {
				int c;

				while ((c = accept4(lfd, NULL, NULL,
						    SOCK_NONBLOCK |
							    SOCK_CLOEXEC)) >=
				       0) {
					cfload_nodelay(c);
					ev.events = EPOLLIN | EPOLLRDHUP;
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
			} else {
				cfload_serve_tcp(ep, fd, buf);
			}
		}
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* rr: request/response latency over one TCP connection.                   */
/* ------------------------------------------------------------------------ */

/* cfload_cmp_u64() - qsort comparator for latencies. */
static int cfload_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* cfload_wait() - poll one fd for EVENTS with a timeout in ms (ep is its epoll). */
static int cfload_wait(int ep, int ms)
{
	struct epoll_event ev;

	return epoll_wait(ep, &ev, 1, ms);
}

/* cfload_rr() - time SIZE-byte echoes one at a time for SECONDS. */
static int cfload_rr(const char *host, long port, long seconds, long size)
{
	struct sockaddr_storage ss;
	socklen_t sl = cfload_addr(host, port, &ss);
	size_t cap = 1 << 16, count = 0;
	uint64_t *lat = malloc(cap * sizeof(*lat)), end, t0;
	char *msg = malloc((size_t)size), *buf = malloc((size_t)size);
	struct epoll_event ev = {.events = EPOLLIN};
	int fd, ep, err;
	socklen_t el = sizeof(err);

	if (!lat || !msg || !buf || size > CFLOAD_BUF)
		cfload_die("rr: bad size");
	memset(msg, 'r', (size_t)size);
	fd = cfload_socket(&ss, SOCK_STREAM);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (fd < 0 || ep < 0)
		cfload_die("rr: %s", strerror(errno));
	cfload_nodelay(fd);
	if (connect(fd, (struct sockaddr *)&ss, sl) && errno != EINPROGRESS)
		cfload_die("rr: connect: %s", strerror(errno));
	ev.events = EPOLLOUT;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	if (cfload_wait(ep, 5000) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) || err)
		cfload_die("rr: connect to %s:%ld failed", host, port);
	ev.events = EPOLLIN;
	epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);

	end = cfload_now() + (uint64_t)seconds * 1000000000ULL;
	while ((t0 = cfload_now()) < end) {
		long got = 0;

		if (send(fd, msg, (size_t)size, MSG_NOSIGNAL) != size)
			cfload_die("rr: send: %s", strerror(errno));
		while (got < size) {
			ssize_t n =
				recv(fd, buf + got, (size_t)(size - got), 0);

			if (n > 0) {
				got += n;
				continue;
			}
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				cfload_die(
					"rr: connection lost after %zu messages",
					count);
			if (cfload_wait(ep, 5000) == 0)
				cfload_die(
					"rr: no echo for 5 s after %zu messages",
					count);
		}
		if (count == cap) {
			cap *= 2;
			lat = realloc(lat, cap * sizeof(*lat));
			if (!lat)
				cfload_die("rr: out of memory");
		}
		lat[count++] = cfload_now() - t0;
	}
	if (!count)
		cfload_die("rr: no message completed");
	qsort(lat, count, sizeof(*lat), cfload_cmp_u64);
	printf("p50_us=%.1f p99_us=%.1f count=%zu\n",
	       (double)lat[count / 2] / 1000.0,
	       (double)lat[(count * 99) / 100] / 1000.0, count);
	close(fd);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* crate: short HTTP connections per second.                                */
/* ------------------------------------------------------------------------ */

struct cfload_conn {
	int fd;
	int sent;   /* request written */
	int status; /* first bytes were "HTTP/1.1 200" */
	size_t got; /* response bytes so far */
};

/* cfload_crate_open() - start one connection into slot C; 0 or -1. */
static int cfload_crate_open(int ep, struct cfload_conn *c, size_t slot,
			     const struct sockaddr_storage *ss, socklen_t sl)
{
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN,
				 .data.u64 = slot};

	c->fd = cfload_socket(ss, SOCK_STREAM);
	c->sent = c->status = 0;
	c->got = 0;
	if (c->fd < 0)
		return -1;
	if (connect(c->fd, (const struct sockaddr *)ss, sl) &&
	    errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	return 0;
}

/* cfload_crate_step() - advance the connection in SLOT: send the request
 * once connected, then read the response to EOF. 1 done ok, -1 failed, 0 not
 * finished yet. */
static int cfload_crate_step(int ep, struct cfload_conn *c, size_t slot,
			     const char *req, size_t reqlen)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = slot};
	char buf[4096];
	ssize_t n;

	if (!c->sent) {
		n = send(c->fd, req, reqlen, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINPROGRESS))
			return 0;
		if (n != (ssize_t)reqlen)
			return -1;
		c->sent = 1;
		/* Only reads from now on (EPOLLOUT would fire without end). */
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	}
	for (;;) {
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n > 0) {
			if (c->got == 0 && n >= 12 &&
			    !memcmp(buf, "HTTP/1.1 200", 12))
				c->status = 1;
			c->got += (size_t)n;
			continue;
		}
		if (n == 0)
			return c->status ? 1 : -1;
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		return -1;
	}
}

/* cfload_crate() - CONC connections at a time to an HTTP server for SECONDS. */
static int cfload_crate(const char *host, long port, long seconds, long conc)
{
	struct sockaddr_storage ss;
	socklen_t sl = cfload_addr(host, port, &ss);
	struct epoll_event evs[CFLOAD_MAX_EVENTS];
	struct cfload_conn *conns = calloc((size_t)conc, sizeof(*conns));
	char req[256];
	size_t reqlen;
	unsigned long ok = 0, err = 0;
	uint64_t start, end;
	long i;
	int ep = epoll_create1(EPOLL_CLOEXEC), n;

	cfload_nofile();
	if (!conns || ep < 0)
		cfload_die("crate: %s", strerror(errno));
	reqlen = (size_t)snprintf(
		req, sizeof(req),
		"GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
		host);
	start = cfload_now();
	end = start + (uint64_t)seconds * 1000000000ULL;
	for (i = 0; i < conc; i++)
		if (cfload_crate_open(ep, &conns[i], (size_t)i, &ss, sl))
			err++;
	while (cfload_now() < end) {
		n = epoll_wait(ep, evs, CFLOAD_MAX_EVENTS, 100);
		for (int k = 0; k < n; k++) {
			size_t slot = evs[k].data.u64;
			struct cfload_conn *c = &conns[slot];
			int r;

			if (c->fd < 0)
				continue;
			r = cfload_crate_step(ep, c, slot, req, reqlen);
			if (r == 0)
				continue;
			if (r > 0)
				ok++;
			else
				err++;
			close(c->fd);
			c->fd = -1;
			if (cfload_now() < end &&
			    cfload_crate_open(ep, c, slot, &ss, sl))
				err++;
		}
		/* Re-open slots whose socket() or connect() failed at once. */
		for (i = 0; i < conc; i++)
			if (conns[i].fd < 0 && cfload_now() < end &&
			    cfload_crate_open(ep, &conns[i], (size_t)i, &ss,
					      sl))
				err++;
	}
	printf("rate=%.1f ok=%lu err=%lu\n",
	       (double)ok * 1e9 / (double)(cfload_now() - start), ok, err);
	return ok ? 0 : 1;
}

/* ------------------------------------------------------------------------ */
/* udp and dns: datagram rates with a window in flight.                     */
/* ------------------------------------------------------------------------ */

/* cfload_dns_query() - write a query for NAME, type A, id ID; its length. */
static size_t cfload_dns_query(unsigned char *q, size_t cap, const char *name,
			       uint16_t id)
{
	size_t len = 12;
	const char *p = name;

	memset(q, 0, 12);
	q[0] = (unsigned char)(id >> 8);
	q[1] = (unsigned char)id;
	q[2] = 0x01; /* RD */
	q[5] = 1;    /* QDCOUNT */
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		if (l == 0 || l > 63 || len + l + 6 > cap)
			cfload_die("dns: bad name %s", name);
		q[len++] = (unsigned char)l;
		memcpy(q + len, p, l);
		len += l;
		p += l + (dot ? 1 : 0);
	}
	q[len++] = 0;
	q[len++] = 0;
	q[len++] = 1; /* QTYPE A */
	q[len++] = 0;
	q[len++] = 1; /* QCLASS IN */
	return len;
}

/* cfload_resolv() - the first nameserver of /etc/resolv.conf into BUF. */
static void cfload_resolv(char *buf, size_t cap)
{
	FILE *f = fopen("/etc/resolv.conf", "re");
	char line[512];

	if (!f)
		cfload_die("dns: /etc/resolv.conf: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char addr[256];

		if (sscanf(line, " nameserver %255s", addr) == 1) {
			snprintf(buf, cap, "%s", addr);
			fclose(f);
			return;
		}
	}
	fclose(f);
	cfload_die("dns: no nameserver in /etc/resolv.conf");
}

/* cfload_dgram() - keep WINDOW datagrams in flight for SECONDS. With NAME
 * set they are DNS queries for it (any answer counts), otherwise SIZE-byte
 * payloads for an echo server. */
static int cfload_dgram(const char *host, long port, long seconds, long window,
			long size, const char *name)
{
	struct sockaddr_storage ss;
	socklen_t sl = cfload_addr(host, port, &ss);
	unsigned char out[512], in[CFLOAD_BUF];
	unsigned long sent = 0, recvd = 0;
	uint64_t start, end;
	long inflight = 0;
	size_t len = (size_t)size;
	struct epoll_event ev = {.events = EPOLLIN};
	int fd = cfload_socket(&ss, SOCK_DGRAM),
	    ep = epoll_create1(EPOLL_CLOEXEC);

	if (fd < 0 || ep < 0 ||
	    (!name && (size < 8 || size > (long)sizeof(out))))
		cfload_die("dgram: bad setup");
	if (connect(fd, (struct sockaddr *)&ss, sl))
		cfload_die("dgram: connect %s: %s", host, strerror(errno));
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	memset(out, 'u', sizeof(out));
	start = cfload_now();
	end = start + (uint64_t)seconds * 1000000000ULL;
	while (cfload_now() < end) {
		while (inflight < window) {
			if (name)
				len = cfload_dns_query(out, sizeof(out), name,
						       (uint16_t)sent);
			else
				memcpy(out, &sent, sizeof(sent));
			if (send(fd, out, len, 0) < 0)
				break;
			sent++;
			inflight++;
		}
		if (cfload_wait(ep, CFLOAD_LOSS_MS) == 0) {
			inflight = 0; /* silence: the window was lost */
			continue;
		}
		for (;;) {
			ssize_t n = recv(fd, in, sizeof(in), 0);

			if (n < 0)
				break;
			if (name && (n < 12 || !(in[2] & 0x80)))
				continue;
			recvd++;
			if (inflight > 0)
				inflight--;
		}
	}
	printf("rate=%.1f sent=%lu recv=%lu server=%s\n",
	       (double)recvd * 1e9 / (double)(cfload_now() - start), sent,
	       recvd, host);
	return recvd ? 0 : 1;
}

/* ------------------------------------------------------------------------ */
/* hold: many idle connections.                                             */
/* ------------------------------------------------------------------------ */

/* epoll_data of hold mode: the fd, with this bit once it is connected. */
#define CFLOAD_HELD (1ULL << 32)

/* cfload_hold_event() - one epoll event of hold mode: a connect finished
 * (held or failed), or a held connection was closed or reset by the far end
 * (lost). */
static void cfload_hold_event(int ep, const struct epoll_event *e,
			      long *pending, long *held, long *err, long *lost)
{
	int fd = (int)(e->data.u64 & 0xffffffffULL), so_err = 0;
	socklen_t el = sizeof(so_err);
	struct epoll_event ev = {.events = EPOLLRDHUP,
				 .data.u64 = (uint64_t)fd | CFLOAD_HELD};

	if (e->data.u64 & CFLOAD_HELD) {
		epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
		close(fd);
		(*held)--;
		(*lost)++;
		return;
	}
	(*pending)--;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_err, &el) || so_err ||
	    (e->events & (EPOLLERR | EPOLLHUP))) {
		epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
		close(fd);
		(*err)++;
		return;
	}
	/* Connected: from now on it only sits there; only its end is watched. */
	epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
	(*held)++;
}

/* cfload_hold() - open COUNT idle connections (at most 60 s, and not past 15 s
 * without progress), write the number held to READYFILE, keep them open
 * until SIGTERM/SIGINT. Prints held (still open at the end), err (connects
 * that failed or were given up), lost (held, then closed by the far end). */
static int cfload_hold(const char *host, long port, long count,
		       const char *ready)
{
	struct sockaddr_storage ss;
	socklen_t sl = cfload_addr(host, port, &ss);
	struct epoll_event ev, evs[CFLOAD_MAX_EVENTS];
	long opened = 0, pending = 0, held = 0, err = 0, lost = 0, last = -1;
	int ep = epoll_create1(EPOLL_CLOEXEC), n, i;
	uint64_t now = cfload_now(), deadline = now + 60ULL * 1000000000ULL,
		 progress = now;
	FILE *f;

	cfload_nofile();
	cfload_signals();
	if (ep < 0)
		cfload_die("hold: %s", strerror(errno));
	while (opened < count || pending > 0) {
		while (opened < count && pending < CFLOAD_HOLD_PENDING) {
			int fd = cfload_socket(&ss, SOCK_STREAM);

			if (fd < 0)
				cfload_die("hold: socket after %ld: %s", opened,
					   strerror(errno));
			opened++;
			if (connect(fd, (struct sockaddr *)&ss, sl) &&
			    errno != EINPROGRESS) {
				close(fd);
				err++;
				continue;
			}
			ev.events = EPOLLOUT;
			ev.data.u64 = (uint64_t)fd;
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			pending++;
		}
		now = cfload_now();
		if (held + err != last) {
			last = held + err;
			progress = now;
		}
		if (cfload_stop || now > deadline ||
		    now - progress > 15ULL * 1000000000ULL)
			break;
		n = epoll_wait(ep, evs, CFLOAD_MAX_EVENTS, 1000);
		for (i = 0; i < n; i++)
			cfload_hold_event(ep, &evs[i], &pending, &held, &err,
					  &lost);
	}
	/* Connects still going after the time allowed count as failed (their
	 * sockets stay open, unregistered, until exit). */
	err += pending + (count - opened);
	f = fopen(ready, "we");
	if (!f)
		cfload_die("hold: %s: %s", ready, strerror(errno));
	fprintf(f, "%ld\n", held);
	fclose(f);
	while (!cfload_stop) {
		n = epoll_wait(ep, evs, CFLOAD_MAX_EVENTS, 1000);
		for (i = 0; i < n; i++) {
			if (evs[i].data.u64 & CFLOAD_HELD) {
				cfload_hold_event(ep, &evs[i], &pending, &held,
						  &err, &lost);
			} else {
				/* A connect given up above: already counted. */
				int fd = (int)evs[i].data.u64;

				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				close(fd);
			}
		}
	}
	printf("held=%ld err=%ld lost=%ld\n", held, err, lost);
	return held == count ? 0 : 1;
}

/* main() - dispatch on the mode word; see the header for the modes. */
int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "serve"))
		return cfload_serve(argv[2], cfload_num(argv[3], "port"));
	if (argc == 6 && !strcmp(argv[1], "rr"))
		return cfload_rr(argv[2], cfload_num(argv[3], "port"),
				 cfload_num(argv[4], "seconds"),
				 cfload_num(argv[5], "size"));
	if (argc == 6 && !strcmp(argv[1], "crate"))
		return cfload_crate(argv[2], cfload_num(argv[3], "port"),
				    cfload_num(argv[4], "seconds"),
				    cfload_num(argv[5], "conc"));
	if (argc == 7 && !strcmp(argv[1], "udp"))
		return cfload_dgram(argv[2], cfload_num(argv[3], "port"),
				    cfload_num(argv[4], "seconds"),
				    cfload_num(argv[5], "window"),
				    cfload_num(argv[6], "size"), NULL);
	if (argc == 6 && !strcmp(argv[1], "dns")) {
		char server[256];

		if (!strcmp(argv[2], "resolv"))
			cfload_resolv(server, sizeof(server));
		else
			snprintf(server, sizeof(server), "%s", argv[2]);
		return cfload_dgram(server, 53, cfload_num(argv[4], "seconds"),
				    cfload_num(argv[5], "window"), 0, argv[3]);
	}
	if (argc == 6 && !strcmp(argv[1], "hold"))
		return cfload_hold(argv[2], cfload_num(argv[3], "port"),
				   cfload_num(argv[4], "count"), argv[5]);
	fprintf(stderr,
		"usage: cfload serve|rr|crate|udp|dns|hold ... (see bench/cfload.c)\n");
	return 2;
}
