/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * tls_probe.c - fetch (or upload) one page through an https:// proxy with
 * the engine's own TLS client and CONNECT state machine, driven by epoll
 * the way the engine drives a flow
 *
 *	tls_probe [OPTIONS] PROXY_URI TARGET_IP TARGET_PORT [PATH]
 *
 * One non-blocking socket to the proxy, one level-triggered epoll set,
 * and per readiness: TCP connect -> tls_conn_handshake() -> proxy_hs_*()
 * over tls_conn_write()/tls_conn_read() -> an HTTP/1.1 request through the
 * tunnel and its response. Reads go on while tls_conn_has_pending() says
 * OpenSSL holds bytes epoll cannot see. tests/e2e/tls.bats drives it in
 * the lab, so src/proxy/tls.c meets real servers (stunnel, socat).
 *
 * Prints key=value lines on stdout: result (ok, tls_failed, the proxy
 * handshake's codes, connect_failed, timeout, http_error), detail, tls,
 * http_status, body_bytes, body_sha256, sent_bytes (request head and
 * body, through the tunnel), write_calls,
 * write_stalls, partial_writes, pending_reads, close (with --drain, how
 * the proxy ended: close_notify, or the TLS error's detail). Exit status 0 when result=ok, 1 otherwise, 2
 * for usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "config.h"
#include "proxy/handshake.h"
#include "proxy/tls.h"
#include "proxy/uri.h"

#define PROBE_BUF     ((size_t)64 * 1024)
#define PROBE_HDR_MAX 16384

enum probe_state {
	ST_TCP,	    /* connect() in progress */
	ST_TLS,	    /* TLS handshake */
	ST_CONNECT, /* HTTP CONNECT inside TLS */
	ST_RELAY,   /* the request out, the response in */
	ST_END,
};

struct probe {
	/* options */
	const char *put_file, *out_file, *connect_addr;
	bool drain; /* after the body, read on until the proxy closes */
	size_t chunk, read_chunk;
	int sndbuf, rcvbuf, timeout_ms;
	const char *target, *path;
	uint16_t target_port;

	enum probe_state st;
	int fd, ep, putfd;
	uint32_t events; /* current epoll interest */
	FILE *out;
	struct config cfg;
	struct tls_ctx *ctx;
	struct tls_conn *tls;
	struct proxy_hs hs;

	/* request: head, then the PUT body from putfd */
	uint8_t req[PROBE_BUF];
	size_t req_off, req_len;
	bool req_eof;
	unsigned long long sent_bytes, write_calls, write_stalls;
	unsigned long long partial_writes, pending_reads;

	/* response */
	char hdr[PROBE_HDR_MAX + 1];
	size_t hdr_len;
	bool in_body;
	int status;
	long long content_length; /* -1: until the end */
	unsigned long long body_bytes;
	EVP_MD_CTX *md;
	char close_how[TLS_DETAIL_MAX];

	const char *result;
	char detail[256];
	char tls_info[TLS_DETAIL_MAX];
};

/* probe_num() - the decimal number in the first @len characters of @s
 * (all of it when @len is 0), within @min..@max
 * Return: 0, or -1 when it is not one
 */
static int probe_num(const char *s, size_t len, long min, long max, long *out)
{
	char buf[24], *end;
	long v;

	if (!len)
		len = strlen(s);
	if (!len || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* probe_end() - finish with @result and a printf-style detail */
__attribute__((format(printf, 3, 4))) static void
probe_end(struct probe *p, const char *result, const char *fmt, ...)
{
	va_list ap;

	p->st = ST_END;
	p->result = result;
	va_start(ap, fmt);
	vsnprintf(p->detail, sizeof(p->detail), fmt, ap);
	va_end(ap);
}

/* probe_tls_failed() - end with the TLS layer's code and detail */
static void probe_tls_failed(struct probe *p)
{
	const char *detail = "";
	const char *code = tls_conn_error(p->tls, &detail);

	probe_end(p, code ? code : "tls_failed", "%s", detail);
}

/* probe_want() - add the readiness a TLS result asks for */
static void probe_want(uint32_t *want, enum tls_result r)
{
	if (r == TLS_WANT_READ)
		*want |= EPOLLIN;
	else if (r == TLS_WANT_WRITE)
		*want |= EPOLLOUT;
}

/* probe_body() - response body bytes */
static void probe_body(struct probe *p, const uint8_t *b, size_t n)
{
	if (!n)
		return;
	p->body_bytes += n;
	EVP_DigestUpdate(p->md, b, n);
	if (p->out && fwrite(b, 1, n, p->out) != n)
		probe_end(p, "http_error", "cannot write %s", p->out_file);
}

/* probe_response() - tunnel bytes from the origin: head, then body */
static void probe_response(struct probe *p, const uint8_t *b, size_t n)
{
	char *end, *cl;
	size_t take, head;
	long status;

	if (p->in_body) {
		probe_body(p, b, n);
		return;
	}
	take = PROBE_HDR_MAX - p->hdr_len;
	if (take > n)
		take = n;
	memcpy(p->hdr + p->hdr_len, b, take);
	p->hdr_len += take;
	p->hdr[p->hdr_len] = '\0';
	end = strstr(p->hdr, "\r\n\r\n");
	if (!end) {
		if (p->hdr_len == PROBE_HDR_MAX)
			probe_end(p, "http_error", "response head too long");
		return;
	}
	head = (size_t)(end + 4 - p->hdr);
	/* "HTTP/1.x NNN " */
	if (strncmp(p->hdr, "HTTP/1.", 7) != 0 || head < 13 ||
	    p->hdr[8] != ' ' || probe_num(p->hdr + 9, 3, 100, 599, &status)) {
		probe_end(p, "http_error", "not an HTTP response");
		return;
	}
	p->status = (int)status;
	p->content_length = -1;
	for (cl = p->hdr; (cl = strstr(cl, "\r\n")) && cl < end; cl += 2) {
		if (!strncasecmp(cl + 2, "Content-Length:", 15))
			p->content_length = strtoll(cl + 17, NULL, 10);
	}
	p->in_body = true;
	/* What followed the head in the header buffer, then the rest */
	probe_body(p, (const uint8_t *)p->hdr + head, p->hdr_len - head);
	probe_body(p, b + take, n - take);
}

/* probe_complete() - the whole response is in */
static bool probe_complete(const struct probe *p)
{
	return !p->drain && p->in_body && p->content_length >= 0 &&
	       p->body_bytes >= (unsigned long long)p->content_length;
}

/* probe_fill() - refill the request buffer from the PUT file */
static void probe_fill(struct probe *p)
{
	ssize_t n;

	if (p->req_off < p->req_len || p->putfd < 0 || p->req_eof)
		return;
	n = read(p->putfd, p->req, sizeof(p->req));
	if (n < 0) {
		probe_end(p, "http_error", "cannot read %s: %s", p->put_file,
			  strerror(errno));
		return;
	}
	p->req_eof = n == 0;
	p->req_off = 0;
	p->req_len = (size_t)n;
}

/* probe_send() - push request bytes through TLS
 * Return: the readiness to wait for (0 when all is sent)
 */
static uint32_t probe_send(struct probe *p)
{
	uint32_t want = 0;

	for (;;) {
		enum tls_result r;
		size_t n, taken;

		probe_fill(p);
		if (p->st == ST_END)
			return 0;
		n = p->req_len - p->req_off;
		if (!n && !tls_conn_unsent(p->tls))
			return 0;
		if (n > p->chunk)
			n = p->chunk;
		r = tls_conn_write(p->tls, p->req + p->req_off, n, &taken);
		p->write_calls++;
		if (taken < n)
			p->partial_writes++;
		p->req_off += taken;
		p->sent_bytes += taken;
		if (r == TLS_ERROR) {
			probe_tls_failed(p);
			return 0;
		}
		if (r != TLS_DONE) {
			p->write_stalls++;
			probe_want(&want, r);
			return want;
		}
	}
}

/* probe_recv() - read the response while there is any
 * Return: the readiness to wait for
 */
static uint32_t probe_recv(struct probe *p)
{
	static uint8_t buf[PROBE_BUF];
	uint32_t want = 0;

	while (p->st == ST_RELAY && !probe_complete(p)) {
		bool buffered = tls_conn_has_pending(p->tls);
		enum tls_result r;
		size_t got;

		r = tls_conn_read(p->tls, buf, p->read_chunk, &got);
		if (r == TLS_DONE) {
			if (buffered)
				p->pending_reads++;
			probe_response(p, buf, got);
			continue;
		}
		if (r == TLS_CLOSED) {
			snprintf(p->close_how, sizeof(p->close_how),
				 "close_notify");
			if (!p->in_body ||
			    (p->content_length >= 0 &&
			     p->body_bytes <
				     (unsigned long long)p->content_length))
				probe_end(
					p, "http_error",
					"the proxy closed the tunnel early (%llu body bytes)",
					p->body_bytes);
			else
				p->st = ST_END;
			return 0;
		}
		if (r == TLS_ERROR) {
			const char *d = "";

			tls_conn_error(p->tls, &d);
			snprintf(p->close_how, sizeof(p->close_how), "%s", d);
			/* --drain: the end of a complete response */
			if (p->drain && p->in_body && p->content_length >= 0 &&
			    p->body_bytes >=
				    (unsigned long long)p->content_length)
				p->st = ST_END;
			else
				probe_tls_failed(p);
			return 0;
		}
		probe_want(&want, r);
		return want;
	}
	return 0;
}

/* probe_step_connect() - the CONNECT handshake inside TLS
 * Return: the readiness to wait for
 */
static uint32_t probe_step_connect(struct probe *p)
{
	static uint8_t buf[PROBE_BUF];
	enum proxy_hs_result res;
	uint32_t want = 0;
	const uint8_t *out;
	size_t n, got, used, taken;
	enum tls_result r;

	/* Out: the request, and anything TLS holds */
	n = proxy_hs_pending(&p->hs, &out);
	if (n || tls_conn_unsent(p->tls)) {
		r = tls_conn_write(p->tls, out, n, &taken);
		if (r == TLS_ERROR) {
			probe_tls_failed(p);
			return 0;
		}
		proxy_hs_wrote(&p->hs, taken);
		probe_want(&want, r);
	}

	/* In: the reply; what it does not consume is the tunnel's */
	for (;;) {
		r = tls_conn_read(p->tls, buf, sizeof(buf), &got);
		if (r == TLS_ERROR) {
			probe_tls_failed(p);
			return 0;
		}
		if (r == TLS_WANT_READ || r == TLS_WANT_WRITE) {
			probe_want(&want, r);
			return want;
		}
		res = r == TLS_CLOSED ? proxy_hs_eof(&p->hs)
				      : proxy_hs_feed(&p->hs, buf, got, &used);
		if (res == PROXY_HS_MORE)
			continue;
		if (res != PROXY_HS_DONE) {
			const char *detail = "";
			const char *code = proxy_hs_error_name(&p->hs, &detail);

			probe_end(p, code ? code : "proxy_protocol", "%s",
				  detail);
			return 0;
		}
		p->st = ST_RELAY;
		if (r == TLS_DONE)
			probe_response(p, buf + used, got - used);
		return 0;
	}
}

/* probe_step() - do everything the socket allows now
 * Return: the readiness to wait for next
 */
static uint32_t probe_step(struct probe *p, uint32_t ready)
{
	enum tls_result r;
	uint32_t want;
	socklen_t sl;
	int err;

	switch (p->st) {
	case ST_TCP:
		if (!(ready & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return EPOLLOUT;
		err = 0;
		sl = sizeof(err);
		getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &sl);
		if (err) {
			probe_end(p, "connect_failed", "%s", strerror(err));
			return 0;
		}
		p->tls = tls_conn_new(p->ctx, p->fd, p->cfg.proxy.host);
		if (!p->tls) {
			probe_end(p, "tls_failed", "tls_conn_new: %s",
				  strerror(errno));
			return 0;
		}
		p->st = ST_TLS;
		__attribute__((fallthrough));
	case ST_TLS:
		r = tls_conn_handshake(p->tls);
		if (r == TLS_ERROR) {
			probe_tls_failed(p);
			return 0;
		}
		if (r != TLS_DONE) {
			want = 0;
			probe_want(&want, r);
			return want;
		}
		tls_conn_info(p->tls, p->tls_info, sizeof(p->tls_info));
		p->st = ST_CONNECT;
		__attribute__((fallthrough));
	case ST_CONNECT:
		want = probe_step_connect(p);
		if (p->st != ST_RELAY)
			return want;
		__attribute__((fallthrough));
	case ST_RELAY:
		want = probe_send(p);
		if (p->st == ST_RELAY)
			want |= probe_recv(p);
		if (p->st == ST_RELAY && probe_complete(p))
			p->st = ST_END;
		return want;
	case ST_END:
		break;
	}
	return 0;
}

/* probe_interest() - make the epoll interest @want */
static int probe_interest(struct probe *p, uint32_t want)
{
	struct epoll_event ev = {.events = want, .data.fd = p->fd};

	if (want == p->events)
		return 0;
	p->events = want;
	return epoll_ctl(p->ep, EPOLL_CTL_MOD, p->fd, &ev);
}

/* probe_connect_tcp() - a non-blocking socket connecting to the proxy */
static int probe_connect_tcp(struct probe *p)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	struct epoll_event ev = {.events = EPOLLOUT};
	char port[8];
	int rc;

	snprintf(port, sizeof(port), "%u", p->cfg.proxy.port);
	if (p->connect_addr)
		hints.ai_flags = AI_NUMERICHOST;
	rc = getaddrinfo(p->connect_addr ? p->connect_addr : p->cfg.proxy.host,
			 port, &hints, &ai);
	if (rc) {
		probe_end(p, "connect_failed", "resolve %s: %s",
			  p->cfg.proxy.host, gai_strerror(rc));
		return -1;
	}
	p->fd = socket(ai->ai_family,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		freeaddrinfo(ai);
		probe_end(p, "connect_failed", "socket: %s", strerror(errno));
		return -1;
	}
	if (p->sndbuf > 0)
		setsockopt(p->fd, SOL_SOCKET, SO_SNDBUF, &p->sndbuf,
			   sizeof(p->sndbuf));
	if (p->rcvbuf > 0)
		setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &p->rcvbuf,
			   sizeof(p->rcvbuf));
	rc = connect(p->fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (rc && errno != EINPROGRESS) {
		probe_end(p, "connect_failed", "%s", strerror(errno));
		return -1;
	}
	ev.data.fd = p->fd;
	p->events = EPOLLOUT;
	if (epoll_ctl(p->ep, EPOLL_CTL_ADD, p->fd, &ev)) {
		probe_end(p, "connect_failed", "epoll: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* probe_request() - the HTTP/1.1 request head into p->req */
static int probe_request(struct probe *p)
{
	off_t size = 0;
	int n;

	if (p->put_file) {
		p->putfd = open(p->put_file, O_RDONLY | O_CLOEXEC);
		if (p->putfd < 0) {
			fprintf(stderr, "tls_probe: %s: %s\n", p->put_file,
				strerror(errno));
			return -1;
		}
		size = lseek(p->putfd, 0, SEEK_END);
		lseek(p->putfd, 0, SEEK_SET);
	}
	if (p->put_file)
		n = snprintf((char *)p->req, sizeof(p->req),
			     "PUT %s HTTP/1.1\r\nHost: %s\r\n"
			     "Content-Length: %lld\r\n"
			     "Connection: close\r\n\r\n",
			     p->path, p->target, (long long)size);
	else
		n = snprintf((char *)p->req, sizeof(p->req),
			     "GET %s HTTP/1.1\r\nHost: %s\r\n"
			     "Connection: close\r\n\r\n",
			     p->path, p->target);
	if (n < 0 || (size_t)n >= sizeof(p->req))
		return -1;
	p->req_len = (size_t)n;
	p->req_eof = !p->put_file;
	return 0;
}

static void probe_usage(void)
{
	fprintf(stderr,
		"usage: tls_probe [--ca FILE] [--insecure] [--connect ADDR] [--put FILE]\n"
		"                 [--out FILE] [--chunk N] [--read-chunk N] [--sndbuf N]\n"
		"                 [--rcvbuf N] [--timeout SEC] [--drain]\n"
		"                 PROXY_URI TARGET_IP TARGET_PORT [PATH]\n");
}

static int probe_parse(struct probe *p, int argc, char **argv)
{
	static const struct option opts[] = {
		{"ca", required_argument, NULL, 'a'},
		{"insecure", no_argument, NULL, 'k'},
		{"connect", required_argument, NULL, 'c'},
		{"put", required_argument, NULL, 'u'},
		{"out", required_argument, NULL, 'o'},
		{"chunk", required_argument, NULL, 'n'},
		{"read-chunk", required_argument, NULL, 'r'},
		{"sndbuf", required_argument, NULL, 's'},
		{"rcvbuf", required_argument, NULL, 'R'},
		{"timeout", required_argument, NULL, 't'},
		{"drain", no_argument, NULL, 'd'},
		{NULL, 0, NULL, 0},
	};
	char err[256];
	long port, v;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'a':
			p->cfg.proxy_ca = optarg;
			break;
		case 'k':
			p->cfg.proxy_insecure = true;
			break;
		case 'c':
			p->connect_addr = optarg;
			break;
		case 'u':
			p->put_file = optarg;
			break;
		case 'o':
			p->out_file = optarg;
			break;
		case 'n':
			if (probe_num(optarg, 0, 1, (long)PROBE_BUF, &v))
				return -1;
			p->chunk = (size_t)v;
			break;
		case 'r':
			if (probe_num(optarg, 0, 1, (long)PROBE_BUF, &v))
				return -1;
			p->read_chunk = (size_t)v;
			break;
		case 's':
			if (probe_num(optarg, 0, 1, 1 << 24, &v))
				return -1;
			p->sndbuf = (int)v;
			break;
		case 'R':
			if (probe_num(optarg, 0, 1, 1 << 24, &v))
				return -1;
			p->rcvbuf = (int)v;
			break;
		case 't':
			if (probe_num(optarg, 0, 1, 3600, &v))
				return -1;
			p->timeout_ms = (int)v * 1000;
			break;
		case 'd':
			p->drain = true;
			break;
		default:
			return -1;
		}
	}
	if (argc - optind < 3 || argc - optind > 4)
		return -1;
	if (proxy_uri_parse(argv[optind], &p->cfg.proxy, err, sizeof(err))) {
		fprintf(stderr, "tls_probe: %s\n", err);
		return -1;
	}
	p->cfg.has_proxy = true;
	p->target = argv[optind + 1];
	if (probe_num(argv[optind + 2], 0, 1, 65535, &port))
		return -1;
	p->target_port = (uint16_t)port;
	p->path = argc - optind == 4 ? argv[optind + 3] : "/";
	return 0;
}

/* probe_report() - the key=value lines */
static void probe_report(struct probe *p)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	printf("result=%s\n", p->result ? p->result : "ok");
	printf("detail=%s\n", p->detail);
	printf("tls=%s\n", p->tls_info);
	printf("http_status=%d\n", p->status);
	printf("body_bytes=%llu\n", p->body_bytes);
	printf("body_sha256=");
	if (EVP_DigestFinal_ex(p->md, md, &mdlen))
		for (unsigned int i = 0; i < mdlen; i++)
			printf("%02x", md[i]);
	printf("\n");
	printf("sent_bytes=%llu\n", p->sent_bytes);
	printf("write_calls=%llu\n", p->write_calls);
	printf("write_stalls=%llu\n", p->write_stalls);
	printf("partial_writes=%llu\n", p->partial_writes);
	printf("pending_reads=%llu\n", p->pending_reads);
	printf("close=%s\n", p->close_how);
}

int main(int argc, char **argv)
{
	static struct probe pr;
	struct probe *p = &pr;
	char err[256];
	int rc = 1;

	p->chunk = PROBE_BUF;
	p->read_chunk = TLS_RECORD_MAX;
	p->timeout_ms = 20000;
	p->fd = p->ep = p->putfd = -1;
	if (probe_parse(p, argc, argv)) {
		probe_usage();
		return 2;
	}
	if (p->cfg.proxy.scheme != PROXY_HTTPS) {
		fprintf(stderr, "tls_probe: the proxy must be https://\n");
		return 2;
	}
	if (probe_request(p))
		return 2;
	if (p->out_file) {
		p->out = fopen(p->out_file, "we");
		if (!p->out) {
			fprintf(stderr, "tls_probe: %s: %s\n", p->out_file,
				strerror(errno));
			return 2;
		}
	}
	p->md = EVP_MD_CTX_new();
	if (!p->md || !EVP_DigestInit_ex(p->md, EVP_sha256(), NULL))
		return 1;

	/* At start, as the engine: a bad --proxy-ca ends the run here */
	p->ctx = tls_ctx_new(&p->cfg, err, sizeof(err));
	if (!p->ctx) {
		fprintf(stderr, "tls_probe: %s\n", err);
		rc = 125;
		goto out;
	}
	/* The tunnel's target, with the URI's credentials if any */
	if (proxy_hs_init(&p->hs, &p->cfg.proxy,
			  p->cfg.proxy.has_userinfo ? p->cfg.proxy.user : NULL,
			  p->cfg.proxy.has_userinfo ? p->cfg.proxy.password
						    : NULL,
			  p->target, p->target_port, false)) {
		fprintf(stderr, "tls_probe: bad target %s %u\n", p->target,
			p->target_port);
		rc = 2;
		goto out;
	}

	p->ep = epoll_create1(EPOLL_CLOEXEC);
	if (p->ep < 0 || probe_connect_tcp(p))
		goto report;

	while (p->st != ST_END) {
		struct epoll_event ev;
		uint32_t want;
		int n;

		n = epoll_wait(p->ep, &ev, 1, p->timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			probe_end(p, "timeout", "nothing happened for %d ms",
				  p->timeout_ms);
			break;
		}
		want = probe_step(p, ev.events);
		if (p->st == ST_END)
			break;
		if (!want)
			want = EPOLLIN; /* waiting on the peer */
		if (probe_interest(p, want)) {
			probe_end(p, "http_error", "epoll: %s",
				  strerror(errno));
			break;
		}
	}
	if (!p->result && (p->status < 200 || p->status > 299))
		probe_end(p, "http_error", "HTTP status %d", p->status);

	/* Our close_notify, as for the tree's FIN (best effort) */
	if (p->tls && !p->result && !tls_conn_error(p->tls, NULL))
		tls_conn_shutdown(p->tls);

report:
	probe_report(p);
	rc = p->result ? 1 : 0;
out:
	proxy_hs_wipe(&p->hs);
	tls_conn_free(p->tls);
	tls_ctx_free(p->ctx);
	EVP_MD_CTX_free(p->md);
	if (p->out && fclose(p->out))
		rc = 1;
	if (p->fd >= 0)
		close(p->fd);
	if (p->ep >= 0)
		close(p->ep);
	if (p->putfd >= 0)
		close(p->putfd);
	return rc;
}
