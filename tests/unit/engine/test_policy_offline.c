/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_policy_offline.c - the policy decision point as the engine uses it
 * (src/policy/policy.c): for now, --offline
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "policy/policy.h"

static struct policy_flow flow(enum policy_proto proto, const char *ip,
			       uint16_t port)
{
	struct policy_flow f = {.proto = proto, .dst_port = port};

	f.dst.family = strchr(ip, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(f.dst.family, ip, &f.dst.v4), 1);
	return f;
}

static void test_default_allows(void **state)
{
	struct config cfg = {0};
	struct policy_decision d;
	struct policy_flow f = flow(POLICY_PROTO_TCP, "203.0.113.10", 80);

	(void)state;
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_ALLOW);
	assert_int_equal(d.reason, POLICY_REASON_NONE);
	f = flow(POLICY_PROTO_DNS, "10.0.2.3", 53);
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_ALLOW);
	f = flow(POLICY_PROTO_ICMP, "2001:db8::10", 0);
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_ALLOW);
}

static void test_offline_denies_everything(void **state)
{
	struct config cfg = {.offline = true};
	static const enum policy_proto protos[] = {
		POLICY_PROTO_TCP,
		POLICY_PROTO_UDP,
		POLICY_PROTO_ICMP,
		POLICY_PROTO_DNS,
	};
	struct policy_decision d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		struct policy_flow f = flow(protos[i], "203.0.113.10", 443);

		assert_int_equal(policy_decide(&cfg, &f, &d),
				 POLICY_VERDICT_DENY);
		assert_int_equal(d.verdict, POLICY_VERDICT_DENY);
		assert_int_equal(d.reason, POLICY_REASON_OFFLINE);
		assert_null(d.matched_cidr);
		assert_null(d.matched_domain);
	}
}

static void test_reason_names(void **state)
{
	(void)state;
	assert_string_equal(policy_reason_code(POLICY_REASON_OFFLINE),
			    "offline");
	assert_string_equal(policy_reason_control(POLICY_REASON_OFFLINE),
			    "--offline");
	assert_string_equal(policy_reason_code(POLICY_REASON_DENY_CIDR),
			    "deny_cidr");
	assert_string_equal(policy_reason_control(POLICY_REASON_DEFAULT_DENY),
			    "--default-policy");
	assert_string_equal(policy_reason_code(POLICY_REASON_NONE), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_allows),
		cmocka_unit_test(test_offline_denies_everything),
		cmocka_unit_test(test_reason_names),
	};

	return cmocka_run_group_tests_name("policy_offline", tests, NULL, NULL);
}
