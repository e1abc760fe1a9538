/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_report.c - --report: the flow-log line parser and the renderers
 *
 * Runs in tests/unit/observe (meson's workdir), where fixtures/ holds
 * realistic flow logs.
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
#include <unistd.h>

#include "config.h"
#include "observe/report.h"

/* slurp() - the whole of @path, NUL terminated, length in *@len */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* parse() - parse @text into a fresh @a; the parser result */
static int parse(struct agg *a, struct report_parser *p, const char *text)
{
	agg_init(a, 0);
	report_parser_init(p, a);
	return report_parse_buffer(p, text, strlen(text));
}

/* done() - free what parse() made */
static void done(struct agg *a, struct report_parser *p)
{
	report_parser_free(p);
	agg_free(a);
}

/* render() - @a printed in @fmt, as a new string */
static char *render(const struct agg *a, enum out_format fmt,
		    const struct report_source *src)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	assert_int_equal(report_print(f, a, fmt, src), 0);
	fclose(f);
	return out;
}

/* jget() - the value at the dotted @path in @o (must exist) */
static struct json_object *jget(struct json_object *o, const char *path)
{
	char buf[256], *tok, *save = NULL;
	struct json_object *v = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok;
	     tok = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(v, json_type_array)) {
			v = json_object_array_get_idx(v,
						      strtoul(tok, NULL, 10));
		} else if (!json_object_object_get_ex(v, tok, &v)) {
			fail_msg("no %s in the JSON report", path);
		}
		assert_non_null(v);
	}
	return v;
}

static int64_t jint(struct json_object *o, const char *path)
{
	return json_object_get_int64(jget(o, path));
}

static const char *jstr(struct json_object *o, const char *path)
{
	return json_object_get_string(jget(o, path));
}

/* The realistic log: every event of SPEC §3 with the additions */
static void test_fixture_full(void **state)
{
	struct report_parser p;
	const struct agg_entry *e;
	struct agg a;
	size_t len;
	char *text = slurp("fixtures/full.jsonl", &len);

	(void)state;
	agg_init(&a, 0);
	report_parser_init(&p, &a);
	assert_int_equal(report_parse_buffer(&p, text, len), 0);
	assert_int_equal(p.line, 54);
	assert_int_equal(p.version_line, 0);
	assert_int_equal(a.total, 53); /* one blank line */
	assert_int_equal(a.kinds[AGG_DNS_QUERY], 6);
	assert_int_equal(a.kinds[AGG_DNS_ANSWER], 6);
	assert_int_equal(a.kinds[AGG_CONNECT_ATTEMPT], 11);
	assert_int_equal(a.kinds[AGG_CONNECT_RESULT], 11);
	assert_int_equal(a.kinds[AGG_POLICY_VIOLATION], 7);
	assert_int_equal(a.kinds[AGG_FLOW_END], 9);
	assert_int_equal(a.kinds[AGG_RUNTIME_FAILURE], 2);
	assert_int_equal(a.kinds[AGG_UNKNOWN], 1);
	assert_int_equal(agg_count(&a.events, "quic_initial"), 1);
	assert_int_equal(a.via_proxy, 2);
	assert_int_equal(a.direct, 9);
	assert_int_equal(agg_count(&a.errors, "refused"), 2);
	assert_int_equal(agg_count(&a.errors, "timeout"), 1);
	assert_int_equal(agg_count(&a.errors, "unreachable"), 1);
	assert_int_equal(agg_count(&a.errors, "proxy_refused"), 1);
	assert_int_equal(agg_count(&a.deny_reasons, "deny_domain"), 2);
	assert_int_equal(agg_count(&a.deny_controls, "--block-metadata"), 1);
	assert_int_equal(agg_count(&a.deny_cidrs, "198.51.100.0/24"), 2);
	assert_int_equal(agg_count(&a.failure_phases, "run"), 2);
	assert_int_equal(a.bytes_sent, 4732);
	assert_int_equal(a.bytes_received, 1066524);
	assert_int_equal(agg_count(&a.end_reasons, "sandbox_exit"), 2);

	e = agg_find(&a.targets, "203.0.113.10:443");
	assert_non_null(e);
	assert_int_equal(e->count, 4);
	assert_int_equal(agg_count(agg_target_names(&a, e), "example.test"), 1);
	e = agg_find(&a.targets, "198.51.100.7:443");
	assert_int_equal(e->count, 2);
	assert_int_equal(agg_count(agg_target_names(&a, e), "cdn.example.test"),
			 1);
	/* ICMP: no port */
	assert_non_null(agg_find(&a.targets, "203.0.113.10"));
	free(text);
	done(&a, &p);
}

