/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * policy.c - decide(config, flow) -> verdict + reason
 *
 * Theory of operation
 *
 * The engine asks policy_decide() once per new flow, before anything of it
 * leaves the host, and policy_decide_name() once per DNS query before it
 * forwards it. The rules run in the order of DESIGN.md "Policy"; the first
 * that matches decides:
 *
 *   1. --offline             deny everything, the engine's DNS included
 *   2. the engine's own DNS  allow (a query to 10.0.2.3 / fd00::3; the
 *                            name in it is policy_decide_name()'s business)
 *   3. --proxy-only          deny what would not go through the proxy
 *   4. --block-metadata      deny the cloud metadata endpoints
 *   5. --block-private       deny private, loopback, link-local, CGNAT,
 *                            ULA, unspecified
 *   6. --deny-cidr           deny, reporting the rule
 *   7. --deny-domain, then --deny-domain-exact: deny when a name the name
 *      map ties to the destination matches, reporting the rule
 *   8. --allow-cidr, --allow-domain, --allow-domain-exact: allow
 *   9. --default-policy      allow, or deny
 *
 * A flow to a --proxy-dns pool address (policy_flow.by_name) stands for a
 * name only the proxy resolves: after steps 1 and 2 it must go through
 * the proxy (TCP; else proxy_only, --proxy-only given or not), then only
 * the name steps (7, the domain half of 8) and 9 run on it. There is no
 * address to apply 4-6 or --allow-cidr to: what the name resolves to is
 * the proxy's business (docs/policy.md says so).
 *
 * Each step is a function that returns true when it decided.
 *
 * Addresses. An IPv4-mapped IPv6 destination (::ffff:a.b.c.d) is the IPv4
 * address a.b.c.d on the wire (a dual-stack socket sends IPv4), so it is
 * judged as that address by every step: IPv4 rules match it, and an IPv6
 * rule matches an IPv4 destination only when the rule lies inside
 * ::ffff:0:0/96 (a /96 or longer there), as its mapped form. Two more IPv6
 * forms carry an IPv4 address but are IPv6 on the wire: the NAT64
 * well-known prefix 64:ff9b::/96 (RFC 6052; a translator on the path turns
 * it into the IPv4 address) and the deprecated IPv4-compatible ::/96
 * (RFC 4291). The deny steps (4, 5, 6) judge them as their IPv4 address as
 * well as their IPv6 one; the allow step does not (allowing an IPv4 network
 * does not open the IPv6 path through a translator).
 *
 * Names are compared with domain_matches(); names that are not normalised
 * yet (upper case, a trailing dot) are normalised on the stack first.
 *
 * Pure: no I/O, no allocation, no state. The decision's pointers point into
 * the config.
 */
#include "policy/policy.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "policy/names.h"

/* A name longer than this is used as it is (no DNS name is) */
#define POLICY_NAME_BUF (DOMAIN_MAX + 3)

/* struct policy_addr - a destination in the forms the steps judge */
struct policy_addr {
	struct ipaddr ip; /* the destination, IPv4-mapped made IPv4 */
	/* @ip is a NAT64 or IPv4-compatible address carrying @embedded */
	bool translated;
	struct ipaddr embedded;
};

/* struct policy_v4_net - an IPv4 network, host byte order */
struct policy_v4_net {
	uint32_t net;
	unsigned int prefix;
};

#define POLICY_V4(a, b, c, d)                            \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | \
	 ((uint32_t)(c) << 8) | (uint32_t)(d))

/* Cloud metadata endpoints (AWS/GCP/Azure/Oracle, AWS ECS tasks, Alibaba,
 * Azure WireServer)
 */
static const uint32_t policy_metadata_v4[] = {
	POLICY_V4(169, 254, 169, 254),
	POLICY_V4(169, 254, 170, 2),
	POLICY_V4(100, 100, 100, 200),
	POLICY_V4(168, 63, 129, 16),
};

/* AWS IMDS over IPv6: fd00:ec2::254 */
static const uint8_t policy_metadata_v6[16] = {
	0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54,
};

/* --block-private, IPv4 (and so IPv4-mapped IPv6) */
static const struct policy_v4_net policy_private_v4[] = {
	{POLICY_V4(10, 0, 0, 0), 8},	 /* RFC 1918 */
	{POLICY_V4(172, 16, 0, 0), 12},	 /* RFC 1918 */
	{POLICY_V4(192, 168, 0, 0), 16}, /* RFC 1918 */
	{POLICY_V4(127, 0, 0, 0), 8},	 /* loopback */
	{POLICY_V4(169, 254, 0, 0), 16}, /* link-local */
	{POLICY_V4(100, 64, 0, 0), 10},	 /* CGNAT, RFC 6598 */
	{POLICY_V4(0, 0, 0, 0), 8},	 /* "this network", 0.0.0.0 included */
};

