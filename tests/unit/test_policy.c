/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_policy.c - the policy decision point: the order of DESIGN.md
 * "Policy", every built-in address list at its edges, IPv4-mapped and
 * other IPv4-carrying IPv6 forms, CIDR and domain rules, the name-level
 * DNS decision and the flow log's reason text
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "policy/policy.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* addr() - @s as struct ipaddr (an IPv4-mapped literal stays IPv6) */
static struct ipaddr addr(const char *s)
{
	struct ipaddr a;
	char err[256] = "";

	if (ip_parse(s, &a, err, sizeof(err)))
		fail_msg("ip_parse(\"%s\"): %s", s, err);
	return a;
}

/* rule() - @s as struct cidr */
static struct cidr rule(const char *s)
{
	struct cidr c;
	char err[256] = "";

	if (cidr_parse(s, &c, err, sizeof(err)))
		fail_msg("cidr_parse(\"%s\"): %s", s, err);
	return c;
}

/* flow() - a new flow of @proto to @ip, port 443 (ICMP: 0), no names */
static struct policy_flow flow(enum policy_proto proto, const char *ip)
{
	struct policy_flow f = {.proto = proto};

	f.dst = addr(ip);
	f.dst_port = proto == POLICY_PROTO_ICMP ? 0 : 443;
	return f;
}

/* named() - a TCP flow to @ip that the name map ties to @names */
static struct policy_flow named(const char *ip, const char *const *names,
				size_t n)
{
	struct policy_flow f = flow(POLICY_PROTO_TCP, ip);

	f.names = names;
	f.n_names = n;
	return f;
}

/* check_flow() - @f under @cfg gets @v for @r; on failure say which
 * address (@what) went wrong
 */
static void check_flow(const struct config *cfg, const struct policy_flow *f,
		       enum policy_verdict v, enum policy_reason r,
		       const char *what)
{
	struct policy_decision d;
	enum policy_verdict got = policy_decide(cfg, f, &d);

	if (got != v || d.verdict != v || d.reason != r)
		fail_msg("%s: got %s/%s, want %s/%s", what,
			 got == POLICY_VERDICT_DENY ? "deny" : "allow",
			 policy_reason_code(d.reason),
			 v == POLICY_VERDICT_DENY ? "deny" : "allow",
			 policy_reason_code(r));
	if (v == POLICY_VERDICT_DENY)
		assert_int_equal(d.allowed_by, POLICY_ALLOWED_BY_NOTHING);
	else
		assert_int_not_equal(d.allowed_by, POLICY_ALLOWED_BY_NOTHING);
}

/* deny() / allow() - a TCP flow to @ip gets that verdict (and reason) */
static void deny(const struct config *cfg, const char *ip, enum policy_reason r)
{
	struct policy_flow f = flow(POLICY_PROTO_TCP, ip);

	check_flow(cfg, &f, POLICY_VERDICT_DENY, r, ip);
}

static void allow(const struct config *cfg, const char *ip)
{
	struct policy_flow f = flow(POLICY_PROTO_TCP, ip);

	check_flow(cfg, &f, POLICY_VERDICT_ALLOW, POLICY_REASON_NONE, ip);
}

/* text() - policy_reason_text() of @d, in a static buffer */
static const char *text(const struct policy_decision *d)
{
	static char buf[POLICY_REASON_TEXT_MAX];

	return policy_reason_text(d, buf, sizeof(buf));
}

static void test_nothing_set_allows_all(void **state)
{
	struct config cfg = {0};
	struct policy_decision d;
	struct policy_flow f = flow(POLICY_PROTO_UDP, "10.0.0.1");

	(void)state;
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_ALLOW);
	assert_int_equal(d.reason, POLICY_REASON_NONE);
	assert_int_equal(d.allowed_by, POLICY_ALLOWED_BY_DEFAULT);
	assert_null(d.matched_cidr);
	assert_null(d.matched_domain);
	assert_null(d.allowed_cidr);
	assert_null(d.allowed_domain);
	assert_string_equal(text(&d), "allowed by `--default-policy allow`");
	allow(&cfg, "169.254.169.254");
	allow(&cfg, "::1");
	f = flow(POLICY_PROTO_ICMP, "2001:db8::10");
	check_flow(&cfg, &f, POLICY_VERDICT_ALLOW, POLICY_REASON_NONE, "icmp");
}

/* Everything set at once, each matching the same flow: removing the
 * control that decided hands the decision to the next one in the order
 */
static void test_each_step_beats_the_later_ones(void **state)
{
	static const char *const names[] = {"meta.example.com"};
	struct cidr deny_cidrs[] = {rule("169.254.0.0/16")};
	struct cidr allow_cidrs[] = {rule("0.0.0.0/0")};
	char *deny_domains[] = {"example.com"};
	char *deny_exact[] = {"meta.example.com"};
	char *allow_domains[] = {"example.com"};
	struct config cfg = {
		.offline = true,
		.proxy_only = true,
		.has_proxy = true,
		.block_metadata = true,
		.block_private = true,
		.deny_cidrs = deny_cidrs,
		.n_deny_cidrs = 1,
		.deny_domains = deny_domains,
		.n_deny_domains = 1,
		.deny_domains_exact = deny_exact,
		.n_deny_domains_exact = 1,
		.allow_cidrs = allow_cidrs,
		.n_allow_cidrs = 1,
		.allow_domains = allow_domains,
		.n_allow_domains = 1,
		.default_policy = POLICY_DENY,
	};
	struct policy_flow f = named("169.254.169.254", names, 1);
	struct policy_decision d;

	(void)state;
	f.proto = POLICY_PROTO_UDP;
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_OFFLINE, "1");
	cfg.offline = false;
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_PROXY_ONLY,
		   "2");
	f.proto = POLICY_PROTO_TCP;
	f.via_proxy = true;
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_METADATA, "3");
	cfg.block_metadata = false;
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_PRIVATE, "4");
	cfg.block_private = false;
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_DENY);
	assert_int_equal(d.reason, POLICY_REASON_DENY_CIDR);
	assert_ptr_equal(d.matched_cidr, &deny_cidrs[0]);
	assert_null(d.matched_domain);
	cfg.n_deny_cidrs = 0;
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_DENY);
	assert_int_equal(d.reason, POLICY_REASON_DENY_DOMAIN);
	assert_ptr_equal(d.matched_domain, deny_domains[0]);
	assert_null(d.matched_cidr);
	cfg.n_deny_domains = 0;
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_DENY);
	assert_int_equal(d.reason, POLICY_REASON_DENY_DOMAIN_EXACT);
	assert_ptr_equal(d.matched_domain, deny_exact[0]);
	cfg.n_deny_domains_exact = 0;
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_ALLOW);
	assert_int_equal(d.allowed_by, POLICY_ALLOWED_BY_CIDR);
	assert_ptr_equal(d.allowed_cidr, &allow_cidrs[0]);
	cfg.n_allow_cidrs = 0;
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_ALLOW);
	assert_int_equal(d.allowed_by, POLICY_ALLOWED_BY_DOMAIN);
	assert_ptr_equal(d.allowed_domain, allow_domains[0]);
	cfg.n_allow_domains = 0;
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_DEFAULT_DENY,
		   "9");
	cfg.default_policy = POLICY_ALLOW;
	check_flow(&cfg, &f, POLICY_VERDICT_ALLOW, POLICY_REASON_NONE, "9a");
}