/* The earlier tool's logs: no flow_id, no bytes; still read */
static void test_fixture_legacy(void **state)
{
	struct report_parser p;
	struct agg a;
	size_t len;
	char *text = slurp("fixtures/legacy.jsonl", &len);

	(void)state;
	agg_init(&a, 0);
	report_parser_init(&p, &a);
	assert_int_equal(report_parse_buffer(&p, text, len), 0);
	assert_int_equal(a.kinds[AGG_UNKNOWN], 0);
	assert_int_equal(agg_find(&a.targets, "203.0.113.10:443")->count, 2);
	assert_int_equal(a.bytes_sent, 0);
	assert_int_equal(agg_count(&a.deny_reasons, "offline"), 1);
	free(text);
	done(&a, &p);
}

static void test_blank_lines_and_crlf(void **state)
{
	struct report_parser p;
	struct agg a;

	(void)state;
	assert_int_equal(parse(&a, &p,
			       "\n   \n{\"event\":\"dns_query\"}\r\n\t\r\n"
			       "{\"event\":\"flow_end\"}"),
			 0);
	assert_int_equal(p.line, 5);
	assert_int_equal(a.total, 2);
	done(&a, &p);

	assert_int_equal(parse(&a, &p, ""), 0);
	assert_int_equal(p.line, 0);
	assert_int_equal(a.total, 0);
	done(&a, &p);
}

/* parse_fails() - @text is refused at @line with @msg */
static void parse_fails(const char *text, size_t line, const char *msg)
{
	struct report_parser p;
	struct agg a;

	assert_int_equal(parse(&a, &p, text), -1);
	assert_int_equal(p.line, line);
	assert_string_equal(p.error, msg);
	done(&a, &p);
}

static void test_bad_lines(void **state)
{
	(void)state;
	parse_fails("{\"event\":\"dns_query\"}\n\n{\"event\": x}\n", 3,
		    "not valid JSON: unexpected character");
	parse_fails("{\"event\":\"dns_query\"} trailing\n", 1,
		    "not valid JSON: unexpected character");
	parse_fails("{}{}\n", 1, "not valid JSON: unexpected character");
	parse_fails("{\"event\":\"dns_query\"\n", 1,
		    "not valid JSON: unexpected end of data");
	parse_fails("{\"event\":", 1, "not valid JSON: unexpected end of data");
	parse_fails("{\"a\":\"\xff\"}\n", 1,
		    "not valid JSON: invalid utf-8 string");
	parse_fails("{\"a\":1,}\n", 1, "not valid JSON: unexpected character");
	parse_fails("[1,2]\n", 1, "not a JSON object (found an array)");
	parse_fails("42\n", 1, "not a JSON object (found a number)");
	parse_fails("\"dns_query\"\n", 1, "not a JSON object (found a string)");
	parse_fails("null\n", 1, "not a JSON object (found null)");
	parse_fails("true\n", 1, "not a JSON object (found a boolean)");
}

static void test_nul_byte(void **state)
{
	static const char text[] = "{\"event\":\"dns_query\"}\n{\"a\":1}\0\n";
	struct report_parser p;
	struct agg a;

	(void)state;
	agg_init(&a, 0);
	report_parser_init(&p, &a);
	assert_int_equal(report_parse_buffer(&p, text, sizeof(text) - 1), -1);
	assert_int_equal(p.line, 2);
	assert_string_equal(p.error, "not valid JSON: NUL byte at column 8");
	done(&a, &p);
}

static void test_long_line(void **state)
{
	struct report_parser p;
	struct agg a;
	size_t n = REPORT_LINE_MAX + 10;
	char *line = malloc(n);

	(void)state;
	assert_non_null(line);
	memset(line, ' ', n);
	agg_init(&a, 0);
	report_parser_init(&p, &a);
	assert_int_equal(report_parse_line(&p, line, REPORT_LINE_MAX), 0);
	assert_int_equal(report_parse_line(&p, line, n), -1);
	assert_int_equal(p.line, 2);
	assert_string_equal(p.error, "line is longer than 1048576 bytes");
	free(line);
	done(&a, &p);
}

