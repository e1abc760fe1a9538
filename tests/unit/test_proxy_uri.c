/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_proxy_uri.c - unit tests for proxy_uri_parse() and friends
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "proxy/uri.h"

#define FORM	"(expected scheme://host:port)"
#define SCHEMES "(expected http, https, socks5 or socks5h)"
#define SECRET	"SeCrEt"

/* parse_ok() - @s must parse; the result is in *@u */
static void parse_ok(const char *s, struct proxy_uri *u)
{
	char err[256] = "";

	if (proxy_uri_parse(s, u, err, sizeof(err)) != 0)
		fail_msg("proxy_uri_parse(\"%s\") failed: %s", s, err);
}

/* check_ok() - @s parses to the given parts, with no credentials */
static void check_ok(const char *s, enum proxy_scheme scheme, const char *host,
		     unsigned short port)
{
	struct proxy_uri u;

	parse_ok(s, &u);
	assert_int_equal(u.scheme, scheme);
	assert_string_equal(u.host, host);
	assert_int_equal(u.port, port);
	assert_string_equal(u.user, "");
	assert_string_equal(u.password, "");
	assert_int_equal(u.has_userinfo, 0);
}

/* check_creds() - @s parses with the given decoded user and password */
static void check_creds(const char *s, const char *host, const char *user,
			const char *password)
{
	struct proxy_uri u;

	parse_ok(s, &u);
	assert_string_equal(u.host, host);
	assert_string_equal(u.user, user);
	assert_string_equal(u.password, password);
	assert_int_equal(u.has_userinfo, 1);
}

/* check_err() - @s is rejected with exactly @reason; @out is untouched */
static void check_err(const char *s, const char *reason)
{
	struct proxy_uri u, before;
	char err[512] = "";

	memset(&u, 0x5a, sizeof(u));
	before = u;
	if (proxy_uri_parse(s, &u, err, sizeof(err)) != -1)
		fail_msg("proxy_uri_parse(\"%s\") succeeded", s);
	if (strcmp(err, reason) != 0)
		fail_msg("proxy_uri_parse(\"%s\"): got \"%s\", want \"%s\"", s,
			 err, reason);
	assert_memory_equal(&u, &before, sizeof(u));
}

/* test_valid() - each scheme, names and IPv4 hosts, port bounds */
static void test_valid(void **state)
{
	(void)state;
	check_ok("http://proxy.example.com:3128", PROXY_HTTP,
		 "proxy.example.com", 3128);
	check_ok("https://proxy.example.com:443", PROXY_HTTPS,
		 "proxy.example.com", 443);
	check_ok("socks5://127.0.0.1:1080", PROXY_SOCKS5, "127.0.0.1", 1080);
	check_ok("socks5h://localhost:9050", PROXY_SOCKS5H, "localhost", 9050);
	check_ok("http://h:1", PROXY_HTTP, "h", 1);
	check_ok("http://h:65535", PROXY_HTTP, "h", 65535);
	check_ok("http://h:080", PROXY_HTTP, "h", 80);
}

/* test_case_and_slash() - scheme and host case, trailing "/" and dot */
static void test_case_and_slash(void **state)
{
	(void)state;
	check_ok("HTTP://Proxy.Example.COM:8080", PROXY_HTTP,
		 "proxy.example.com", 8080);
	check_ok("Socks5H://EXAMPLE.com:1080/", PROXY_SOCKS5H, "example.com",
		 1080);
	check_ok("https://example.com:443/", PROXY_HTTPS, "example.com", 443);
	check_ok("http://example.com.:80", PROXY_HTTP, "example.com", 80);
	check_ok("socks5://10.0.0.1:1080/", PROXY_SOCKS5, "10.0.0.1", 1080);
}

