/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * policy.h - the one decision point: may this new flow of the tree go out?
 *
 * The engine asks once per new flow (a TCP SYN, a UDP destination, an ICMP
 * echo destination, a DNS query to the engine) and does what the verdict
 * says; nothing else decides where the tree's traffic goes. Pure: no I/O,
 * no allocation, no state, unit tested. DESIGN.md "Policy" gives the order
 * of the rules and docs/policy.md what each one means for users.
 *
 * Two questions, one module:
 * - policy_decide(): may this flow (TCP, UDP, ICMP, a DNS query to the
 *   engine) go out? Asked once per new flow, with the names the name map
 *   ties to the destination.
 * - policy_decide_name(): may the engine forward a DNS query for this
 *   name? Asked by dns.c before it forwards; a denied name gets an empty
 *   NOERROR answer.
 *
 * Under --proxy-dns a TCP flow to a pool address (struct policy_flow
 * .by_name) goes to the proxy by name: the address rules (metadata,
 * private, CIDRs) have no address to judge, the domain rules judge the
 * name, and UDP or ICMP to a pool address cannot go anywhere (proxy_only).
 *
 * Names (struct policy_flow.names, the qname) are expected in the form
 * namemap.c and dnsmsg.c give them: lower-case, no trailing dot. Others
 * are normalised on the fly (ASCII lower-case, trailing dots dropped).
 */
#ifndef CHILDFLOW_POLICY_H
#define CHILDFLOW_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "policy/cidr.h"

enum policy_proto {
	POLICY_PROTO_TCP,
	POLICY_PROTO_UDP,
	POLICY_PROTO_ICMP, /* icmpv4 or icmpv6, by the address family */
	POLICY_PROTO_DNS,  /* a query to the engine's own resolver */
};

enum policy_verdict {
	POLICY_VERDICT_ALLOW,
	POLICY_VERDICT_DENY,
};

/* Reason codes of SPEC.md §3 (reason_code / control) */
enum policy_reason {
	POLICY_REASON_NONE, /* allowed */
	POLICY_REASON_OFFLINE,
	POLICY_REASON_PROXY_ONLY,
	POLICY_REASON_METADATA,
	POLICY_REASON_PRIVATE,
	POLICY_REASON_DENY_CIDR,
	POLICY_REASON_DENY_DOMAIN,
	POLICY_REASON_DENY_DOMAIN_EXACT,
	POLICY_REASON_DEFAULT_DENY,
};

/* struct policy_flow - what the engine knows of a new flow */
struct policy_flow {
	enum policy_proto proto;
	/* the destination the tree chose; an IPv4-mapped IPv6 address
	 * (::ffff:a.b.c.d) is judged as the IPv4 address it is on the wire
	 */
	struct ipaddr dst;
	uint16_t dst_port; /* 0 for ICMP */
	bool via_proxy;	   /* the flow would go through --proxy */
	/* @dst is a --proxy-dns pool address (policy/fakeip.h): it stands
	 * for the name in names[0], which only the proxy resolves. Address
	 * rules cannot judge it; the domain rules judge the name, and only a
	 * TCP flow through the proxy can reach it at all.
	 */
	bool by_name;
	/* names the name map ties to @dst (DNS answers, --hosts-file);
	 * NULL entries are skipped
	 */
	const char *const *names;
	size_t n_names;
};

/* What let an allowed flow or name through (for debugging; never logged
 * as a policy_violation)
 */
enum policy_allowed_by {
	POLICY_ALLOWED_BY_NOTHING,	/* denied */
	POLICY_ALLOWED_BY_DEFAULT,	/* --default-policy allow */
	POLICY_ALLOWED_BY_ENGINE_DNS,	/* a query to the engine's resolver */
	POLICY_ALLOWED_BY_CIDR,		/* --allow-cidr allowed_cidr */
	POLICY_ALLOWED_BY_DOMAIN,	/* --allow-domain allowed_domain */
	POLICY_ALLOWED_BY_DOMAIN_EXACT, /* --allow-domain-exact allowed_domain */
	/* name level only: no domain rule decides the name, the address
	 * of each connection to it will
	 */
	POLICY_ALLOWED_BY_ADDRESS,
};

/* struct policy_decision - the verdict and why
 * The pointers point into the struct config passed to the decision and
 * live as long as it does.
 */
struct policy_decision {
	enum policy_verdict verdict;
	enum policy_reason reason;
	const struct cidr *matched_cidr; /* deny_cidr: the rule, else NULL */
	const char *matched_domain;	 /* deny_domain*: the rule, else NULL */
	/* allowed: which rule, for debugging */
	enum policy_allowed_by allowed_by;
	const struct cidr *allowed_cidr; /* POLICY_ALLOWED_BY_CIDR: the rule */
	const char *allowed_domain; /* POLICY_ALLOWED_BY_DOMAIN*: the rule */
};

/* A buffer this large always holds policy_reason_text() whole */
#define POLICY_REASON_TEXT_MAX 320

/* policy_decide() - decide @f under @cfg; first matching rule wins
 * @d is always filled in whole.
 * Return: the verdict (also in @d, with the reason)
 */
enum policy_verdict policy_decide(const struct config *cfg,
				  const struct policy_flow *f,
				  struct policy_decision *d);

/* policy_decide_name() - may the engine forward a DNS query for @qname?
 * Denied: the name matches --deny-domain or --deny-domain-exact
 * (deny_domain*, matched_domain the rule), or --default-policy is deny,
 * there is at least one allow-domain rule and none allows @qname
 * (default_deny). Otherwise allowed; under --default-policy deny with no
 * allow-domain rule that is POLICY_ALLOWED_BY_ADDRESS: the connections to
 * the answer's addresses are decided by policy_decide(). --offline is not
 * checked here (the engine refuses every query before). @qname NULL (an
 * unparsable question) matches no rule. @d is always filled in whole.
 * Return: the verdict (also in @d, with the reason)
 */
enum policy_verdict policy_decide_name(const struct config *cfg,
				       const char *qname,
				       struct policy_decision *d);

/* policy_reason_text() - the flow log's `reason` for @d in @buf:
 * "blocked by `--deny-cidr 10.0.0.0/8`", "blocked by `--offline`",
 * "blocked by `--default-policy deny`", ... (docs/flow-log.md), and for an
 * allowed decision "allowed by `--allow-cidr 203.0.113.0/24`" and the like
 * (for debugging). Truncated to @len like snprintf();
 * POLICY_REASON_TEXT_MAX always fits.
 * Return: @buf
 */
const char *policy_reason_text(const struct policy_decision *d, char *buf,
			       size_t len);

/* policy_reason_code() - "offline", "deny_cidr", ...; "" for none */
const char *policy_reason_code(enum policy_reason r);

/* policy_reason_control() - the option behind @r: "--offline", ... */
const char *policy_reason_control(enum policy_reason r);

#endif /* CHILDFLOW_POLICY_H */