static void test_schema_version(void **state)
{
	struct report_parser p;
	struct agg a;

	(void)state;
	assert_int_equal(
		parse(&a, &p,
		      "{\"schema_version\":1,\"event\":\"dns_query\"}\n"
		      "{\"event\":\"dns_query\"}\n"
		      "{\"schema_version\":2,\"event\":\"dns_query\","
		      "\"qname\":\"a.test\"}\n"
		      "{\"schema_version\":\"x\",\"event\":\"x\"}\n"),
		0);
	assert_int_equal(p.version_line, 3);
	assert_string_equal(p.version, "2");
	assert_int_equal(a.total, 4); /* still aggregated */
	assert_int_equal(agg_count(&a.dns_names, "a.test"), 1);
	assert_int_equal(agg_count(&a.schema_versions, "1"), 1);
	assert_int_equal(agg_count(&a.schema_versions, "2"), 1);
	assert_int_equal(agg_count(&a.schema_versions, "\"x\""), 1);
	assert_int_equal(agg_count(&a.schema_versions, AGG_NONE), 1);
	done(&a, &p);
}

/* Wrong types count as missing; unknown fields are ignored */
static void test_lenient_fields(void **state)
{
	struct report_parser p;
	const struct agg_entry *e;
	struct agg a;

	(void)state;
	assert_int_equal(
		parse(&a, &p,
		      "{\"event\":\"connect_attempt\",\"protocol\":6,"
		      "\"remote_ip\":\"203.0.113.1\",\"remote_port\":\"80\","
		      "\"via_proxy\":\"yes\",\"flow_id\":-5,\"extra\":[1]}\n"
		      "{\"event\":\"flow_end\",\"protocol\":\"udp\","
		      "\"remote_addr\":\"203.0.113.1:53\",\"bytes_sent\":1.5,"
		      "\"bytes_received\":-1,\"duration_ms\":null,"
		      "\"end\":7}\n"
		      "{\"event\":\"dns_answer\",\"qname\":\"a.test\","
		      "\"answer_ips\":[\"203.0.113.1\",5,null]}\n"
		      "{\"event\":\"dns_answer\",\"qname\":\"b.test\","
		      "\"answer_ips\":\"203.0.113.2\"}\n"
		      "{\"event\":7}\n"),
		0);
	assert_int_equal(a.total, 5);
	assert_int_equal(a.protocols.n_entries, 1);
	assert_int_equal(a.via_proxy + a.direct, 0);
	assert_non_null(agg_find(&a.targets, "203.0.113.1")); /* no port */
	assert_int_equal(a.bytes_sent, 0);
	assert_int_equal(a.bytes_received, 0);
	assert_int_equal(agg_count(&a.end_reasons, AGG_NONE), 1);
	e = agg_find(&a.dns_names, "a.test");
	assert_int_equal(((struct agg_dns_name *)e->data)->answer_ips.n_entries,
			 1);
	e = agg_find(&a.dns_names, "b.test");
	assert_int_equal(((struct agg_dns_name *)e->data)->answer_ips.n_entries,
			 0);
	assert_int_equal(agg_count(&a.events, AGG_NONE), 1);
	done(&a, &p);
}

