/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_aggregate.c - the one aggregation behind --report and --summary
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "observe/aggregate.h"
#include "util.h"

/* ev_connect() - a TCP event of @kind towards @ip:@port */
static struct agg_event ev_connect(enum agg_kind kind, int64_t flow,
				   const char *addr, const char *ip, int port)
{
	struct agg_event ev;

	agg_event_init(&ev);
	ev.kind = kind;
	ev.flow_id = flow;
	ev.protocol = "tcp";
	ev.remote_addr = addr;
	ev.remote_ip = ip;
	ev.remote_port = port;
	ev.via_proxy = 0;
	return ev;
}

/* target() - the record of @key in a->targets (must exist) */
static const struct agg_target *target(const struct agg *a, const char *key,
				       uint64_t *flows)
{
	const struct agg_entry *e = agg_find(&a->targets, key);

	assert_non_null(e);
	if (flows)
		*flows = e->count;
	return e->data;
}

static void test_kind_names(void **state)
{
	int k;

	(void)state;
	for (k = 0; k < AGG_UNKNOWN; k++)
		assert_int_equal(agg_kind_from_name(agg_kind_name(k)), k);
	assert_int_equal(agg_kind_from_name("unknown"), AGG_UNKNOWN);
	assert_int_equal(agg_kind_from_name("quic_initial"), AGG_UNKNOWN);
	assert_int_equal(agg_kind_from_name(NULL), AGG_UNKNOWN);
	assert_int_equal(agg_kind_from_name("DNS_QUERY"), AGG_UNKNOWN);
	assert_string_equal(agg_kind_name(AGG_FLOW_END), "flow_end");
	assert_string_equal(agg_kind_name((enum agg_kind)99), "unknown");
}

static void test_event_init(void **state)
{
	struct agg_event ev;

	(void)state;
	memset(&ev, 0x5a, sizeof(ev));
	agg_event_init(&ev);
	assert_int_equal(ev.kind, AGG_UNKNOWN);
	assert_int_equal(ev.flow_id, -1);
	assert_int_equal(ev.remote_port, -1);
	assert_int_equal(ev.via_proxy, -1);
	assert_int_equal(ev.bytes_sent, -1);
	assert_int_equal(ev.bytes_received, -1);
	assert_int_equal(ev.duration_ms, -1);
	assert_null(ev.name);
	assert_null(ev.answer_ips);
	assert_int_equal(ev.n_answer_ips, 0);
}

static void test_event_counts(void **state)
{
	struct agg_event ev;
	struct agg a;

	(void)state;
	agg_init(&a, 0);
	agg_event_init(&ev);
	ev.kind = AGG_DNS_QUERY;
	ev.protocol = "udp";
	ev.schema_version = "1";
	agg_add(&a, &ev);
	agg_add(&a, &ev);

	/* unknown: under its name and as unknown; fields not counted */
	agg_event_init(&ev);
	ev.name = "quic_initial";
	ev.protocol = "udp";
	ev.schema_version = "2";
	agg_add(&a, &ev);
	agg_event_init(&ev);
	agg_add(&a, &ev); /* no name at all */

	assert_int_equal(a.total, 4);
	assert_int_equal(a.kinds[AGG_DNS_QUERY], 2);
	assert_int_equal(a.kinds[AGG_UNKNOWN], 2);
	assert_int_equal(agg_count(&a.events, "dns_query"), 2);
	assert_int_equal(agg_count(&a.events, "quic_initial"), 1);
	assert_int_equal(agg_count(&a.events, AGG_NONE), 1);
	assert_int_equal(agg_count(&a.protocols, "udp"), 2);
	assert_int_equal(agg_count(&a.schema_versions, "1"), 2);
	assert_int_equal(agg_count(&a.schema_versions, "2"), 1);
	assert_int_equal(agg_count(&a.schema_versions, AGG_NONE), 1);
	/* a bogus kind counts as unknown, never out of bounds */
	agg_event_init(&ev);
	ev.kind = (enum agg_kind)1234;
	ev.name = "weird";
	agg_add(&a, &ev);
	assert_int_equal(a.kinds[AGG_UNKNOWN], 3);
	agg_free(&a);
}

