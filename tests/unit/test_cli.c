/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_cli.c - the option parser and every validation rule of SPEC.md §1
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "util.h"

static char err[1024];
static struct config cfg;
static struct cli cli;
static const char *password_env;

/* parse() - what main() does up to dispatch: 0, or 2 with @err set.
 * On success cli and cfg stay filled until done().
 */
static int parse_v(char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	err[0] = '\0';
	if (cli_parse(argc, argv, &cli, err, sizeof(err))) {
		cli_free(&cli);
		return 2;
	}
	if (cli.action == ACTION_HELP || cli.action == ACTION_VERSION)
		return 0;
	if (config_build(&cli.settings, cli.action, cli.report_file,
			 password_env, cli.has_command, &cfg, err,
			 sizeof(err))) {
		cli_free(&cli);
		return 2;
	}
	return 0;
}

#define parse(...) parse_v((char *[]){"childflow", __VA_ARGS__, NULL})

static void done(void)
{
	config_free(&cfg);
	cli_free(&cli);
}

/* expect_error() - the run fails with exit 2 and exactly @msg */
#define expect_error(msg, ...)                           \
	do {                                             \
		assert_int_equal(parse(__VA_ARGS__), 2); \
		assert_string_equal(err, msg);           \
		assert_null(strchr(err, '\n'));          \
	} while (0)

static void test_command_starts_at_first_non_option(void **state)
{
	(void)state;
	assert_int_equal(
		parse("--offline", "curl", "--offline", "-x", "--", "y"), 0);
	assert_int_equal(cfg.action, ACTION_RUN);
	assert_true(cfg.offline);
	assert_int_equal(cfg.n_command, 5);
	assert_string_equal(cfg.command[0], "curl");
	assert_string_equal(cfg.command[1], "--offline");
	assert_string_equal(cfg.command[3], "--");
	done();

	assert_int_equal(parse("--", "--looks-like-an-option"), 0);
	assert_string_equal(cfg.command[0], "--looks-like-an-option");
	done();

	assert_int_equal(parse("-", "x"), 0);
	assert_string_equal(cfg.command[0], "-");
	done();
}

static void test_values_and_forms(void **state)
{
	char ip[64];

	(void)state;
	assert_int_equal(
		parse("-d", "192.0.2.53", "--proxy=socks5h://[::1]:1080",
		      "-Ualice", "-P", "s3cret", "--allow-cidr", "10.0.0.0/8",
		      "--allow-cidr=2001:db8::/32", "--deny-domain",
		      "Example.COM.", "-C", "both", "-c", "out.pcapng", "true"),
		0);
	assert_true(cfg.has_dns);
	assert_string_equal(ip_format(&cfg.dns, ip, sizeof(ip)), "192.0.2.53");
	assert_true(cfg.has_proxy);
	assert_int_equal(cfg.proxy.scheme, PROXY_SOCKS5H);
	assert_string_equal(cfg.proxy.host, "::1");
	assert_int_equal(cfg.proxy.port, 1080);
	assert_string_equal(cfg.proxy_user, "alice");
	assert_string_equal(cfg.proxy_password, "s3cret");
	assert_true(cfg.proxy_dns); /* on by default with socks5h:// */
	assert_int_equal(cfg.n_allow_cidrs, 2);
	assert_int_equal(cfg.allow_cidrs[1].prefix, 32);
	assert_int_equal(cfg.n_deny_domains, 1);
	assert_string_equal(cfg.deny_domains[0], "example.com");
	assert_int_equal(cfg.capture_point, CAPTURE_BOTH);
	assert_non_null(cfg.capture);
	assert_true(cfg.capture[0] == '/'); /* made absolute */
	done();
}

static void test_repeated_scalar_last_wins(void **state)
{
	(void)state;
	assert_int_equal(parse("--default-policy", "deny", "--default-policy",
			       "allow", "--root", "--backend",
			       "rootless-internal", "x"),
			 0);
	assert_int_equal(cfg.default_policy, POLICY_ALLOW);
	assert_int_equal(cfg.backend, BACKEND_ROOTLESS);
	done();
	assert_int_equal(parse("--root", "x"), 0);
	assert_int_equal(cfg.backend, BACKEND_ROOTFUL);
	done();
}