static void test_render_text(void **state)
{
	struct report_source src = {.flow_log = "fixtures/full.jsonl",
				    .lines = 54};
	struct report_parser p;
	struct agg a;
	size_t len;
	char *text = slurp("fixtures/full.jsonl", &len), *out;

	(void)state;
	agg_init(&a, 0);
	report_parser_init(&p, &a);
	assert_int_equal(report_parse_buffer(&p, text, len), 0);
	out = render(&a, FORMAT_TEXT, &src);
	assert_non_null(strstr(out, "childflow report\n"));
	assert_non_null(
		strstr(out, "  flow log          fixtures/full.jsonl\n"));
	assert_non_null(strstr(out, "  events            53\n"));
	assert_non_null(strstr(out,
			       "\nEvents\n  EVENT                   COUNT\n"
			       "  connect_attempt            11\n"));
	assert_non_null(strstr(out, "  quic_initial (unknown)      1\n"));
	assert_non_null(strstr(out, "\nDenials by reason\n"));
	assert_non_null(strstr(out, "  deny_cidr              2\n"));
	assert_non_null(strstr(out, "\nConnect errors\n"));
	assert_non_null(strstr(out, "  proxy_refused      1\n"));
	assert_non_null(strstr(out, "\nRuntime failures by phase\n"));
	assert_non_null(strstr(out,
			       "  ping_socket_denied      2  ping_group_range "
			       "1 0 excludes gid 1000: echo requests are "
			       "refused\n"));
	assert_non_null(strstr(out, "  tracker.test                  2  "
				    "198.51.100.7:443\n"));
	assert_non_null(strstr(out, "  203.0.113.10:443        4   4       0"
				    "       0  3689   1061280  example.test, "
				    "www.example.test\n"));
	assert_non_null(strstr(out, "  (6 more)\n"));
	assert_non_null(strstr(out, "  example.test                  3"
				    "        3  2001:db8::10, 203.0.113.10\n"));
	assert_null(strstr(out, " \n")); /* no trailing blanks */
	free(out);
	free(text);
	done(&a, &p);
}

static void test_render_empty(void **state)
{
	struct agg a;
	char *out;

	(void)state;
	agg_init(&a, 0);
	out = render(&a, FORMAT_TEXT, NULL);
	assert_non_null(strstr(out, "\nConnect errors\n  none\n"));
	assert_null(strstr(out, "flow log"));
	free(out);
	out = render(&a, FORMAT_MARKDOWN, NULL);
	assert_string_equal(out, "## Highlights\n\n- **0** events\n"
				 "- No denials\n- No connect errors\n"
				 "- No runtime failures\n");
	free(out);
	agg_free(&a);
}

static void test_render_markdown(void **state)
{
	struct report_source src = {.flow_log = "fixtures/full.jsonl",
				    .lines = 54};
	struct report_parser p;
	struct agg a;
	size_t len;
	char *text = slurp("fixtures/full.jsonl", &len), *out;

	(void)state;
	agg_init(&a, 0);
	report_parser_init(&p, &a);
	assert_int_equal(report_parse_buffer(&p, text, len), 0);
	out = render(&a, FORMAT_MARKDOWN, &src);
	assert_memory_equal(out, "## Highlights\n\n", 15);
	assert_non_null(strstr(out, "- **53** events, 1 of unknown kind\n"));
	assert_non_null(
		strstr(out, "- **7 denials**, most for deny_cidr (2)\n"));
	assert_non_null(
		strstr(out, "- **5 connect errors**, most refused (2)\n"));
	assert_non_null(strstr(out, "- **2 runtime failures**, most "
				    "ping_socket_denied; phase run\n"));
	assert_non_null(strstr(out, "- Top target: 203.0.113.10:443 (4 flows; "
				    "example.test)\n"));
	assert_non_null(strstr(out, "- Proxy: 2 of 11 connect attempts via "
				    "the proxy\n"));
	assert_non_null(strstr(out, "- Traffic: 9 flows ended, 4.6 KiB sent, "
				    "1.0 MiB received\n"));
	assert_non_null(strstr(out,
			       "\n### Connect errors\n\n| error | count |\n"
			       "|---|---:|\n| refused | 2 |\n"));
	assert_non_null(strstr(out, "| quic_initial (unknown) | 1 |\n"));
	assert_non_null(strstr(out, "\n(6 more)\n"));
	/* highlights come first */
	assert_true(strstr(out, "## Highlights") < strstr(out, "### Events"));
	free(out);
	free(text);
	done(&a, &p);
}

/* Markdown cells escape what would break the table; text shows control
 * bytes as \xNN
 */
static void test_render_escapes(void **state)
{
	struct report_parser p;
	struct agg a;
	char *out;

	(void)state;
	assert_int_equal(
		parse(&a, &p,
		      "{\"event\":\"connect_result\",\"status\":\"error\","
		      "\"error\":\"a|b*c_\\u001b[31m<x>\","
		      "\"remote_addr\":\"203.0.113.1:1\"}\n"
		      "{\"event\":\"runtime_failure\",\"reason_code\":"
		      "\"snake_case_ok\",\"phase\":\"_x_\"}\n"),
		0);
	out = render(&a, FORMAT_MARKDOWN, NULL);
	assert_non_null(
		strstr(out, "| a\\|b\\*c\\_\\x1b\\[31m&lt;x&gt; | 1 |\n"));
	assert_non_null(strstr(out, "| snake_case_ok | 1 |  |\n"));
	assert_non_null(strstr(out, "| \\_x\\_ | 1 |\n"));
	free(out);
	out = render(&a, FORMAT_TEXT, NULL);
	assert_non_null(strstr(out, "  a|b*c_\\x1b[31m<x>      1\n"));
	assert_null(strchr(out, '\x1b'));
	free(out);
	done(&a, &p);
}

