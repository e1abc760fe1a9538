/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_namemap.c - the name map of domain policy: DNS answers with CNAME
 * chains, hosts files, caps and eviction, IPv4 and IPv6
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/dnsmsg.h"
#include "policy/cidr.h"
#include "policy/namemap.h"

/* ip() - the address @s */
static struct ipaddr ip(const char *s)
{
	struct ipaddr a;

	assert_int_equal(ip_parse(s, &a, NULL, 0), 0);
	return a;
}

/* names() - the names of @addr joined by ' ', "-" when unknown; static */
static const char *names(struct namemap *nm, const char *addr)
{
	static char buf[4096];
	const char *const *v;
	struct ipaddr a = ip(addr);
	size_t n, i, off = 0;

	if (!namemap_lookup(nm, &a, &v, &n)) {
		assert_null(v);
		assert_int_equal(n, 0);
		return "-";
	}
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s",
					i ? " " : "", v[i]);
	return buf;
}

/* add() - namemap_add() of @name to @addr */
static int add(struct namemap *nm, const char *addr, const char *name)
{
	struct ipaddr a = ip(addr);

	return namemap_add(nm, &a, name);
}

/* hosts() - write @text to a temporary hosts file; its path, static */
static const char *hosts(const char *text)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_namemap.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* Every address of an answer gets every name of its CNAME chain */
static void test_answer_cname_chain(void **state)
{
	struct dnsmsg_answer a;
	struct namemap nm;

	(void)state;
	memset(&a, 0, sizeof(a));
	snprintf(a.names[0], sizeof(a.names[0]), "www.example.test");
	snprintf(a.names[1], sizeof(a.names[1]), "www.example.test.cdn.test");
	snprintf(a.names[2], sizeof(a.names[2]), "edge7.cdn.test");
	a.n_names = 3;
	a.ips[0] = ip("203.0.113.10");
	a.ips[1] = ip("203.0.113.11");
	a.ips[2] = ip("2001:db8::10");
	a.n_ips = 3;

	namemap_init(&nm, 0);
	namemap_add_answer(&nm, &a);
	assert_string_equal(names(&nm, "203.0.113.10"),
			    "www.example.test www.example.test.cdn.test "
			    "edge7.cdn.test");
	assert_string_equal(names(&nm, "203.0.113.11"),
			    "www.example.test www.example.test.cdn.test "
			    "edge7.cdn.test");
	assert_string_equal(names(&nm, "2001:db8::10"),
			    "www.example.test www.example.test.cdn.test "
			    "edge7.cdn.test");
	/* the same address through its IPv4-mapped IPv6 form */
	assert_string_equal(names(&nm, "::ffff:203.0.113.10"),
			    "www.example.test www.example.test.cdn.test "
			    "edge7.cdn.test");

	/* a second answer adds names; a name seen again is not repeated */
	memset(&a, 0, sizeof(a));
	snprintf(a.names[0], sizeof(a.names[0]), "static.example.test");
	snprintf(a.names[1], sizeof(a.names[1]), "edge7.cdn.test");
	a.n_names = 2;
	a.ips[0] = ip("203.0.113.10");
	a.n_ips = 1;
	namemap_add_answer(&nm, &a);
	assert_string_equal(names(&nm, "203.0.113.10"),
			    "www.example.test www.example.test.cdn.test "
			    "static.example.test edge7.cdn.test");

	/* an answer without addresses ties nothing */
	memset(&a, 0, sizeof(a));
	snprintf(a.names[0], sizeof(a.names[0]), "nothing.test");
	a.n_names = 1;
	namemap_add_answer(&nm, &a);
	assert_int_equal(nm.n_entries, 3); /* ::ffff:a.b.c.d is a.b.c.d */
	namemap_free(&nm);
}

/* Unknown addresses, and addresses of another family, have no names */
static void test_unknown(void **state)
{
	struct namemap nm;
	struct ipaddr none;
	const char *const *v = (const char *const *)&v;
	size_t n = 7;

	(void)state;
	namemap_init(&nm, 0);
	assert_string_equal(names(&nm, "192.0.2.1"), "-");
	assert_int_equal(add(&nm, "192.0.2.1", "one.test"), 0);
	assert_string_equal(names(&nm, "192.0.2.2"), "-");
	assert_string_equal(names(&nm, "::192.0.2.1"), "-"); /* not mapped */
	assert_string_equal(names(&nm, "2001:db8::1"), "-");
	memset(&none, 0, sizeof(none));
	assert_false(namemap_lookup(&nm, &none, &v, &n));
	assert_null(v);
	assert_int_equal(n, 0);
	namemap_free(&nm);
}

