/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_summary.c - --summary and --fail-on-leak: text and JSON content, and
 * the promise that the summary counts what --report counts from the
 * run's flow log
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "engine/dnsmsg.h"
#include "observe/events.h"
#include "observe/flowlog.h"
#include "observe/report.h"
#include "observe/summary.h"
#include "policy/policy.h"

/* struct run - a configuration and the events of a small run */
struct run {
	struct config cfg;
	struct cidr deny_cidr;
	char *deny_domains[1];
	char *command[4];
	char password[16];
	struct dnsmsg_answer answer;
	struct policy_decision d_cidr, d_domain;
};

static void run_init(struct run *r, enum out_format fmt)
{
	memset(r, 0, sizeof(*r));
	r->cfg.summary = true;
	r->cfg.summary_format = fmt;
	r->cfg.backend = BACKEND_ROOTLESS;
	r->command[0] = "curl";
	r->command[1] = "-sS";
	r->command[2] = "https://example.test/it's here";
	r->cfg.command = r->command;
	r->cfg.n_command = 3;
	r->cfg.flow_log = "/tmp/flows.jsonl";
	r->cfg.capture = "/tmp/cap.pcapng";
	r->cfg.capture_point = CAPTURE_BOTH;
	r->cfg.block_private = true;
	r->cfg.default_policy = POLICY_DENY;
	assert_int_equal(cidr_parse("198.51.100.0/24", &r->deny_cidr, NULL, 0),
			 0);
	r->cfg.deny_cidrs = &r->deny_cidr;
	r->cfg.n_deny_cidrs = 1;
	r->deny_domains[0] = "tracker.test";
	r->cfg.deny_domains = r->deny_domains;
	r->cfg.n_deny_domains = 1;
	r->cfg.has_proxy = true;
	assert_int_equal(proxy_uri_parse("http://proxy.test:3128",
					 &r->cfg.proxy, NULL, 0),
			 0);
	r->cfg.proxy_user = "alice";
	snprintf(r->password, sizeof(r->password), "s3cr3t-Pass");
	r->cfg.proxy_password = r->password;
	r->cfg.has_dns = true;
	assert_int_equal(ip_parse("192.0.2.53", &r->cfg.dns, NULL, 0), 0);
	r->cfg.hosts_file = "/etc/childflow-hosts";

	snprintf(r->answer.q.qname, sizeof(r->answer.q.qname),
		 "www.example.test");
	assert_int_equal(ip_parse("203.0.113.10", &r->answer.ips[0], NULL, 0),
			 0);
	r->answer.n_ips = 1;
	r->d_cidr.verdict = POLICY_VERDICT_DENY;
	r->d_cidr.reason = POLICY_REASON_DENY_CIDR;
	r->d_cidr.matched_cidr = &r->deny_cidr;
	r->d_domain.verdict = POLICY_VERDICT_DENY;
	r->d_domain.reason = POLICY_REASON_DENY_DOMAIN;
	r->d_domain.matched_domain = "tracker.test";
}

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

/* feed() - the events of the run to @fn(ev, @ctx) */
static void feed(struct run *r, events_sink_fn fn, void *ctx)
{
	struct event e;

	e = ev(EVENT_DNS_QUERY, EVENT_PROTO_DNS, 1, "10.0.2.3", 53);
	e.qname = "www.example.test";
	e.qtype = DNS_TYPE_A;
	fn(&e, ctx);
	e.kind = EVENT_DNS_ANSWER;
	e.answer = &r->answer;
	e.dns_bytes = 62;
	fn(&e, ctx);
	e = ev(EVENT_FLOW_START, EVENT_PROTO_TCP, 2, "203.0.113.10", 443);
	fn(&e, ctx);
	e.kind = EVENT_FLOW_CONNECTED;
	fn(&e, ctx);
	e.kind = EVENT_FLOW_END;
	e.bytes_sent = 517;
	e.bytes_received = 4312;
	e.duration_ms = 85;
	fn(&e, ctx);
	e = ev(EVENT_FLOW_START, EVENT_PROTO_UDP, 3, "203.0.113.10", 123);
	fn(&e, ctx); /* no line, not counted */
	e.kind = EVENT_FLOW_END;
	e.bytes_sent = 48;
	e.end = EVENT_END_TIMEOUT;
	fn(&e, ctx);
	e = ev(EVENT_DENY, EVENT_PROTO_UDP, 4, "198.51.100.20", 123);
	e.decision = &r->d_cidr;
	fn(&e, ctx);
	e = ev(EVENT_DENY, EVENT_PROTO_TCP, 5, "198.51.100.7", 443);
	e.decision = &r->d_domain;
	fn(&e, ctx);
	e = ev(EVENT_FLOW_START, EVENT_PROTO_TCP, 6, "203.0.113.10", 8081);
	fn(&e, ctx);
	e.kind = EVENT_FLOW_FAILED;
	e.error = "refused";
	e.error_detail = "connect: Connection refused";
	fn(&e, ctx);
	e = ev(EVENT_RUNTIME_FAILURE, EVENT_PROTO_TCP, 0, NULL, 0);
	e.phase = "run";
	e.reason_code = "ping_socket_denied";
	e.detail = "echo refused; proxy password s3cr3t-Pass";
	fn(&e, ctx);
}

