/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * flowlog.c - --flow-log FILE: the engine's events as JSON Lines
 *
 * Theory of operation
 *
 * The engine reports what the tree does through one interface, events.h.
 * This file is a sink of it: each event becomes at most one line of the
 * flow log, whose schema is docs/flow-log.md (SPEC.md §3 with additions).
 *
 * Translation and writing are two steps. flowlog_record_fill() turns an
 * engine event into a struct flowlog_record: the SPEC event name, every
 * field as text or number in the form the line will carry (addresses
 * formatted, codes named, free text cut to a bound and cleaned of proxy
 * passwords), with NULL and -1 for JSON null. The record embeds a struct
 * agg_event, the normalised record --report builds from a saved line, so
 * the summary can feed the very same record to the aggregation: what
 * --summary counts from live events is what --report would count from the
 * file. The writer then prints the record's fields in the documented order.
 *
 * Which events make lines: a TCP flow start is a connect_attempt; UDP and
 * ICMP flow starts make no line (their story is the flow_end, or the
 * policy_violation). Connected and failed are connect_result, ok or error.
 * Everything else maps one to one.
 *
 * Writing. Each line is built in one growing buffer and handed to the
 * kernel with one write() (a short write is continued, EINTR retried), so
 * the file holds every complete event as soon as it happened and no stdio
 * buffer can hold lines back or split them. The first write error is said
 * once on stderr and ends the log: later lines are dropped, so a disk that
 * fills up cannot leave a line half written in the middle of the file.
 * ts_ms is kept from going backwards (the wall clock may be stepped).
 *
 * JSON strings. Everything from the tree or the network is untrusted
 * text: quotes, backslashes and control characters (and DEL) are escaped,
 * and each byte that does not start a well-formed UTF-8 sequence (stray
 * continuation bytes, overlong forms, surrogates, beyond U+10FFFF) is
 * written as \ufffd. A line is therefore always valid UTF-8 JSON on one
 * line. Proxy passwords never come from here: the writer reads none from
 * the configuration, and text that carries one anyway (an error message
 * quoting a URI) has it replaced by "***" before it is kept.
 */
#include "observe/flowlog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* Longest string written for one field, in bytes of input */
#define FLOWLOG_STR_MAX 4096

/* --- text: UTF-8, copies, secrets -------------------------------------- */

/* flowlog_utf8_len() - see flowlog.h; shared with the summary's cleaning */
size_t flowlog_utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0; /* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90; /* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f; /* beyond U+10FFFF */
	} else {
		return 0;
	}
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* flowlog_secret() - the length of a proxy password of @cfg that @s starts
 * with, 0 when none. Both places a password can live are checked: -P (or
 * CHILDFLOW_PROXY_PASSWORD) and the user information of the --proxy URI.
 */
static size_t flowlog_secret(const struct config *cfg, const char *s)
{
	const char *pw[2];
	size_t i, n;

	if (!cfg)
		return 0;
	pw[0] = cfg->proxy_password;
	pw[1] = cfg->has_proxy ? cfg->proxy.password : NULL;
	for (i = 0; i < ARRAY_SIZE(pw); i++) {
		if (!pw[i] || !pw[i][0] || pw[i][0] != s[0])
			continue;
		n = strlen(pw[i]);
		if (!strncmp(s, pw[i], n))
			return n;
	}
	return 0;
}

/* flowlog_text() - copy @src into @dst (of @len bytes) for a record
 * The copy is cut to fit at a character boundary, a proxy password of
 * @cfg is replaced by FLOWLOG_REDACTED, and with @lower ASCII letters are
 * made lower-case. Bytes that are not UTF-8 are kept: the JSON writer
 * shows them as \ufffd.
 * Return: @dst, or NULL when @src is NULL (a JSON null)
 */
static const char *flowlog_text(char *dst, size_t len, const char *src,
				const struct config *cfg, bool lower)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, n, rlen = strlen(FLOWLOG_REDACTED);

	if (!src)
		return NULL;
	while (*s) {
		n = flowlog_secret(cfg, (const char *)s);
		if (n) {
			if (o + rlen >= len)
				break;
			memcpy(dst + o, FLOWLOG_REDACTED, rlen);
			o += rlen;
			s += n;
			continue;
		}
		n = flowlog_utf8_len(s);
		if (!n)
			n = 1; /* one stray byte, shown as \ufffd */
		if (o + n >= len)
			break;
		memcpy(dst + o, s, n);
		if (lower && n == 1 && *s >= 'A' && *s <= 'Z')
			dst[o] = (char)(*s - 'A' + 'a');
		o += n;
		s += n;
	}
	dst[o] = '\0';
	return dst;
}

