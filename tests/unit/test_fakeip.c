/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_fakeip.c - the --proxy-dns address pool: addresses per name, the
 * same address while remembered, LRU reuse when full, held slots never
 * reused, bounds
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy/fakeip.h"

/* ip() - the address @s */
static struct ipaddr ip(const char *s)
{
	struct ipaddr a;

	assert_int_equal(ip_parse(s, &a, NULL, 0), 0);
	return a;
}

/* text() - @a as text, in one of two rotating static buffers */
static const char *text(const struct ipaddr *a)
{
	static char buf[2][64];
	static int k;

	k ^= 1;
	return ip_format(a, buf[k], sizeof(buf[k]));
}

/* v4_of() - fakeip_assign() of @name, which must succeed; its IPv4 text */
static const char *v4_of(struct fakeip *fp, const char *name)
{
	struct ipaddr v4;

	assert_int_equal(fakeip_assign(fp, name, &v4, NULL), 0);
	return text(&v4);
}

/* name_of() - fakeip_lookup() of @addr, "-" for none */
static const char *name_of(struct fakeip *fp, const char *addr)
{
	struct ipaddr a = ip(addr);
	const char *n = fakeip_lookup(fp, &a);

	return n ? n : "-";
}

static void test_addresses(void **state)
{
	struct ipaddr v4, v6;
	struct fakeip fp;

	(void)state;
	fakeip_init(&fp, 0);
	assert_int_equal(fakeip_assign(&fp, "origin.test", &v4, &v6), 0);
	assert_string_equal(text(&v4), "198.18.0.1");
	assert_string_equal(text(&v6), "fd63:666c:6f77::1");
	assert_int_equal(fakeip_assign(&fp, "other.test", &v4, &v6), 0);
	assert_string_equal(text(&v4), "198.18.0.2");
	assert_string_equal(text(&v6), "fd63:666c:6f77::2");
	/* both addresses of a slot stand for its name */
	assert_string_equal(name_of(&fp, "198.18.0.1"), "origin.test");
	assert_string_equal(name_of(&fp, "fd63:666c:6f77::1"), "origin.test");
	assert_string_equal(name_of(&fp, "fd63:666c:6f77::2"), "other.test");
	/* pool addresses not handed out, and addresses outside the pool */
	assert_string_equal(name_of(&fp, "198.18.0.3"), "-");
	assert_string_equal(name_of(&fp, "198.18.0.0"), "-");
	assert_string_equal(name_of(&fp, "198.17.255.255"), "-");
	assert_string_equal(name_of(&fp, "203.0.113.10"), "-");
	assert_string_equal(name_of(&fp, "fd63:666c:6f77:1::1"), "-");
	assert_string_equal(name_of(&fp, "fd63:666c:6f77::1:0:0:1"), "-");
	assert_string_equal(name_of(&fp, "::ffff:198.18.0.1"), "-");
	fakeip_free(&fp);
}

static void test_contains(void **state)
{
	struct ipaddr a;

	(void)state;
	a = ip("198.18.0.0");
	assert_true(fakeip_contains(&a));
	a = ip("198.19.255.255");
	assert_true(fakeip_contains(&a));
	a = ip("198.20.0.1");
	assert_false(fakeip_contains(&a));
	a = ip("198.17.255.255");
	assert_false(fakeip_contains(&a));
	a = ip("fd63:666c:6f77::abcd");
	assert_true(fakeip_contains(&a));
	a = ip("fd63:666c:6f77:0:1::");
	assert_true(fakeip_contains(&a));
	a = ip("fd63:666c:6f78::1");
	assert_false(fakeip_contains(&a));
	a = ip("fd00::3");
	assert_false(fakeip_contains(&a));
}