static void test_proxy_and_errors(void **state)
{
	struct agg_event ev;
	struct agg a;

	(void)state;
	agg_init(&a, 0);
	ev = ev_connect(AGG_CONNECT_ATTEMPT, 1, "203.0.113.10:443",
			"203.0.113.10", 443);
	agg_add(&a, &ev);
	ev.via_proxy = 1;
	ev.flow_id = 2;
	agg_add(&a, &ev);
	ev.via_proxy = -1; /* unknown: neither */
	ev.flow_id = 3;
	agg_add(&a, &ev);
	assert_int_equal(a.via_proxy, 1);
	assert_int_equal(a.direct, 1);

	ev.kind = AGG_CONNECT_RESULT;
	ev.status = "error";
	ev.error = "refused";
	agg_add(&a, &ev);
	agg_add(&a, &ev);
	ev.error = "proxy_refused";
	agg_add(&a, &ev);
	ev.error = NULL;
	agg_add(&a, &ev);
	ev.status = "ok";
	agg_add(&a, &ev);
	ev.status = "pending"; /* neither ok nor error: not counted */
	agg_add(&a, &ev);

	assert_int_equal(a.connect_errors, 4);
	assert_int_equal(a.connect_ok, 1);
	assert_int_equal(agg_count(&a.errors, "refused"), 2);
	assert_int_equal(agg_count(&a.errors, "proxy_refused"), 1);
	assert_int_equal(agg_count(&a.errors, AGG_NONE), 1);
	assert_int_equal(target(&a, "203.0.113.10:443", NULL)->connect_errors,
			 4);
	assert_int_equal(target(&a, "203.0.113.10:443", NULL)->connect_ok, 1);
	agg_free(&a);
}

static void test_denials(void **state)
{
	struct agg_event ev;
	const struct agg_entry *e;
	const struct agg_target *t;
	struct agg a;

	(void)state;
	agg_init(&a, 0);
	ev = ev_connect(AGG_POLICY_VIOLATION, 8, "198.51.100.7:443",
			"198.51.100.7", 443);
	ev.reason_code = "deny_domain";
	ev.control = "--deny-domain";
	ev.matched_domain = "tracker.test";
	agg_add(&a, &ev);
	ev.flow_id = 9;
	agg_add(&a, &ev);
	ev.remote_addr = "198.51.100.8:80";
	ev.remote_ip = "198.51.100.8";
	ev.flow_id = 10;
	agg_add(&a, &ev);

	ev = ev_connect(AGG_POLICY_VIOLATION, 11, "198.51.100.20:22",
			"198.51.100.20", 22);
	ev.reason_code = "deny_cidr";
	ev.control = "--deny-cidr";
	ev.matched_cidr = "198.51.100.0/24";
	agg_add(&a, &ev);
	ev.reason_code = NULL;
	ev.control = NULL;
	ev.matched_cidr = NULL;
	ev.flow_id = 12;
	agg_add(&a, &ev);

	assert_int_equal(a.kinds[AGG_POLICY_VIOLATION], 5);
	assert_int_equal(agg_count(&a.deny_reasons, "deny_domain"), 3);
	assert_int_equal(agg_count(&a.deny_reasons, "deny_cidr"), 1);
	assert_int_equal(agg_count(&a.deny_reasons, AGG_NONE), 1);
	assert_int_equal(agg_count(&a.deny_controls, "--deny-domain"), 3);
	assert_int_equal(agg_count(&a.deny_cidrs, "198.51.100.0/24"), 1);
	assert_int_equal(a.deny_cidrs.n_entries, 1);

	/* matched domain -> targets, and back */
	e = agg_find(&a.deny_domains, "tracker.test");
	assert_non_null(e);
	assert_int_equal(e->count, 3);
	assert_int_equal(agg_count(e->data, "198.51.100.7:443"), 2);
	assert_int_equal(agg_count(e->data, "198.51.100.8:80"), 1);
	t = target(&a, "198.51.100.7:443", NULL);
	assert_int_equal(t->denied, 2);
	assert_int_equal(agg_count(&t->matched_domains, "tracker.test"), 2);
	agg_free(&a);
}