/* struct policy_v6_net - an IPv6 network */
struct policy_v6_net {
	uint8_t net[16];
	unsigned int prefix;
};

/* --block-private, IPv6 */
static const struct policy_v6_net policy_private_v6[] = {
	{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128}, /* ::1 */
	{{0}, 128},	    /* ::, unspecified */
	{{0xfc}, 7},	    /* unique local, fd00:ec2::254 included */
	{{0xfe, 0x80}, 10}, /* link-local */
};

/* IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96, IPv4-compatible ::/96:
 * the first 12 bytes of each
 */
static const uint8_t policy_mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
};
static const uint8_t policy_nat64_prefix[12] = {
	0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0,
};
static const uint8_t policy_compat_prefix[12] = {0};

/* policy_v4_of() - @a's IPv4 address in host byte order (@a is AF_INET) */
static uint32_t policy_v4_of(const struct ipaddr *a)
{
	return ntohl(a->v4.s_addr);
}

/* policy_v4_make() - @out = the IPv4 address in the last 4 bytes of @v6 */
static void policy_v4_make(const struct in6_addr *v6, struct ipaddr *out)
{
	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	memcpy(&out->v4.s_addr, &v6->s6_addr[12], 4);
}

/* policy_addr_init() - the forms of @dst: mapped made IPv4, and the IPv4
 * address carried by a NAT64 or IPv4-compatible address
 */
static void policy_addr_init(const struct ipaddr *dst, struct policy_addr *pa)
{
	memset(pa, 0, sizeof(*pa));
	pa->ip = *dst;
	if (dst->family != AF_INET6)
		return;
	if (!memcmp(dst->v6.s6_addr, policy_mapped_prefix, 12)) {
		policy_v4_make(&dst->v6, &pa->ip);
		return;
	}
	if (!memcmp(dst->v6.s6_addr, policy_nat64_prefix, 12) ||
	    !memcmp(dst->v6.s6_addr, policy_compat_prefix, 12)) {
		pa->translated = true;
		policy_v4_make(&dst->v6, &pa->embedded);
	}
}

/* policy_v4_in() - is the IPv4 address @a (host order) in @n? */
static bool policy_v4_in(uint32_t a, const struct policy_v4_net *n)
{
	uint32_t mask = n->prefix ? ~(uint32_t)0 << (32 - n->prefix) : 0;

	return (a & mask) == (n->net & mask);
}

/* policy_v6_in() - is the IPv6 address @a in @n? */
static bool policy_v6_in(const struct in6_addr *a,
			 const struct policy_v6_net *n)
{
	unsigned int bits = n->prefix, i;

	for (i = 0; i < 16 && bits > 0; i++) {
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		if ((a->s6_addr[i] ^ n->net[i]) & mask)
			return false;
		bits = bits >= 8 ? bits - 8 : 0;
	}
	return true;
}

/* policy_rule_has() - does the CIDR rule @rule contain @a (never mapped)?
 * An IPv4 @a also matches a rule inside ::ffff:0:0/96 by its mapped form.
 */
static bool policy_rule_has(const struct cidr *rule, const struct ipaddr *a)
{
	struct ipaddr mapped;

	if (cidr_contains(rule, a))
		return true;
	if (a->family != AF_INET || rule->addr.family != AF_INET6 ||
	    rule->prefix < 96)
		return false;
	memset(&mapped, 0, sizeof(mapped));
	mapped.family = AF_INET6;
	memcpy(mapped.v6.s6_addr, policy_mapped_prefix, 12);
	memcpy(&mapped.v6.s6_addr[12], &a->v4.s_addr, 4);
	return cidr_contains(rule, &mapped);
}

/* policy_name() - @name in normalised form: @name itself when it is
 * already (the usual case: namemap.c and dnsmsg.c normalise), else an
 * ASCII lower-cased copy without trailing dots in @buf. A name that does
 * not fit @buf (longer than any DNS name) is used as it is.
 */