static void test_same_name_same_address(void **state)
{
	struct fakeip fp;
	char first[64];

	(void)state;
	fakeip_init(&fp, 0);
	snprintf(first, sizeof(first), "%s", v4_of(&fp, "origin.test"));
	v4_of(&fp, "a.test");
	v4_of(&fp, "b.test");
	assert_string_equal(v4_of(&fp, "origin.test"), first);
	/* normalised: case and one trailing dot do not make a new name */
	assert_string_equal(v4_of(&fp, "ORIGIN.Test."), first);
	assert_string_equal(name_of(&fp, first), "origin.test");
	fakeip_free(&fp);
}

static void test_bad_names(void **state)
{
	const char *bad[] = {"",    ".",    "a..b",   ".a",
			     "a b", "a\tb", "ä.test", "a.test..",
			     "a/b", "a:80", "a@b",    "[::1]"};
	struct ipaddr v4;
	struct fakeip fp;
	char longname[300];
	size_t i;

	(void)state;
	fakeip_init(&fp, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(fakeip_name_ok(bad[i]));
		assert_int_equal(fakeip_assign(&fp, bad[i], &v4, NULL),
				 -EINVAL);
	}
	assert_false(fakeip_name_ok(NULL));
	/* 253 bytes is the longest name; 254 is refused */
	memset(longname, 'a', sizeof(longname));
	for (i = 63; i < 253; i += 64)
		longname[i] = '.';
	longname[253] = '\0';
	assert_true(fakeip_name_ok(longname));
	assert_int_equal(fakeip_assign(&fp, longname, &v4, NULL), 0);
	longname[253] = 'a';
	longname[254] = '\0';
	assert_false(fakeip_name_ok(longname));
	/* digits, '-' and '_' are fine */
	assert_true(fakeip_name_ok("_srv-1.x0.test"));
	assert_int_equal(fp.n_entries, 1);
	fakeip_free(&fp);
}

/* test_lru_reuse() - a full pool gives the least recently used slot
 * (assigned or looked up) to a new name; the old name is forgotten
 */
static void test_lru_reuse(void **state)
{
	struct fakeip fp;

	(void)state;
	fakeip_init(&fp, 3);
	assert_string_equal(v4_of(&fp, "a.test"), "198.18.0.1");
	assert_string_equal(v4_of(&fp, "b.test"), "198.18.0.2");
	assert_string_equal(v4_of(&fp, "c.test"), "198.18.0.3");
	/* a is used again (by address), b is now the oldest */
	assert_string_equal(name_of(&fp, "198.18.0.1"), "a.test");
	assert_string_equal(v4_of(&fp, "d.test"), "198.18.0.2");
	assert_string_equal(name_of(&fp, "198.18.0.2"), "d.test");
	assert_int_equal(fp.reused, 1);
	/* b comes back: it gets the oldest slot now (c's) */
	assert_string_equal(v4_of(&fp, "b.test"), "198.18.0.3");
	assert_string_equal(name_of(&fp, "fd63:666c:6f77::3"), "b.test");
	/* a name assigned again is the newest: a is the oldest now */
	assert_string_equal(v4_of(&fp, "d.test"), "198.18.0.2");
	assert_string_equal(v4_of(&fp, "e.test"), "198.18.0.1");
	assert_int_equal(fp.n_entries, 3); /* bounded */
	fakeip_free(&fp);
}