/* --- records ------------------------------------------------------------ */

/* flowlog_remote() - fill the remote fields of @r from @ev (ICMP: the
 * address alone and no port; an unknown remote: all null)
 */
static void flowlog_remote(struct flowlog_record *r, const struct event *ev)
{
	bool icmp = ev->proto == EVENT_PROTO_ICMP4 ||
		    ev->proto == EVENT_PROTO_ICMP6;

	if (!ev->remote.family)
		return;
	ip_format(&ev->remote, r->ip, sizeof(r->ip));
	r->ev.remote_ip = r->ip;
	if (icmp) {
		snprintf(r->addr, sizeof(r->addr), "%s", r->ip);
	} else if (ev->remote_name) {
		/* --proxy-dns: the target is the name the proxy resolves */
		snprintf(r->addr, sizeof(r->addr), "%s:%u", ev->remote_name,
			 ev->remote_port);
		r->ev.remote_port = ev->remote_port;
	} else {
		snprintf(r->addr, sizeof(r->addr),
			 ev->remote.family == AF_INET6 ? "[%s]:%u" : "%s:%u",
			 r->ip, ev->remote_port);
		r->ev.remote_port = ev->remote_port;
	}
	r->ev.remote_addr = r->addr;
}

/* flowlog_dns() - the fields of a dns_query or dns_answer */
static void flowlog_dns(struct flowlog_record *r, const struct event *ev,
			const struct config *cfg)
{
	const struct dnsmsg_answer *a = ev->answer;
	size_t i;

	r->ev.protocol = ev->dns_tcp ? "tcp" : "udp";
	flowlog_remote(r, ev);
	r->server = r->ev.remote_addr;
	r->server_ip = r->ev.remote_ip;
	r->server_port = r->ev.remote_port;
	/* --report reads DNS events without remote fields: keep them apart */
	r->ev.remote_addr = NULL;
	r->ev.remote_ip = NULL;
	r->ev.remote_port = -1;

	r->ev.qname =
		flowlog_text(r->qname, sizeof(r->qname), ev->qname, cfg, true);
	r->ev.qtype = ev->qname ? dnsmsg_qtype_name(ev->qtype) : "unknown";
	if (ev->kind != EVENT_DNS_ANSWER)
		return;
	r->ev.mode = events_dns_mode_name(ev->dns_mode);
	r->dns_bytes = (int64_t)ev->dns_bytes;
	for (i = 0; a && i < a->n_ips && i < DNSMSG_MAX_IPS; i++) {
		ip_format(&a->ips[i], r->ips[i], sizeof(r->ips[i]));
		r->ip_list[i] = r->ips[i];
	}
	r->ev.answer_ips = r->ip_list;
	r->ev.n_answer_ips = i;
}

/* flowlog_deny() - the fields of a policy_violation; the reason reads as
 * the earlier tool wrote it: "blocked by `--deny-cidr 10.0.0.0/8`"
 */
static void flowlog_deny(struct flowlog_record *r, const struct event *ev,
			 const struct config *cfg)
{
	const struct policy_decision *d = ev->decision;
	const char *code, *control, *arg = NULL;

	r->ev.protocol = events_proto_name(ev->proto);
	flowlog_remote(r, ev);
	if (!d)
		return;
	code = policy_reason_code(d->reason);
	control = policy_reason_control(d->reason);
	if (!code[0])
		return;
	r->ev.reason_code = code;
	r->ev.control = control;
	if (d->matched_cidr)
		r->ev.matched_cidr =
			cidr_format(d->matched_cidr, r->cidr, sizeof(r->cidr));
	r->ev.matched_domain =
		flowlog_text(r->matched_domain, sizeof(r->matched_domain),
			     d->matched_domain, cfg, false);

	switch (d->reason) {
	case POLICY_REASON_DENY_CIDR:
		arg = r->ev.matched_cidr;
		break;
	case POLICY_REASON_DENY_DOMAIN:
	case POLICY_REASON_DENY_DOMAIN_EXACT:
		arg = r->ev.matched_domain;
		break;
	case POLICY_REASON_DEFAULT_DENY:
		arg = "deny";
		break;
	default:
		break;
	}
	snprintf(r->reason, sizeof(r->reason), "blocked by `%s%s%s`", control,
		 arg ? " " : "", arg ? arg : "");
	r->ev.reason = r->reason;
}