/* DNS over TCP to childflow's own resolver is neither proxied nor direct:
 * under --proxy-only it must not read as a connection around the proxy
 */
static void test_resolver_not_direct(void **state)
{
	struct report_parser p;
	struct json_object *j;
	struct agg a;
	char *out;

	(void)state;
	assert_int_equal(
		parse(&a, &p,
		      "{\"event\":\"connect_attempt\",\"remote_ip\":\"198.18.0.1\","
		      "\"remote_port\":80,\"via_proxy\":true}\n"
		      "{\"event\":\"connect_attempt\",\"remote_ip\":\"10.0.2.3\","
		      "\"remote_port\":53,\"via_proxy\":false}\n"
		      "{\"event\":\"connect_attempt\",\"remote_ip\":\"fd00::3\","
		      "\"remote_port\":53,\"via_proxy\":false}\n"
		      "{\"event\":\"connect_attempt\",\"remote_ip\":\"10.0.2.3\","
		      "\"remote_port\":80,\"via_proxy\":false}\n"
		      "{\"event\":\"connect_attempt\",\"remote_ip\":\"10.0.2.33\","
		      "\"remote_port\":53,\"via_proxy\":false}\n"),
		0);
	assert_int_equal(a.via_proxy, 1);
	assert_int_equal(a.resolver, 2);
	assert_int_equal(a.direct, 2); /* another port, another address */
	out = render(&a, FORMAT_JSON, NULL);
	j = json_tokener_parse(out);
	assert_non_null(j);
	assert_int_equal(jint(j, "proxy_usage.resolver"), 2);
	assert_int_equal(jint(j, "proxy_usage.direct"), 2);
	json_object_put(j);
	free(out);
	out = render(&a, FORMAT_TEXT, NULL);
	assert_non_null(strstr(out, "childflow's resolver (DNS over TCP)"));
	free(out);
	out = render(&a, FORMAT_MARKDOWN, NULL);
	assert_non_null(strstr(out, "- Proxy: 1 of 3 connect attempts via the "
				    "proxy (DNS over TCP to childflow's "
				    "resolver not counted)\n"));
	free(out);
	done(&a, &p);
}