static void test_offline_denies_everything(void **state)
{
	static const enum policy_proto protos[] = {
		POLICY_PROTO_TCP,
		POLICY_PROTO_UDP,
		POLICY_PROTO_ICMP,
		POLICY_PROTO_DNS,
	};
	struct cidr allow_all[] = {rule("0.0.0.0/0"), rule("::/0")};
	struct config cfg = {
		.offline = true, .allow_cidrs = allow_all, .n_allow_cidrs = 2};
	struct policy_decision d;
	size_t i;

	(void)state;
	for (i = 0; i < N_OF(protos); i++) {
		struct policy_flow f = flow(protos[i], "203.0.113.10");

		f.via_proxy = true;
		assert_int_equal(policy_decide(&cfg, &f, &d),
				 POLICY_VERDICT_DENY);
		assert_int_equal(d.reason, POLICY_REASON_OFFLINE);
		assert_null(d.matched_cidr);
		assert_null(d.matched_domain);
		assert_string_equal(text(&d), "blocked by `--offline`");
	}
	/* the engine's own address too */
	{
		struct policy_flow f = flow(POLICY_PROTO_DNS, "fd00::3");

		check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_OFFLINE,
			   "fd00::3");
	}
}

/* A query to the engine's resolver (10.0.2.3, fd00::3) passes every step
 * after --offline: it is private, and it does not go through a proxy
 */
static void test_engine_dns_passes_after_offline(void **state)
{
	struct cidr deny_all[] = {rule("0.0.0.0/0"), rule("::/0")};
	struct config cfg = {.proxy_only = true,
			     .has_proxy = true,
			     .proxy_dns = true,
			     .block_private = true,
			     .block_metadata = true,
			     .deny_cidrs = deny_all,
			     .n_deny_cidrs = 2,
			     .default_policy = POLICY_DENY};
	struct policy_flow f = flow(POLICY_PROTO_DNS, "10.0.2.3");
	struct policy_decision d;

	(void)state;
	f.dst_port = 53;
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_ALLOW);
	assert_int_equal(d.allowed_by, POLICY_ALLOWED_BY_ENGINE_DNS);
	assert_string_equal(text(&d), "allowed: the engine's own DNS resolver");
	f = flow(POLICY_PROTO_DNS, "fd00::3");
	check_flow(&cfg, &f, POLICY_VERDICT_ALLOW, POLICY_REASON_NONE,
		   "fd00::3");
	/* without --proxy-dns the engine's DNS cannot go through the proxy */
	cfg.proxy_dns = false;
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_PROXY_ONLY,
		   "fd00::3");
	cfg.proxy_dns = true;
	/* DNS sent as plain UDP to an outside resolver is an ordinary flow */
	f = flow(POLICY_PROTO_UDP, "8.8.8.8");
	f.dst_port = 53;
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_PROXY_ONLY,
		   "udp 8.8.8.8:53");
}

static void test_proxy_only(void **state)
{
	struct cidr allow_all[] = {rule("0.0.0.0/0"), rule("::/0")};
	struct config cfg = {.proxy_only = true,
			     .has_proxy = true,
			     .block_metadata = true,
			     .allow_cidrs = allow_all,
			     .n_allow_cidrs = 2};
	struct policy_flow f = flow(POLICY_PROTO_TCP, "203.0.113.10");
	struct policy_decision d;

	(void)state;
	f.via_proxy = true;
	check_flow(&cfg, &f, POLICY_VERDICT_ALLOW, POLICY_REASON_NONE, "tcp");
	f.via_proxy = false;
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_PROXY_ONLY,
		   "tcp direct");
	f = flow(POLICY_PROTO_UDP, "203.0.113.10");
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_PROXY_ONLY,
		   "udp");
	f = flow(POLICY_PROTO_ICMP, "2001:db8::1");
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_DENY);
	assert_int_equal(d.reason, POLICY_REASON_PROXY_ONLY);
	assert_string_equal(text(&d), "blocked by `--proxy-only`");
	/* before --block-metadata: a direct flow to it is proxy_only ... */
	f = flow(POLICY_PROTO_UDP, "169.254.169.254");
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_PROXY_ONLY,
		   "udp metadata");
	/* ... and a proxied one still meets the later steps */
	f = flow(POLICY_PROTO_TCP, "169.254.169.254");
	f.via_proxy = true;
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_METADATA,
		   "tcp metadata via proxy");
	/* a config that could not have passed validation still denies */
	cfg.has_proxy = false;
	f = flow(POLICY_PROTO_TCP, "203.0.113.10");
	f.via_proxy = true;
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_PROXY_ONLY,
		   "no proxy");
	/* without --proxy-only, not using the proxy is fine */
	cfg.proxy_only = false;
	f = flow(POLICY_PROTO_UDP, "203.0.113.10");
	check_flow(&cfg, &f, POLICY_VERDICT_ALLOW, POLICY_REASON_NONE,
		   "udp, no --proxy-only");
}