/* test_ipv6() - bracketed IPv6 hosts and the ways to get them wrong */
static void test_ipv6(void **state)
{
	(void)state;
	check_ok("socks5://[::1]:1080", PROXY_SOCKS5, "::1", 1080);
	check_ok("http://[2001:db8::1]:8080/", PROXY_HTTP, "2001:db8::1", 8080);
	check_ok("http://[2001:DB8:0:0::1]:8080", PROXY_HTTP, "2001:db8::1",
		 8080);
	check_ok("socks5h://[::ffff:10.0.0.1]:1080", PROXY_SOCKS5H,
		 "::ffff:10.0.0.1", 1080);

	check_err(
		"socks5://::1:1080",
		"unexpected ':' in host (write an IPv6 address in brackets, like [2001:db8::1]:1080)");
	check_err(
		"socks5://2001:db8::1",
		"unexpected ':' in host (write an IPv6 address in brackets, like [2001:db8::1]:1080)");
	check_err("http://[::1]", "missing port " FORM);
	check_err("http://[::1]:", "missing port " FORM);
	check_err("http://[::1]/", "missing port " FORM);
	check_err("http://[::1]1080", "expected ':' and a port after ']'");
	check_err("http://[::1:1080", "missing ']' after the IPv6 address");
	check_err("http://[::1]:0", "port is out of range (expected 1-65535)");
	check_err(
		"http://[]:80",
		"invalid host: expected an IPv6 address like 2001:db8::1 in brackets");
	check_err(
		"http://[::g]:80",
		"invalid host: expected an IPv6 address like 2001:db8::1 in brackets");
	check_err(
		"http://[[::1]:80",
		"invalid host: expected an IPv6 address like 2001:db8::1 in brackets");
	check_err(
		"http://[192.0.2.1]:80",
		"invalid host: only IPv6 addresses go in brackets, write IPv4 addresses without them");
	check_err("http://[fe80::1%25eth0]:80",
		  "invalid host: IPv6 zone ids (like %eth0) are not supported");
}

/* test_credentials() - user and password, percent-decoded */
static void test_credentials(void **state)
{
	struct proxy_uri u;

	(void)state;
	check_creds("http://user:pass@proxy:8080", "proxy", "user", "pass");
	check_creds("http://us%40er:p%3Ass%40w0rd@proxy:8080", "proxy", "us@er",
		    "p:ss@w0rd");
	check_creds("http://a%3ab:c%3a%3A@proxy:1", "proxy", "a:b", "c::");
	check_creds("http://u%2fx:%2F%3f%23%25@proxy:1", "proxy", "u/x",
		    "/?#%");
	check_creds("http://user@proxy:8080", "proxy", "user", "");
	check_creds("http://user:@proxy:8080", "proxy", "user", "");
	check_creds("http://user:pa:ss@proxy:8080", "proxy", "user", "pa:ss");
	check_creds("http://user:p@ss@proxy:8080", "proxy", "user", "p@ss");
	check_creds("socks5://u:p@[2001:db8::1]:1080/", "2001:db8::1", "u",
		    "p");
	check_creds("socks5://u:p@192.0.2.1:1080", "192.0.2.1", "u", "p");
	check_creds("http://%C3%BC:%e2%82%ac@proxy:1", "proxy", "\xc3\xbc",
		    "\xe2\x82\xac");

	parse_ok("HTTPS://Alice:Wonder%20land@Proxy.Example:443/", &u);
	assert_int_equal(u.scheme, PROXY_HTTPS);
	assert_string_equal(u.host, "proxy.example");
	assert_int_equal(u.port, 443);
	assert_string_equal(u.user, "Alice");
	assert_string_equal(u.password, "Wonder land");
	assert_int_equal(u.has_userinfo, 1);
}

/* test_credentials_invalid() - empty users, bad escapes, unencoded delimiters */
static void test_credentials_invalid(void **state)
{
	(void)state;
	check_err("http://:pw@proxy:80",
		  "a password needs a user name before it");
	check_err(
		"http://@proxy:80",
		"empty user name before '@' (write scheme://user[:password]@host:port)");
	check_err(
		"http://:@proxy:80",
		"empty user name before '@' (write scheme://user[:password]@host:port)");
	check_err(
		"http://us%g0er@proxy:80",
		"bad percent-escape in user name (expected %XX with two hex digits)");
	check_err(
		"http://user%4@proxy:80",
		"bad percent-escape in user name (expected %XX with two hex digits)");
	check_err(
		"http://user:pa%zzss@proxy:80",
		"bad percent-escape in password (expected %XX with two hex digits)");
	check_err(
		"http://user:pass%4@proxy:80",
		"bad percent-escape in password (expected %XX with two hex digits)");
	check_err(
		"http://user:pass%@proxy:80",
		"bad percent-escape in password (expected %XX with two hex digits)");
	check_err("http://us%00er@proxy:80", "user name must not contain %00");
	check_err("http://user:pa%00ss@proxy:80",
		  "password must not contain %00");
	check_err(
		"http://user:pa/ss@proxy:80",
		"unexpected '/', '?' or '#' before '@' (percent-encode them in a user name or password as %2F, %3F or %23)");
	check_err(
		"http://user:pa?ss@proxy:80",
		"unexpected '/', '?' or '#' before '@' (percent-encode them in a user name or password as %2F, %3F or %23)");
	check_err(
		"http://user:pa#ss@proxy:80",
		"unexpected '/', '?' or '#' before '@' (percent-encode them in a user name or password as %2F, %3F or %23)");
	check_err("http://user:pw@:80", "missing host " FORM);
	check_err("http://user:pw@", "missing host " FORM);
}