static void test_no_forms(void **state)
{
	(void)state;
	assert_int_equal(parse("--offline", "--no-offline", "--summary",
			       "--no-summary", "--block-private", "--root",
			       "--no-root", "x"),
			 0);
	assert_false(cfg.offline);
	assert_false(cfg.summary);
	assert_true(cfg.block_private);
	assert_int_equal(cfg.backend, BACKEND_ROOTLESS);
	done();

	assert_int_equal(parse("-p", "http://proxy:3128", "--proxy-only",
			       "--no-proxy-dns", "x"),
			 0);
	assert_true(cfg.proxy_only);
	assert_false(cfg.proxy_dns);
	done();
	assert_int_equal(parse("-p", "http://proxy:3128", "--proxy-only", "x"),
			 0);
	assert_true(cfg.proxy_dns); /* on by default with --proxy-only */
	done();
}

static void test_actions(void **state)
{
	(void)state;
	assert_int_equal(parse("--help", "--bogus-is-not-reached"), 0);
	assert_int_equal(cli.action, ACTION_HELP);
	cli_free(&cli);
	assert_int_equal(parse("--offline", "--help"), 0);
	assert_int_equal(cli.action, ACTION_HELP);
	cli_free(&cli);
	assert_int_equal(parse("-V"), 0);
	assert_int_equal(cli.action, ACTION_VERSION);
	cli_free(&cli);

	assert_int_equal(parse("--doctor"), 0);
	assert_int_equal(cfg.action, ACTION_DOCTOR);
	done();
	assert_int_equal(
		parse("--report", "flows.jsonl", "--report-format", "markdown"),
		0);
	assert_int_equal(cfg.action, ACTION_REPORT);
	assert_int_equal(cfg.report_format, FORMAT_MARKDOWN);
	assert_string_equal(cfg.report_file, "flows.jsonl");
	done();
	/* dispatch order: --dump-profile, --doctor, --report */
	assert_int_equal(parse("--report", "f", "--doctor", "--dump-profile"),
			 0);
	assert_int_equal(cfg.action, ACTION_DUMP_PROFILE);
	done();
	assert_int_equal(parse("--report", "f", "--doctor"), 0);
	assert_int_equal(cfg.action, ACTION_DOCTOR);
	done();
	/* --dump-profile does not need a command */
	assert_int_equal(parse("--dump-profile"), 0);
	done();
}

static void test_unknown_and_malformed_options(void **state)
{
	(void)state;
	expect_error(
		"unknown option '--ofline': did you mean --offline? (see childflow --help)",
		"--ofline", "x");
	expect_error("unknown option '--zzzzzzzz' (see childflow --help)",
		     "--zzzzzzzz", "x");
	expect_error("unknown option '-z' (see childflow --help)", "-z", "x");
	expect_error("--dns needs a value: --dns IP", "--dns");
	expect_error("--offline takes no value, but was given 'yes'",
		     "--offline=yes", "x");
	expect_error("-h takes no value: write each short option separately",
		     "-hV");
	/* prefixes are not accepted: a new option must not change old lines */
	expect_error(
		"unknown option '--off': did you mean --offline? (see childflow --help)",
		"--off", "x");
}