static void test_metadata_endpoints(void **state)
{
	static const char *const denied[] = {
		"169.254.169.254",
		"169.254.170.2",
		"100.100.100.200",
		"168.63.129.16",
		"fd00:ec2::254",
		"::ffff:169.254.169.254",
		"::ffff:169.254.170.2",
		"::ffff:100.100.100.200",
		"::ffff:168.63.129.16",
		"::ffff:a9fe:a9fe",
		"64:ff9b::169.254.169.254", /* NAT64 (RFC 6052) */
		"64:ff9b::168.63.129.16",
		"::169.254.169.254", /* IPv4-compatible (RFC 4291) */
		"::100.100.100.200",
	};
	static const char *const allowed[] = {
		"169.254.169.253",
		"169.254.169.255",
		"169.254.170.1",
		"169.254.170.3",
		"100.100.100.199",
		"100.100.100.201",
		"168.63.129.15",
		"168.63.129.17",
		"fd00:ec2::253",
		"fd00:ec2::255",
		"fd00:ec2::254:0",
		"fd00:ec3::254",
		"::ffff:169.254.169.253",
		"::ffff:168.63.129.17",
		"64:ff9b::169.254.169.255",
		"64:ff9b:1::169.254.169.254", /* local-use NAT64: not decoded */
		"2001:db8::a9fe:a9fe",
	};
	struct cidr allow_all[] = {rule("0.0.0.0/0"), rule("::/0")};
	struct config cfg = {.block_metadata = true,
			     .allow_cidrs = allow_all,
			     .n_allow_cidrs = 2};
	struct policy_decision d;
	struct policy_flow f;
	size_t i;

	(void)state;
	for (i = 0; i < N_OF(denied); i++)
		deny(&cfg, denied[i], POLICY_REASON_METADATA);
	for (i = 0; i < N_OF(allowed); i++)
		allow(&cfg, allowed[i]);
	/* every protocol; and before --block-private, which also holds
	 * 169.254.0.0/16, 100.64.0.0/10 and fd00::/8
	 */
	cfg.block_private = true;
	f = flow(POLICY_PROTO_ICMP, "169.254.169.254");
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_DENY);
	assert_int_equal(d.reason, POLICY_REASON_METADATA);
	assert_null(d.matched_cidr);
	assert_string_equal(text(&d), "blocked by `--block-metadata`");
	f = flow(POLICY_PROTO_UDP, "fd00:ec2::254");
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_METADATA,
		   "udp fd00:ec2::254");
	deny(&cfg, "100.100.100.200", POLICY_REASON_METADATA);
	deny(&cfg, "100.100.100.201", POLICY_REASON_PRIVATE);
	/* off: nothing special about them */
	cfg.block_metadata = false;
	cfg.block_private = false;
	for (i = 0; i < N_OF(denied); i++)
		allow(&cfg, denied[i]);
}

/* struct range_edges - a --block-private range: its first and last
 * address (denied) and the addresses just outside it (allowed; NULL when
 * there is none)
 */
struct range_edges {
	const char *first, *last, *before, *after;
};

static const struct range_edges private_v4[] = {
	{"10.0.0.0", "10.255.255.255", "9.255.255.255", "11.0.0.0"},
	{"172.16.0.0", "172.31.255.255", "172.15.255.255", "172.32.0.0"},
	{"192.168.0.0", "192.168.255.255", "192.167.255.255", "192.169.0.0"},
	{"127.0.0.0", "127.255.255.255", "126.255.255.255", "128.0.0.0"},
	{"169.254.0.0", "169.254.255.255", "169.253.255.255", "169.255.0.0"},
	{"100.64.0.0", "100.127.255.255", "100.63.255.255", "100.128.0.0"},
	{"0.0.0.0", "0.255.255.255", NULL, "1.0.0.0"},
};

/* check_v4_edges() - @e written as @prefix + IPv4 gets @r inside and is
 * allowed just outside
 */
static void check_v4_edges(const struct config *cfg,
			   const struct range_edges *e, const char *prefix,
			   enum policy_reason r)
{
	char ip[64];

	snprintf(ip, sizeof(ip), "%s%s", prefix, e->first);
	deny(cfg, ip, r);
	snprintf(ip, sizeof(ip), "%s%s", prefix, e->last);
	deny(cfg, ip, r);
	if (e->before) {
		snprintf(ip, sizeof(ip), "%s%s", prefix, e->before);
		allow(cfg, ip);
	}
	snprintf(ip, sizeof(ip), "%s%s", prefix, e->after);
	allow(cfg, ip);
}

static void test_private_ipv4_ranges(void **state)
{
	struct config cfg = {.block_private = true};
	size_t i;

	(void)state;
	for (i = 0; i < N_OF(private_v4); i++) {
		check_v4_edges(&cfg, &private_v4[i], "", POLICY_REASON_PRIVATE);
		/* IPv4-mapped: the same address on the wire */
		check_v4_edges(&cfg, &private_v4[i],
			       "::ffff:", POLICY_REASON_PRIVATE);
		/* NAT64 well-known prefix: a translator would reach it */
		check_v4_edges(&cfg, &private_v4[i],
			       "64:ff9b::", POLICY_REASON_PRIVATE);
	}
	/* the same in hexadecimal IPv6 notation */
	deny(&cfg, "::ffff:a00:1", POLICY_REASON_PRIVATE);
	deny(&cfg, "::ffff:7f00:1", POLICY_REASON_PRIVATE);
	allow(&cfg, "::ffff:808:808");
	/* IPv4-compatible: the forms of private addresses are denied, the
	 * other forms are not addresses anything routes
	 */
	deny(&cfg, "::10.0.0.1", POLICY_REASON_PRIVATE);
	deny(&cfg, "::192.168.1.1", POLICY_REASON_PRIVATE);
	deny(&cfg, "::127.0.0.1", POLICY_REASON_PRIVATE);
	allow(&cfg, "::8.8.8.8");
	/* only NAT64's well-known /96 is decoded */
	allow(&cfg, "64:ff9b:1::10.0.0.1");
	allow(&cfg, "64:ff9a::10.0.0.1");
	/* public */
	allow(&cfg, "8.8.8.8");
	allow(&cfg, "203.0.113.10");
	allow(&cfg, "2001:db8::1");
	allow(&cfg, "2a00:1450:4001:80b::200e");
}