/* test_credential_sizes() - 255 decoded bytes fit, 256 do not */
static void test_credential_sizes(void **state)
{
	char s[2048], long255[256], long256[257];
	struct proxy_uri u;
	size_t i, n;

	(void)state;
	memset(long255, 'u', 255);
	long255[255] = '\0';
	memset(long256, 'u', 256);
	long256[256] = '\0';

	snprintf(s, sizeof(s), "http://%s:%s@h:1", long255, long255);
	parse_ok(s, &u);
	assert_int_equal(strlen(u.user), 255);
	assert_int_equal(strlen(u.password), 255);

	snprintf(s, sizeof(s), "http://%s:p@h:1", long256);
	check_err(s, "user name is longer than 255 bytes");
	snprintf(s, sizeof(s), "http://u:%s@h:1", long256);
	check_err(s, "password is longer than 255 bytes");

	/* the limit is on the decoded bytes */
	n = (size_t)snprintf(s, sizeof(s), "http://u:");
	for (i = 0; i < 255; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "%%41");
	snprintf(s + n, sizeof(s) - n, "@h:1");
	parse_ok(s, &u);
	assert_int_equal(strlen(u.password), 255);
	assert_int_equal(u.password[254], 'A');
	snprintf(s + strlen(s) - 4, sizeof(s) - (strlen(s) - 4), "%%41@h:1");
	check_err(s, "password is longer than 255 bytes");
}

/* test_host_sizes() - 253-byte host names fit, longer ones do not */
static void test_host_sizes(void **state)
{
	char host[400], s[512];
	struct proxy_uri u;
	size_t i;

	(void)state;
	/* 253 bytes: three 63-byte labels and a 61-byte one */
	for (i = 0; i < 253; i++)
		host[i] = (i % 64 == 63) ? '.' : 'a';
	host[253] = '\0';
	snprintf(s, sizeof(s), "http://%s:80", host);
	parse_ok(s, &u);
	assert_string_equal(u.host, host);

	host[253] = 'a';
	host[254] = '\0';
	snprintf(s, sizeof(s), "http://%s:80", host);
	check_err(s, "invalid host: domain is longer than 253 bytes");

	for (i = 0; i < 300; i++)
		host[i] = (i % 64 == 63) ? '.' : 'a';
	host[300] = '\0';
	snprintf(s, sizeof(s), "http://%s:80", host);
	check_err(s, "invalid host: domain is longer than 253 bytes");
}

/* test_scheme() - unsupported and missing schemes, missing "://" */
static void test_scheme(void **state)
{
	(void)state;
	check_err("ftp://host:21", "unsupported scheme 'ftp' " SCHEMES);
	check_err("socks4://host:1080", "unsupported scheme 'socks4' " SCHEMES);
	check_err("SOCKS://host:1080", "unsupported scheme 'SOCKS' " SCHEMES);
	check_err("httpss://host:1", "unsupported scheme 'httpss' " SCHEMES);
	check_err("htt://host:1", "unsupported scheme 'htt' " SCHEMES);
	check_err("h_t://host:1", "unsupported scheme " SCHEMES);
	check_err("averyveryverylongscheme://host:1",
		  "unsupported scheme " SCHEMES);
	check_err("://host:80", "missing scheme " FORM);
	check_err("proxy.example.com:3128", "missing '://' " FORM);
	check_err("http:/host:80", "missing '://' " FORM);
	check_err("http:host:80", "missing '://' " FORM);
	check_err("http", "missing '://' " FORM);
	check_err("http//host:80", "missing '://' " FORM);
	check_err("[::1]:1080", "missing '://' " FORM);
}

