/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_cidr.c - unit tests for ip_parse(), cidr_parse() and friends
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "policy/cidr.h"

#define IP_EXPECTED                                                        \
	"expected an IPv4 address like 192.0.2.1 or an IPv6 address like " \
	"2001:db8::1"
#define V4_EXPECTED \
	"expected an IPv4 address like 192.0.2.1 (four numbers from 0 to 255)"
#define V6_EXPECTED "expected an IPv6 address like 2001:db8::1"

/* check_ip() - @s parses, with @family, and formats as @canon */
static void check_ip(const char *s, int family, const char *canon)
{
	struct ipaddr a;
	char err[256] = "", buf[INET6_ADDRSTRLEN];

	if (ip_parse(s, &a, err, sizeof(err)) != 0)
		fail_msg("ip_parse(\"%s\") failed: %s", s, err);
	assert_int_equal(a.family, family);
	assert_string_equal(ip_format(&a, buf, sizeof(buf)), canon);
}

/* check_ip_err() - @s is rejected with exactly @reason */
static void check_ip_err(const char *s, const char *reason)
{
	struct ipaddr a;
	char err[256] = "";

	memset(&a, 0x5a, sizeof(a));
	if (ip_parse(s, &a, err, sizeof(err)) != -1)
		fail_msg("ip_parse(\"%s\") succeeded", s);
	if (strcmp(err, reason) != 0)
		fail_msg("ip_parse(\"%s\"): got \"%s\", want \"%s\"", s, err,
			 reason);
}

/* check_cidr() - @s parses and formats as @canon */
static void check_cidr(const char *s, int family, const char *canon)
{
	struct cidr c;
	char err[256] = "", buf[INET6_ADDRSTRLEN + 8];

	if (cidr_parse(s, &c, err, sizeof(err)) != 0)
		fail_msg("cidr_parse(\"%s\") failed: %s", s, err);
	assert_int_equal(c.addr.family, family);
	assert_string_equal(cidr_format(&c, buf, sizeof(buf)), canon);
}

/* check_cidr_err() - @s is rejected with exactly @reason */
static void check_cidr_err(const char *s, const char *reason)
{
	struct cidr c;
	char err[256] = "";

	if (cidr_parse(s, &c, err, sizeof(err)) != -1)
		fail_msg("cidr_parse(\"%s\") succeeded", s);
	if (strcmp(err, reason) != 0)
		fail_msg("cidr_parse(\"%s\"): got \"%s\", want \"%s\"", s, err,
			 reason);
}

/* contains() - does cidr @c contain address @a? Both must parse. */
static bool contains(const char *c, const char *a)
{
	struct cidr cc;
	struct ipaddr aa;

	assert_int_equal(cidr_parse(c, &cc, NULL, 0), 0);
	assert_int_equal(ip_parse(a, &aa, NULL, 0), 0);
	return cidr_contains(&cc, &aa);
}

/* test_ip_v4_valid() - dotted quads parse and format back unchanged */
static void test_ip_v4_valid(void **state)
{
	(void)state;
	check_ip("192.0.2.1", AF_INET, "192.0.2.1");
	check_ip("0.0.0.0", AF_INET, "0.0.0.0");
	check_ip("255.255.255.255", AF_INET, "255.255.255.255");
	check_ip("10.0.0.1", AF_INET, "10.0.0.1");
	check_ip("127.0.0.1", AF_INET, "127.0.0.1");
}

/* test_ip_v4_invalid() - short, long, out-of-range, leading-zero and hex IPv4 forms fail */
static void test_ip_v4_invalid(void **state)
{
	(void)state;
	check_ip_err("256.0.0.1", V4_EXPECTED);
	check_ip_err("1.2.3", V4_EXPECTED);
	check_ip_err("1.2.3.4.5", V4_EXPECTED);
	check_ip_err("1", V4_EXPECTED);
	check_ip_err("010.0.0.1", V4_EXPECTED);
	check_ip_err("1.2.3.04", V4_EXPECTED);
	check_ip_err("1..2.3", V4_EXPECTED);
	check_ip_err("1.2.3.4.", V4_EXPECTED);
	check_ip_err(".1.2.3.4", V4_EXPECTED);
	check_ip_err("4294967295", V4_EXPECTED);
	check_ip_err("0x7f.0.0.1", IP_EXPECTED);
	check_ip_err("1.2.3.-4", IP_EXPECTED);
	check_ip_err("+1.2.3.4", IP_EXPECTED);
	check_ip_err("localhost", IP_EXPECTED);
	check_ip_err("example.com", IP_EXPECTED);
	check_ip_err("1.2.3.4/8", IP_EXPECTED);
}

