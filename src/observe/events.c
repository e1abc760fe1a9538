/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * events.c - fan events out to their consumers
 *
 * A fixed table of sinks; with none registered, events_on is false and the
 * engine builds no event at all. The CHILDFLOW_DEBUG=1 printer is the first
 * consumer: one line per event on stderr, prefixed "flow N proto:" so that
 * one flow's story can be followed with grep.
 */
#include "observe/events.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/dnsmsg.h"

#define EVENTS_SINKS_MAX 8

bool events_on;

static struct {
	events_sink_fn fn;
	void *ctx;
} events_sinks[EVENTS_SINKS_MAX];
static size_t events_n_sinks;
static bool events_debug_on;

const char *events_proto_name(enum event_proto p)
{
	switch (p) {
	case EVENT_PROTO_TCP:
		return "tcp";
	case EVENT_PROTO_UDP:
		return "udp";
	case EVENT_PROTO_ICMP4:
		return "icmpv4";
	case EVENT_PROTO_ICMP6:
		return "icmpv6";
	case EVENT_PROTO_DNS:
		return "dns";
	}
	return "?";
}

const char *events_end_name(enum event_end e)
{
	switch (e) {
	case EVENT_END_CLOSE:
		return "close";
	case EVENT_END_RESET:
		return "reset";
	case EVENT_END_TIMEOUT:
		return "timeout";
	case EVENT_END_SANDBOX_EXIT:
		return "sandbox_exit";
	}
	return "?";
}

const char *events_dns_mode_name(enum event_dns_mode m)
{
	switch (m) {
	case EVENT_DNS_RELAYED:
		return "relayed";
	case EVENT_DNS_SYNTHETIC_EMPTY:
		return "synthetic_empty";
	case EVENT_DNS_SYNTHETIC_REFUSED:
		return "synthetic_refused";
	case EVENT_DNS_SYNTHETIC_PROXY_DNS:
		return "synthetic_proxy_dns";
	}
	return "?";
}

/* events_addr() - "ip:port" or "[v6]:port" of @ev's remote into @buf */
static const char *events_addr(const struct event *ev, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (!ev->remote.family) {
		snprintf(buf, len, "-");
		return buf;
	}
	ip_format(&ev->remote, ip, sizeof(ip));
	if (ev->remote.family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, ev->remote_port);
	else
		snprintf(buf, len, "%s:%u", ip, ev->remote_port);
	return buf;
}

/* events_print() - the CHILDFLOW_DEBUG=1 sink: one line on stderr */
static void events_print(const struct event *ev, void *ctx)
{
	char addr[INET6_ADDRSTRLEN + 16], ips[256];
	const char *p = events_proto_name(ev->proto);
	size_t i, off = 0;

	(void)ctx;
	events_addr(ev, addr, sizeof(addr));
	switch (ev->kind) {
	case EVENT_FLOW_START:
		fprintf(stderr, "childflow: flow %" PRIu32 " %s: start %s\n",
			ev->flow_id, p, addr);
		break;
	case EVENT_FLOW_CONNECTED:
		fprintf(stderr,
			"childflow: flow %" PRIu32 " %s: connected %s\n",
			ev->flow_id, p, addr);
		break;
	case EVENT_FLOW_FAILED:
		fprintf(stderr,
			"childflow: flow %" PRIu32 " %s: failed %s: %s (%s)\n",
			ev->flow_id, p, addr, ev->error ? ev->error : "?",
			ev->error_detail ? ev->error_detail : "");
		break;
	case EVENT_FLOW_END:
		fprintf(stderr,
			"childflow: flow %" PRIu32
			" %s: end %s: %s, sent %" PRIu64 " received %" PRIu64
			" in %" PRIu64 " ms\n",
			ev->flow_id, p, addr, events_end_name(ev->end),
			ev->bytes_sent, ev->bytes_received, ev->duration_ms);
		break;
	case EVENT_DNS_QUERY:
		fprintf(stderr,
			"childflow: flow %" PRIu32
			" dns: query %s %s via %s/%s\n",
			ev->flow_id, ev->qname ? ev->qname : "?",
			dnsmsg_qtype_name(ev->qtype), addr,
			ev->dns_tcp ? "tcp" : "udp");
		break;
	case EVENT_DNS_ANSWER:
		ips[0] = '\0';
		for (i = 0; ev->answer && i < ev->answer->n_ips; i++) {
			char ip[INET6_ADDRSTRLEN];
			int n;

			ip_format(&ev->answer->ips[i], ip, sizeof(ip));
			n = snprintf(ips + off, sizeof(ips) - off, " %s", ip);
			if (n < 0 || (size_t)n >= sizeof(ips) - off)
				break;
			off += (size_t)n;
		}
		fprintf(stderr,
			"childflow: flow %" PRIu32
			" dns: answer %s %s %s, %zu bytes:%s\n",
			ev->flow_id, ev->qname ? ev->qname : "?",
			dnsmsg_qtype_name(ev->qtype),
			events_dns_mode_name(ev->dns_mode), ev->dns_bytes, ips);
		break;
	case EVENT_DENY:
		fprintf(stderr,
			"childflow: flow %" PRIu32 " %s: denied %s (%s)\n",
			ev->flow_id, p, addr,
			ev->decision ? policy_reason_code(ev->decision->reason)
				     : "?");
		break;
	case EVENT_RUNTIME_FAILURE:
		fprintf(stderr, "childflow: runtime failure (%s): %s: %s\n",
			ev->phase ? ev->phase : "run",
			ev->reason_code ? ev->reason_code : "?",
			ev->detail ? ev->detail : "");
		break;
	}
}

void events_init(void)
{
	const char *d = getenv("CHILDFLOW_DEBUG");

	events_n_sinks = 0;
	events_on = false;
	events_debug_on = d && !strcmp(d, "1");
	if (events_debug_on)
		events_add_sink(events_print, NULL);
}

bool events_debug(void)
{
	return events_debug_on;
}

int events_add_sink(events_sink_fn fn, void *ctx)
{
	if (events_n_sinks >= EVENTS_SINKS_MAX)
		return -1;
	events_sinks[events_n_sinks].fn = fn;
	events_sinks[events_n_sinks].ctx = ctx;
	events_n_sinks++;
	events_on = true;
	return 0;
}

void events_failure(const char *phase, const char *reason_code,
		    const char *detail)
{
	struct event ev = {.kind = EVENT_RUNTIME_FAILURE};

	ev.phase = phase;
	ev.reason_code = reason_code;
	ev.detail = detail;
	events_emit(&ev);
}

void events_emit(struct event *ev)
{
	struct timespec ts;
	size_t i;

	clock_gettime(CLOCK_REALTIME, &ts);
	ev->ts_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	for (i = 0; i < events_n_sinks; i++)
		events_sinks[i].fn(ev, events_sinks[i].ctx);
}