static void test_value_rules(void **state)
{
	(void)state;
	expect_error(
		"--dns: '1.2.3' is not an IP address: expected an IPv4 address like 192.0.2.1 (four numbers from 0 to 255)",
		"--dns", "1.2.3", "x");
	expect_error(
		"--capture-point: 'wire' is not valid: expected child, egress, wire-egress or both",
		"-C", "wire", "-c", "f", "x");
	expect_error(
		"--backend: 'rootles' is not valid: expected rootless-internal or rootful",
		"--backend", "rootles", "x");
	expect_error(
		"--default-policy: 'block' is not valid: expected allow or deny",
		"--default-policy", "block", "x");
	expect_error(
		"--summary-format: 'yaml' is not valid: expected text or json",
		"--summary-format", "yaml", "x");
	expect_error(
		"--report-format: 'html' is not valid: expected text, markdown or json",
		"--report-format", "html", "x");
	expect_error(
		"--doctor-format: 'xml' is not valid: expected text or json",
		"--doctor-format", "xml");
	expect_error("--capture: empty value", "--capture", "", "x");
	expect_error(
		"--iface: 'a/b' is not an interface name: expected at most 15 characters without '/', ':' or white space",
		"--root", "-i", "a/b", "x");
	assert_int_equal(parse("--allow-cidr", "10.0.0.0/33", "x"), 2);
	assert_non_null(strstr(
		err,
		"--allow-cidr: '10.0.0.0/33' is not a CIDR or IP address: "));
	assert_int_equal(parse("--deny-cidr", "nope", "x"), 2);
	assert_non_null(strstr(
		err, "--deny-cidr: 'nope' is not a CIDR or IP address: "));
	assert_int_equal(parse("--allow-domain", "a_b.example", "x"), 2);
	assert_non_null(strstr(
		err, "--allow-domain: 'a_b.example' is not a domain name: "));
	assert_int_equal(parse("--deny-domain-exact", "-x.example", "x"), 2);
	assert_non_null(strstr(
		err,
		"--deny-domain-exact: '-x.example' is not a domain name: "));
	assert_int_equal(parse("--allow-domain-exact", "", "x"), 2);
	assert_int_equal(parse("-p", "ftp://h:21", "x"), 2);
	assert_non_null(
		strstr(err, "--proxy: 'ftp://h:21' is not a proxy URI: "));
	assert_int_equal(parse("-p", "http://proxy", "x"), 2);
	assert_non_null(
		strstr(err, "--proxy: 'http://proxy' is not a proxy URI: "));
}

static void test_proxy_password_never_shown(void **state)
{
	(void)state;
	assert_int_equal(parse("-p", "http://bob:hunter2@proxy:99999", "x"), 2);
	assert_null(strstr(err, "hunter2"));
	assert_non_null(strstr(err, "http://bob:***@proxy:99999"));
	/* without a scheme, and without a host */
	assert_int_equal(parse("-p", "bob:hunter2@proxy:1", "x"), 2);
	assert_null(strstr(err, "hunter2"));
	assert_int_equal(parse("-p", "http://bob:hunter2", "x"), 2);
	assert_null(strstr(err, "hunter2"));
	assert_int_equal(parse("-p", "http://bob:hun/ter2@proxy:1", "x"), 2);
	assert_null(strstr(err, "ter2"));
	/* nor in a profile's error */
	assert_int_equal(parse("--dump-profile", "-p", "http://proxy:1", "-U",
			       "bob", "-P", "hunter2", "--proxy-insecure"),
			 2);
	assert_null(strstr(err, "hunter2"));
}

static void test_rule_command(void **state)
{
	(void)state;
	expect_error(
		"no command given: usage: childflow [OPTIONS] [--] COMMAND [ARG...] (see childflow --help)",
		"--offline");
	expect_error(
		"--doctor takes no command, but 'curl' was given: run the command without --doctor",
		"--doctor", "curl");
	expect_error(
		"--report takes no command, but 'ls' was given: run the command without --report",
		"--report", "f.jsonl", "ls");
}

static void test_rule_iface(void **state)
{
	(void)state;
	expect_error(
		"--iface needs the rootful backend: add --root (or --backend rootful)",
		"-i", "eth0", "x");
	assert_int_equal(parse("--root", "-i", "eth0", "x"), 0);
	assert_string_equal(cfg.iface, "eth0");
	done();
}

static void test_rule_hosts_file(void **state)
{
	char path[] = "/tmp/cf-hosts-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(parse("--hosts-file", path, "x"), 0);
	assert_string_equal(cfg.hosts_file, path);
	done();
	unlink(path);
	assert_int_equal(parse("--hosts-file", path, "x"), 2);
	assert_non_null(
		strstr(err, "--hosts-file: cannot read '/tmp/cf-hosts-"));
	assert_non_null(strstr(err, "': No such file or directory"));
	expect_error("--hosts-file: cannot read '/': it is a directory",
		     "--hosts-file", "/", "x");
}

static void test_rule_capture_point(void **state)
{
	(void)state;
	expect_error(
		"--capture-point egress needs --capture FILE: say where to write the capture",
		"-C", "egress", "x");
	assert_int_equal(parse("-C", "child", "x"), 0);
	done();
}