static void test_runtime_failures(void **state)
{
	struct agg_event ev;
	struct agg a;

	(void)state;
	agg_init(&a, 0);
	agg_event_init(&ev);
	ev.kind = AGG_RUNTIME_FAILURE;
	ev.phase = "preflight";
	ev.reason_code = "resolver_unreachable";
	agg_add(&a, &ev); /* no detail */
	ev.phase = "run";
	ev.reason_code = "ping_socket_denied";
	ev.detail = "ping_group_range excludes gid 1000";
	agg_add(&a, &ev);
	ev.detail = "a later detail";
	agg_add(&a, &ev);
	ev.phase = NULL;
	ev.reason_code = NULL;
	agg_add(&a, &ev);
	assert_int_equal(a.kinds[AGG_RUNTIME_FAILURE], 4);
	assert_int_equal(agg_count(&a.failure_reasons, "ping_socket_denied"),
			 2);
	assert_int_equal(agg_count(&a.failure_reasons, "resolver_unreachable"),
			 1);
	assert_int_equal(agg_count(&a.failure_phases, "run"), 2);
	assert_int_equal(agg_count(&a.failure_phases, "preflight"), 1);
	assert_int_equal(agg_count(&a.failure_phases, AGG_NONE), 1);
	/* the first detail of each reason is kept */
	assert_string_equal(
		agg_find(&a.failure_reasons, "ping_socket_denied")->data,
		"ping_group_range excludes gid 1000");
	assert_null(agg_find(&a.failure_reasons, "resolver_unreachable")->data);
	agg_free(&a);
}

/* A flow counts once per target, joined by flow_id */
static void test_flows_joined(void **state)
{
	struct agg_event ev;
	const struct agg_target *t;
	uint64_t flows;
	struct agg a;

	(void)state;
	agg_init(&a, 0);
	ev = ev_connect(AGG_CONNECT_ATTEMPT, 3, "203.0.113.10:443",
			"203.0.113.10", 443);
	agg_add(&a, &ev);
	ev.kind = AGG_CONNECT_RESULT;
	ev.status = "ok";
	ev.sni = "example.test";
	agg_add(&a, &ev);
	ev.kind = AGG_FLOW_END;
	ev.sni = NULL;
	ev.bytes_sent = 517;
	ev.bytes_received = 4312;
	ev.duration_ms = 85;
	ev.end = "close";
	agg_add(&a, &ev);
	t = target(&a, "203.0.113.10:443", &flows);
	assert_int_equal(flows, 1);
	assert_int_equal(t->connect_attempts, 1);
	assert_int_equal(t->ended, 1);
	assert_int_equal(t->bytes_sent, 517);
	assert_int_equal(t->bytes_received, 4312);
	assert_int_equal(agg_count(&t->host_names, "example.test"), 1);
	assert_int_equal(a.open_flows.n_entries, 0);

	/* the same id after its end is a new flow */
	ev = ev_connect(AGG_CONNECT_ATTEMPT, 3, "203.0.113.10:443",
			"203.0.113.10", 443);
	agg_add(&a, &ev);
	/* a denial of a flow already counted is not a second flow */
	ev.kind = AGG_POLICY_VIOLATION;
	agg_add(&a, &ev);
	target(&a, "203.0.113.10:443", &flows);
	assert_int_equal(flows, 2);

	/* UDP flow seen only at its end */
	ev = ev_connect(AGG_FLOW_END, 23, "203.0.113.10:7", "203.0.113.10", 7);
	ev.protocol = "udp";
	ev.bytes_sent = 64;
	ev.bytes_received = 64;
	ev.end = "timeout";
	agg_add(&a, &ev);
	target(&a, "203.0.113.10:7", &flows);
	assert_int_equal(flows, 1);

	assert_int_equal(a.bytes_sent, 517 + 64);
	assert_int_equal(a.bytes_received, 4312 + 64);
	assert_int_equal(a.duration_ms, 85);
	assert_int_equal(agg_count(&a.end_reasons, "close"), 1);
	assert_int_equal(agg_count(&a.end_reasons, "timeout"), 1);
	agg_free(&a);
}