static const char *policy_name(const char *name, char *buf, size_t len)
{
	size_t n = strlen(name), i;
	bool normal = !(n > 0 && name[n - 1] == '.');

	for (i = 0; normal && i < n; i++)
		normal = !(name[i] >= 'A' && name[i] <= 'Z');
	if (normal || n >= len)
		return name;
	while (n > 0 && name[n - 1] == '.')
		n--;
	for (i = 0; i < n; i++) {
		char c = name[i];

		buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	buf[n] = '\0';
	return buf;
}

/* policy_names_match() - does any of the @n @names match @rule? */
static bool policy_names_match(const char *const *names, size_t n,
			       const char *rule, bool exact)
{
	char buf[POLICY_NAME_BUF];
	size_t i;

	for (i = 0; names && i < n; i++) {
		if (!names[i])
			continue;
		if (domain_matches(policy_name(names[i], buf, sizeof(buf)),
				   rule, exact))
			return true;
	}
	return false;
}

/* policy_domain_rule() - the first of the @n_rules @rules that one of the
 * @n @names matches, or NULL
 */
static const char *policy_domain_rule(char *const *rules, size_t n_rules,
				      const char *const *names, size_t n,
				      bool exact)
{
	size_t i;

	for (i = 0; rules && i < n_rules; i++)
		if (rules[i] && policy_names_match(names, n, rules[i], exact))
			return rules[i];
	return NULL;
}

/* policy_set() - record a decision in @d and return its verdict */
static enum policy_verdict policy_set(struct policy_decision *d,
				      enum policy_verdict v,
				      enum policy_reason r)
{
	d->verdict = v;
	d->reason = r;
	return v;
}

/* policy_allow() - record an allow by @by (with its rule) in @d */
static void policy_allow(struct policy_decision *d, enum policy_allowed_by by,
			 const struct cidr *cidr, const char *domain)
{
	policy_set(d, POLICY_VERDICT_ALLOW, POLICY_REASON_NONE);
	d->allowed_by = by;
	d->allowed_cidr = cidr;
	d->allowed_domain = domain;
}

/* policy_step_offline() - 1. --offline: nothing leaves, not even DNS */
static bool policy_step_offline(const struct config *cfg,
				const struct policy_flow *f,
				struct policy_decision *d)
{
	(void)f;
	if (!cfg->offline)
		return false;
	policy_set(d, POLICY_VERDICT_DENY, POLICY_REASON_OFFLINE);
	return true;
}

/* policy_step_engine_dns() - 2. the engine's own resolver is reachable
 * once --offline has had its say (DESIGN.md "Policy"); which names it
 * forwards is policy_decide_name()'s business. Under --proxy-only without
 * --proxy-dns the engine would have to send the query to a resolver past
 * the proxy, so it is denied (SPEC.md: as in the earlier tool).
 */
static bool policy_step_engine_dns(const struct config *cfg,
				   const struct policy_flow *f,
				   struct policy_decision *d)
{
	if (f->proto != POLICY_PROTO_DNS)
		return false;
	if (cfg->proxy_only && !cfg->proxy_dns)
		policy_set(d, POLICY_VERDICT_DENY, POLICY_REASON_PROXY_ONLY);
	else
		policy_allow(d, POLICY_ALLOWED_BY_ENGINE_DNS, NULL, NULL);
	return true;
}

/* policy_step_proxy_only() - 3. --proxy-only: what would not go through
 * the proxy (UDP, ICMP, DNS sent straight to an outside resolver, TCP the
 * engine could not proxy) is denied
 */
static bool policy_step_proxy_only(const struct config *cfg,
				   const struct policy_flow *f,
				   struct policy_decision *d)
{
	if (!cfg->proxy_only || (cfg->has_proxy && f->via_proxy))
		return false;
	policy_set(d, POLICY_VERDICT_DENY, POLICY_REASON_PROXY_ONLY);
	return true;
}

/* policy_is_metadata_v4() - is @a a metadata endpoint? (@a IPv4) */
static bool policy_is_metadata_v4(const struct ipaddr *a)
{
	uint32_t v4 = policy_v4_of(a);
	size_t i;

	for (i = 0; i < sizeof(policy_metadata_v4) / sizeof(uint32_t); i++)
		if (v4 == policy_metadata_v4[i])
			return true;
	return false;
}

/* policy_step_metadata() - 4. --block-metadata */
static bool policy_step_metadata(const struct config *cfg,
				 const struct policy_addr *pa,
				 struct policy_decision *d)
{
	bool hit = false;

	if (!cfg->block_metadata)
		return false;
	if (pa->ip.family == AF_INET)
		hit = policy_is_metadata_v4(&pa->ip);
	else if (pa->ip.family == AF_INET6)
		hit = !memcmp(pa->ip.v6.s6_addr, policy_metadata_v6, 16);
	if (!hit && pa->translated)
		hit = policy_is_metadata_v4(&pa->embedded);
	if (!hit)
		return false;
	policy_set(d, POLICY_VERDICT_DENY, POLICY_REASON_METADATA);
	return true;
}

/* policy_is_private() - is @a in one of the --block-private ranges? */
static bool policy_is_private(const struct ipaddr *a)
{
	size_t i;

	if (a->family == AF_INET) {
		uint32_t v4 = policy_v4_of(a);

		for (i = 0; i < sizeof(policy_private_v4) /
					sizeof(policy_private_v4[0]);
		     i++)
			if (policy_v4_in(v4, &policy_private_v4[i]))
				return true;
	} else if (a->family == AF_INET6) {
		for (i = 0; i < sizeof(policy_private_v6) /
					sizeof(policy_private_v6[0]);
		     i++)
			if (policy_v6_in(&a->v6, &policy_private_v6[i]))
				return true;
	}
	return false;
}

/* policy_step_private() - 5. --block-private */
static bool policy_step_private(const struct config *cfg,
				const struct policy_addr *pa,
				struct policy_decision *d)
{
	if (!cfg->block_private)
		return false;
	if (!policy_is_private(&pa->ip) &&
	    !(pa->translated && policy_is_private(&pa->embedded)))
		return false;
	policy_set(d, POLICY_VERDICT_DENY, POLICY_REASON_PRIVATE);
	return true;
}

/* policy_step_deny_cidr() - 6. --deny-cidr, the first rule that matches */
static bool policy_step_deny_cidr(const struct config *cfg,
				  const struct policy_addr *pa,
				  struct policy_decision *d)
{
	size_t i;

	for (i = 0; cfg->deny_cidrs && i < cfg->n_deny_cidrs; i++) {
		const struct cidr *rule = &cfg->deny_cidrs[i];

		if (!policy_rule_has(rule, &pa->ip) &&
		    !(pa->translated && policy_rule_has(rule, &pa->embedded)))
			continue;
		policy_set(d, POLICY_VERDICT_DENY, POLICY_REASON_DENY_CIDR);
		d->matched_cidr = rule;
		return true;
	}
	return false;
}

/* policy_step_deny_domain() - 7. --deny-domain, then --deny-domain-exact,
 * against every name in @names
 */
static bool policy_step_deny_domain(const struct config *cfg,
				    const char *const *names, size_t n,
				    struct policy_decision *d)
{
	const char *rule;

	rule = policy_domain_rule(cfg->deny_domains, cfg->n_deny_domains, names,
				  n, false);
	if (rule) {
		policy_set(d, POLICY_VERDICT_DENY, POLICY_REASON_DENY_DOMAIN);
		d->matched_domain = rule;
		return true;
	}
	rule = policy_domain_rule(cfg->deny_domains_exact,
				  cfg->n_deny_domains_exact, names, n, true);
	if (rule) {
		policy_set(d, POLICY_VERDICT_DENY,
			   POLICY_REASON_DENY_DOMAIN_EXACT);
		d->matched_domain = rule;
		return true;
	}
	return false;
}

/* policy_step_allow_domain() - the domain half of 8: --allow-domain, then
 * --allow-domain-exact, against every name in @names
 */
static bool policy_step_allow_domain(const struct config *cfg,
				     const char *const *names, size_t n,
				     struct policy_decision *d)
{
	const char *rule;

	rule = policy_domain_rule(cfg->allow_domains, cfg->n_allow_domains,
				  names, n, false);
	if (rule) {
		policy_allow(d, POLICY_ALLOWED_BY_DOMAIN, NULL, rule);
		return true;
	}
	rule = policy_domain_rule(cfg->allow_domains_exact,
				  cfg->n_allow_domains_exact, names, n, true);
	if (rule) {
		policy_allow(d, POLICY_ALLOWED_BY_DOMAIN_EXACT, NULL, rule);
		return true;
	}
	return false;
}

/* policy_step_allow() - 8. --allow-cidr (the IPv4 of a mapped address,
 * never that of a NAT64 or IPv4-compatible one), then the allow-domain
 * rules
 */
static bool policy_step_allow(const struct config *cfg,
			      const struct policy_addr *pa,
			      const struct policy_flow *f,
			      struct policy_decision *d)
{
	size_t i;

	for (i = 0; cfg->allow_cidrs && i < cfg->n_allow_cidrs; i++) {
		if (!policy_rule_has(&cfg->allow_cidrs[i], &pa->ip))
			continue;
		policy_allow(d, POLICY_ALLOWED_BY_CIDR, &cfg->allow_cidrs[i],
			     NULL);
		return true;
	}
	return policy_step_allow_domain(cfg, f->names, f->n_names, d);
}

/* policy_step_default() - 9. --default-policy: the last word */
static enum policy_verdict policy_step_default(const struct config *cfg,
					       struct policy_decision *d)
{
	if (cfg->default_policy == POLICY_DENY)
		return policy_set(d, POLICY_VERDICT_DENY,
				  POLICY_REASON_DEFAULT_DENY);
	policy_allow(d, POLICY_ALLOWED_BY_DEFAULT, NULL, NULL);
	return d->verdict;
}

/* policy_decide_by_name() - the steps for a flow to a pool address
 * (after 1 and 2): through the proxy or not at all, then the name steps
 */
static enum policy_verdict policy_decide_by_name(const struct config *cfg,
						 const struct policy_flow *f,
						 struct policy_decision *d)
{
	if (!cfg->has_proxy || !f->via_proxy || f->proto != POLICY_PROTO_TCP)
		return policy_set(d, POLICY_VERDICT_DENY,
				  POLICY_REASON_PROXY_ONLY);
	if (policy_step_deny_domain(cfg, f->names, f->n_names, d) ||
	    policy_step_allow_domain(cfg, f->names, f->n_names, d))
		return d->verdict;
	return policy_step_default(cfg, d);
}

/* policy_decide() - run the steps in order on @f; see policy.h. The
 * address steps (4-8) work on the forms of policy_addr_init().
 */
enum policy_verdict policy_decide(const struct config *cfg,
				  const struct policy_flow *f,
				  struct policy_decision *d)
{
	struct policy_addr pa;

	memset(d, 0, sizeof(*d));
	if (policy_step_offline(cfg, f, d) || policy_step_engine_dns(cfg, f, d))
		return d->verdict;
	if (f->by_name)
		return policy_decide_by_name(cfg, f, d);
	if (policy_step_proxy_only(cfg, f, d))
		return d->verdict;
	policy_addr_init(&f->dst, &pa);
	if (policy_step_metadata(cfg, &pa, d) ||
	    policy_step_private(cfg, &pa, d) ||
	    policy_step_deny_cidr(cfg, &pa, d) ||
	    policy_step_deny_domain(cfg, f->names, f->n_names, d) ||
	    policy_step_allow(cfg, &pa, f, d))
		return d->verdict;
	return policy_step_default(cfg, d);
}

/* policy_decide_name() - steps 7 and 8 for one name, then the name-level
 * default; see policy.h. The engine asks before it forwards a query.
 */
enum policy_verdict policy_decide_name(const struct config *cfg,
				       const char *qname,
				       struct policy_decision *d)
{
	const char *const names[] = {qname};
	size_t n = qname ? 1 : 0;

	memset(d, 0, sizeof(*d));
	if (policy_step_deny_domain(cfg, names, n, d) ||
	    policy_step_allow_domain(cfg, names, n, d))
		return d->verdict;
	if (cfg->default_policy != POLICY_DENY) {
		policy_allow(d, POLICY_ALLOWED_BY_DEFAULT, NULL, NULL);
		return d->verdict;
	}
	/* Default deny: with allow-domain rules a name none of them allows
	 * is denied here; with none, names are not what the user restricts,
	 * and each connection is decided by its address.
	 */
	if (cfg->n_allow_domains || cfg->n_allow_domains_exact)
		return policy_set(d, POLICY_VERDICT_DENY,
				  POLICY_REASON_DEFAULT_DENY);
	policy_allow(d, POLICY_ALLOWED_BY_ADDRESS, NULL, NULL);
	return d->verdict;
}

/* policy_reason_code() - the flow log's reason_code for @r */
const char *policy_reason_code(enum policy_reason r)
{
	switch (r) {
	case POLICY_REASON_NONE:
		return "";
	case POLICY_REASON_OFFLINE:
		return "offline";
	case POLICY_REASON_PROXY_ONLY:
		return "proxy_only";
	case POLICY_REASON_METADATA:
		return "metadata";
	case POLICY_REASON_PRIVATE:
		return "private";
	case POLICY_REASON_DENY_CIDR:
		return "deny_cidr";
	case POLICY_REASON_DENY_DOMAIN:
		return "deny_domain";
	case POLICY_REASON_DENY_DOMAIN_EXACT:
		return "deny_domain_exact";
	case POLICY_REASON_DEFAULT_DENY:
		return "default_deny";
	}
	return "";
}

/* policy_reason_control() - the flow log's control for @r */
const char *policy_reason_control(enum policy_reason r)
{
	switch (r) {
	case POLICY_REASON_NONE:
		return "";
	case POLICY_REASON_OFFLINE:
		return "--offline";
	case POLICY_REASON_PROXY_ONLY:
		return "--proxy-only";
	case POLICY_REASON_METADATA:
		return "--block-metadata";
	case POLICY_REASON_PRIVATE:
		return "--block-private";
	case POLICY_REASON_DENY_CIDR:
		return "--deny-cidr";
	case POLICY_REASON_DENY_DOMAIN:
		return "--deny-domain";
	case POLICY_REASON_DENY_DOMAIN_EXACT:
		return "--deny-domain-exact";
	case POLICY_REASON_DEFAULT_DENY:
		return "--default-policy";
	}
	return "";
}

/* policy_allowed_text() - "allowed by `RULE`" for an allowed @d */
static void policy_allowed_text(const struct policy_decision *d, char *buf,
				size_t len)
{
	static const char by_address[] =
		"allowed: no domain rule decides it, each address will";
	char cidr[INET6_ADDRSTRLEN + 8] = "?";
	const char *dom = d->allowed_domain ? d->allowed_domain : "?";

	switch (d->allowed_by) {
	case POLICY_ALLOWED_BY_DEFAULT:
		snprintf(buf, len, "allowed by `--default-policy allow`");
		return;
	case POLICY_ALLOWED_BY_ENGINE_DNS:
		snprintf(buf, len, "allowed: the engine's own DNS resolver");
		return;
	case POLICY_ALLOWED_BY_CIDR:
		if (d->allowed_cidr)
			cidr_format(d->allowed_cidr, cidr, sizeof(cidr));
		snprintf(buf, len, "allowed by `--allow-cidr %s`", cidr);
		return;
	case POLICY_ALLOWED_BY_DOMAIN:
		snprintf(buf, len, "allowed by `--allow-domain %s`", dom);
		return;
	case POLICY_ALLOWED_BY_DOMAIN_EXACT:
		snprintf(buf, len, "allowed by `--allow-domain-exact %s`", dom);
		return;
	case POLICY_ALLOWED_BY_ADDRESS:
		snprintf(buf, len, "%s", by_address);
		return;
	case POLICY_ALLOWED_BY_NOTHING:
		break;
	}
	snprintf(buf, len, "allowed");
}

/* policy_denied_text() - "blocked by `CONTROL[ ARG]`" for a denied @d, in
 * the words of docs/flow-log.md: the rule for --deny-cidr and the
 * deny-domain rules, "deny" for --default-policy, nothing for the others
 */
static void policy_denied_text(const struct policy_decision *d, char *buf,
			       size_t len)
{
	const char *control = policy_reason_control(d->reason);
	const char *arg = NULL;

	if (!control[0]) {
		snprintf(buf, len, "blocked");
		return;
	}
	if (d->reason == POLICY_REASON_DENY_CIDR && d->matched_cidr) {
		char cidr[INET6_ADDRSTRLEN + 8];

		snprintf(buf, len, "blocked by `%s %s`", control,
			 cidr_format(d->matched_cidr, cidr, sizeof(cidr)));
		return;
	}
	if (d->reason == POLICY_REASON_DENY_DOMAIN ||
	    d->reason == POLICY_REASON_DENY_DOMAIN_EXACT)
		arg = d->matched_domain;
	else if (d->reason == POLICY_REASON_DEFAULT_DENY)
		arg = "deny";
	snprintf(buf, len, "blocked by `%s%s%s`", control, arg ? " " : "",
		 arg ? arg : "");
}

/* policy_reason_text() - the flow log's reason for @d; see policy.h */
const char *policy_reason_text(const struct policy_decision *d, char *buf,
			       size_t len)
{
	if (!buf || !len)
		return buf;
	if (!d)
		buf[0] = '\0';
	else if (d->verdict == POLICY_VERDICT_ALLOW)
		policy_allowed_text(d, buf, len);
	else
		policy_denied_text(d, buf, len);
	return buf;
}