/* test_port() - missing, zero, too large and non-decimal ports */
static void test_port(void **state)
{
	(void)state;
	check_err("http://host", "missing port " FORM);
	check_err("http://host/", "missing port " FORM);
	check_err("http://host:", "missing port " FORM);
	check_err("http://host:/", "missing port " FORM);
	check_err("http://host:0", "port is out of range (expected 1-65535)");
	check_err("http://host:00", "port is out of range (expected 1-65535)");
	check_err("http://host:65536",
		  "port is out of range (expected 1-65535)");
	check_err("http://host:99999999999999999999999",
		  "port is out of range (expected 1-65535)");
	check_err("http://host:8o",
		  "port must be a decimal number from 1 to 65535");
	check_err("http://host:-1",
		  "port must be a decimal number from 1 to 65535");
	check_err("http://host:+80",
		  "port must be a decimal number from 1 to 65535");
	check_err("http://host:0x50",
		  "port must be a decimal number from 1 to 65535");
}

/* test_host() - missing hosts, bad names and bad IPv4 literals */
static void test_host(void **state)
{
	(void)state;
	check_err("http://:80", "missing host " FORM);
	check_err("http://", "missing host " FORM);
	check_err("http:///", "missing host " FORM);
	check_err("http://a_b.example:80",
		  "invalid host: label 'a_b' may hold only a-z, 0-9 and '-'");
	check_err("http://-a.example:80",
		  "invalid host: label '-a' must not start or end with '-'");
	check_err(
		"http://a..b:80",
		"invalid host: domain has an empty label (two dots in a row)");
	check_err("http://.:80", "invalid host: empty domain");
	check_err(
		"http://*.example.com:80",
		"invalid host: wildcards are not supported, write 'example.com' to match it and its subdomains");
	check_err(
		"http://256.0.0.1:80",
		"invalid host: expected an IPv4 address like 192.0.2.1 (four numbers from 0 to 255)");
	check_err(
		"http://1.2.3:80",
		"invalid host: expected an IPv4 address like 192.0.2.1 (four numbers from 0 to 255)");
	check_err(
		"http://010.0.0.1:80",
		"invalid host: expected an IPv4 address like 192.0.2.1 (four numbers from 0 to 255)");
	check_err(
		"http://8080:80",
		"invalid host: expected an IPv4 address like 192.0.2.1 (four numbers from 0 to 255)");
}

/* test_rest() - path, query, fragment, white space and empty input */
static void test_rest(void **state)
{
	(void)state;
	check_err("http://host:80/path",
		  "a path is not allowed in a proxy URI (only a trailing '/')");
	check_err("http://host:80//",
		  "a path is not allowed in a proxy URI (only a trailing '/')");
	check_err("http://host:80?x=1",
		  "a query ('?') is not allowed in a proxy URI");
	check_err("http://host:80/?x=1",
		  "a query ('?') is not allowed in a proxy URI");
	check_err("http://host:80?",
		  "a query ('?') is not allowed in a proxy URI");
	check_err("http://host:80#frag",
		  "a fragment ('#') is not allowed in a proxy URI");
	check_err("http://host:80/#",
		  "a fragment ('#') is not allowed in a proxy URI");
	check_err(
		"http://host:80 ",
		"proxy URI must not contain white space or control characters");
	check_err(
		" http://host:80",
		"proxy URI must not contain white space or control characters");
	check_err(
		"http://ho st:80",
		"proxy URI must not contain white space or control characters");
	check_err(
		"http://host:80\n",
		"proxy URI must not contain white space or control characters");
	check_err("", "empty proxy URI " FORM);
	check_err(NULL, "empty proxy URI " FORM);
}

/* The password must never show up in a reason, whatever else is wrong */
static void test_password_never_in_reason(void **state)
{
	static const char *const uris[] = {
		"http://user:" SECRET "@host:0",
		"http://user:" SECRET "@host:65536",
		"http://user:" SECRET "@host:x" SECRET,
		"http://user:" SECRET "@host",
		"http://user:" SECRET "@host:",
		"http://user:" SECRET,
		"http://user:" SECRET "@",
		"http://user:" SECRET "@:80",
		"http://user:" SECRET "@host:80/path",
		"http://user:" SECRET "@host:80?q",
		"http://user:" SECRET "@host:80#f",
		"http://user:" SECRET "@a_b:80",
		"http://user:" SECRET "@256.1.1.1:80",
		"http://user:" SECRET "@[::1]:0",
		"http://user:" SECRET "@[::1]",
		"http://user:" SECRET "@[::g]:80",
		"http://user:" SECRET "@[::1:80",
		"http://user:" SECRET "@::1:80",
		"http://user:" SECRET "%zz@host:80",
		"http://user:" SECRET "%00@host:80",
		"http://user:" SECRET "/x@host:80",
		"http://user:" SECRET "#x@host:80",
		"http://user:" SECRET "?x@host:80",
		"http://user:Se/CrEt@host:80",
		"http://:" SECRET "@host:80",
		"http://us%zzer:" SECRET "@host:80",
		"ftp://user:" SECRET "@host:21",
		"user:" SECRET "@host:80",
		"http:user:" SECRET "@host:80",
		"http://user:" SECRET "@host:80 ",
		"http://user:" SECRET "@@host:80x",
	};
	char err[512];
	struct proxy_uri u;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		err[0] = '\0';
		if (proxy_uri_parse(uris[i], &u, err, sizeof(err)) != -1)
			fail_msg("proxy_uri_parse(\"%s\") succeeded", uris[i]);
		if (!err[0])
			fail_msg("proxy_uri_parse(\"%s\"): empty reason",
				 uris[i]);
		if (strstr(err, SECRET) || strstr(err, "secret") ||
		    strstr(err, "CrEt"))
			fail_msg("proxy_uri_parse(\"%s\"): password in \"%s\"",
				 uris[i], err);
	}
}

