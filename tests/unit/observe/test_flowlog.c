/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_flowlog.c - --flow-log: synthetic engine events written, read back
 * with json-c (strict, UTF-8 validated) and checked field by field against
 * docs/flow-log.md
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "engine/dnsmsg.h"
#include "observe/events.h"
#include "observe/flowlog.h"
#include "policy/policy.h"

#define MAX_LINES 64

/* struct log - a flow log under test and what was read back */
struct log {
	char path[64];
	struct config cfg;
	struct flowlog fl;
	char *text;
	size_t len;
	struct json_object *line[MAX_LINES];
	size_t n;
};

/* log_open() - a fresh flow log in /tmp */
static void log_open(struct log *l)
{
	char err[256];
	int fd;

	memset(l, 0, sizeof(*l));
	snprintf(l->path, sizeof(l->path), "/tmp/test_flowlog.XXXXXX");
	fd = mkstemp(l->path);
	assert_true(fd >= 0);
	close(fd);
	l->cfg.flow_log = l->path;
	assert_int_equal(flowlog_open(&l->cfg, &l->fl, err, sizeof(err)), 0);
}

/* log_read() - close the log, read every line back as a JSON object */
static void log_read(struct log *l)
{
	struct json_tokener *tok = json_tokener_new();
	char *p, *nl;
	FILE *f;
	long n;

	assert_int_equal(flowlog_close(&l->fl), 0);
	f = fopen(l->path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	l->text = calloc(1, (size_t)n + 1);
	assert_non_null(l->text);
	assert_int_equal(fread(l->text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	l->len = (size_t)n;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	for (p = l->text; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl); /* every line ends with \n */
		assert_true(nl > p); /* no blank lines */
		assert_true(l->n < MAX_LINES);
		json_tokener_reset(tok);
		l->line[l->n] = json_tokener_parse_ex(tok, p, (int)(nl - p));
		if (!l->line[l->n])
			fail_msg("line %zu is not JSON: %.*s", l->n + 1,
				 (int)(nl - p), p);
		assert_int_equal(json_tokener_get_parse_end(tok),
				 (size_t)(nl - p));
		assert_true(
			json_object_is_type(l->line[l->n], json_type_object));
		l->n++;
	}
	json_tokener_free(tok);
}

static void log_done(struct log *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		json_object_put(l->line[i]);
	free(l->text);
	unlink(l->path);
}

/* field() - the value of @key in @o, which must be present */
static struct json_object *field(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no field %s in %s", key,
			 json_object_to_json_string(o));
	return v;
}

static void is_null(struct json_object *o, const char *key)
{
	if (field(o, key) != NULL)
		fail_msg("%s is not null in %s", key,
			 json_object_to_json_string(o));
}

static void is_str(struct json_object *o, const char *key, const char *want)
{
	struct json_object *v = field(o, key);

	if (!json_object_is_type(v, json_type_string))
		fail_msg("%s is not a string in %s", key,
			 json_object_to_json_string(o));
	assert_string_equal(json_object_get_string(v), want);
}

static void is_int(struct json_object *o, const char *key, int64_t want)
{
	struct json_object *v = field(o, key);

	if (!json_object_is_type(v, json_type_int))
		fail_msg("%s is not an integer in %s", key,
			 json_object_to_json_string(o));
	assert_int_equal(json_object_get_int64(v), want);
}

static void is_bool(struct json_object *o, const char *key, bool want)
{
	struct json_object *v = field(o, key);

	assert_true(json_object_is_type(v, json_type_boolean));
	assert_int_equal(json_object_get_boolean(v), want);
}

/* has_keys() - @o has exactly the NULL-terminated @keys, in that order */
static void has_keys(struct json_object *o, const char *const *keys)
{
	struct json_object_iterator it = json_object_iter_begin(o);
	struct json_object_iterator end = json_object_iter_end(o);
	size_t i = 0;

	while (!json_object_iter_equal(&it, &end)) {
		if (!keys[i])
			fail_msg("extra key %s in %s",
				 json_object_iter_peek_name(&it),
				 json_object_to_json_string(o));
		assert_string_equal(json_object_iter_peek_name(&it), keys[i]);
		json_object_iter_next(&it);
		i++;
	}
	if (keys[i])
		fail_msg("missing key %s in %s", keys[i],
			 json_object_to_json_string(o));
}

#define COMMON "schema_version", "ts_ms", "event"

static const char *const keys_query[] = {COMMON,   "flow_id",	"protocol",
					 "server", "server_ip", "server_port",
					 "qname",  "qtype",	NULL};
static const char *const keys_answer[] = {
	COMMON,	 "flow_id", "protocol", "server", "server_ip",	"server_port",
	"qname", "qtype",   "mode",	"bytes",  "answer_ips", NULL};
static const char *const keys_attempt[] = {
	COMMON,	       "flow_id",   "protocol", "remote_addr", "remote_ip",
	"remote_port", "via_proxy", "sni",	"http_host",   NULL};
static const char *const keys_result[] = {
	COMMON,	       "flow_id",   "protocol", "remote_addr", "remote_ip",
	"remote_port", "via_proxy", "status",	"error",       "error_detail",
	"sni",	       "http_host", NULL};
static const char *const keys_violation[] = {
	COMMON,		  "flow_id", "protocol",    "remote",  "remote_ip",
	"remote_port",	  "action",  "reason_code", "control", "matched_cidr",
	"matched_domain", "reason",  NULL};
static const char *const keys_end[] = {
	COMMON,	       "flow_id",     "protocol",   "remote_addr",
	"remote_ip",   "remote_port", "bytes_sent", "bytes_received",
	"duration_ms", "end",	      NULL};
static const char *const keys_end_tcp[] = {
	COMMON,	       "flow_id",     "protocol",   "remote_addr",
	"remote_ip",   "remote_port", "bytes_sent", "bytes_received",
	"duration_ms", "end",	      "sni",	    "http_host",
	NULL};
static const char *const keys_failure[] = {COMMON, "phase", "reason_code",
					   "detail", NULL};

/* ev() - an event of @kind for flow @id to @ip:@port */
static struct event ev(enum event_kind kind, enum event_proto proto,
		       uint32_t id, const char *ip, uint16_t port)
{
	struct event e;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.proto = proto;
	e.flow_id = id;
	e.ts_ms = 1732800000000ULL + id;
	if (ip)
		assert_int_equal(ip_parse(ip, &e.remote, NULL, 0), 0);
	e.remote_port = port;
	return e;
}

/* common() - the three fields of every line */
static void common(struct json_object *o, const char *name)
{
	is_int(o, "schema_version", 1);
	assert_true(json_object_is_type(field(o, "ts_ms"), json_type_int));
	assert_true(json_object_get_int64(field(o, "ts_ms")) > 1700000000000LL);
	is_str(o, "event", name);
}

/* Flows: TCP start/connected/failed/end, UDP and ICMP starts (no line),
 * ICMP end (no port), IPv6 brackets
 */
static void test_flows(void **state)
{
	struct event e;
	struct log l;
	struct json_object *o;

	(void)state;
	log_open(&l);
	e = ev(EVENT_FLOW_START, EVENT_PROTO_TCP, 3, "203.0.113.10", 443);
	flowlog_sink(&e, &l.fl);
	e = ev(EVENT_FLOW_START, EVENT_PROTO_UDP, 4, "203.0.113.10", 53);
	flowlog_sink(&e, &l.fl);
	e = ev(EVENT_FLOW_START, EVENT_PROTO_ICMP4, 5, "203.0.113.10", 0);
	flowlog_sink(&e, &l.fl);
	e = ev(EVENT_FLOW_CONNECTED, EVENT_PROTO_TCP, 3, "203.0.113.10", 443);
	flowlog_sink(&e, &l.fl);
	e = ev(EVENT_FLOW_START, EVENT_PROTO_TCP, 6, "2001:db8::10", 8081);
	e.via_proxy = true;
	flowlog_sink(&e, &l.fl);
	e = ev(EVENT_FLOW_FAILED, EVENT_PROTO_TCP, 6, "2001:db8::10", 8081);
	e.via_proxy = true;
	e.error = "refused";
	e.error_detail = "connect: Connection refused";
	flowlog_sink(&e, &l.fl);
	e = ev(EVENT_FLOW_END, EVENT_PROTO_TCP, 3, "203.0.113.10", 443);
	e.bytes_sent = 517;
	e.bytes_received = 4312;
	e.duration_ms = 85;
	e.end = EVENT_END_CLOSE;
	e.sni = "Origin.test"; /* as the engine's sniffer gave it */
	flowlog_sink(&e, &l.fl);
	e = ev(EVENT_FLOW_END, EVENT_PROTO_ICMP6, 5, "2001:db8::10", 0);
	e.bytes_sent = 256;
	e.bytes_received = 256;
	e.duration_ms = 3000;
	e.end = EVENT_END_TIMEOUT;
	flowlog_sink(&e, &l.fl);
	e = ev(EVENT_FLOW_END, EVENT_PROTO_UDP, 4, "203.0.113.10", 53);
	e.end = EVENT_END_SANDBOX_EXIT;
	flowlog_sink(&e, &l.fl);
	log_read(&l);
	assert_int_equal(l.n, 7);

	o = l.line[0];
	has_keys(o, keys_attempt);
	common(o, "connect_attempt");
	is_int(o, "ts_ms", 1732800000003LL);
	is_int(o, "flow_id", 3);
	is_str(o, "protocol", "tcp");
	is_str(o, "remote_addr", "203.0.113.10:443");
	is_str(o, "remote_ip", "203.0.113.10");
	is_int(o, "remote_port", 443);
	is_bool(o, "via_proxy", false);
	is_null(o, "sni");
	is_null(o, "http_host");

	o = l.line[1];
	has_keys(o, keys_result);
	common(o, "connect_result");
	is_int(o, "flow_id", 3);
	is_str(o, "status", "ok");
	is_null(o, "error");
	is_null(o, "error_detail");
	is_str(o, "remote_addr", "203.0.113.10:443");

	o = l.line[2];
	has_keys(o, keys_attempt);
	is_str(o, "remote_addr", "[2001:db8::10]:8081");
	is_str(o, "remote_ip", "2001:db8::10");
	is_int(o, "remote_port", 8081);
	is_bool(o, "via_proxy", true);
	is_int(o, "ts_ms", 1732800000006LL);

	o = l.line[3];
	has_keys(o, keys_result);
	is_str(o, "status", "error");
	is_str(o, "error", "refused");
	is_str(o, "error_detail", "connect: Connection refused");
	is_bool(o, "via_proxy", true);

	o = l.line[4];
	has_keys(o, keys_end_tcp);
	common(o, "flow_end");
	/* the clock went back (flow 3's ts is older): ts_ms is held */
	is_int(o, "ts_ms", 1732800000006LL);
	is_str(o, "protocol", "tcp");
	is_int(o, "bytes_sent", 517);
	is_int(o, "bytes_received", 4312);
	is_int(o, "duration_ms", 85);
	is_str(o, "end", "close");
	is_str(o, "sni", "Origin.test");
	is_null(o, "http_host");

	o = l.line[5];
	has_keys(o, keys_end);
	is_str(o, "protocol", "icmpv6");
	is_str(o, "remote_addr", "2001:db8::10"); /* no brackets, no port */
	is_str(o, "remote_ip", "2001:db8::10");
	is_null(o, "remote_port");
	is_str(o, "end", "timeout");

	o = l.line[6];
	is_str(o, "protocol", "udp");
	is_str(o, "remote_addr", "203.0.113.10:53");
	is_int(o, "bytes_sent", 0);
	is_str(o, "end", "sandbox_exit");
	log_done(&l);
}

/* DNS: queries over UDP and TCP, v4 and v6 servers, unparsable ones,
 * answers in every mode
 */
static void test_dns(void **state)
{
	struct dnsmsg_answer a;
	struct event e;
	struct log l;
	struct json_object *o, *ips;

	(void)state;
	memset(&a, 0, sizeof(a));
	snprintf(a.q.qname, sizeof(a.q.qname), "www.example.test");
	a.q.qtype = DNS_TYPE_A;
	assert_int_equal(ip_parse("203.0.113.10", &a.ips[0], NULL, 0), 0);
	assert_int_equal(ip_parse("2001:db8::10", &a.ips[1], NULL, 0), 0);
	a.n_ips = 2;

	log_open(&l);
	e = ev(EVENT_DNS_QUERY, EVENT_PROTO_DNS, 1, "10.0.2.3", 53);
	e.qname = "WWW.Example.TEST";
	e.qtype = DNS_TYPE_A;
	flowlog_sink(&e, &l.fl);
	e = ev(EVENT_DNS_ANSWER, EVENT_PROTO_DNS, 1, "10.0.2.3", 53);
	e.qname = "www.example.test";
	e.qtype = DNS_TYPE_A;
	e.dns_mode = EVENT_DNS_RELAYED;
	e.dns_bytes = 62;
	e.answer = &a;
	flowlog_sink(&e, &l.fl);
	e = ev(EVENT_DNS_QUERY, EVENT_PROTO_DNS, 2, "fd00::3", 53);
	e.dns_tcp = true;
	e.qname = "v6.example.test";
	e.qtype = DNS_TYPE_AAAA;
	flowlog_sink(&e, &l.fl);
	e = ev(EVENT_DNS_ANSWER, EVENT_PROTO_DNS, 2, "fd00::3", 53);
	e.dns_tcp = true;
	e.qname = "v6.example.test";
	e.qtype = DNS_TYPE_AAAA;
	e.dns_mode = EVENT_DNS_SYNTHETIC_EMPTY;
	e.dns_bytes = 33;
	flowlog_sink(&e, &l.fl);
	e = ev(EVENT_DNS_QUERY, EVENT_PROTO_DNS, 0, "10.0.2.3", 53);
	e.qtype = 16; /* TXT, but unparsed: no name */
	flowlog_sink(&e, &l.fl);
	e = ev(EVENT_DNS_ANSWER, EVENT_PROTO_DNS, 7, "10.0.2.3", 53);
	e.qname = "mx.example.test";
	e.qtype = 15;
	e.dns_mode = EVENT_DNS_SYNTHETIC_REFUSED;
	e.dns_bytes = 40;
	flowlog_sink(&e, &l.fl);
	log_read(&l);
	assert_int_equal(l.n, 6);

	o = l.line[0];
	has_keys(o, keys_query);
	common(o, "dns_query");
	is_int(o, "flow_id", 1);
	is_str(o, "protocol", "udp");
	is_str(o, "server", "10.0.2.3:53");
	is_str(o, "server_ip", "10.0.2.3");
	is_int(o, "server_port", 53);
	is_str(o, "qname", "www.example.test"); /* lower-cased */
	is_str(o, "qtype", "A");

	o = l.line[1];
	has_keys(o, keys_answer);
	common(o, "dns_answer");
	is_str(o, "mode", "relayed");
	is_int(o, "bytes", 62);
	ips = field(o, "answer_ips");
	assert_true(json_object_is_type(ips, json_type_array));
	assert_int_equal(json_object_array_length(ips), 2);
	assert_string_equal(
		json_object_get_string(json_object_array_get_idx(ips, 0)),
		"203.0.113.10");
	assert_string_equal(
		json_object_get_string(json_object_array_get_idx(ips, 1)),
		"2001:db8::10");

	o = l.line[2];
	has_keys(o, keys_query);
	is_str(o, "protocol", "tcp");
	is_str(o, "server", "[fd00::3]:53");
	is_str(o, "server_ip", "fd00::3");
	is_str(o, "qtype", "AAAA");

	o = l.line[3];
	has_keys(o, keys_answer);
	is_str(o, "mode", "synthetic_empty");
	ips = field(o, "answer_ips");
	assert_true(json_object_is_type(ips, json_type_array));
	assert_int_equal(json_object_array_length(ips), 0);

	o = l.line[4];
	has_keys(o, keys_query);
	is_null(o, "flow_id");
	is_null(o, "qname");
	is_str(o, "qtype", "unknown");

	o = l.line[5];
	is_str(o, "mode", "synthetic_refused");
	is_str(o, "qtype", "other");
	log_done(&l);
}

/* deny() - an EVENT_DENY for @d */
static void deny(struct log *l, enum event_proto proto, uint32_t id,
		 const char *ip, uint16_t port, const struct policy_decision *d)
{
	struct event e = ev(EVENT_DENY, proto, id, ip, port);

	e.decision = d;
	flowlog_sink(&e, &l->fl);
}

/* Denials: every reason code, with its control, match and reason text */
static void test_policy_violation(void **state)
{
	struct policy_decision d;
	struct cidr c;
	struct log l;
	struct json_object *o;
	static const struct {
		enum policy_reason r;
		const char *code, *control, *reason;
	} all[] = {
		{POLICY_REASON_OFFLINE, "offline", "--offline",
		 "blocked by `--offline`"},
		{POLICY_REASON_PROXY_ONLY, "proxy_only", "--proxy-only",
		 "blocked by `--proxy-only`"},
		{POLICY_REASON_METADATA, "metadata", "--block-metadata",
		 "blocked by `--block-metadata`"},
		{POLICY_REASON_PRIVATE, "private", "--block-private",
		 "blocked by `--block-private`"},
		{POLICY_REASON_DEFAULT_DENY, "default_deny", "--default-policy",
		 "blocked by `--default-policy deny`"},
	};
	size_t i;

	(void)state;
	assert_int_equal(cidr_parse("198.51.100.0/24", &c, NULL, 0), 0);
	log_open(&l);
	memset(&d, 0, sizeof(d));
	d.verdict = POLICY_VERDICT_DENY;
	d.reason = POLICY_REASON_DENY_CIDR;
	d.matched_cidr = &c;
	deny(&l, EVENT_PROTO_UDP, 15, "198.51.100.20", 123, &d);
	memset(&d, 0, sizeof(d));
	d.reason = POLICY_REASON_DENY_DOMAIN;
	d.matched_domain = "tracker.test";
	deny(&l, EVENT_PROTO_TCP, 8, "198.51.100.7", 443, &d);
	d.reason = POLICY_REASON_DENY_DOMAIN_EXACT;
	d.matched_domain = "ads.tracker.test";
	deny(&l, EVENT_PROTO_TCP, 0, "2001:db8::7", 80, &d);
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		memset(&d, 0, sizeof(d));
		d.reason = all[i].r;
		deny(&l, EVENT_PROTO_DNS, 0, "10.0.2.3", 53, &d);
	}
	memset(&d, 0, sizeof(d));
	d.reason = POLICY_REASON_PRIVATE;
	deny(&l, EVENT_PROTO_ICMP4, 9, "10.1.2.3", 0, &d);
	deny(&l, EVENT_PROTO_ICMP6, 10, "fe80::1", 0, NULL);
	log_read(&l);
	assert_int_equal(l.n, 10);

	o = l.line[0];
	has_keys(o, keys_violation);
	common(o, "policy_violation");
	is_int(o, "flow_id", 15);
	is_str(o, "protocol", "udp");
	is_str(o, "remote", "198.51.100.20:123");
	is_str(o, "remote_ip", "198.51.100.20");
	is_int(o, "remote_port", 123);
	is_str(o, "action", "deny");
	is_str(o, "reason_code", "deny_cidr");
	is_str(o, "control", "--deny-cidr");
	is_str(o, "matched_cidr", "198.51.100.0/24");
	is_null(o, "matched_domain");
	is_str(o, "reason", "blocked by `--deny-cidr 198.51.100.0/24`");

	o = l.line[1];
	has_keys(o, keys_violation);
	is_str(o, "protocol", "tcp");
	is_str(o, "reason_code", "deny_domain");
	is_str(o, "control", "--deny-domain");
	is_null(o, "matched_cidr");
	is_str(o, "matched_domain", "tracker.test");
	is_str(o, "reason", "blocked by `--deny-domain tracker.test`");

	o = l.line[2];
	is_null(o, "flow_id");
	is_str(o, "remote", "[2001:db8::7]:80");
	is_str(o, "reason_code", "deny_domain_exact");
	is_str(o, "control", "--deny-domain-exact");
	is_str(o, "reason",
	       "blocked by `--deny-domain-exact ads.tracker.test`");

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		o = l.line[3 + i];
		has_keys(o, keys_violation);
		is_str(o, "protocol", "dns");
		is_str(o, "remote", "10.0.2.3:53");
		is_str(o, "reason_code", all[i].code);
		is_str(o, "control", all[i].control);
		is_str(o, "reason", all[i].reason);
		is_null(o, "matched_cidr");
		is_null(o, "matched_domain");
	}

	o = l.line[8];
	is_str(o, "protocol", "icmpv4");
	is_str(o, "remote", "10.1.2.3");
	is_null(o, "remote_port");

	o = l.line[9]; /* no decision: the codes are unknown, not made up */
	has_keys(o, keys_violation);
	is_str(o, "protocol", "icmpv6");
	is_str(o, "action", "deny");
	is_null(o, "reason_code");
	is_null(o, "control");
	is_null(o, "reason");
	log_done(&l);
}