static void test_private_ipv6_ranges(void **state)
{
	static const char *const denied[] = {
		"::1",
		"::",
		"fc00::",
		"fc00::1",
		"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"fd12:3456:789a::1",
		"fe80::",
		"fe80::1",
		"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"::ffff:0:0", /* 0.0.0.0, mapped */
	};
	static const char *const allowed[] = {
		"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"fe00::",
		"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"fec0::",
		"::1:0:0",
		"::2:0:0:1",
		"1::",
		"2001:db8::1",
		"ff02::1",
	};
	struct cidr allow_all[] = {rule("::/0")};
	struct config cfg = {.block_private = true,
			     .allow_cidrs = allow_all,
			     .n_allow_cidrs = 1};
	struct policy_decision d;
	struct policy_flow f;
	size_t i;

	(void)state;
	for (i = 0; i < N_OF(denied); i++)
		deny(&cfg, denied[i], POLICY_REASON_PRIVATE);
	for (i = 0; i < N_OF(allowed); i++)
		allow(&cfg, allowed[i]);
	f = flow(POLICY_PROTO_ICMP, "fe80::1");
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_DENY);
	assert_int_equal(d.reason, POLICY_REASON_PRIVATE);
	assert_null(d.matched_cidr);
	assert_string_equal(text(&d), "blocked by `--block-private`");
}

static void test_deny_cidr(void **state)
{
	struct cidr deny_cidrs[] = {
		rule("10.0.0.0/8"),    rule("10.1.0.0/16"),
		rule("2001:db8::/32"), rule("::ffff:198.51.100.0/120"),
		rule("203.0.113.7"),
	};
	struct cidr allow_cidrs[] = {rule("10.0.0.0/7"), rule("::/0"),
				     rule("0.0.0.0/0")};
	struct config cfg = {.deny_cidrs = deny_cidrs,
			     .n_deny_cidrs = N_OF(deny_cidrs),
			     .allow_cidrs = allow_cidrs,
			     .n_allow_cidrs = N_OF(allow_cidrs),
			     .default_policy = POLICY_DENY};
	struct policy_flow f = flow(POLICY_PROTO_TCP, "10.1.2.3");
	struct policy_decision d;

	(void)state;
	/* the first matching rule, in the user's order, wins over a wider
	 * allow
	 */
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_DENY);
	assert_int_equal(d.reason, POLICY_REASON_DENY_CIDR);
	assert_ptr_equal(d.matched_cidr, &deny_cidrs[0]);
	assert_null(d.matched_domain);
	assert_string_equal(text(&d), "blocked by `--deny-cidr 10.0.0.0/8`");
	deny(&cfg, "10.0.0.0", POLICY_REASON_DENY_CIDR);
	deny(&cfg, "10.255.255.255", POLICY_REASON_DENY_CIDR);
	allow(&cfg, "11.0.0.0");
	allow(&cfg, "9.255.255.255");
	/* IPv4 rules hold IPv4-mapped and NAT64 forms */
	f = flow(POLICY_PROTO_UDP, "::ffff:10.9.9.9");
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_DENY);
	assert_ptr_equal(d.matched_cidr, &deny_cidrs[0]);
	f = flow(POLICY_PROTO_ICMP, "64:ff9b::10.9.9.9");
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_DENY);
	assert_ptr_equal(d.matched_cidr, &deny_cidrs[0]);
	/* IPv6 rules, at their edges */
	f = flow(POLICY_PROTO_TCP, "2001:db8::1");
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_DENY);
	assert_ptr_equal(d.matched_cidr, &deny_cidrs[2]);
	assert_string_equal(text(&d), "blocked by `--deny-cidr 2001:db8::/32`");
	deny(&cfg, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
	     POLICY_REASON_DENY_CIDR);
	allow(&cfg, "2001:db9::");
	allow(&cfg, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff");
	/* a rule in mapped form holds the IPv4 address too */
	f = flow(POLICY_PROTO_TCP, "198.51.100.77");
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_DENY);
	assert_ptr_equal(d.matched_cidr, &deny_cidrs[3]);
	assert_string_equal(text(&d),
			    "blocked by `--deny-cidr ::ffff:198.51.100.0/120`");
	deny(&cfg, "::ffff:198.51.100.255", POLICY_REASON_DENY_CIDR);
	allow(&cfg, "198.51.101.0");
	/* a bare address is a host prefix */
	deny(&cfg, "203.0.113.7", POLICY_REASON_DENY_CIDR);
	allow(&cfg, "203.0.113.6");
	allow(&cfg, "203.0.113.8");
}

/* Address families stay apart: an IPv6 rule shorter than /96 is about
 * IPv6 traffic, and a mapped destination is IPv4 traffic
 */
static void test_families_stay_apart(void **state)
{
	struct cidr v6_all[] = {rule("::/0")};
	struct cidr v4_all[] = {rule("0.0.0.0/0")};
	struct cidr mapped_all[] = {rule("::ffff:0:0/96")};
	struct config cfg = {.deny_cidrs = v6_all, .n_deny_cidrs = 1};

	(void)state;
	deny(&cfg, "2001:db8::1", POLICY_REASON_DENY_CIDR);
	deny(&cfg, "64:ff9b::8.8.8.8", POLICY_REASON_DENY_CIDR);
	allow(&cfg, "8.8.8.8");
	allow(&cfg, "::ffff:8.8.8.8");
	cfg.deny_cidrs = v4_all;
	deny(&cfg, "8.8.8.8", POLICY_REASON_DENY_CIDR);
	deny(&cfg, "::ffff:8.8.8.8", POLICY_REASON_DENY_CIDR);
	allow(&cfg, "2001:db8::1");
	cfg.deny_cidrs = mapped_all;
	deny(&cfg, "8.8.8.8", POLICY_REASON_DENY_CIDR);
	deny(&cfg, "::ffff:8.8.8.8", POLICY_REASON_DENY_CIDR);
	allow(&cfg, "2001:db8::1");

	/* allow rules: the same, except that an IPv4 allow does not open
	 * the NAT64 or IPv4-compatible path to the address
	 */
	cfg.n_deny_cidrs = 0;
	cfg.default_policy = POLICY_DENY;
	cfg.allow_cidrs = v6_all;
	cfg.n_allow_cidrs = 1;
	allow(&cfg, "2001:db8::1");
	deny(&cfg, "8.8.8.8", POLICY_REASON_DEFAULT_DENY);
	deny(&cfg, "::ffff:8.8.8.8", POLICY_REASON_DEFAULT_DENY);
	cfg.allow_cidrs = v4_all;
	allow(&cfg, "8.8.8.8");
	allow(&cfg, "::ffff:8.8.8.8");
	deny(&cfg, "64:ff9b::8.8.8.8", POLICY_REASON_DEFAULT_DENY);
	deny(&cfg, "::8.8.8.8", POLICY_REASON_DEFAULT_DENY);
	deny(&cfg, "2001:db8::1", POLICY_REASON_DEFAULT_DENY);
	cfg.allow_cidrs = mapped_all;
	allow(&cfg, "8.8.8.8");
	allow(&cfg, "::ffff:8.8.8.8");
	deny(&cfg, "2001:db8::1", POLICY_REASON_DEFAULT_DENY);
}

