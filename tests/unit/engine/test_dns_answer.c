/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_dns_answer.c - which queries the engine's resolver answers itself,
 * and how (dns_answer_locally(), the decision UDP and TCP share):
 * --offline and --proxy-only without --proxy-dns refuse, denied names get
 * an empty answer, --proxy-dns answers A and AAAA from its pool and every
 * other type with nothing, AAAA without host IPv6 is empty, and the rest
 * is forwarded. It builds the part of struct engine the resolver reads,
 * hence engine_internal.h: this folder tests the engine from inside.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "config.h"
#include "engine/dns.h"
#include "engine/dnsmsg.h"
#include "engine/engine_internal.h"

/* query() - a query for @name of @qtype (class IN) into @buf
 * Return: its length
 */
static size_t query(const char *name, uint16_t qtype, uint8_t *buf)
{
	static const uint8_t head[12] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01};
	size_t off = sizeof(head);
	const char *p = name;

	memcpy(buf, head, sizeof(head));
	memset(buf + 6, 0, 6);
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		buf[off++] = (uint8_t)n;
		memcpy(buf + off, p, n);
		off += n;
		p += n + (dot ? 1 : 0);
	}
	buf[off++] = 0;
	buf[off++] = (uint8_t)(qtype >> 8);
	buf[off++] = (uint8_t)qtype;
	buf[off++] = 0;
	buf[off++] = DNS_CLASS_IN;
	return off;
}

struct result {
	size_t len; /* 0: forwarded */
	enum event_dns_mode mode;
	struct dnsmsg_answer a; /* the reply, parsed */
	char ip[INET6_ADDRSTRLEN];
};

/* ask() - dns_answer_locally() for @name/@qtype sent to 10.0.2.3 */
static struct result ask(struct engine *e, const char *name, uint16_t qtype)
{
	uint8_t q[512], out[1024];
	struct dnsmsg_question dq;
	struct dnsmsg_answer pool;
	struct result r = {0};
	size_t qlen = query(name, qtype, q);

	assert_int_equal(dnsmsg_parse_question(q, qlen, &dq), 0);
	r.len = dns_answer_locally(e, 0, &e->dns4, q, qlen, &dq, out,
				   sizeof(out), &r.mode, &pool);
	if (!r.len)
		return r;
	assert_int_equal(dnsmsg_parse_answer(out, r.len, &r.a), 0);
	assert_true(r.a.q.is_response);
	assert_int_equal(r.a.q.id, 0x1234);
	assert_string_equal(r.a.q.qname, name);
	if (r.a.n_ips) {
		ip_format(&r.a.ips[0], r.ip, sizeof(r.ip));
		if (r.mode == EVENT_DNS_SYNTHETIC_PROXY_DNS)
			assert_memory_equal(&pool.ips[0], &r.a.ips[0],
					    sizeof(pool.ips[0]));
	}
	return r;
}

/* engine() - an engine for @cfg as far as the resolver needs one */
static void engine(struct engine *e, const struct config *cfg, bool ipv6)
{
	memset(e, 0, sizeof(*e));
	e->cfg = cfg;
	e->ipv6_ok = ipv6;
	assert_int_equal(ip_parse("10.0.2.3", &e->dns4, NULL, 0), 0);
	assert_int_equal(ip_parse("fd00::3", &e->dns6, NULL, 0), 0);
	dns_init(e);
}

static void test_forwarded(void **state)
{
	struct config cfg = {0};
	struct engine e;
	struct result r;

	(void)state;
	engine(&e, &cfg, true);
	assert_int_equal(ask(&e, "origin.test", DNS_TYPE_A).len, 0);
	assert_int_equal(ask(&e, "origin.test", DNS_TYPE_AAAA).len, 0);
	assert_int_equal(ask(&e, "origin.test", 15).len, 0); /* MX */
	/* no IPv6 route on the host: AAAA is answered empty at once */
	engine(&e, &cfg, false);
	r = ask(&e, "origin.test", DNS_TYPE_AAAA);
	assert_int_equal(r.mode, EVENT_DNS_SYNTHETIC_EMPTY);
	assert_int_equal(r.a.q.rcode, DNS_RCODE_NOERROR);
	assert_int_equal(r.a.n_ips, 0);
	assert_int_equal(ask(&e, "origin.test", DNS_TYPE_A).len, 0);
}

