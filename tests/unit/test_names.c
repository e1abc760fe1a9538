/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_names.c - unit tests for domain_normalize() and domain_matches()
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "policy/names.h"

#define LABEL63 \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define LABEL64 LABEL63 "b"

/* check_ok() - @in normalises to @want */
static void check_ok(const char *in, const char *want)
{
	char out[DOMAIN_MAX + 1], err[256] = "";

	if (domain_normalize(in, out, err, sizeof(err)) != 0)
		fail_msg("domain_normalize(\"%s\") failed: %s", in, err);
	assert_string_equal(out, want);
}

/* check_err() - @in is rejected with exactly @reason, @out untouched */
static void check_err(const char *in, const char *reason)
{
	char out[DOMAIN_MAX + 1], err[256] = "";

	memset(out, 'Z', sizeof(out));
	if (domain_normalize(in, out, err, sizeof(err)) != -1)
		fail_msg("domain_normalize(\"%s\") succeeded: %s", in, out);
	if (strcmp(err, reason) != 0)
		fail_msg("domain_normalize(\"%s\"): got \"%s\", want \"%s\"",
			 in, err, reason);
	assert_int_equal(out[0], 'Z');
}

/* name_of() - a name of @total bytes made of 63-byte labels and a last,
 * shorter one, into @buf
 */
static char *name_of(size_t total, char *buf)
{
	size_t i = 0, in_label = 0;

	while (i < total) {
		if (in_label == 63 && i + 1 < total) {
			buf[i++] = '.';
			in_label = 0;
			continue;
		}
		buf[i++] = 'a';
		in_label++;
	}
	buf[i] = '\0';
	return buf;
}

/* test_valid() - names already in normal form pass through */
static void test_valid(void **state)
{
	(void)state;
	check_ok("example.com", "example.com");
	check_ok("a", "a");
	check_ok("localhost", "localhost");
	check_ok("a.b.c.d.e", "a.b.c.d.e");
	check_ok("x-1.example-2.com", "x-1.example-2.com");
	check_ok("xn--bcher-kva.example", "xn--bcher-kva.example");
	check_ok("a--b.com", "a--b.com");
	check_ok("0.1.2", "0.1.2");
	check_ok("123.com", "123.com");
}

/* test_normalise() - case, trailing dots and surrounding white space */
static void test_normalise(void **state)
{
	(void)state;
	check_ok("Example.COM", "example.com");
	check_ok("EXAMPLE.COM", "example.com");
	check_ok("example.com.", "example.com");
	check_ok("example.com..", "example.com");
	check_ok("example.com...", "example.com");
	check_ok("  example.com", "example.com");
	check_ok("example.com  ", "example.com");
	check_ok("\t Example.Com. \r\n", "example.com");
	check_ok("\vexample.com\f", "example.com");
}

/* test_empty() - nothing left after trimming is "empty domain" */
static void test_empty(void **state)
{
	(void)state;
	check_err("", "empty domain");
	check_err(".", "empty domain");
	check_err("...", "empty domain");
	check_err("   ", "empty domain");
	check_err(" . ", "empty domain");
	check_err(NULL, "empty domain");
}

/* test_empty_labels() - leading dots and two dots in a row */
static void test_empty_labels(void **state)
{
	(void)state;
	check_err(".example.com", "domain must not start with a dot");
	check_err("..example.com", "domain must not start with a dot");
	check_err(" .example.com", "domain must not start with a dot");
	check_err("a..b", "domain has an empty label (two dots in a row)");
	check_err("example..com.",
		  "domain has an empty label (two dots in a row)");
}

/* test_bad_characters() - the reason quotes the label, made printable */
static void test_bad_characters(void **state)
{
	(void)state;
	check_err("a_b.example.com",
		  "label 'a_b' may hold only a-z, 0-9 and '-'");
	check_err("example.A_B", "label 'A_B' may hold only a-z, 0-9 and '-'");
	check_err("exa mple.com",
		  "label 'exa mple' may hold only a-z, 0-9 and '-'");
	check_err("example.com/path",
		  "label 'com/path' may hold only a-z, 0-9 and '-'");
	check_err("example.com:80",
		  "label 'com:80' may hold only a-z, 0-9 and '-'");
	check_err("user@example.com",
		  "label 'user@example' may hold only a-z, 0-9 and '-'");
	check_err(
		"b\xc3\xbc"
		"cher.example",
		"label 'b??cher' may hold only a-z, 0-9 and '-' (write international names in their xn-- form)");
	check_err("a\x1b[31mb.com",
		  "label 'a?[31mb' may hold only a-z, 0-9 and '-'");
	check_err("example.com .",
		  "label 'com ' may hold only a-z, 0-9 and '-'");
}

/* test_hyphens() - labels must not start or end with '-' */
static void test_hyphens(void **state)
{
	(void)state;
	check_err("-a.com", "label '-a' must not start or end with '-'");
	check_err("a-.com", "label 'a-' must not start or end with '-'");
	check_err("example.-", "label '-' must not start or end with '-'");
	check_err("a.b-", "label 'b-' must not start or end with '-'");
}