static void test_allow_cidr_under_default_deny(void **state)
{
	struct cidr allow_cidrs[] = {rule("203.0.113.10/32"),
				     rule("2001:db8:1::/48")};
	struct config cfg = {.allow_cidrs = allow_cidrs,
			     .n_allow_cidrs = N_OF(allow_cidrs),
			     .default_policy = POLICY_DENY};
	struct policy_flow f = flow(POLICY_PROTO_TCP, "203.0.113.10");
	struct policy_decision d;

	(void)state;
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_ALLOW);
	assert_int_equal(d.reason, POLICY_REASON_NONE);
	assert_int_equal(d.allowed_by, POLICY_ALLOWED_BY_CIDR);
	assert_ptr_equal(d.allowed_cidr, &allow_cidrs[0]);
	assert_null(d.matched_cidr);
	assert_string_equal(text(&d),
			    "allowed by `--allow-cidr 203.0.113.10/32`");
	allow(&cfg, "::ffff:203.0.113.10");
	f = flow(POLICY_PROTO_UDP, "203.0.113.11");
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_DENY);
	assert_int_equal(d.reason, POLICY_REASON_DEFAULT_DENY);
	assert_null(d.matched_cidr);
	assert_null(d.matched_domain);
	assert_string_equal(text(&d), "blocked by `--default-policy deny`");
	deny(&cfg, "203.0.113.9", POLICY_REASON_DEFAULT_DENY);
	allow(&cfg, "2001:db8:1::");
	allow(&cfg, "2001:db8:1:ffff:ffff:ffff:ffff:ffff");
	deny(&cfg, "2001:db8:2::", POLICY_REASON_DEFAULT_DENY);
	deny(&cfg, "2001:db8:0:ffff:ffff:ffff:ffff:ffff",
	     POLICY_REASON_DEFAULT_DENY);
	f = flow(POLICY_PROTO_ICMP, "2001:db8:1::1");
	check_flow(&cfg, &f, POLICY_VERDICT_ALLOW, POLICY_REASON_NONE,
		   "icmp 2001:db8:1::1");
}

static void test_deny_domain_through_names(void **state)
{
	char *deny_domains[] = {"tracker.test", "example.com"};
	char *deny_exact[] = {"ads.example.org"};
	struct cidr allow_all[] = {rule("0.0.0.0/0")};
	char *allow_domains[] = {"example.com", "example.org"};
	struct config cfg = {.deny_domains = deny_domains,
			     .n_deny_domains = N_OF(deny_domains),
			     .deny_domains_exact = deny_exact,
			     .n_deny_domains_exact = N_OF(deny_exact),
			     .allow_cidrs = allow_all,
			     .n_allow_cidrs = 1,
			     .allow_domains = allow_domains,
			     .n_allow_domains = N_OF(allow_domains)};
	/* a CNAME chain: the query name first, the target after it */
	static const char *const chain[] = {"www.good.test", "cdn.example.com"};
	static const char *const sub[] = {"a.b.tracker.test"};
	static const char *const lookalike[] = {"badexample.com",
						"example.com.evil.test"};
	static const char *const exact[] = {"ads.example.org"};
	static const char *const below_exact[] = {"x.ads.example.org"};
	static const char *const both[] = {"ads.example.org", "example.com"};
	static const char *const unnormal[] = {"WWW.Example.COM."};
	static const char *const holes[] = {NULL, "tracker.test"};
	struct policy_flow f;
	struct policy_decision d;

	(void)state;
	f = named("198.51.100.7", chain, N_OF(chain));
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_DENY);
	assert_int_equal(d.reason, POLICY_REASON_DENY_DOMAIN);
	assert_ptr_equal(d.matched_domain, deny_domains[1]);
	assert_null(d.matched_cidr);
	assert_string_equal(text(&d), "blocked by `--deny-domain example.com`");
	f = named("198.51.100.7", sub, N_OF(sub));
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_DENY);
	assert_ptr_equal(d.matched_domain, deny_domains[0]);
	f = named("198.51.100.7", lookalike, N_OF(lookalike));
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_ALLOW);
	assert_int_equal(d.allowed_by, POLICY_ALLOWED_BY_CIDR);
	f = named("198.51.100.7", exact, N_OF(exact));
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_DENY);
	assert_int_equal(d.reason, POLICY_REASON_DENY_DOMAIN_EXACT);
	assert_ptr_equal(d.matched_domain, deny_exact[0]);
	assert_string_equal(text(&d),
			    "blocked by `--deny-domain-exact ads.example.org`");
	/* exact: a subdomain is not the name */
	f = named("198.51.100.7", below_exact, N_OF(below_exact));
	check_flow(&cfg, &f, POLICY_VERDICT_ALLOW, POLICY_REASON_NONE,
		   "below exact");
	/* --deny-domain before --deny-domain-exact */
	f = named("198.51.100.7", both, N_OF(both));
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_DENY);
	assert_int_equal(d.reason, POLICY_REASON_DENY_DOMAIN);
	/* names not yet normalised still match */
	f = named("198.51.100.7", unnormal, N_OF(unnormal));
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_DENY);
	assert_ptr_equal(d.matched_domain, deny_domains[1]);
	f = named("198.51.100.7", holes, N_OF(holes));
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_DENY);
	/* an address no name is tied to meets no domain rule */
	f = named("198.51.100.7", NULL, 0);
	check_flow(&cfg, &f, POLICY_VERDICT_ALLOW, POLICY_REASON_NONE,
		   "no names");
	/* UDP and ICMP flows too */
	f = named("198.51.100.7", sub, N_OF(sub));
	f.proto = POLICY_PROTO_UDP;
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_DENY_DOMAIN,
		   "udp");
	f.proto = POLICY_PROTO_ICMP;
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_DENY_DOMAIN,
		   "icmp");
	/* --deny-cidr comes first */
	{
		struct cidr deny_cidrs[] = {rule("198.51.100.0/24")};

		cfg.deny_cidrs = deny_cidrs;
		cfg.n_deny_cidrs = 1;
		f = named("198.51.100.7", sub, N_OF(sub));
		check_flow(&cfg, &f, POLICY_VERDICT_DENY,
			   POLICY_REASON_DENY_CIDR, "cidr first");
		cfg.n_deny_cidrs = 0;
	}
}