/* Logs of the earlier tool carry no flow_id */
static void test_flows_without_ids(void **state)
{
	struct agg_event ev;
	uint64_t flows;
	struct agg a;

	(void)state;
	agg_init(&a, 0);
	ev = ev_connect(AGG_CONNECT_ATTEMPT, -1, "203.0.113.10:443",
			"203.0.113.10", 443);
	agg_add(&a, &ev);
	agg_add(&a, &ev);
	ev.kind = AGG_FLOW_END; /* TCP: began with an attempt */
	agg_add(&a, &ev);
	target(&a, "203.0.113.10:443", &flows);
	assert_int_equal(flows, 2);
	ev.protocol = "udp"; /* UDP: its end is all we see */
	agg_add(&a, &ev);
	target(&a, "203.0.113.10:443", &flows);
	assert_int_equal(flows, 3);
	assert_int_equal(a.open_flows.n_entries, 0);
	agg_free(&a);
}

/* The target key comes from remote_addr, else remote_ip and port */
static void test_target_keys(void **state)
{
	struct agg_event ev;
	const struct agg_target *t;
	struct agg a;

	(void)state;
	agg_init(&a, 0);
	ev = ev_connect(AGG_CONNECT_ATTEMPT, -1, NULL, "2001:db8::10", 443);
	agg_add(&a, &ev);
	ev = ev_connect(AGG_CONNECT_ATTEMPT, -1, NULL, "203.0.113.5", 80);
	agg_add(&a, &ev);
	ev = ev_connect(AGG_FLOW_END, -1, NULL, "203.0.113.6", -1);
	ev.protocol = "icmpv4";
	agg_add(&a, &ev);
	ev = ev_connect(AGG_CONNECT_ATTEMPT, -1, "[2001:db8::11]:8443", NULL,
			-1);
	agg_add(&a, &ev);
	ev = ev_connect(AGG_CONNECT_ATTEMPT, -1, "203.0.113.7:22", NULL, -1);
	agg_add(&a, &ev);
	ev = ev_connect(AGG_CONNECT_ATTEMPT, -1, NULL, NULL, 22);
	agg_add(&a, &ev); /* no remote at all: no target */

	assert_int_equal(a.targets.n_entries, 5);
	assert_string_equal(target(&a, "[2001:db8::10]:443", NULL)->ip,
			    "2001:db8::10");
	assert_string_equal(target(&a, "203.0.113.5:80", NULL)->ip,
			    "203.0.113.5");
	assert_string_equal(target(&a, "203.0.113.6", NULL)->ip, "203.0.113.6");
	t = target(&a, "[2001:db8::11]:8443", NULL);
	assert_string_equal(t->ip, "2001:db8::11");
	assert_string_equal(target(&a, "203.0.113.7:22", NULL)->ip,
			    "203.0.113.7");
	assert_int_equal(a.kinds[AGG_CONNECT_ATTEMPT], 5);
	agg_free(&a);
}