/* test_ip_v6_valid() - IPv6 text forms parse and format in inet_ntop form */
static void test_ip_v6_valid(void **state)
{
	(void)state;
	check_ip("2001:db8::1", AF_INET6, "2001:db8::1");
	check_ip("::", AF_INET6, "::");
	check_ip("::1", AF_INET6, "::1");
	check_ip("2001:DB8:0:0:0:0:0:1", AF_INET6, "2001:db8::1");
	check_ip("2001:0db8:0000:0000:0000:0000:0000:0001", AF_INET6,
		 "2001:db8::1");
	check_ip("fe80::1", AF_INET6, "fe80::1");
	check_ip("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", AF_INET6,
		 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

/* test_ip_v4_mapped() - ::ffff:a.b.c.d stays IPv6 and is not in IPv4 prefixes */
static void test_ip_v4_mapped(void **state)
{
	struct ipaddr a;
	static const unsigned char want[16] = {0, 0, 0,	   0,	 0,  0, 0, 0,
					       0, 0, 0xff, 0xff, 10, 0, 0, 1};

	(void)state;
	/* a mapped address stays IPv6: it is not an IPv4 rule */
	assert_int_equal(ip_parse("::ffff:10.0.0.1", &a, NULL, 0), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_memory_equal(a.v6.s6_addr, want, 16);
	check_ip("::ffff:10.0.0.1", AF_INET6, "::ffff:10.0.0.1");
	check_ip("::FFFF:10.0.0.1", AF_INET6, "::ffff:10.0.0.1");
	assert_false(contains("10.0.0.0/8", "::ffff:10.0.0.1"));
	assert_true(contains("::ffff:10.0.0.0/104", "::ffff:10.0.0.1"));
}

/* test_ip_v6_invalid() - malformed IPv6 text fails with the IPv6 reason */
static void test_ip_v6_invalid(void **state)
{
	(void)state;
	check_ip_err("2001:db8::1::2", V6_EXPECTED);
	check_ip_err("2001:db8:::1", V6_EXPECTED);
	check_ip_err("12345::1", V6_EXPECTED);
	check_ip_err("1:2:3:4:5:6:7:8:9", V6_EXPECTED);
	check_ip_err("2001:db8::g", V6_EXPECTED);
	check_ip_err(":", V6_EXPECTED);
	check_ip_err("::ffff:10.0.0.256", V6_EXPECTED);
	check_ip_err("::1:", V6_EXPECTED);
	check_ip_err(
		"0000000000000000000000000000000000000000000000000000000000:1",
		V6_EXPECTED);
}

/* test_ip_special_reasons() - empty input, white space, brackets and zone ids */
static void test_ip_special_reasons(void **state)
{
	(void)state;
	check_ip_err("", "empty address, " IP_EXPECTED);
	check_ip_err(" 192.0.2.1", "unexpected white space around the address");
	check_ip_err("192.0.2.1 ", "unexpected white space around the address");
	check_ip_err("\t::1\n", "unexpected white space around the address");
	check_ip_err("192.0.2. 1", IP_EXPECTED);
	check_ip_err(
		"[::1]",
		"unexpected brackets, write the IPv6 address without them like 2001:db8::1");
	check_ip_err(
		"[2001:db8::1",
		"unexpected brackets, write the IPv6 address without them like 2001:db8::1");
	check_ip_err("fe80::1%eth0",
		     "IPv6 zone ids (like %eth0) are not supported");
	check_ip_err("fe80::1%1",
		     "IPv6 zone ids (like %eth0) are not supported");
}

/* test_ip_err_buffers() - NULL, empty and short reason buffers */
static void test_ip_err_buffers(void **state)
{
	struct ipaddr a;
	char err[8];

	(void)state;
	/* no room for a reason is fine */
	assert_int_equal(ip_parse("nope", &a, NULL, 0), -1);
	assert_int_equal(ip_parse("nope", &a, err, 0), -1);
	assert_int_equal(ip_parse(NULL, &a, NULL, 0), -1);
	assert_int_equal(ip_parse("::1", NULL, NULL, 0), -1);

	/* a short buffer gets a truncated, terminated reason */
	memset(err, 'x', sizeof(err));
	assert_int_equal(ip_parse("nope", &a, err, sizeof(err)), -1);
	assert_string_equal(err, "expecte");
}

/* test_cidr_valid() - ADDR/PREFIX and bare addresses (host prefixes) */
static void test_cidr_valid(void **state)
{
	(void)state;
	check_cidr("10.0.0.0/8", AF_INET, "10.0.0.0/8");
	check_cidr("192.0.2.1", AF_INET, "192.0.2.1/32");
	check_cidr("192.0.2.1/32", AF_INET, "192.0.2.1/32");
	check_cidr("0.0.0.0/0", AF_INET, "0.0.0.0/0");
	check_cidr("2001:db8::/32", AF_INET6, "2001:db8::/32");
	check_cidr("2001:db8::1", AF_INET6, "2001:db8::1/128");
	check_cidr("::/0", AF_INET6, "::/0");
	check_cidr("::1/128", AF_INET6, "::1/128");
	check_cidr("::ffff:10.0.0.1/128", AF_INET6, "::ffff:10.0.0.1/128");
}

/* test_cidr_host_bits() - bits below the prefix are cleared */
static void test_cidr_host_bits(void **state)
{
	struct cidr c;

	(void)state;
	check_cidr("10.1.2.3/8", AF_INET, "10.0.0.0/8");
	check_cidr("192.168.255.255/17", AF_INET, "192.168.128.0/17");
	check_cidr("192.168.1.255/31", AF_INET, "192.168.1.254/31");
	check_cidr("255.255.255.255/0", AF_INET, "0.0.0.0/0");
	check_cidr("255.255.255.255/1", AF_INET, "128.0.0.0/1");
	check_cidr("2001:db8:abcd:1234::1/48", AF_INET6, "2001:db8:abcd::/48");
	check_cidr("2001:db8::ffff/127", AF_INET6, "2001:db8::fffe/127");
	check_cidr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/65", AF_INET6,
		   "ffff:ffff:ffff:ffff:8000::/65");
	check_cidr("ffff::1/0", AF_INET6, "::/0");

	assert_int_equal(cidr_parse("10.1.2.3/8", &c, NULL, 0), 0);
	assert_int_equal(c.prefix, 8);
	assert_int_equal(ntohl(c.addr.v4.s_addr), 0x0a000000);
}

/* test_cidr_prefix_bounds() - prefixes 0, 32, 33, 128 and 129 and huge ones */
static void test_cidr_prefix_bounds(void **state)
{
	(void)state;
	check_cidr("1.2.3.4/0", AF_INET, "0.0.0.0/0");
	check_cidr("1.2.3.4/32", AF_INET, "1.2.3.4/32");
	check_cidr_err("1.2.3.4/33",
		       "prefix length is out of range (expected 0-32)");
	check_cidr_err("1.2.3.4/128",
		       "prefix length is out of range (expected 0-32)");
	check_cidr_err("1.2.3.4/4294967296",
		       "prefix length is out of range (expected 0-32)");
	check_cidr("::1/0", AF_INET6, "::/0");
	check_cidr("::1/32", AF_INET6, "::/32");
	check_cidr("::1/33", AF_INET6, "::/33");
	check_cidr("::1/128", AF_INET6, "::1/128");
	check_cidr_err("::1/129",
		       "prefix length is out of range (expected 0-128)");
	check_cidr_err("::1/99999999999999999999",
		       "prefix length is out of range (expected 0-128)");
}

/* test_cidr_invalid() - missing, signed, padded and junk prefixes and addresses */
static void test_cidr_invalid(void **state)
{
	(void)state;
	check_cidr_err("10.0.0.0/",
		       "missing prefix length after '/' (expected 0-32)");
	check_cidr_err("::/",
		       "missing prefix length after '/' (expected 0-128)");
	check_cidr_err("/", "missing address before '/', " IP_EXPECTED);
	check_cidr_err("/8", "missing address before '/', " IP_EXPECTED);
	check_cidr_err("", "empty address, " IP_EXPECTED);
	check_cidr_err(
		"10.0.0.0/08",
		"prefix length must not have leading zeros (expected 0-32)");
	check_cidr_err(
		"10.0.0.0/00",
		"prefix length must not have leading zeros (expected 0-32)");
	check_cidr_err(
		"10.0.0.0/+8",
		"prefix length must be a decimal number (expected 0-32)");
	check_cidr_err(
		"10.0.0.0/-1",
		"prefix length must be a decimal number (expected 0-32)");
	check_cidr_err(
		"10.0.0.0/8 ",
		"prefix length must be a decimal number (expected 0-32)");
	check_cidr_err(
		"10.0.0.0/ 8",
		"prefix length must be a decimal number (expected 0-32)");
	check_cidr_err(
		"10.0.0.0/8/8",
		"prefix length must be a decimal number (expected 0-32)");
	check_cidr_err(
		"10.0.0.0/0x8",
		"prefix length must be a decimal number (expected 0-32)");
	check_cidr_err(
		"2001:db8::/3a",
		"prefix length must be a decimal number (expected 0-128)");
	check_cidr_err("10.0.0/8", V4_EXPECTED);
	check_cidr_err("10.0.0.0 /8",
		       "unexpected white space around the address");
	check_cidr_err(" 10.0.0.0/8",
		       "unexpected white space around the address");
	check_cidr_err(
		"[::1]/128",
		"unexpected brackets, write the IPv6 address without them like 2001:db8::1");
	check_cidr_err("fe80::%eth0/64",
		       "IPv6 zone ids (like %eth0) are not supported");
	check_cidr_err("junk", IP_EXPECTED);
	check_cidr_err("junk/8", IP_EXPECTED);
	check_cidr_err(NULL, IP_EXPECTED);
}

/* test_cidr_contains() - membership at prefix edges, /0 and across families */
static void test_cidr_contains(void **state)
{
	struct cidr c;
	struct ipaddr a;

	(void)state;
	assert_true(contains("10.0.0.0/8", "10.0.0.0"));
	assert_true(contains("10.0.0.0/8", "10.255.255.255"));
	assert_false(contains("10.0.0.0/8", "11.0.0.0"));
	assert_false(contains("10.0.0.0/8", "9.255.255.255"));
	assert_true(contains("192.168.1.0/25", "192.168.1.127"));
	assert_false(contains("192.168.1.0/25", "192.168.1.128"));
	assert_true(contains("192.0.2.1", "192.0.2.1"));
	assert_false(contains("192.0.2.1", "192.0.2.2"));
	assert_true(contains("0.0.0.0/0", "255.255.255.255"));
	assert_true(contains("0.0.0.0/0", "0.0.0.0"));

	assert_true(contains("2001:db8::/32", "2001:db8:ffff::1"));
	assert_false(contains("2001:db8::/32", "2001:db9::1"));
	assert_true(contains("2001:db8::/33", "2001:db8:7fff::1"));
	assert_false(contains("2001:db8::/33", "2001:db8:8000::1"));
	assert_true(contains("::/0", "ffff::1"));
	assert_true(contains("::1", "::1"));
	assert_false(contains("::1", "::2"));

	/* families never mix, not even for /0 */
	assert_false(contains("0.0.0.0/0", "::1"));
	assert_false(contains("::/0", "10.0.0.1"));
	assert_false(contains("::ffff:0.0.0.0/96", "10.0.0.1"));

	assert_int_equal(cidr_parse("10.0.0.0/8", &c, NULL, 0), 0);
	assert_int_equal(ip_parse("10.0.0.1", &a, NULL, 0), 0);
	assert_false(cidr_contains(NULL, &a));
	assert_false(cidr_contains(&c, NULL));
}

/* test_format() - canonical text, truncation and unknown families */
static void test_format(void **state)
{
	struct ipaddr a;
	struct cidr c;
	char buf[64], small[6];

	(void)state;
	assert_int_equal(ip_parse("2001:db8::1", &a, NULL, 0), 0);
	assert_ptr_equal(ip_format(&a, buf, sizeof(buf)), buf);
	assert_string_equal(buf, "2001:db8::1");

	assert_int_equal(cidr_parse("2001:db8::/32", &c, NULL, 0), 0);
	assert_ptr_equal(cidr_format(&c, buf, sizeof(buf)), buf);
	assert_string_equal(buf, "2001:db8::/32");

	/* truncation keeps the buffer terminated */
	assert_string_equal(cidr_format(&c, small, sizeof(small)), "2001:");
	assert_string_equal(ip_format(&a, small, sizeof(small)), "2001:");

	memset(&a, 0, sizeof(a));
	a.family = 12345;
	assert_string_equal(ip_format(&a, buf, sizeof(buf)), "?");
	assert_null(ip_format(&a, NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip_v4_valid),
		cmocka_unit_test(test_ip_v4_invalid),
		cmocka_unit_test(test_ip_v6_valid),
		cmocka_unit_test(test_ip_v4_mapped),
		cmocka_unit_test(test_ip_v6_invalid),
		cmocka_unit_test(test_ip_special_reasons),
		cmocka_unit_test(test_ip_err_buffers),
		cmocka_unit_test(test_cidr_valid),
		cmocka_unit_test(test_cidr_host_bits),
		cmocka_unit_test(test_cidr_prefix_bounds),
		cmocka_unit_test(test_cidr_invalid),
		cmocka_unit_test(test_cidr_contains),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests_name("cidr", tests, NULL, NULL);
}