static void test_allow_domain_through_names(void **state)
{
	char *allow_domains[] = {"example.com"};
	char *allow_exact[] = {"api.example.org"};
	struct config cfg = {.allow_domains = allow_domains,
			     .n_allow_domains = 1,
			     .allow_domains_exact = allow_exact,
			     .n_allow_domains_exact = 1,
			     .default_policy = POLICY_DENY};
	static const char *const apex[] = {"example.com"};
	static const char *const sub[] = {"www.example.com"};
	static const char *const chain[] = {"alias.other.test",
					    "edge.example.com"};
	static const char *const exact[] = {"api.example.org"};
	static const char *const below_exact[] = {"v2.api.example.org"};
	static const char *const parent[] = {"example.org"};
	struct policy_flow f;
	struct policy_decision d;

	(void)state;
	f = named("198.51.100.7", apex, 1);
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_ALLOW);
	assert_int_equal(d.allowed_by, POLICY_ALLOWED_BY_DOMAIN);
	assert_ptr_equal(d.allowed_domain, allow_domains[0]);
	assert_string_equal(text(&d),
			    "allowed by `--allow-domain example.com`");
	f = named("198.51.100.7", sub, 1);
	check_flow(&cfg, &f, POLICY_VERDICT_ALLOW, POLICY_REASON_NONE, "sub");
	f = named("198.51.100.7", chain, 2);
	check_flow(&cfg, &f, POLICY_VERDICT_ALLOW, POLICY_REASON_NONE, "chain");
	f = named("2001:db8::7", exact, 1);
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_ALLOW);
	assert_int_equal(d.allowed_by, POLICY_ALLOWED_BY_DOMAIN_EXACT);
	assert_ptr_equal(d.allowed_domain, allow_exact[0]);
	assert_string_equal(
		text(&d), "allowed by `--allow-domain-exact api.example.org`");
	f = named("198.51.100.7", below_exact, 1);
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_DEFAULT_DENY,
		   "below exact");
	f = named("198.51.100.7", parent, 1);
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_DEFAULT_DENY,
		   "parent");
	f = named("198.51.100.7", NULL, 0);
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_DEFAULT_DENY,
		   "no names");
	/* allowed names do not open the built-in lists */
	cfg.block_private = true;
	f = named("10.0.0.7", apex, 1);
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_PRIVATE,
		   "private");
}

/* check_name() - policy_decide_name(@qname) gives @v for @r */
static void check_name(const struct config *cfg, const char *qname,
		       enum policy_verdict v, enum policy_reason r,
		       enum policy_allowed_by by)
{
	struct policy_decision d;
	enum policy_verdict got = policy_decide_name(cfg, qname, &d);

	if (got != v || d.verdict != v || d.reason != r || d.allowed_by != by)
		fail_msg("%s: got %d/%s/%d, want %d/%s/%d",
			 qname ? qname : "(null)", got,
			 policy_reason_code(d.reason), d.allowed_by, v,
			 policy_reason_code(r), by);
	assert_null(d.matched_cidr);
	assert_null(d.allowed_cidr);
}

static void test_decide_name(void **state)
{
	char *deny_domains[] = {"tracker.test"};
	char *deny_exact[] = {"ads.example.com"};
	char *allow_domains[] = {"example.com"};
	char *allow_exact[] = {"api.example.org"};
	struct cidr allow_cidrs[] = {rule("203.0.113.0/24")};
	struct config cfg = {.deny_domains = deny_domains,
			     .n_deny_domains = 1,
			     .deny_domains_exact = deny_exact,
			     .n_deny_domains_exact = 1};
	struct policy_decision d;

	(void)state;
	/* default allow */
	assert_int_equal(policy_decide_name(&cfg, "x.tracker.test", &d),
			 POLICY_VERDICT_DENY);
	assert_int_equal(d.reason, POLICY_REASON_DENY_DOMAIN);
	assert_ptr_equal(d.matched_domain, deny_domains[0]);
	assert_string_equal(text(&d),
			    "blocked by `--deny-domain tracker.test`");
	check_name(&cfg, "tracker.test", POLICY_VERDICT_DENY,
		   POLICY_REASON_DENY_DOMAIN, POLICY_ALLOWED_BY_NOTHING);
	check_name(&cfg, "Tracker.Test.", POLICY_VERDICT_DENY,
		   POLICY_REASON_DENY_DOMAIN, POLICY_ALLOWED_BY_NOTHING);
	check_name(&cfg, "nottracker.test", POLICY_VERDICT_ALLOW,
		   POLICY_REASON_NONE, POLICY_ALLOWED_BY_DEFAULT);
	check_name(&cfg, "ads.example.com", POLICY_VERDICT_DENY,
		   POLICY_REASON_DENY_DOMAIN_EXACT, POLICY_ALLOWED_BY_NOTHING);
	check_name(&cfg, "x.ads.example.com", POLICY_VERDICT_ALLOW,
		   POLICY_REASON_NONE, POLICY_ALLOWED_BY_DEFAULT);
	check_name(&cfg, NULL, POLICY_VERDICT_ALLOW, POLICY_REASON_NONE,
		   POLICY_ALLOWED_BY_DEFAULT);
	/* --offline is the engine's business before it asks */
	cfg.offline = true;
	check_name(&cfg, "www.example.com", POLICY_VERDICT_ALLOW,
		   POLICY_REASON_NONE, POLICY_ALLOWED_BY_DEFAULT);
	cfg.offline = false;

	/* default deny, CIDR allow rules only: the address decides */
	cfg.default_policy = POLICY_DENY;
	cfg.allow_cidrs = allow_cidrs;
	cfg.n_allow_cidrs = 1;
	check_name(&cfg, "www.example.net", POLICY_VERDICT_ALLOW,
		   POLICY_REASON_NONE, POLICY_ALLOWED_BY_ADDRESS);
	policy_decide_name(&cfg, "www.example.net", &d);
	assert_string_equal(
		text(&d),
		"allowed: no domain rule decides it, each address will");
	check_name(&cfg, "a.tracker.test", POLICY_VERDICT_DENY,
		   POLICY_REASON_DENY_DOMAIN, POLICY_ALLOWED_BY_NOTHING);

	/* default deny with allow-domain rules: only what they allow */
	cfg.allow_domains = allow_domains;
	cfg.n_allow_domains = 1;
	cfg.allow_domains_exact = allow_exact;
	cfg.n_allow_domains_exact = 1;
	assert_int_equal(policy_decide_name(&cfg, "www.example.com", &d),
			 POLICY_VERDICT_ALLOW);
	assert_int_equal(d.allowed_by, POLICY_ALLOWED_BY_DOMAIN);
	assert_ptr_equal(d.allowed_domain, allow_domains[0]);
	check_name(&cfg, "example.com", POLICY_VERDICT_ALLOW,
		   POLICY_REASON_NONE, POLICY_ALLOWED_BY_DOMAIN);
	check_name(&cfg, "api.example.org", POLICY_VERDICT_ALLOW,
		   POLICY_REASON_NONE, POLICY_ALLOWED_BY_DOMAIN_EXACT);
	check_name(&cfg, "v2.api.example.org", POLICY_VERDICT_DENY,
		   POLICY_REASON_DEFAULT_DENY, POLICY_ALLOWED_BY_NOTHING);
	assert_int_equal(policy_decide_name(&cfg, "www.example.net", &d),
			 POLICY_VERDICT_DENY);
	assert_int_equal(d.reason, POLICY_REASON_DEFAULT_DENY);
	assert_null(d.matched_domain);
	assert_string_equal(text(&d), "blocked by `--default-policy deny`");
	check_name(&cfg, "", POLICY_VERDICT_DENY, POLICY_REASON_DEFAULT_DENY,
		   POLICY_ALLOWED_BY_NOTHING);
	check_name(&cfg, NULL, POLICY_VERDICT_DENY, POLICY_REASON_DEFAULT_DENY,
		   POLICY_ALLOWED_BY_NOTHING);
	/* deny rules before allow rules */
	check_name(&cfg, "ads.example.com", POLICY_VERDICT_DENY,
		   POLICY_REASON_DENY_DOMAIN_EXACT, POLICY_ALLOWED_BY_NOTHING);
	/* only allow-domain-exact rules count too */
	cfg.n_allow_domains = 0;
	check_name(&cfg, "www.example.com", POLICY_VERDICT_DENY,
		   POLICY_REASON_DEFAULT_DENY, POLICY_ALLOWED_BY_NOTHING);
	check_name(&cfg, "api.example.org", POLICY_VERDICT_ALLOW,
		   POLICY_REASON_NONE, POLICY_ALLOWED_BY_DOMAIN_EXACT);
}