/* DNS names of a target: from answer_ips, whichever came first */
static void test_dns_correlation(void **state)
{
	const char *ips1[] = {"203.0.113.10", "2001:db8::10"};
	const char *ips2[] = {"203.0.113.10", NULL};
	const struct agg_table *names;
	const struct agg_entry *e, *te;
	struct agg_event ev, c;
	struct agg a;

	(void)state;
	agg_init(&a, 0);
	c = ev_connect(AGG_CONNECT_ATTEMPT, 1, "203.0.113.10:443",
		       "203.0.113.10", 443);
	agg_add(&a, &c); /* before any answer */

	agg_event_init(&ev);
	ev.kind = AGG_DNS_QUERY;
	ev.qname = "example.test";
	ev.qtype = "A";
	agg_add(&a, &ev);
	agg_add(&a, &ev);
	ev.kind = AGG_DNS_ANSWER;
	ev.mode = "relayed";
	ev.answer_ips = ips1;
	ev.n_answer_ips = 2;
	agg_add(&a, &ev);
	ev.qname = "www.example.test";
	ev.answer_ips = ips2;
	agg_add(&a, &ev); /* answer without query; NULL ip skipped */
	ev.qname = NULL;
	ev.mode = "synthetic_refused";
	agg_add(&a, &ev);

	e = agg_find(&a.dns_names, "example.test");
	assert_non_null(e);
	assert_int_equal(e->count, 2);
	assert_int_equal(e->sub, 1);
	assert_int_equal(
		agg_count(&((struct agg_dns_name *)e->data)->answer_ips,
			  "2001:db8::10"),
		1);
	e = agg_find(&a.dns_names, "www.example.test");
	assert_int_equal(e->count, 0);
	assert_int_equal(e->sub, 1);
	assert_int_equal(agg_count(&a.dns_qtypes, "A"), 2);
	assert_int_equal(agg_count(&a.dns_modes, "relayed"), 2);
	assert_int_equal(agg_count(&a.dns_modes, "synthetic_refused"), 1);

	te = agg_find(&a.targets, "203.0.113.10:443");
	names = agg_target_names(&a, te);
	assert_non_null(names);
	assert_int_equal(names->n_entries, 2);
	assert_int_equal(agg_count(names, "example.test"), 1);
	assert_int_equal(agg_count(names, "www.example.test"), 1);
	assert_null(agg_target_names(&a, NULL));

	/* ranked: queries, then answers */
	{
		struct agg_entry **v;
		size_t n = agg_rank(&a.dns_names, &v);

		assert_int_equal(n, 2);
		assert_string_equal(v[0]->key, "example.test");
		free(v);
	}
	agg_free(&a);
}

static void test_rank_order(void **state)
{
	static const char *const keys[] = {"b", "a", "c", "a", "c", "c", "d"};
	struct agg_entry **v;
	struct agg_event ev;
	struct agg a;
	size_t i, n;

	(void)state;
	agg_init(&a, 0);
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		agg_event_init(&ev);
		ev.name = keys[i];
		agg_add(&a, &ev);
	}
	n = agg_rank(&a.events, &v);
	assert_int_equal(n, 4);
	assert_string_equal(v[0]->key, "c");
	assert_string_equal(v[1]->key, "a");
	assert_string_equal(v[2]->key, "b"); /* ties by name */
	assert_string_equal(v[3]->key, "d");
	free(v);
	n = agg_rank(&a.protocols, &v);
	assert_int_equal(n, 0);
	assert_null(v);
	agg_free(&a);
}

/* Bounded memory: keys beyond the budget are counted, not stored */
static void test_budget(void **state)
{
	struct agg_event ev;
	char name[32];
	struct agg a;
	int i;

	(void)state;
	agg_init(&a, 10);
	assert_int_equal(a.max_keys, 10);
	for (i = 0; i < 25; i++) {
		agg_event_init(&ev);
		snprintf(name, sizeof(name), "event_%d", i);
		ev.name = name;
		agg_add(&a, &ev);
	}
	assert_int_equal(a.total, 25);
	assert_int_equal(a.kinds[AGG_UNKNOWN], 25);
	/* one key went to schema_versions (AGG_NONE) */
	assert_int_equal(a.schema_versions.n_entries, 1);
	assert_int_equal(a.events.n_entries, 9);
	assert_int_equal(a.n_keys, 10);
	assert_int_equal(a.overflow, 16);
	/* known keys keep counting */
	agg_event_init(&ev);
	ev.name = "event_3";
	agg_add(&a, &ev);
	assert_int_equal(agg_count(&a.events, "event_3"), 2);
	assert_int_equal(a.overflow, 16);
	agg_free(&a);

	agg_init(&a, 0);
	assert_int_equal(a.max_keys, AGG_MAX_KEYS);
	agg_free(&a);
}