/* test_wildcards() - "*.example.com" suggests "example.com" */
static void test_wildcards(void **state)
{
	(void)state;
	check_err(
		"*.example.com",
		"wildcards are not supported, write 'example.com' to match it and its subdomains");
	check_err(
		"*.Example.COM.",
		"wildcards are not supported, write 'example.com' to match it and its subdomains");
	check_err(
		" *.example.com ",
		"wildcards are not supported, write 'example.com' to match it and its subdomains");
	check_err("*", "wildcards ('*') are not supported");
	check_err("*.", "wildcards ('*') are not supported");
	check_err("*example.com", "wildcards ('*') are not supported");
	check_err("a.*.example.com", "wildcards ('*') are not supported");
	check_err("*.*.example.com", "wildcards ('*') are not supported");
	check_err("*.a_b.com", "wildcards ('*') are not supported");
}

/* test_label_length() - 63-byte labels pass, 64-byte ones fail */
static void test_label_length(void **state)
{
	(void)state;
	check_ok(LABEL63, LABEL63);
	check_ok(LABEL63 ".com", LABEL63 ".com");
	check_ok("x." LABEL63, "x." LABEL63);
	check_err(LABEL64,
		  "label 'aaaaaaaaaaaaaaaaaaaa...' is longer than 63 bytes");
	check_err("x." LABEL64 ".com",
		  "label 'aaaaaaaaaaaaaaaaaaaa...' is longer than 63 bytes");
	/* a long label with a bad character is shortened in the reason too */
	check_err(
		LABEL63 "_",
		"label 'aaaaaaaaaaaaaaaaaaaa...' may hold only a-z, 0-9 and '-'");
	/* 24 bytes are shown whole */
	check_err(
		"abcdefghijklmnopqrstuvw_.com",
		"label 'abcdefghijklmnopqrstuvw_' may hold only a-z, 0-9 and '-'");
}

/* test_total_length() - 253 bytes pass, 254 fail, after trimming */
static void test_total_length(void **state)
{
	char in[400], want[400], out[DOMAIN_MAX + 1];

	(void)state;
	name_of(253, in);
	assert_int_equal(strlen(in), 253);
	check_ok(in, in);

	/* the limit applies after trimming and dropping trailing dots */
	snprintf(want, sizeof(want), "  %s..  ", in);
	check_ok(want, in);

	name_of(254, in);
	assert_int_equal(strlen(in), 254);
	check_err(in, "domain is longer than 253 bytes");

	name_of(399, in);
	check_err(in, "domain is longer than 253 bytes");

	/* upper case input with exactly 253 bytes */
	name_of(253, in);
	in[0] = 'A';
	assert_int_equal(domain_normalize(in, out, NULL, 0), 0);
	assert_int_equal(out[0], 'a');
	assert_int_equal(strlen(out), 253);
}

/* test_err_buffers() - NULL, empty and short reason buffers */
static void test_err_buffers(void **state)
{
	char out[DOMAIN_MAX + 1], err[6];

	(void)state;
	assert_int_equal(domain_normalize("a_b", out, NULL, 0), -1);
	assert_int_equal(domain_normalize("a_b", out, err, 0), -1);
	assert_int_equal(domain_normalize("a.com", NULL, NULL, 0), -1);
	assert_int_equal(domain_normalize("a_b", out, err, sizeof(err)), -1);
	assert_string_equal(err, "label");
}

/* test_idempotent() - normalising a normal name changes nothing */
static void test_idempotent(void **state)
{
	static const char *const names[] = {
		"Example.COM.",
		" a.b.c ",
		"xn--bcher-kva.example",
		LABEL63,
	};
	char once[DOMAIN_MAX + 1], twice[DOMAIN_MAX + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(domain_normalize(names[i], once, NULL, 0), 0);
		assert_int_equal(domain_normalize(once, twice, NULL, 0), 0);
		assert_string_equal(once, twice);
	}
}

/* test_matches() - exact and subdomain matching on label boundaries */
static void test_matches(void **state)
{
	(void)state;
	assert_true(domain_matches("example.com", "example.com", false));
	assert_true(domain_matches("example.com", "example.com", true));
	assert_true(domain_matches("a.example.com", "example.com", false));
	assert_true(domain_matches("a.b.example.com", "example.com", false));
	assert_false(domain_matches("a.example.com", "example.com", true));
	assert_false(domain_matches("badexample.com", "example.com", false));
	assert_false(domain_matches("example.com", "a.example.com", false));
	assert_false(domain_matches("example.org", "example.com", false));
	assert_false(domain_matches("com", "example.com", false));
	assert_false(domain_matches(".example.com", "example.com", true));
	assert_true(domain_matches("a.com", "com", false));
	assert_false(domain_matches("acom", "com", false));
	assert_false(domain_matches("example.com", "", false));
	assert_false(domain_matches(NULL, "example.com", false));
	assert_false(domain_matches("example.com", NULL, false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_empty_labels),
		cmocka_unit_test(test_bad_characters),
		cmocka_unit_test(test_hyphens),
		cmocka_unit_test(test_wildcards),
		cmocka_unit_test(test_label_length),
		cmocka_unit_test(test_total_length),
		cmocka_unit_test(test_err_buffers),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_matches),
	};

	return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