static void test_rule_credentials(void **state)
{
	(void)state;
	expect_error(
		"--proxy-user needs a password too: add --proxy-password (or set CHILDFLOW_PROXY_PASSWORD)",
		"-p", "http://h:1", "-U", "u", "x");
	expect_error("--proxy-password needs a user too: add --proxy-user",
		     "-p", "http://h:1", "-P", "p", "x");
	expect_error(
		"--proxy-user and --proxy-password need --proxy: add the proxy they are for",
		"-U", "u", "-P", "p", "x");
	expect_error(
		"--proxy-user and credentials in --proxy conflict: give them one way only",
		"-p", "http://a:b@h:1", "-U", "u", "-P", "p", "x");

	password_env = "from-env";
	assert_int_equal(parse("-p", "http://h:1", "-U", "u", "x"), 0);
	assert_string_equal(cfg.proxy_password, "from-env");
	done();
	expect_error(
		"CHILDFLOW_PROXY_PASSWORD needs a user too: add --proxy-user",
		"-p", "http://h:1", "x");
	/* without a proxy the variable is unused, not an error */
	assert_int_equal(parse("x"), 0);
	assert_null(cfg.proxy_password);
	done();
	/* a user in the URI without a password takes it */
	assert_int_equal(parse("-p", "http://u@h:1", "x"), 0);
	assert_string_equal(cfg.proxy_user, "u");
	assert_string_equal(cfg.proxy_password, "from-env");
	done();
	/* a password in the URI wins */
	assert_int_equal(parse("-p", "http://u:uri@h:1", "x"), 0);
	assert_string_equal(cfg.proxy_password, "uri");
	done();
	password_env = NULL;

	/* what the proxy protocols cannot carry is refused at start */
	expect_error(
		"--proxy-user: the proxy user name holds ':', which HTTP Basic authentication cannot carry",
		"-p", "http://h:1", "-U", "a:b", "-P", "p", "x");
	assert_int_equal(
		parse("-p", "socks5://h:1", "-U", "a:b", "-P", "p", "x"), 0);
	done();

	assert_int_equal(parse("-p", "socks5://a%40b:p%3Aw@h:1080", "x"), 0);
	assert_string_equal(cfg.proxy_user, "a@b");
	assert_string_equal(cfg.proxy_password, "p:w");
	done();
}

static void test_rule_proxy_tls(void **state)
{
	(void)state;
	expect_error(
		"--proxy-insecure needs an https:// proxy: it only affects TLS to the proxy",
		"-p", "http://h:1", "--proxy-insecure", "x");
	expect_error(
		"--proxy-insecure needs an https:// proxy: it only affects TLS to the proxy",
		"--proxy-insecure", "x");
	expect_error(
		"--proxy-ca needs an https:// proxy: it only affects TLS to the proxy",
		"-p", "socks5://h:1", "--proxy-ca", "/etc/hostname", "x");
	assert_int_equal(parse("-p", "https://h:1", "--proxy-insecure", "x"),
			 0);
	assert_true(cfg.proxy_insecure);
	done();
	assert_int_equal(parse("-p", "https://h:1", "--proxy-ca",
			       "/nonexistent/ca.pem", "x"),
			 2);
	assert_string_equal(
		err,
		"--proxy-ca: cannot read '/nonexistent/ca.pem': No such file or directory");
}

static void test_rule_proxy_only_and_dns(void **state)
{
	(void)state;
	expect_error(
		"--proxy-only needs --proxy: name the proxy everything must go through",
		"--proxy-only", "x");
	expect_error(
		"--proxy-dns needs --proxy: names are resolved by the proxy",
		"--proxy-dns", "x");
}

static void test_rule_offline_proxy(void **state)
{
	(void)state;
	expect_error(
		"--offline and --proxy contradict each other: offline lets nothing out, not even to a proxy; drop one",
		"--offline", "-p", "http://h:1", "x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_starts_at_first_non_option),
		cmocka_unit_test(test_values_and_forms),
		cmocka_unit_test(test_repeated_scalar_last_wins),
		cmocka_unit_test(test_no_forms),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_unknown_and_malformed_options),
		cmocka_unit_test(test_value_rules),
		cmocka_unit_test(test_proxy_password_never_shown),
		cmocka_unit_test(test_rule_command),
		cmocka_unit_test(test_rule_iface),
		cmocka_unit_test(test_rule_hosts_file),
		cmocka_unit_test(test_rule_capture_point),
		cmocka_unit_test(test_rule_credentials),
		cmocka_unit_test(test_rule_proxy_tls),
		cmocka_unit_test(test_rule_proxy_only_and_dns),
		cmocka_unit_test(test_rule_offline_proxy),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
