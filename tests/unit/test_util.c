/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_util.c - path and string-vector helpers
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static void check_join(const char *base, const char *rel, const char *want)
{
	char *got = path_join_normalize(base, rel);

	assert_string_equal(got, want);
	free(got);
}

static void test_join(void **state)
{
	(void)state;
	check_join("/etc/childflow", "base.toml", "/etc/childflow/base.toml");
	check_join("/etc/childflow", "/abs/x", "/abs/x");
	check_join("/etc/childflow", "../hosts", "/etc/hosts");
	check_join("/etc/childflow/", "./a/./b//c", "/etc/childflow/a/b/c");
	check_join("/", "../../x", "/x");
	check_join("/a/b", "..", "/a");
	check_join("/a", "../..", "/");
	check_join("rel", "x", "rel/x");
	check_join("rel", "../../x", "../x");
	check_join("..", "..", "../..");
	check_join(NULL, "a/b/../c", "a/c");
	check_join("", ".", ".");
}

static void test_dirname(void **state)
{
	char *d;

	(void)state;
	d = path_dirname("/a/b/c.toml");
	assert_string_equal(d, "/a/b");
	free(d);
	d = path_dirname("/c.toml");
	assert_string_equal(d, "/");
	free(d);
	d = path_dirname("c.toml");
	assert_string_equal(d, ".");
	free(d);
}

static void test_absolute(void **state)
{
	char *a;

	(void)state;
	assert_int_equal(chdir("/tmp"), 0);
	a = path_absolute("x/../y.pcapng");
	assert_string_equal(a, "/tmp/y.pcapng");
	free(a);
	a = path_absolute("/var//log/./f");
	assert_string_equal(a, "/var/log/f");
	free(a);
}

static void test_strv(void **state)
{
	char **v = NULL, **d;
	size_t n = 0;

	(void)state;
	assert_int_equal(strv_len(v), 0);
	strv_push(&v, &n, "a");
	strv_push(&v, &n, "b");
	assert_int_equal(n, 2);
	assert_int_equal(strv_len(v), 2);
	assert_null(v[2]);
	d = strv_dup(v, n);
	assert_string_equal(d[1], "b");
	assert_null(d[2]);
	strv_free(v);
	strv_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_dirname),
		cmocka_unit_test(test_absolute),
		cmocka_unit_test(test_strv),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