/* Runtime failures: from the engine, from outside it, without a phase */
static void test_runtime_failure(void **state)
{
	struct event e;
	struct log l;
	struct json_object *o;

	(void)state;
	log_open(&l);
	e = ev(EVENT_RUNTIME_FAILURE, EVENT_PROTO_TCP, 0, NULL, 0);
	e.phase = "run";
	e.reason_code = "ping_socket_denied";
	e.detail = "ping_group_range 1 0 excludes gid 1000";
	flowlog_sink(&e, &l.fl);
	flowlog_runtime_failure(&l.fl, "child_bootstrap", "userns_unavailable",
				"user namespaces are disabled");
	e.phase = NULL;
	e.detail = NULL;
	flowlog_sink(&e, &l.fl);
	log_read(&l);
	assert_int_equal(l.n, 3);

	o = l.line[0];
	has_keys(o, keys_failure);
	common(o, "runtime_failure");
	is_str(o, "phase", "run");
	is_str(o, "reason_code", "ping_socket_denied");
	is_str(o, "detail", "ping_group_range 1 0 excludes gid 1000");

	o = l.line[1];
	has_keys(o, keys_failure);
	is_str(o, "phase", "child_bootstrap");
	is_str(o, "reason_code", "userns_unavailable");

	o = l.line[2];
	is_str(o, "phase", "run");
	is_null(o, "detail");
	log_done(&l);
}