/* Names are normalised; invalid ones are refused */
static void test_names(void **state)
{
	struct namemap nm;
	char longname[300];

	(void)state;
	namemap_init(&nm, 0);
	assert_int_equal(add(&nm, "192.0.2.1", "WWW.Example.TEST."), 0);
	assert_int_equal(add(&nm, "192.0.2.1", "www.example.test"), 0);
	assert_string_equal(names(&nm, "192.0.2.1"), "www.example.test");
	assert_int_equal(add(&nm, "192.0.2.1", ""), -1);
	assert_int_equal(add(&nm, "192.0.2.1", "..."), -1);
	assert_int_equal(add(&nm, "192.0.2.1", "a b"), -1);
	assert_int_equal(add(&nm, "192.0.2.1", "a\nb"), -1);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(add(&nm, "192.0.2.1", longname), -1);
	longname[NAMEMAP_NAME_MAX] = '\0';
	assert_int_equal(add(&nm, "192.0.2.1", longname), 0);
	assert_int_equal(nm.dropped_names, 5);
	/* refused names make no entry */
	assert_int_equal(add(&nm, "192.0.2.9", "bad name"), -1);
	assert_string_equal(names(&nm, "192.0.2.9"), "-");
	namemap_free(&nm);
}

/* At most NAMEMAP_NAMES names per address: the oldest DNS name goes,
 * and a name seen again becomes the newest
 */
static void test_names_cap(void **state)
{
	struct namemap nm;
	char name[32];
	int i;

	(void)state;
	namemap_init(&nm, 0);
	for (i = 0; i < NAMEMAP_NAMES + 2; i++) {
		snprintf(name, sizeof(name), "n%d.test", i);
		assert_int_equal(add(&nm, "2001:db8::5", name), 0);
	}
	assert_string_equal(names(&nm, "2001:db8::5"),
			    "n2.test n3.test n4.test n5.test n6.test n7.test "
			    "n8.test n9.test");
	assert_int_equal(add(&nm, "2001:db8::5", "n3.test"), 0);
	assert_string_equal(names(&nm, "2001:db8::5"),
			    "n2.test n4.test n5.test n6.test n7.test n8.test "
			    "n9.test n3.test");
	assert_int_equal(add(&nm, "2001:db8::5", "n10.test"), 0);
	assert_string_equal(names(&nm, "2001:db8::5"),
			    "n4.test n5.test n6.test n7.test n8.test n9.test "
			    "n3.test n10.test");
	namemap_free(&nm);
}

/* At most max_entries learned addresses: the least recently used goes */
static void test_entries_cap(void **state)
{
	struct namemap nm;

	(void)state;
	namemap_init(&nm, 3);
	add(&nm, "192.0.2.1", "a.test");
	add(&nm, "192.0.2.2", "b.test");
	add(&nm, "2001:db8::3", "c.test");
	add(&nm, "192.0.2.4", "d.test"); /* evicts .1, the oldest */
	assert_string_equal(names(&nm, "192.0.2.1"), "-");
	assert_string_equal(names(&nm, "192.0.2.2"), "b.test"); /* now used */
	add(&nm, "192.0.2.5", "e.test"); /* evicts ::3, not .2 */
	assert_string_equal(names(&nm, "2001:db8::3"), "-");
	assert_string_equal(names(&nm, "192.0.2.2"), "b.test");
	add(&nm, "192.0.2.4", "d2.test"); /* adding is using */
	add(&nm, "192.0.2.6", "f.test");  /* evicts .5 */
	assert_string_equal(names(&nm, "192.0.2.5"), "-");
	assert_string_equal(names(&nm, "192.0.2.2"), "b.test");
	assert_string_equal(names(&nm, "192.0.2.4"), "d.test d2.test");
	assert_string_equal(names(&nm, "192.0.2.6"), "f.test");
	assert_int_equal(nm.n_learned, 3);
	assert_int_equal(nm.n_entries, 3); /* slots are reused */
	assert_int_equal(nm.evicted, 3);
	namemap_free(&nm);
}

/* Many addresses: the table grows, every lookup still finds its names,
 * and a flood far beyond the cap keeps memory at the cap
 */
static void test_many(void **state)
{
	struct namemap nm;
	struct ipaddr a;
	const char *const *v;
	char name[32];
	size_t n;
	uint32_t i;

	(void)state;
	namemap_init(&nm, 5000);
	for (i = 0; i < 20000; i++) {
		a.family = AF_INET;
		a.v4.s_addr = htonl(0x0a000000 + i);
		snprintf(name, sizeof(name), "h%u.test", i);
		assert_int_equal(namemap_add(&nm, &a, name), 0);
	}
	assert_int_equal(nm.n_learned, 5000);
	assert_int_equal(nm.n_entries, 5000);
	for (i = 0; i < 20000; i++) {
		a.family = AF_INET;
		a.v4.s_addr = htonl(0x0a000000 + i);
		snprintf(name, sizeof(name), "h%u.test", i);
		if (i < 15000) {
			assert_false(namemap_lookup(&nm, &a, &v, &n));
			continue;
		}
		assert_true(namemap_lookup(&nm, &a, &v, &n));
		assert_int_equal(n, 1);
		assert_string_equal(v[0], name);
	}
	namemap_free(&nm);
}