/* render() - summary_print() of @s into a new string */
static char *render(struct run *r, struct summary *s, int status)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	assert_int_equal(summary_print(&r->cfg, s, status, f), 0);
	fclose(f);
	return out;
}

/* has() - @text contains @want */
static void has(const char *text, const char *want)
{
	if (!text || !strstr(text, want))
		fail_msg("'%s' not in:\n%s", want, text ? text : "(nothing)");
}

static void test_text(void **state)
{
	struct summary s;
	struct run r;
	char *out;

	(void)state;
	run_init(&r, FORMAT_TEXT);
	summary_init(&s, &r.cfg);
	feed(&r, summary_sink, &s);
	out = render(&r, &s, 1);

	assert_memory_equal(out, "childflow summary\n", 18);
	assert_null(strstr(out, "childflow report"));
	has(out, "\n  backend           rootless-internal\n");
	has(out, "\n  command           curl -sS "
		 "'https://example.test/it'\\''s here'\n");
	has(out, "\n  exit status       1\n");
	has(out, "\n  flow log          /tmp/flows.jsonl\n");
	has(out, "\n  capture           /tmp/cap.child.pcapng, "
		 "/tmp/cap.egress.pcapng (view both)\n");
	has(out, "\n  controls          --proxy http://proxy.test:3128 "
		 "(with credentials)\n");
	has(out, "\n                    --block-private\n");
	has(out, "\n                    --deny-cidr 198.51.100.0/24\n");
	has(out, "\n                    --deny-domain tracker.test\n");
	has(out, "\n                    --default-policy deny\n");
	has(out, "\n                    --dns 192.0.2.53\n");
	has(out, "\n                    --hosts-file /etc/childflow-hosts\n");
	/* the report's key numbers continue the header block */
	has(out, "--hosts-file /etc/childflow-hosts\n  events            11\n");
	has(out, "\n  denials           2\n");
	has(out, "\n  connect errors    1\n");
	has(out, "\n  runtime failures  1\n");
	/* then its sections */
	has(out, "\nDenials by reason\n");
	has(out, "deny_cidr");
	has(out, "\nDenials by matched domain\n");
	has(out, "tracker.test");
	has(out, "\nConnect errors\n");
	has(out, "refused");
	has(out, "\nTop connection targets\n");
	has(out, "www.example.test");
	has(out, "ping_socket_denied");
	assert_null(strstr(out, "s3cr3t"));
	assert_null(strstr(out, "alice"));
	free(out);
	summary_free(&s);
}

/* Text from the command line goes to a terminal: controls are shown */
static void test_text_clean(void **state)
{
	struct summary s;
	struct run r;
	char *out;

	(void)state;
	run_init(&r, FORMAT_TEXT);
	r.command[0] = "printf";
	r.command[1] = "\x1b[31mred\n";
	r.command[2] = "caf\xc3\xa9\xc2\x9b\xff";
	r.cfg.capture = NULL;
	r.cfg.flow_log = NULL;
	summary_init(&s, &r.cfg);
	out = render(&r, &s, 0);
	has(out, "\n  command           printf '\\x1b[31mred\\x0a' "
		 "'caf\xc3\xa9\\xc2\\x9b\\xff'\n");
	has(out, "\n  flow log          none\n");
	has(out, "\n  capture           none\n");
	has(out, "\n  events            0\n");
	free(out);
	summary_free(&s);
}