/* flowlog_u64() - a count as the int64 of agg_event */
static int64_t flowlog_u64(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

bool flowlog_record_fill(const struct event *ev, const struct config *cfg,
			 struct flowlog_record *r)
{
	struct agg_event *e = &r->ev;

	agg_event_init(e);
	r->server = r->server_ip = NULL;
	r->server_port = -1;
	r->dns_bytes = -1;
	r->ts_ms = ev->ts_ms;
	e->schema_version = "1";
	e->flow_id = ev->flow_id ? (int64_t)ev->flow_id : -1;

	switch (ev->kind) {
	case EVENT_FLOW_START:
		if (ev->proto != EVENT_PROTO_TCP)
			return false;
		e->kind = AGG_CONNECT_ATTEMPT;
		break;
	case EVENT_FLOW_CONNECTED:
	case EVENT_FLOW_FAILED:
		e->kind = AGG_CONNECT_RESULT;
		break;
	case EVENT_FLOW_END:
		e->kind = AGG_FLOW_END;
		break;
	case EVENT_DNS_QUERY:
		e->kind = AGG_DNS_QUERY;
		break;
	case EVENT_DNS_ANSWER:
		e->kind = AGG_DNS_ANSWER;
		break;
	case EVENT_DENY:
		e->kind = AGG_POLICY_VIOLATION;
		break;
	case EVENT_RUNTIME_FAILURE:
		e->kind = AGG_RUNTIME_FAILURE;
		break;
	default:
		return false;
	}
	e->name = agg_kind_name(e->kind);

	switch (ev->kind) {
	case EVENT_FLOW_START:
	case EVENT_FLOW_CONNECTED:
	case EVENT_FLOW_FAILED:
		e->protocol = events_proto_name(ev->proto);
		flowlog_remote(r, ev);
		e->via_proxy = ev->via_proxy;
		if (ev->kind == EVENT_FLOW_CONNECTED) {
			e->status = "ok";
		} else if (ev->kind == EVENT_FLOW_FAILED) {
			e->status = "error";
			e->error = flowlog_text(r->error, sizeof(r->error),
						ev->error, cfg, false);
			e->error_detail = flowlog_text(
				r->error_detail, sizeof(r->error_detail),
				ev->error_detail, cfg, false);
		}
		break;
	case EVENT_FLOW_END:
		e->protocol = events_proto_name(ev->proto);
		flowlog_remote(r, ev);
		e->bytes_sent = flowlog_u64(ev->bytes_sent);
		e->bytes_received = flowlog_u64(ev->bytes_received);
		e->duration_ms = flowlog_u64(ev->duration_ms);
		e->end = events_end_name(ev->end);
		e->sni = ev->sni;
		e->http_host = ev->http_host;
		break;
	case EVENT_DNS_QUERY:
	case EVENT_DNS_ANSWER:
		flowlog_dns(r, ev, cfg);
		break;
	case EVENT_DENY:
		flowlog_deny(r, ev, cfg);
		break;
	case EVENT_RUNTIME_FAILURE:
		e->flow_id = -1;
		e->phase =
			flowlog_text(r->phase, sizeof(r->phase),
				     ev->phase ? ev->phase : "run", cfg, false);
		e->reason_code =
			flowlog_text(r->reason_code, sizeof(r->reason_code),
				     ev->reason_code, cfg, false);
		e->detail = flowlog_text(r->detail, sizeof(r->detail),
					 ev->detail, cfg, false);
		break;
	}
	return true;
}

/* --- the line ----------------------------------------------------------- */

/* flowlog_put() - append @n bytes of @s to the line */
static void flowlog_put(struct flowlog *fl, const char *s, size_t n)
{
	if (fl->len + n > fl->cap) {
		size_t cap = fl->cap ? fl->cap : 1024;

		while (cap < fl->len + n)
			cap *= 2;
		fl->buf = xrealloc(fl->buf, cap);
		fl->cap = cap;
	}
	memcpy(fl->buf + fl->len, s, n);
	fl->len += n;
}

/* flowlog_puts() - append the C string @s to the line */
static void flowlog_puts(struct flowlog *fl, const char *s)
{
	flowlog_put(fl, s, strlen(s));
}

/* flowlog_escape() - append @s as a JSON string, quotes included */
static void flowlog_escape(struct flowlog *fl, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + strnlen(s, FLOWLOG_STR_MAX);
	char esc[8];
	size_t n;

	flowlog_put(fl, "\"", 1);
	while (p < end) {
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			flowlog_put(fl, esc, 2);
			p++;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			switch (*p) {
			case '\b':
				flowlog_puts(fl, "\\b");
				break;
			case '\f':
				flowlog_puts(fl, "\\f");
				break;
			case '\n':
				flowlog_puts(fl, "\\n");
				break;
			case '\r':
				flowlog_puts(fl, "\\r");
				break;
			case '\t':
				flowlog_puts(fl, "\\t");
				break;
			default:
				snprintf(esc, sizeof(esc), "\\u%04x", *p);
				flowlog_puts(fl, esc);
			}
			p++;
			continue;
		}
		n = flowlog_utf8_len(p);
		if (!n || p + n > end) {
			flowlog_puts(fl, "\\ufffd");
			p++;
			continue;
		}
		flowlog_put(fl, (const char *)p, n);
		p += n;
	}
	flowlog_put(fl, "\"", 1);
}