static void test_refused(void **state)
{
	struct config cfg = {.offline = true};
	struct engine e;
	struct result r;

	(void)state;
	engine(&e, &cfg, true);
	r = ask(&e, "origin.test", DNS_TYPE_A);
	assert_int_equal(r.mode, EVENT_DNS_SYNTHETIC_REFUSED);
	assert_int_equal(r.a.q.rcode, DNS_RCODE_REFUSED);
	/* --proxy-only without --proxy-dns: nowhere to send it */
	cfg = (struct config){.has_proxy = true, .proxy_only = true};
	engine(&e, &cfg, true);
	r = ask(&e, "origin.test", DNS_TYPE_A);
	assert_int_equal(r.a.q.rcode, DNS_RCODE_REFUSED);
}

static void test_denied_name(void **state)
{
	char *deny[] = {"tracker.test"};
	struct config cfg = {.deny_domains = deny, .n_deny_domains = 1};
	struct engine e;
	struct result r;

	(void)state;
	engine(&e, &cfg, true);
	r = ask(&e, "ads.tracker.test", DNS_TYPE_A);
	assert_int_equal(r.mode, EVENT_DNS_SYNTHETIC_EMPTY);
	assert_int_equal(r.a.q.rcode, DNS_RCODE_NOERROR);
	assert_int_equal(r.a.n_ips, 0);
	assert_int_equal(ask(&e, "origin.test", DNS_TYPE_A).len, 0);
}

static void test_proxy_dns(void **state)
{
	char *deny[] = {"tracker.test"};
	struct config cfg = {.has_proxy = true,
			     .proxy_dns = true,
			     .deny_domains = deny,
			     .n_deny_domains = 1};
	struct ipaddr a;
	struct engine e;
	struct result r;

	(void)state;
	engine(&e, &cfg, false);
	r = ask(&e, "origin.test", DNS_TYPE_A);
	assert_int_equal(r.mode, EVENT_DNS_SYNTHETIC_PROXY_DNS);
	assert_int_equal(r.a.n_ips, 1);
	assert_string_equal(r.ip, "198.18.0.1");
	assert_int_equal(r.a.min_ttl, 60);
	/* AAAA from the pool even without host IPv6: the proxy connects */
	r = ask(&e, "origin.test", DNS_TYPE_AAAA);
	assert_int_equal(r.mode, EVENT_DNS_SYNTHETIC_PROXY_DNS);
	assert_string_equal(r.ip, "fd63:666c:6f77::1");
	/* other types: empty, never forwarded */
	r = ask(&e, "origin.test", 15);
	assert_int_equal(r.mode, EVENT_DNS_SYNTHETIC_EMPTY);
	assert_int_equal(r.a.n_ips, 0);
	r = ask(&e, "origin.test", 16); /* TXT */
	assert_int_equal(r.mode, EVENT_DNS_SYNTHETIC_EMPTY);
	/* a denied name gets nothing and uses up no address */
	r = ask(&e, "ads.tracker.test", DNS_TYPE_A);
	assert_int_equal(r.mode, EVENT_DNS_SYNTHETIC_EMPTY);
	assert_int_equal(r.a.n_ips, 0);
	r = ask(&e, "other.test", DNS_TYPE_A);
	assert_string_equal(r.ip, "198.18.0.2");
	/* the same name, the same address; the pool knows both ways */
	assert_string_equal(ask(&e, "origin.test", DNS_TYPE_A).ip,
			    "198.18.0.1");
	assert_true(dns_pool_contains(&r.a.ips[0]));
	assert_string_equal(dns_pool_name(&r.a.ips[0]), "other.test");
	assert_int_equal(ip_parse("203.0.113.10", &a, NULL, 0), 0);
	assert_false(dns_pool_contains(&a));
	assert_null(dns_pool_name(&a));
	/* '_' is fine in a name for the proxy; a byte no proxy request can
	 * carry is not: no address
	 */
	r = ask(&e, "a_b.test", DNS_TYPE_A);
	assert_string_equal(r.ip, "198.18.0.3");
	r = ask(&e, "a,b.test", DNS_TYPE_A);
	assert_int_equal(r.mode, EVENT_DNS_SYNTHETIC_EMPTY);
	assert_int_equal(r.a.n_ips, 0);
	/* --proxy-dns off again: the pool is gone */
	cfg.proxy_dns = false;
	engine(&e, &cfg, true);
	assert_false(dns_pool_contains(&r.a.ips[0]));
	assert_null(dns_pool_name(&r.a.ips[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forwarded),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_denied_name),
		cmocka_unit_test(test_proxy_dns),
	};

	return cmocka_run_group_tests_name("dns_answer", tests, NULL, NULL);
}