/* jget() - the value at the dotted @path of @o (must exist) */
static struct json_object *jget(struct json_object *o, const char *path)
{
	char buf[256], *tok, *save = NULL;
	struct json_object *v = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok;
	     tok = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(v, json_type_array))
			v = json_object_array_get_idx(v,
						      strtoul(tok, NULL, 10));
		else if (!json_object_object_get_ex(v, tok, &v))
			fail_msg("no %s in the summary", path);
	}
	return v;
}

static const char *jstr(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);

	assert_true(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

static int64_t jint(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);

	assert_true(json_object_is_type(v, json_type_int));
	return json_object_get_int64(v);
}

static void test_json(void **state)
{
	struct json_object *o, *it;
	struct json_object_iterator i, end;
	struct summary s;
	struct run r;
	char *out;
	static const char *const order[] = {
		"backend",  "command",	 "exit_status",
		"controls", "outputs",	 "schema_versions",
		"events",   "protocols", "proxy_usage",
		"denials",  "connects",	 "runtime_failures",
		"targets",  "dns",	 "traffic",
		"limits",   NULL};
	size_t k = 0;

	(void)state;
	run_init(&r, FORMAT_JSON);
	summary_init(&s, &r.cfg);
	feed(&r, summary_sink, &s);
	out = render(&r, &s, 0);
	assert_null(strstr(out, "s3cr3t"));
	o = json_tokener_parse(out);
	assert_non_null(o);

	i = json_object_iter_begin(o);
	end = json_object_iter_end(o);
	while (!json_object_iter_equal(&i, &end)) {
		assert_non_null(order[k]);
		assert_string_equal(json_object_iter_peek_name(&i), order[k]);
		json_object_iter_next(&i);
		k++;
	}
	assert_null(order[k]);

	assert_string_equal(jstr(o, "backend"), "rootless-internal");
	assert_string_equal(jstr(o, "command.2"),
			    "https://example.test/it's here");
	assert_int_equal(jint(o, "exit_status"), 0);
	assert_true(json_object_get_boolean(jget(o, "controls.block_private")));
	assert_false(json_object_get_boolean(jget(o, "controls.offline")));
	assert_string_equal(jstr(o, "controls.default_policy"), "deny");
	assert_string_equal(jstr(o, "controls.deny_cidrs.0"),
			    "198.51.100.0/24");
	assert_string_equal(jstr(o, "controls.deny_domains.0"), "tracker.test");
	assert_int_equal(
		json_object_array_length(jget(o, "controls.allow_domains")), 0);
	assert_string_equal(jstr(o, "controls.proxy"),
			    "http://proxy.test:3128");
	assert_true(
		json_object_get_boolean(jget(o, "controls.proxy_credentials")));
	assert_string_equal(jstr(o, "controls.dns"), "192.0.2.53");
	assert_string_equal(jstr(o, "controls.hosts_file"),
			    "/etc/childflow-hosts");
	assert_null(jget(o, "controls.proxy_ca"));
	assert_string_equal(jstr(o, "outputs.flow_log"), "/tmp/flows.jsonl");
	assert_string_equal(jstr(o, "outputs.capture_point"), "both");
	assert_string_equal(jstr(o, "outputs.capture_files.1"),
			    "/tmp/cap.egress.pcapng");

	assert_int_equal(jint(o, "events.total"), 11);
	assert_int_equal(jint(o, "events.connect_attempt"), 2);
	assert_int_equal(jint(o, "events.flow_end"), 2);
	assert_int_equal(jint(o, "denials.total"), 2);
	assert_string_equal(jstr(o, "denials.by_matched_domain.0.key"),
			    "tracker.test");
	assert_string_equal(jstr(o, "connects.by_error.0.key"), "refused");
	assert_string_equal(jstr(o, "runtime_failures.by_reason.0.key"),
			    "ping_socket_denied");
	assert_string_equal(jstr(o, "runtime_failures.by_reason.0.detail"),
			    "echo refused; proxy password ***");
	/* five targets of one flow each: ranked by key */
	assert_int_equal(json_object_array_length(jget(o, "targets")), 5);
	assert_string_equal(jstr(o, "targets.0.key"), "198.51.100.20:123");
	assert_string_equal(jstr(o, "targets.1.key"), "198.51.100.7:443");
	assert_string_equal(jstr(o, "targets.2.key"), "203.0.113.10:123");
	assert_string_equal(jstr(o, "targets.3.key"), "203.0.113.10:443");
	assert_string_equal(jstr(o, "targets.4.key"), "203.0.113.10:8081");
	assert_string_equal(jstr(o, "targets.3.dns_names.0.key"),
			    "www.example.test");
	assert_int_equal(jint(o, "targets.3.bytes_received"), 4312);
	assert_string_equal(jstr(o, "targets.1.matched_domains.0.key"),
			    "tracker.test");
	assert_string_equal(jstr(o, "schema_versions.0.key"), "1");
	it = jget(o, "dns.names");
	assert_int_equal(json_object_array_length(it), 1);
	json_object_put(o);
	free(out);
	summary_free(&s);
}