/* Open flow ids have their own cap, outside the budget */
static void test_open_flows_cap(void **state)
{
	struct agg_event ev;
	struct agg a;
	int i;

	(void)state;
	agg_init(&a, 4);
	for (i = 0; i < 6; i++) {
		ev = ev_connect(AGG_CONNECT_ATTEMPT, i, "203.0.113.1:1",
				"203.0.113.1", 1);
		agg_add(&a, &ev);
	}
	assert_int_equal(a.open_flows.n_entries, 4);
	assert_int_equal(a.open_flows_overflow, 2);
	assert_int_equal(a.overflow, 0);
	assert_int_equal(agg_find(&a.targets, "203.0.113.1:1")->count, 6);
	agg_free(&a);
}

/* Long keys are cut at AGG_KEY_MAX, never inside a UTF-8 character */
static void test_long_keys(void **state)
{
	char key[400], *p;
	const struct agg_entry *e;
	struct agg_entry **v;
	struct agg_event ev;
	struct agg a;

	(void)state;
	agg_init(&a, 0);
	memset(key, 'a', sizeof(key));
	/* "é" (2 bytes) straddling byte AGG_KEY_MAX */
	key[AGG_KEY_MAX - 1] = (char)0xc3;
	key[AGG_KEY_MAX] = (char)0xa9;
	key[sizeof(key) - 1] = '\0';
	agg_event_init(&ev);
	ev.name = key;
	agg_add(&a, &ev);
	key[300] = 'b'; /* differs past the cut: the same key */
	agg_add(&a, &ev);
	assert_int_equal(agg_rank(&a.events, &v), 1);
	e = v[0];
	free(v);
	assert_int_equal(strlen(e->key), AGG_KEY_MAX - 1);
	assert_int_equal(e->count, 2);
	p = strchr(e->key, (char)0xc3);
	assert_null(p);
	assert_non_null(agg_find(&a.events, key));
	agg_free(&a);
}

/* Many keys: growth keeps every one findable */
static void test_many_keys(void **state)
{
	struct agg_event ev;
	char name[32];
	struct agg a;
	int i;

	(void)state;
	agg_init(&a, 0);
	for (i = 0; i < 5000; i++) {
		agg_event_init(&ev);
		ev.kind = AGG_DNS_QUERY;
		snprintf(name, sizeof(name), "host%d.example.test", i);
		ev.qname = name;
		agg_add(&a, &ev);
		if (i % 3 == 0)
			agg_add(&a, &ev);
	}
	assert_int_equal(a.dns_names.n_entries, 5000);
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "host%d.example.test", i);
		assert_int_equal(agg_count(&a.dns_names, name),
				 i % 3 == 0 ? 2 : 1);
	}
	assert_null(agg_find(&a.dns_names, "host5000.example.test"));
	assert_null(agg_find(NULL, "x"));
	assert_null(agg_find(&a.dns_names, NULL));
	agg_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_event_init),
		cmocka_unit_test(test_event_counts),
		cmocka_unit_test(test_proxy_and_errors),
		cmocka_unit_test(test_denials),
		cmocka_unit_test(test_runtime_failures),
		cmocka_unit_test(test_flows_joined),
		cmocka_unit_test(test_flows_without_ids),
		cmocka_unit_test(test_target_keys),
		cmocka_unit_test(test_dns_correlation),
		cmocka_unit_test(test_rank_order),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_open_flows_cap),
		cmocka_unit_test(test_long_keys),
		cmocka_unit_test(test_many_keys),
	};

	return cmocka_run_group_tests_name("aggregate", tests, NULL, NULL);
}