/* test_held_never_reused() - a slot held by a live flow keeps its name */
static void test_held_never_reused(void **state)
{
	struct ipaddr a1 = ip("198.18.0.1"), a2 = ip("fd63:666c:6f77::2");
	struct ipaddr v4;
	struct fakeip fp;

	(void)state;
	fakeip_init(&fp, 2);
	v4_of(&fp, "a.test");
	v4_of(&fp, "b.test");
	assert_string_equal(fakeip_hold(&fp, &a1), "a.test");
	assert_string_equal(fakeip_hold(&fp, &a1), "a.test"); /* 2 flows */
	/* a is the oldest but held: c takes b's slot */
	assert_string_equal(v4_of(&fp, "c.test"), "198.18.0.2");
	assert_string_equal(name_of(&fp, "198.18.0.1"), "a.test");
	/* both slots held: no room for a new name, nothing is lost */
	assert_string_equal(fakeip_hold(&fp, &a2), "c.test");
	assert_int_equal(fakeip_assign(&fp, "d.test", &v4, NULL), -ENOSPC);
	assert_string_equal(name_of(&fp, "198.18.0.1"), "a.test");
	assert_string_equal(name_of(&fp, "198.18.0.2"), "c.test");
	/* a known name still gets its address while held */
	assert_string_equal(v4_of(&fp, "a.test"), "198.18.0.1");
	/* one of a's two flows ends: still held */
	fakeip_release(&fp, &a1);
	assert_int_equal(fakeip_assign(&fp, "d.test", &v4, NULL), -ENOSPC);
	/* c's flow ends: its slot is free for d */
	fakeip_release(&fp, &a2);
	assert_string_equal(v4_of(&fp, "d.test"), "198.18.0.2");
	/* a's last flow ends: a is reusable again, as the most recently
	 * used slot, so d's goes first
	 */
	fakeip_release(&fp, &a1);
	fakeip_release(&fp, &a1); /* not held: no-op */
	assert_string_equal(v4_of(&fp, "e.test"), "198.18.0.2");
	assert_string_equal(v4_of(&fp, "f.test"), "198.18.0.1");
	assert_string_equal(name_of(&fp, "198.18.0.1"), "f.test");
	fakeip_free(&fp);
}

static void test_hold_unknown(void **state)
{
	struct ipaddr a = ip("198.18.0.9"), b = ip("203.0.113.10");
	struct fakeip fp;

	(void)state;
	fakeip_init(&fp, 0);
	assert_null(fakeip_hold(&fp, &a));
	assert_null(fakeip_hold(&fp, &b));
	fakeip_release(&fp, &a);
	fakeip_release(&fp, &b);
	v4_of(&fp, "a.test");
	assert_null(fakeip_hold(&fp, &a));
	fakeip_free(&fp);
}

/* test_many() - thousands of names: the hash grows, lookups stay right,
 * the cap holds, and the newest names are all still there
 */
static void test_many(void **state)
{
	struct fakeip fp;
	char name[64];
	unsigned int i;

	(void)state;
	fakeip_init(&fp, 5000);
	for (i = 0; i < 12000; i++) {
		struct ipaddr v4, v6;

		snprintf(name, sizeof(name), "host%u.test", i);
		assert_int_equal(fakeip_assign(&fp, name, &v4, &v6), 0);
		assert_string_equal(fakeip_lookup(&fp, &v4), name);
		assert_string_equal(fakeip_lookup(&fp, &v6), name);
	}
	assert_int_equal(fp.n_entries, 5000);
	assert_int_equal(fp.reused, 7000);
	for (i = 7000; i < 12000; i++) {
		struct ipaddr v4, again;

		snprintf(name, sizeof(name), "host%u.test", i);
		assert_int_equal(fakeip_assign(&fp, name, &v4, NULL), 0);
		assert_string_equal(fakeip_lookup(&fp, &v4), name);
		assert_int_equal(fakeip_assign(&fp, name, &again, NULL), 0);
		assert_memory_equal(&v4, &again, sizeof(v4));
	}
	assert_int_equal(fp.reused, 7000); /* none of them was reused */
	fakeip_free(&fp);
}

static void test_cap(void **state)
{
	struct fakeip fp;

	(void)state;
	fakeip_init(&fp, 1u << 30);
	assert_int_equal(fp.max_entries, FAKEIP_SLOTS_MAX);
	fakeip_free(&fp);
	fakeip_init(&fp, 0);
	assert_int_equal(fp.max_entries, FAKEIP_MAX_ENTRIES);
	fakeip_free(&fp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_same_name_same_address),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_lru_reuse),
		cmocka_unit_test(test_held_never_reused),
		cmocka_unit_test(test_hold_unknown),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