/* flowlog_key() - append ,"@key": (no comma after the opening brace) */
static void flowlog_key(struct flowlog *fl, const char *key)
{
	if (fl->len && fl->buf[fl->len - 1] != '{')
		flowlog_put(fl, ",", 1);
	flowlog_put(fl, "\"", 1);
	flowlog_puts(fl, key);
	flowlog_put(fl, "\":", 2);
}

/* flowlog_str() - "key": "s", or null when @s is NULL */
static void flowlog_str(struct flowlog *fl, const char *key, const char *s)
{
	flowlog_key(fl, key);
	if (s)
		flowlog_escape(fl, s);
	else
		flowlog_puts(fl, "null");
}

/* flowlog_int() - "key": v, or null when @v is negative (unknown) */
static void flowlog_int(struct flowlog *fl, const char *key, int64_t v)
{
	char num[24];

	flowlog_key(fl, key);
	if (v < 0) {
		flowlog_puts(fl, "null");
		return;
	}
	snprintf(num, sizeof(num), "%" PRId64, v);
	flowlog_puts(fl, num);
}

/* flowlog_bool() - "key": true/false, or null when @v is -1 */
static void flowlog_bool(struct flowlog *fl, const char *key, int v)
{
	flowlog_key(fl, key);
	flowlog_puts(fl, v < 0 ? "null" : v ? "true" : "false");
}

/* flowlog_remote_fields() - the remote_addr (or @addr_key) trio */
static void flowlog_remote_fields(struct flowlog *fl, const char *addr_key,
				  const struct agg_event *e)
{
	flowlog_str(fl, addr_key, e->remote_addr);
	flowlog_str(fl, "remote_ip", e->remote_ip);
	flowlog_int(fl, "remote_port", e->remote_port);
}

/* flowlog_build() - the line of @r in fl->buf, newline included */
static void flowlog_build(struct flowlog *fl, const struct flowlog_record *r)
{
	const struct agg_event *e = &r->ev;
	char num[24];
	size_t i;

	fl->len = 0;
	flowlog_puts(fl, "{\"schema_version\":1,\"ts_ms\":");
	snprintf(num, sizeof(num), "%" PRIu64, r->ts_ms);
	flowlog_puts(fl, num);
	flowlog_str(fl, "event", e->name);
	if (e->kind != AGG_RUNTIME_FAILURE)
		flowlog_int(fl, "flow_id", e->flow_id);

	switch (e->kind) {
	case AGG_DNS_QUERY:
	case AGG_DNS_ANSWER:
		flowlog_str(fl, "protocol", e->protocol);
		flowlog_str(fl, "server", r->server);
		flowlog_str(fl, "server_ip", r->server_ip);
		flowlog_int(fl, "server_port", r->server_port);
		flowlog_str(fl, "qname", e->qname);
		flowlog_str(fl, "qtype", e->qtype);
		if (e->kind == AGG_DNS_QUERY)
			break;
		flowlog_str(fl, "mode", e->mode);
		flowlog_int(fl, "bytes", r->dns_bytes);
		flowlog_key(fl, "answer_ips");
		flowlog_put(fl, "[", 1);
		for (i = 0; i < e->n_answer_ips; i++) {
			if (i)
				flowlog_put(fl, ",", 1);
			flowlog_escape(fl, e->answer_ips[i]);
		}
		flowlog_put(fl, "]", 1);
		break;
	case AGG_CONNECT_ATTEMPT:
	case AGG_CONNECT_RESULT:
		flowlog_str(fl, "protocol", e->protocol);
		flowlog_remote_fields(fl, "remote_addr", e);
		flowlog_bool(fl, "via_proxy", e->via_proxy);
		if (e->kind == AGG_CONNECT_RESULT) {
			flowlog_str(fl, "status", e->status);
			flowlog_str(fl, "error", e->error);
			flowlog_str(fl, "error_detail", e->error_detail);
		}
		flowlog_str(fl, "sni", e->sni);
		flowlog_str(fl, "http_host", e->http_host);
		break;
	case AGG_POLICY_VIOLATION:
		flowlog_str(fl, "protocol", e->protocol);
		flowlog_remote_fields(fl, "remote", e);
		flowlog_str(fl, "action", "deny");
		flowlog_str(fl, "reason_code", e->reason_code);
		flowlog_str(fl, "control", e->control);
		flowlog_str(fl, "matched_cidr", e->matched_cidr);
		flowlog_str(fl, "matched_domain", e->matched_domain);
		flowlog_str(fl, "reason", e->reason);
		break;
	case AGG_FLOW_END:
		flowlog_str(fl, "protocol", e->protocol);
		flowlog_remote_fields(fl, "remote_addr", e);
		flowlog_int(fl, "bytes_sent", e->bytes_sent);
		flowlog_int(fl, "bytes_received", e->bytes_received);
		flowlog_int(fl, "duration_ms", e->duration_ms);
		flowlog_str(fl, "end", e->end);
		if (e->protocol && !strcmp(e->protocol, "tcp")) {
			flowlog_str(fl, "sni", e->sni);
			flowlog_str(fl, "http_host", e->http_host);
		}
		break;
	case AGG_RUNTIME_FAILURE:
		flowlog_str(fl, "phase", e->phase);
		flowlog_str(fl, "reason_code", e->reason_code);
		flowlog_str(fl, "detail", e->detail);
		break;
	case AGG_UNKNOWN:
		break;
	}
	flowlog_put(fl, "}\n", 2);
}