/* Escaping: quotes, backslashes, controls, DEL, every kind of bad UTF-8 */
static void test_escaping(void **state)
{
	struct event e;
	struct log l;
	const char *line;

	(void)state;
	log_open(&l);
	e = ev(EVENT_FLOW_FAILED, EVENT_PROTO_TCP, 1, "203.0.113.10", 80);
	e.error = "weird\"code";
	e.error_detail =
		"q\"b\\s/n\nt\tr\rc\x01\x1f"
		"d\x7f"
		"e\xc3\xa9 smile\xf0\x9f\x98\x80 "
		"bad\xff over\xc0\xaf sur\xed\xa0\x80 big\xf4\x90\x80\x80"
		" cut\xe2\x82";
	flowlog_sink(&e, &l.fl);
	log_read(&l);
	assert_int_equal(l.n, 1);
	line = l.text;
	assert_null(memchr(line, '\t', l.len));
	assert_null(memchr(line, '\r', l.len));
	assert_null(memchr(line, 0x7f, l.len));
	assert_non_null(strstr(line, "\"weird\\\"code\""));
	assert_non_null(strstr(line, "q\\\"b\\\\s/n\\nt\\tr\\rc\\u0001\\u001f"
				     "d\\u007fe"));
	is_str(l.line[0], "error", "weird\"code");
	is_str(l.line[0], "error_detail",
	       "q\"b\\s/n\nt\tr\rc\x01\x1f"
	       "d\x7f"
	       "e\xc3\xa9 smile\xf0\x9f\x98\x80 "
	       "bad\xef\xbf\xbd over\xef\xbf\xbd\xef\xbf\xbd "
	       "sur\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
	       "big\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	       " cut\xef\xbf\xbd\xef\xbf\xbd");
	log_done(&l);
}

/* Long text is cut at a character boundary, never mid-character */
static void test_long_text(void **state)
{
	char *big = malloc((size_t)3 * FLOWLOG_TEXT_MAX);
	struct event e;
	struct log l;
	const char *s;
	size_t i;

	(void)state;
	assert_non_null(big);
	for (i = 0; i + 2 < (size_t)3 * FLOWLOG_TEXT_MAX; i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[i] = '\0';
	log_open(&l);
	e = ev(EVENT_RUNTIME_FAILURE, EVENT_PROTO_TCP, 0, NULL, 0);
	e.reason_code = "x";
	e.detail = big;
	flowlog_sink(&e, &l.fl);
	log_read(&l);
	s = json_object_get_string(field(l.line[0], "detail"));
	assert_true(strlen(s) < FLOWLOG_TEXT_MAX);
	assert_true(strlen(s) > FLOWLOG_TEXT_MAX - 4);
	assert_null(strstr(s, "\xef\xbf\xbd"));
	assert_int_equal(strlen(s) % 2, 0);
	log_done(&l);
	free(big);
}

/* A proxy password never reaches the file, from -P or from the URI */
static void test_no_password(void **state)
{
	char pw[] = "s3cr3t-Pass";
	struct event e;
	struct log l;

	(void)state;
	log_open(&l);
	l.cfg.has_proxy = true;
	assert_int_equal(
		proxy_uri_parse("http://alice:uri-pw-42@proxy.test:3128",
				&l.cfg.proxy, NULL, 0),
		0);
	l.cfg.proxy_password = pw;
	e = ev(EVENT_FLOW_FAILED, EVENT_PROTO_TCP, 1, "203.0.113.10", 443);
	e.via_proxy = true;
	e.error = "proxy_auth_failed";
	e.error_detail = "proxy http://alice:s3cr3t-Pass@proxy.test:3128 "
			 "said 407 to uri-pw-42";
	flowlog_sink(&e, &l.fl);
	flowlog_runtime_failure(&l.fl, "preflight", "proxy_unreachable",
				"s3cr3t-Passs3cr3t-Pass");
	log_read(&l);
	assert_null(strstr(l.text, "s3cr3t"));
	assert_null(strstr(l.text, "uri-pw-42"));
	is_str(l.line[0], "error_detail",
	       "proxy http://alice:***@proxy.test:3128 said 407 to ***");
	is_str(l.line[1], "detail", "******");
	log_done(&l);
}

/* A path that cannot be created fails before anything runs */
static void test_open_errors(void **state)
{
	struct config cfg;
	struct flowlog fl;
	struct event e =
		ev(EVENT_FLOW_START, EVENT_PROTO_TCP, 1, "203.0.113.10", 443);
	char err[256];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.flow_log = "/nonexistent-dir/flows.jsonl";
	assert_int_equal(flowlog_open(&cfg, &fl, err, sizeof(err)), -1);
	assert_string_equal(err, "--flow-log: cannot create "
				 "'/nonexistent-dir/flows.jsonl': "
				 "No such file or directory");

	/* no --flow-log: a log that writes nothing */
	cfg.flow_log = NULL;
	assert_int_equal(flowlog_open(&cfg, &fl, err, sizeof(err)), 0);
	flowlog_sink(&e, &fl);
	flowlog_runtime_failure(&fl, "run", "x", "y");
	assert_false(flowlog_failed(&fl));
	assert_int_equal(flowlog_close(&fl), 0);
}

/* An existing file is truncated, and gets mode 0644 less the umask when
 * created
 */
static void test_truncate_and_mode(void **state)
{
	struct log l;
	struct stat st;
	mode_t old;
	FILE *f;

	(void)state;
	log_open(&l);
	flowlog_close(&l.fl);
	f = fopen(l.path, "w");
	assert_non_null(f);
	fputs("old content\n", f);
	fclose(f);
	assert_int_equal(flowlog_open(&l.cfg, &l.fl, NULL, 0), 0);
	log_read(&l);
	assert_int_equal(l.len, 0);
	log_done(&l);

	old = umask(022);
	assert_int_equal(flowlog_open(&l.cfg, &l.fl, NULL, 0), 0);
	umask(old);
	assert_int_equal(fstat(l.fl.fd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_not_equal(fcntl(l.fl.fd, F_GETFD) & FD_CLOEXEC, 0);
	flowlog_close(&l.fl);
	unlink(l.path);
}

/* A write error is said once, ends the log, and close reports it */
static void test_write_error(void **state)
{
	struct config cfg;
	struct flowlog fl;
	struct event e =
		ev(EVENT_FLOW_START, EVENT_PROTO_TCP, 1, "203.0.113.10", 443);
	char errpath[] = "/tmp/test_flowlog_err.XXXXXX", buf[1024];
	int efd = mkstemp(errpath), saved = dup(STDERR_FILENO);
	ssize_t n;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.flow_log = "/dev/full";
	assert_int_equal(flowlog_open(&cfg, &fl, NULL, 0), 0);
	dup2(efd, STDERR_FILENO);
	flowlog_sink(&e, &fl);
	flowlog_sink(&e, &fl);
	flowlog_runtime_failure(&fl, "run", "x", "y");
	dup2(saved, STDERR_FILENO);
	close(saved);
	assert_true(flowlog_failed(&fl));
	assert_int_equal(flowlog_close(&fl), -1);
	n = pread(efd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(
		buf,
		"childflow: --flow-log: cannot write '/dev/full': No space left on device; the rest of this run's events are not logged\n");
	close(efd);
	unlink(errpath);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flows),
		cmocka_unit_test(test_dns),
		cmocka_unit_test(test_policy_violation),
		cmocka_unit_test(test_runtime_failure),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_long_text),
		cmocka_unit_test(test_no_password),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_truncate_and_mode),
		cmocka_unit_test(test_write_error),
	};

	return cmocka_run_group_tests_name("flowlog", tests, NULL, NULL);
}