/* test_err_buffers() - NULL, empty and short reason buffers */
static void test_err_buffers(void **state)
{
	struct proxy_uri u;
	char err[9];

	(void)state;
	assert_int_equal(proxy_uri_parse("ftp://h:1", &u, NULL, 0), -1);
	assert_int_equal(proxy_uri_parse("ftp://h:1", &u, err, 0), -1);
	assert_int_equal(proxy_uri_parse("http://h:1", NULL, NULL, 0), -1);
	assert_int_equal(proxy_uri_parse("ftp://h:1", &u, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "unsuppor");
}

/* test_scheme_name() - names of the schemes, and of a bad value */
static void test_scheme_name(void **state)
{
	(void)state;
	assert_string_equal(proxy_scheme_name(PROXY_HTTP), "http");
	assert_string_equal(proxy_scheme_name(PROXY_HTTPS), "https");
	assert_string_equal(proxy_scheme_name(PROXY_SOCKS5), "socks5");
	assert_string_equal(proxy_scheme_name(PROXY_SOCKS5H), "socks5h");
	assert_string_equal(proxy_scheme_name((enum proxy_scheme)42),
			    "unknown");
	assert_string_equal(proxy_scheme_name((enum proxy_scheme) - 1),
			    "unknown");
}

/* test_format() - canonical text that parses back to the same proxy */
static void test_format(void **state)
{
	static const char *const cases[][2] = {
		{"http://proxy.example.com:3128",
		 "http://proxy.example.com:3128"},
		{"HTTPS://Proxy.Example.COM:443/",
		 "https://proxy.example.com:443"},
		{"socks5://user:pw@10.0.0.1:1080", "socks5://10.0.0.1:1080"},
		{"socks5h://u:p@[2001:DB8::1]:1080/",
		 "socks5h://[2001:db8::1]:1080"},
		{"socks5://[::ffff:10.0.0.1]:1080",
		 "socks5://[::ffff:10.0.0.1]:1080"},
	};
	char buf[300], again[300], small[10];
	struct proxy_uri u, v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parse_ok(cases[i][0], &u);
		assert_ptr_equal(proxy_uri_format(&u, buf, sizeof(buf)), buf);
		assert_string_equal(buf, cases[i][1]);
		/* the canonical form parses back to the same place */
		parse_ok(buf, &v);
		assert_int_equal(v.scheme, u.scheme);
		assert_string_equal(v.host, u.host);
		assert_int_equal(v.port, u.port);
		assert_string_equal(proxy_uri_format(&v, again, sizeof(again)),
				    buf);
	}

	parse_ok("socks5h://[::1]:1080", &u);
	assert_string_equal(proxy_uri_format(&u, small, sizeof(small)),
			    "socks5h:/");
	assert_null(proxy_uri_format(&u, NULL, 0));
	assert_string_equal(proxy_uri_format(NULL, buf, sizeof(buf)), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_case_and_slash),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_credentials),
		cmocka_unit_test(test_credentials_invalid),
		cmocka_unit_test(test_credential_sizes),
		cmocka_unit_test(test_host_sizes),
		cmocka_unit_test(test_scheme),
		cmocka_unit_test(test_port),
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_rest),
		cmocka_unit_test(test_password_never_in_reason),
		cmocka_unit_test(test_err_buffers),
		cmocka_unit_test(test_scheme_name),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests_name("proxy_uri", tests, NULL, NULL);
}