/* flowlog_write() - hand the built line to the kernel in one write(); the
 * first failure is said once and ends the log
 */
static void flowlog_write(struct flowlog *fl)
{
	size_t off = 0;
	ssize_t n;

	while (off < fl->len) {
		n = write(fl->fd, fl->buf + off, fl->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fl->write_errno = n < 0 ? errno : EIO;
			util_err(
				"--flow-log: cannot write '%s': %s; the rest of this run's events are not logged",
				fl->path, strerror(fl->write_errno));
			return;
		}
		off += (size_t)n;
	}
	fl->lines++;
}

/* flowlog_now_ms() - the wall clock in Unix ms */
static uint64_t flowlog_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void flowlog_sink(const struct event *ev, void *ctx)
{
	struct flowlog *fl = ctx;
	struct flowlog_record r;

	if (fl->fd < 0 || fl->write_errno)
		return;
	if (!flowlog_record_fill(ev, fl->cfg, &r))
		return;
	if (!r.ts_ms)
		r.ts_ms = flowlog_now_ms();
	if (r.ts_ms < fl->last_ts_ms)
		r.ts_ms = fl->last_ts_ms;
	fl->last_ts_ms = r.ts_ms;
	flowlog_build(fl, &r);
	flowlog_write(fl);
}

void flowlog_runtime_failure(struct flowlog *fl, const char *phase,
			     const char *reason_code, const char *detail)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = EVENT_RUNTIME_FAILURE;
	ev.ts_ms = flowlog_now_ms();
	ev.phase = phase;
	ev.reason_code = reason_code;
	ev.detail = detail;
	flowlog_sink(&ev, fl);
}

int flowlog_open(const struct config *cfg, struct flowlog *fl, char *err,
		 size_t errlen)
{
	memset(fl, 0, sizeof(*fl));
	fl->fd = -1;
	fl->cfg = cfg;
	if (!cfg->flow_log)
		return 0;
	fl->fd =
		open(cfg->flow_log,
		     O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
	if (fl->fd < 0) {
		util_errf(err, errlen, "--flow-log: cannot create '%s': %s",
			  cfg->flow_log, strerror(errno));
		return -1;
	}
	fl->path = xstrdup(cfg->flow_log);
	return 0;
}

bool flowlog_failed(const struct flowlog *fl)
{
	return fl->write_errno != 0;
}

int flowlog_close(struct flowlog *fl)
{
	int ret = fl->write_errno ? -1 : 0;

	if (fl->fd >= 0 && close(fl->fd) && !fl->write_errno) {
		util_err("--flow-log: cannot write '%s': %s", fl->path,
			 strerror(errno));
		ret = -1;
	}
	fl->fd = -1;
	free(fl->buf);
	free(fl->path);
	fl->buf = NULL;
	fl->path = NULL;
	fl->len = fl->cap = 0;
	return ret;
}