static void test_render_json(void **state)
{
	struct report_source src = {.flow_log = "fixtures/full.jsonl",
				    .lines = 54};
	struct report_parser p;
	struct json_object *j, *t;
	struct agg a;
	size_t len;
	char *text = slurp("fixtures/full.jsonl", &len), *out;

	(void)state;
	agg_init(&a, 0);
	report_parser_init(&p, &a);
	assert_int_equal(report_parse_buffer(&p, text, len), 0);
	out = render(&a, FORMAT_JSON, &src);
	j = json_tokener_parse(out);
	assert_non_null(j);
	assert_string_equal(jstr(j, "flow_log"), "fixtures/full.jsonl");
	assert_int_equal(jint(j, "lines"), 54);
	assert_string_equal(jstr(j, "schema_versions.0.key"), "1");
	assert_int_equal(jint(j, "events.total"), 53);
	assert_int_equal(jint(j, "events.unknown"), 1);
	assert_int_equal(jint(j, "events.policy_violation"), 7);
	assert_string_equal(jstr(j, "events.by_name.0.key"), "connect_attempt");
	assert_int_equal(jint(j, "events.by_name.0.count"), 11);
	assert_string_equal(jstr(j, "events.by_name.7.key"), "quic_initial");
	assert_string_equal(jstr(j, "protocols.0.key"), "tcp");
	assert_int_equal(jint(j, "proxy_usage.via_proxy"), 2);
	assert_int_equal(jint(j, "proxy_usage.direct"), 9);
	assert_int_equal(jint(j, "denials.total"), 7);
	assert_string_equal(jstr(j, "denials.by_reason.0.key"), "deny_cidr");
	assert_string_equal(jstr(j, "denials.by_control.0.key"), "--deny-cidr");
	assert_string_equal(jstr(j, "denials.by_matched_domain.0.key"),
			    "tracker.test");
	assert_string_equal(
		jstr(j, "denials.by_matched_domain.0.targets.0.key"),
		"198.51.100.7:443");
	assert_string_equal(jstr(j, "denials.by_matched_cidr.0.key"),
			    "198.51.100.0/24");
	assert_int_equal(jint(j, "connects.attempts"), 11);
	assert_int_equal(jint(j, "connects.ok"), 6);
	assert_int_equal(jint(j, "connects.errors"), 5);
	assert_string_equal(jstr(j, "connects.by_error.0.key"), "refused");
	assert_int_equal(jint(j, "runtime_failures.total"), 2);
	assert_string_equal(jstr(j, "runtime_failures.by_phase.0.key"), "run");
	assert_string_equal(jstr(j, "runtime_failures.by_reason.0.detail"),
			    "ping_group_range 1 0 excludes gid 1000: echo "
			    "requests are refused");
	t = jget(j, "targets.0");
	assert_string_equal(jstr(t, "key"), "203.0.113.10:443");
	assert_int_equal(jint(t, "count"), 4);
	assert_string_equal(jstr(t, "ip"), "203.0.113.10");
	assert_int_equal(jint(t, "connect_ok"), 4);
	assert_int_equal(jint(t, "bytes_received"), 1061280);
	assert_string_equal(jstr(t, "dns_names.0.key"), "example.test");
	assert_string_equal(jstr(t, "host_names.0.key"), "example.test");
	assert_int_equal(json_object_array_length(jget(j, "targets")), 16);
	assert_string_equal(jstr(j, "dns.names.0.key"), "example.test");
	assert_int_equal(jint(j, "dns.names.0.count"), 3);
	assert_int_equal(
		json_object_array_length(jget(j, "dns.names.0.answer_ips")), 2);
	assert_string_equal(jstr(j, "dns.by_mode.0.key"), "relayed");
	assert_int_equal(jint(j, "traffic.flows_ended"), 9);
	assert_int_equal(jint(j, "traffic.bytes_sent"), 4732);
	assert_int_equal(jint(j, "traffic.duration_ms"), 186693);
	assert_int_equal(jint(j, "limits.max_keys"), AGG_MAX_KEYS);
	assert_int_equal(jint(j, "limits.dropped_keys"), 0);
	json_object_put(j);
	free(out);
	free(text);
	done(&a, &p);
}

/* run_main() - report_main() on @path with stdout thrown away */
static int run_main(const char *path, enum out_format fmt)
{
	struct config cfg;
	int fd, saved, ret;

	memset(&cfg, 0, sizeof(cfg));
	cfg.action = ACTION_REPORT;
	cfg.report_file = (char *)path;
	cfg.report_format = fmt;
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open("/dev/null", O_WRONLY);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	ret = report_main(&cfg);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	return ret;
}

static void test_main(void **state)
{
	(void)state;
	assert_int_equal(run_main("fixtures/full.jsonl", FORMAT_TEXT), 0);
	assert_int_equal(run_main("fixtures/full.jsonl", FORMAT_MARKDOWN), 0);
	assert_int_equal(run_main("fixtures/full.jsonl", FORMAT_JSON), 0);
	assert_int_equal(run_main("fixtures/no-such-file.jsonl", FORMAT_TEXT),
			 1);
	assert_int_equal(run_main("fixtures", FORMAT_TEXT), 1);
	assert_int_equal(run_main("fixtures/malformed.jsonl", FORMAT_JSON), 1);
	assert_int_equal(run_main("fixtures/version2.jsonl", FORMAT_JSON), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_full),
		cmocka_unit_test(test_fixture_legacy),
		cmocka_unit_test(test_blank_lines_and_crlf),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_schema_version),
		cmocka_unit_test(test_lenient_fields),
		cmocka_unit_test(test_render_text),
		cmocka_unit_test(test_render_empty),
		cmocka_unit_test(test_render_markdown),
		cmocka_unit_test(test_render_escapes),
		cmocka_unit_test(test_resolver_not_direct),
		cmocka_unit_test(test_render_json),
		cmocka_unit_test(test_main),
	};

	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