/* The summary of a run is --report of its flow log, number for number */
static void test_same_as_report(void **state)
{
	char path[] = "/tmp/test_summary.XXXXXX", *text;
	struct report_parser p;
	struct json_object *a, *b;
	struct summary s;
	struct flowlog fl;
	struct agg agg;
	struct run r;
	FILE *f;
	long n;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	run_init(&r, FORMAT_JSON);
	r.cfg.flow_log = path;
	summary_init(&s, &r.cfg);
	assert_int_equal(flowlog_open(&r.cfg, &fl, NULL, 0), 0);
	feed(&r, summary_sink, &s);
	feed(&r, flowlog_sink, &fl);
	assert_int_equal(flowlog_close(&fl), 0);

	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = malloc((size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	agg_init(&agg, 0);
	report_parser_init(&p, &agg);
	assert_int_equal(report_parse_buffer(&p, text, (size_t)n), 0);

	a = report_json(&s.agg, NULL);
	b = report_json(&agg, NULL);
	assert_string_equal(json_object_to_json_string(a),
			    json_object_to_json_string(b));
	json_object_put(a);
	json_object_put(b);
	report_parser_free(&p);
	agg_free(&agg);
	free(text);
	unlink(path);
	summary_free(&s);
}

/* --fail-on-leak: 1 only when something was denied and the command
 * exited 0; without --summary, denials are still counted
 */
static void test_fail_on_leak(void **state)
{
	struct summary s;
	struct run r;
	struct event e =
		ev(EVENT_DENY, EVENT_PROTO_TCP, 1, "198.51.100.7", 443);
	char *out;

	(void)state;
	run_init(&r, FORMAT_TEXT);
	r.cfg.summary = false;
	r.cfg.fail_on_leak = true;
	summary_init(&s, &r.cfg);
	assert_int_equal(summary_denials(&s), 0);
	assert_int_equal(summary_leak_status(&r.cfg, &s, 0), 0);
	e.decision = &r.d_domain;
	summary_sink(&e, &s);
	summary_sink(&e, &s);
	assert_int_equal(summary_denials(&s), 2);
	assert_int_equal(summary_leak_status(&r.cfg, &s, 0), 1);
	assert_int_equal(summary_leak_status(&r.cfg, &s, 3), 3);
	assert_int_equal(summary_leak_status(&r.cfg, &s, 125), 125);
	r.cfg.fail_on_leak = false;
	assert_int_equal(summary_leak_status(&r.cfg, &s, 0), 0);
	/* only counted: printing still works, with nothing in it */
	out = render(&r, &s, 0);
	has(out, "\n  events            0\n");
	free(out);
	summary_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_text_clean),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_same_as_report),
		cmocka_unit_test(test_fail_on_leak),
	};

	return cmocka_run_group_tests_name("summary", tests, NULL, NULL);
}