/* Hosts files as glibc reads them */
static void test_hosts(void **state)
{
	struct namemap nm;
	const char *path;
	char err[256];

	(void)state;
	path = hosts("# a comment line\n"
		     "\n"
		     "127.0.0.1\tlocalhost\n"
		     "192.0.2.10  Build.Example.TEST  build   # trailing\n"
		     "192.0.2.10 cache.example.test\n"
		     "   2001:db8::20 v6.example.test v6alias.\n"
		     "fe80::1%lo link.test\n"
		     "192.0.2.300 bad-address.test\n"
		     "not-an-address name.test\n"
		     "192.0.2.11\n"
		     "#192.0.2.12 commented.test\n"
		     "192.0.2.13 no-newline.test");
	namemap_init(&nm, 0);
	assert_int_equal(namemap_load_hosts(&nm, path, err, sizeof(err)), 8);
	unlink(path);
	assert_string_equal(names(&nm, "127.0.0.1"), "localhost");
	assert_string_equal(names(&nm, "192.0.2.10"),
			    "build.example.test build cache.example.test");
	assert_string_equal(names(&nm, "2001:db8::20"),
			    "v6.example.test v6alias");
	assert_string_equal(names(&nm, "fe80::1"), "link.test");
	assert_string_equal(names(&nm, "192.0.2.11"), "-");
	assert_string_equal(names(&nm, "192.0.2.12"), "-");
	assert_string_equal(names(&nm, "192.0.2.13"), "no-newline.test");
	assert_int_equal(nm.n_learned, 0);

	assert_int_equal(
		namemap_load_hosts(&nm, "/nonexistent/hosts", err, sizeof(err)),
		-1);
	assert_string_equal(err, "cannot read '/nonexistent/hosts': "
				 "No such file or directory");
	namemap_free(&nm);
}

/* Hosts-file entries are pinned: first in the list, never evicted, not
 * counted against the cap; DNS names fill the slots they leave
 */
static void test_hosts_pinned(void **state)
{
	struct namemap nm;
	const char *path;
	char name[32];
	int i;

	(void)state;
	namemap_init(&nm, 2);
	add(&nm, "192.0.2.10", "learned.example.test"); /* before the file */
	path = hosts("192.0.2.10 pinned.example.test learned.example.test\n"
		     "192.0.2.20 a1 a2 a3 a4 a5 a6 a7 a8 a9 a10\n");
	assert_int_equal(namemap_load_hosts(&nm, path, NULL, 0), 10);
	unlink(path);
	assert_int_equal(nm.n_learned, 0);
	assert_string_equal(names(&nm, "192.0.2.10"),
			    "pinned.example.test learned.example.test");
	/* the first NAMEMAP_NAMES aliases are kept */
	assert_string_equal(names(&nm, "192.0.2.20"),
			    "a1 a2 a3 a4 a5 a6 a7 a8");
	/* a full pinned entry takes no DNS name */
	add(&nm, "192.0.2.20", "dns.test");
	assert_string_equal(names(&nm, "192.0.2.20"),
			    "a1 a2 a3 a4 a5 a6 a7 a8");

	/* DNS names after the pinned ones; the oldest DNS one gives way */
	for (i = 0; i < NAMEMAP_NAMES; i++) {
		snprintf(name, sizeof(name), "d%d.test", i);
		add(&nm, "192.0.2.10", name);
	}
	assert_string_equal(names(&nm, "192.0.2.10"),
			    "pinned.example.test learned.example.test d2.test "
			    "d3.test d4.test d5.test d6.test d7.test");

	/* a flood of learned addresses never evicts pinned ones */
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "198.51.100.%d", i);
		add(&nm, name, "flood.test");
	}
	assert_int_equal(nm.n_learned, 2);
	assert_string_equal(names(&nm, "192.0.2.20"),
			    "a1 a2 a3 a4 a5 a6 a7 a8");
	assert_string_equal(names(&nm, "192.0.2.10"),
			    "pinned.example.test learned.example.test d2.test "
			    "d3.test d4.test d5.test d6.test d7.test");
	assert_string_equal(names(&nm, "198.51.100.99"), "flood.test");
	assert_string_equal(names(&nm, "198.51.100.97"), "-");
	namemap_free(&nm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer_cname_chain),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_names_cap),
		cmocka_unit_test(test_entries_cap),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_hosts_pinned),
	};

	return cmocka_run_group_tests_name("namemap", tests, NULL, NULL);
}