static void test_reason_text(void **state)
{
	struct cidr c = rule("10.0.0.0/8");
	char *dom = "example.com";
	char long_dom[254];
	struct policy_decision d = {.verdict = POLICY_VERDICT_DENY};
	char small[12], full[POLICY_REASON_TEXT_MAX];
	static const struct {
		enum policy_reason r;
		const char *want;
	} plain[] = {
		{POLICY_REASON_OFFLINE, "blocked by `--offline`"},
		{POLICY_REASON_PROXY_ONLY, "blocked by `--proxy-only`"},
		{POLICY_REASON_METADATA, "blocked by `--block-metadata`"},
		{POLICY_REASON_PRIVATE, "blocked by `--block-private`"},
		{POLICY_REASON_DEFAULT_DENY,
		 "blocked by `--default-policy deny`"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < N_OF(plain); i++) {
		d.reason = plain[i].r;
		assert_string_equal(text(&d), plain[i].want);
	}
	d.reason = POLICY_REASON_DENY_CIDR;
	d.matched_cidr = &c;
	assert_string_equal(text(&d), "blocked by `--deny-cidr 10.0.0.0/8`");
	d.matched_cidr = NULL;
	d.reason = POLICY_REASON_DENY_DOMAIN;
	d.matched_domain = dom;
	assert_string_equal(text(&d), "blocked by `--deny-domain example.com`");
	d.reason = POLICY_REASON_DENY_DOMAIN_EXACT;
	assert_string_equal(text(&d),
			    "blocked by `--deny-domain-exact example.com`");
	/* snprintf() truncation, always terminated */
	assert_ptr_equal(policy_reason_text(&d, small, sizeof(small)), small);
	assert_string_equal(small, "blocked by ");
	assert_ptr_equal(policy_reason_text(&d, small, 0), small);
	assert_null(policy_reason_text(&d, NULL, 10));
	assert_string_equal(policy_reason_text(NULL, full, sizeof(full)), "");
	/* the longest rule fits POLICY_REASON_TEXT_MAX */
	for (i = 0; i + 1 < sizeof(long_dom); i++)
		long_dom[i] = (i % 64 == 63) ? '.' : 'a';
	long_dom[sizeof(long_dom) - 1] = '\0';
	d.matched_domain = long_dom;
	policy_reason_text(&d, full, sizeof(full));
	assert_int_equal(strlen(full),
			 strlen("blocked by `--deny-domain-exact `") +
				 strlen(long_dom));
	d.allowed_by = POLICY_ALLOWED_BY_DOMAIN_EXACT;
	d.allowed_domain = long_dom;
	d.verdict = POLICY_VERDICT_ALLOW;
	policy_reason_text(&d, full, sizeof(full));
	assert_int_equal(strlen(full),
			 strlen("allowed by `--allow-domain-exact `") +
				 strlen(long_dom));
	c = rule("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	d.allowed_by = POLICY_ALLOWED_BY_CIDR;
	d.allowed_cidr = &c;
	assert_string_equal(text(&d),
			    "allowed by `--allow-cidr "
			    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128`");
}

/* The same decisions from a real command line: cli_parse() and
 * config_build() normalise what policy compares
 */
static void test_from_command_line(void **state)
{
	char *argv[] = {"childflow",
			"--block-private",
			"--block-metadata",
			"--default-policy",
			"deny",
			"--deny-cidr",
			"203.0.113.0/28",
			"--allow-cidr",
			"203.0.113.0/24",
			"--allow-cidr",
			"::ffff:198.51.100.10",
			"--allow-domain",
			"Example.COM.",
			"--deny-domain-exact",
			"bad.example.com",
			"--",
			"true",
			NULL};
	static const char *const good[] = {"www.example.com"};
	static const char *const bad[] = {"bad.example.com"};
	struct cli cli;
	struct config cfg;
	struct policy_decision d;
	struct policy_flow f;
	char err[512] = "";

	(void)state;
	memset(&cli, 0, sizeof(cli));
	memset(&cfg, 0, sizeof(cfg));
	if (cli_parse((int)N_OF(argv) - 1, argv, &cli, err, sizeof(err)))
		fail_msg("cli_parse: %s", err);
	if (config_build(&cli.settings, cli.action, cli.report_file, NULL,
			 cli.has_command, &cfg, err, sizeof(err)))
		fail_msg("config_build: %s", err);

	f = flow(POLICY_PROTO_TCP, "203.0.113.5");
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_DENY);
	assert_string_equal(text(&d),
			    "blocked by `--deny-cidr 203.0.113.0/28`");
	allow(&cfg, "203.0.113.16");
	allow(&cfg, "198.51.100.10");
	deny(&cfg, "198.51.100.11", POLICY_REASON_DEFAULT_DENY);
	deny(&cfg, "::ffff:10.1.1.1", POLICY_REASON_PRIVATE);
	deny(&cfg, "::ffff:169.254.169.254", POLICY_REASON_METADATA);
	f = named("192.0.2.1", good, 1);
	check_flow(&cfg, &f, POLICY_VERDICT_ALLOW, POLICY_REASON_NONE, "good");
	f = named("192.0.2.1", bad, 1);
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_DENY);
	assert_string_equal(text(&d),
			    "blocked by `--deny-domain-exact bad.example.com`");
	check_name(&cfg, "www.example.com", POLICY_VERDICT_ALLOW,
		   POLICY_REASON_NONE, POLICY_ALLOWED_BY_DOMAIN);
	check_name(&cfg, "example.net", POLICY_VERDICT_DENY,
		   POLICY_REASON_DEFAULT_DENY, POLICY_ALLOWED_BY_NOTHING);

	config_free(&cfg);
	cli_free(&cli);
}

/* test_by_name() - a flow to a --proxy-dns pool address: only TCP
 * through the proxy, judged by its name's domain rules, never by the
 * address rules (a pool ULA is not "private", a CIDR does not match it)
 */
static void test_by_name(void **state)
{
	const char *origin[] = {"origin.test"};
	const char *tracker[] = {"ads.tracker.test"};
	struct cidr deny_all[] = {rule("0.0.0.0/0"), rule("::/0")};
	const char *deny_dom[] = {"tracker.test"};
	const char *allow_dom[] = {"origin.test"};
	struct config cfg = {.has_proxy = true,
			     .proxy_dns = true,
			     .block_private = true,
			     .block_metadata = true,
			     .deny_cidrs = deny_all,
			     .n_deny_cidrs = 2,
			     .deny_domains = (char **)deny_dom,
			     .n_deny_domains = 1};
	struct policy_flow f = named("fd63:666c:6f77::1", origin, 1);
	struct policy_decision d;

	(void)state;
	f.by_name = true;
	f.via_proxy = true;
	check_flow(&cfg, &f, POLICY_VERDICT_ALLOW, POLICY_REASON_NONE,
		   "origin.test by name");
	f.names = tracker;
	assert_int_equal(policy_decide(&cfg, &f, &d), POLICY_VERDICT_DENY);
	assert_int_equal(d.reason, POLICY_REASON_DENY_DOMAIN);
	assert_string_equal(d.matched_domain, "tracker.test");
	/* the same address without by_name: the address rules decide */
	f.by_name = false;
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_PRIVATE,
		   "pool ULA as an address");
	/* UDP, ICMP, or TCP not through the proxy: nowhere to go */
	f = named("198.18.0.1", origin, 1);
	f.by_name = true;
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_PROXY_ONLY,
		   "tcp by name, not via the proxy");
	f.proto = POLICY_PROTO_UDP;
	f.via_proxy = true;
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_PROXY_ONLY,
		   "udp by name");
	f.proto = POLICY_PROTO_ICMP;
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_PROXY_ONLY,
		   "icmp by name");
	/* an address the pool does not know (no name): default decides */
	f = flow(POLICY_PROTO_TCP, "198.18.0.7");
	f.by_name = true;
	f.via_proxy = true;
	check_flow(&cfg, &f, POLICY_VERDICT_ALLOW, POLICY_REASON_NONE,
		   "by name without a name");
	/* default deny with an allow-domain rule: only that name passes;
	 * an --allow-cidr cannot let a name through
	 */
	cfg.default_policy = POLICY_DENY;
	cfg.allow_domains = (char **)allow_dom;
	cfg.n_allow_domains = 1;
	cfg.allow_cidrs = deny_all;
	cfg.n_allow_cidrs = 2;
	cfg.n_deny_cidrs = 0;
	f = named("198.18.0.1", origin, 1);
	f.by_name = true;
	f.via_proxy = true;
	check_flow(&cfg, &f, POLICY_VERDICT_ALLOW, POLICY_REASON_NONE,
		   "allowed name");
	f.names = tracker;
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_DENY_DOMAIN,
		   "denied name");
	cfg.n_deny_domains = 0;
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_DEFAULT_DENY,
		   "name not allowed");
	/* --offline still comes first */
	cfg.offline = true;
	f.names = origin;
	check_flow(&cfg, &f, POLICY_VERDICT_DENY, POLICY_REASON_OFFLINE,
		   "offline");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_set_allows_all),
		cmocka_unit_test(test_each_step_beats_the_later_ones),
		cmocka_unit_test(test_offline_denies_everything),
		cmocka_unit_test(test_engine_dns_passes_after_offline),
		cmocka_unit_test(test_proxy_only),
		cmocka_unit_test(test_metadata_endpoints),
		cmocka_unit_test(test_private_ipv4_ranges),
		cmocka_unit_test(test_private_ipv6_ranges),
		cmocka_unit_test(test_deny_cidr),
		cmocka_unit_test(test_families_stay_apart),
		cmocka_unit_test(test_allow_cidr_under_default_deny),
		cmocka_unit_test(test_deny_domain_through_names),
		cmocka_unit_test(test_allow_domain_through_names),
		cmocka_unit_test(test_decide_name),
		cmocka_unit_test(test_by_name),
		cmocka_unit_test(test_reason_text),
		cmocka_unit_test(test_from_command_line),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
