/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_profile.c - profile keys, extends, relative paths, merge order and
 * the --dump-profile round trip (SPEC.md §2)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "profile.h"
#include "settings.h"
#include "util.h"

static char dir[256];
static char err[1024];

/* write_file() - @dir/@name with @text; returns the path (static buffer) */
static const char *write_file(const char *name, const char *text)
{
	static char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* at() - @dir/@name in one of a few static buffers, for assertions */
static const char *at(const char *name)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, PATH_MAX, "%s/%s", dir, name);
	return b;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/cf-profile-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	if (mkdir(at("base"), 0755) || mkdir(at("base/root"), 0755) ||
	    mkdir(at("app"), 0755))
		return -1;
	return 0;
}

/* remove_entry() - nftw() callback that removes one file or folder */
static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	(void)state;
	return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* text_errors() - parse @text as profile "p.toml" in "/d"; return err */
static const char *text_error(const char *text)
{
	struct settings s = {0};

	err[0] = '\0';
	assert_int_equal(profile_parse_text("p.toml", "/d", text, strlen(text),
					    &s, err, sizeof(err)),
			 -1);
	settings_free(&s);
	return err;
}

static void test_keys_and_types(void **state)
{
	const char *text = "# a profile\n"
			   "dns = \"192.0.2.53\"\n"
			   "offline = false\n"
			   "block_private = true\n"
			   "capture = 'cap/out.pcapng'\n"
			   "allow_domains = [\n"
			   "  \"Example.ORG.\", # normalised\n"
			   "  \"api.example.net\",\n"
			   "]\n"
			   "command = [\"curl\", \"-s\"]\n";
	struct settings s = {0};

	(void)state;
	assert_int_equal(profile_parse_text("p.toml", "/etc/cf", text,
					    strlen(text), &s, err, sizeof(err)),
			 0);
	assert_string_equal(s.v[SET_DNS].str, "192.0.2.53");
	assert_true(s.v[SET_OFFLINE].set);
	assert_false(s.v[SET_OFFLINE].boolean);
	assert_true(s.v[SET_BLOCK_PRIVATE].boolean);
	assert_string_equal(s.v[SET_CAPTURE].str, "/etc/cf/cap/out.pcapng");
	assert_int_equal(s.v[SET_ALLOW_DOMAINS].n_list, 2);
	assert_string_equal(s.v[SET_ALLOW_DOMAINS].list[0], "example.org");
	assert_string_equal(s.v[SET_DNS].origin, "p.toml:2");
	assert_false(s.v[SET_DNS].from_cli);
	assert_int_equal(s.v[SET_COMMAND].n_list, 2);
	settings_free(&s);
}

static void test_errors(void **state)
{
	(void)state;
	assert_string_equal(
		text_error("\n\nfoo = true\n"),
		"p.toml:3: unknown key 'foo' (see docs/profile.md for the keys)");
	assert_string_equal(
		text_error("offline = \"yes\"\n"),
		"p.toml:1: key 'offline' must be a boolean (true or false), not a string");
	assert_string_equal(
		text_error("dns = 53\n"),
		"p.toml:1: key 'dns' must be a string, not an integer");
	assert_string_equal(
		text_error("deny_cidrs = \"10.0.0.0/8\"\n"),
		"p.toml:1: key 'deny_cidrs' must be an array of strings, not a string");
	assert_string_equal(
		text_error("dns = \"1.2.3\"\n"),
		"p.toml:1: key 'dns': '1.2.3' is not an IP address: expected an IPv4 address like 192.0.2.1 (four numbers from 0 to 255)");
	assert_string_equal(
		text_error("default_policy = \"block\"\n"),
		"p.toml:1: key 'default_policy': 'block' is not valid: expected allow or deny");
	assert_string_equal(
		text_error("capture_point = \"all\"\n"),
		"p.toml:1: key 'capture_point': 'all' is not valid: expected child, egress, wire-egress or both");
	assert_non_null(strstr(
		text_error("allow_cidrs = [\"10.0.0.0/8\",\n \"x\"]\n"),
		"p.toml:1: key 'allow_cidrs', item 2: 'x' is not a CIDR or IP address: "));
	assert_string_equal(
		text_error("command = []\n"),
		"p.toml:1: key 'command' must name a program: the array is empty");
	assert_string_equal(text_error("capture = \"\"\n"),
			    "p.toml:1: key 'capture': empty value");
	/* TOML errors keep the file and line */
	assert_non_null(
		strstr(text_error("dns = \"1.1.1.1\"\n[net]\n"), "p.toml:2: "));
	assert_non_null(strstr(text_error("offline = true\noffline = false\n"),
			       "p.toml:2: "));
	assert_non_null(strstr(text_error("a.b = true\n"), "p.toml:1: "));
	/* the TOML reader quotes the token it rejects: never for a value that
	 * may be a password
	 */
	assert_string_equal(
		text_error("proxy_password = s3cret\n"),
		"p.toml:1: key 'proxy_password': invalid value '***' (strings must be quoted)");
	assert_string_equal(
		text_error("proxy_password = \"s3\\qcret\"\n"),
		"p.toml:1: key 'proxy_password': invalid escape sequence '***'");
	assert_string_equal(
		text_error("proxy = u:s3cret@h:1\n"),
		"p.toml:1: key 'proxy': invalid value '***' (strings must be quoted)");
	assert_string_equal(
		text_error("offline = yes\n"),
		"p.toml:1: key 'offline': invalid value 'yes' (strings must be quoted)");
}

static void test_extends_two_levels(void **state)
{
	struct settings s = {0};
	char *p;

	(void)state;
	/* grandparent in base/root, parent in base, child in app */
	write_file("base/root/org.toml",
		   "dns = \"192.0.2.1\"\n"
		   "hosts_file = \"hosts\"\n"
		   "deny_cidrs = [\"10.0.0.0/8\", \"192.168.0.0/16\"]\n"
		   "block_metadata = true\n"
		   "summary = true\n");
	write_file("base/team.toml", "extends = \"root/org.toml\"\n"
				     "flow_log = \"logs/flows.jsonl\"\n"
				     "deny_cidrs = [\"172.16.0.0/12\"]\n"
				     "summary = false\n");
	write_file("app/app.toml", "extends = \"../base/team.toml\"\n"
				   "capture = \"./cap.pcapng\"\n"
				   "dns = \"192.0.2.2\"\n");
	p = xasprintf("%s/app/app.toml", dir);
	assert_int_equal(profile_load(p, &s, err, sizeof(err)), 0);

	assert_string_equal(s.v[SET_DNS].str, "192.0.2.2"); /* child wins */
	assert_string_equal(s.v[SET_HOSTS_FILE].str, at("base/root/hosts"));
	assert_string_equal(s.v[SET_FLOW_LOG].str, at("base/logs/flows.jsonl"));
	assert_string_equal(s.v[SET_CAPTURE].str, at("app/cap.pcapng"));
	/* a list is replaced, not appended */
	assert_int_equal(s.v[SET_DENY_CIDRS].n_list, 1);
	assert_string_equal(s.v[SET_DENY_CIDRS].list[0], "172.16.0.0/12");
	assert_true(s.v[SET_BLOCK_METADATA].boolean);
	assert_true(s.v[SET_SUMMARY].set);
	assert_false(s.v[SET_SUMMARY].boolean); /* parent turned it off */
	assert_false(s.v[SET_EXTENDS].set);
	settings_free(&s);
	free(p);
}

static void test_extends_cycle(void **state)
{
	struct settings s = {0};
	char *p, *want;

	(void)state;
	write_file("a.toml", "extends = \"b.toml\"\n");
	write_file("b.toml", "extends = \"./c.toml\"\n");
	write_file("c.toml", "extends = \"a.toml\"\n");
	p = xasprintf("%s/a.toml", dir);
	assert_int_equal(profile_load(p, &s, err, sizeof(err)), -1);
	want = xasprintf(
		"extends cycle: %s/a.toml -> %s/b.toml -> %s/c.toml -> %s/a.toml",
		dir, dir, dir, dir);
	assert_string_equal(err, want);
	settings_free(&s);
	free(want);
	free(p);

	write_file("self.toml", "extends = \"self.toml\"\n");
	p = xasprintf("%s/self.toml", dir);
	assert_int_equal(profile_load(p, &s, err, sizeof(err)), -1);
	want = xasprintf("extends cycle: %s/self.toml -> %s/self.toml", dir,
			 dir);
	assert_string_equal(err, want);
	settings_free(&s);
	free(want);
	free(p);
}

static void test_extends_missing(void **state)
{
	struct settings s = {0};
	char *p, *want;

	(void)state;
	write_file("orphan.toml", "extends = \"nowhere.toml\"\n");
	p = xasprintf("%s/orphan.toml", dir);
	assert_int_equal(profile_load(p, &s, err, sizeof(err)), -1);
	want = xasprintf(
		"cannot read profile %s/nowhere.toml: No such file or directory",
		dir);
	assert_string_equal(err, want);
	settings_free(&s);
	free(want);
	free(p);
}

/* dump() - settings_dump() into a new string */
static char *dump(const struct settings *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	settings_dump(s, f);
	fclose(f);
	return buf;
}

static void test_dump_and_round_trip(void **state)
{
	struct cli c, again;
	char *p, *first, *second, *want;

	(void)state;
	write_file("base/rt-parent.toml",
		   "proxy = \"socks5h://proxy.example:1080\"\n"
		   "proxy_user = \"alice\"\n"
		   "proxy_password = \"pa\\\"ss\"\n"
		   "allow_domains = [\"example.org\"]\n"
		   "hosts_file = \"hosts\"\n"
		   "offline = false\n"
		   "command = [\"sh\", \"-c\", \"echo 'hi'\\n\"]\n");
	write_file("app/rt.toml", "extends = \"../base/rt-parent.toml\"\n"
				  "summary = true\n");
	p = xasprintf("%s/app/rt.toml", dir);
	assert_int_equal(
		cli_parse(8,
			  (char *[]){"childflow", "--profile", p,
				     "--no-proxy-dns", "--default-policy",
				     "deny", "--dump-profile", "--summary",
				     NULL},
			  &c, err, sizeof(err)),
		0);
	first = dump(&c.settings);
	want = xasprintf("capture_point = \"child\"\n"
			 "backend = \"rootless-internal\"\n"
			 "hosts_file = \"%s/base/hosts\"\n"
			 "proxy = \"socks5h://proxy.example:1080\"\n"
			 "proxy_user = \"alice\"\n"
			 "proxy_password = \"pa\\\"ss\"\n"
			 "proxy_dns = false\n"
			 "summary = true\n"
			 "default_policy = \"deny\"\n"
			 "allow_domains = [\"example.org\"]\n"
			 "command = [\"sh\", \"-c\", \"echo 'hi'\\n\"]\n",
			 dir);
	assert_string_equal(first, want);

	/* Loading the dump gives the same settings, and the same dump */
	write_file("dumped.toml", first);
	free(p);
	p = xasprintf("%s/dumped.toml", dir);
	assert_int_equal(
		cli_parse(3, (char *[]){"childflow", "--profile", p, NULL},
			  &again, err, sizeof(err)),
		0);
	second = dump(&again.settings);
	assert_string_equal(first, second);
	assert_false(again.settings.v[SET_PROXY_DNS].boolean);
	assert_true(again.settings.v[SET_PROXY_DNS].set);

	cli_free(&c);
	cli_free(&again);
	free(first);
	free(second);
	free(want);
	free(p);
}

static void test_cli_overrides(void **state)
{
	struct cli c;
	char *p;

	(void)state;
	write_file("ov.toml", "deny_cidrs = [\"10.0.0.0/8\"]\n"
			      "dns = \"192.0.2.1\"\n"
			      "command = [\"from-profile\"]\n");
	p = xasprintf("%s/ov.toml", dir);
	assert_int_equal(
		cli_parse(9,
			  (char *[]){"childflow", "--deny-cidr", "192.0.2.0/24",
				     "--profile", p, "--deny-cidr",
				     "198.51.100.0/24", "echo", "hi", NULL},
			  &c, err, sizeof(err)),
		0);
	/* the command line's list replaces the profile's */
	assert_int_equal(c.settings.v[SET_DENY_CIDRS].n_list, 2);
	assert_string_equal(c.settings.v[SET_DENY_CIDRS].list[0],
			    "192.0.2.0/24");
	assert_string_equal(c.settings.v[SET_DNS].str, "192.0.2.1");
	assert_string_equal(c.settings.v[SET_COMMAND].list[0], "echo");
	assert_true(c.has_command);
	cli_free(&c);

	/* without a command on the command line, the profile's is used */
	assert_int_equal(
		cli_parse(3, (char *[]){"childflow", "--profile", p, NULL}, &c,
			  err, sizeof(err)),
		0);
	assert_string_equal(c.settings.v[SET_COMMAND].list[0], "from-profile");
	assert_false(c.has_command);
	cli_free(&c);
	free(p);
}

static void test_profile_not_found(void **state)
{
	struct cli c;

	(void)state;
	assert_int_equal(cli_parse(4,
				   (char *[]){"childflow", "--profile",
					      "/nonexistent/p.toml", "x", NULL},
				   &c, err, sizeof(err)),
			 -1);
	assert_string_equal(
		err,
		"cannot read profile /nonexistent/p.toml: No such file or directory");
	cli_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_and_types),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_extends_two_levels),
		cmocka_unit_test(test_extends_cycle),
		cmocka_unit_test(test_extends_missing),
		cmocka_unit_test(test_dump_and_round_trip),
		cmocka_unit_test(test_cli_overrides),
		cmocka_unit_test(test_profile_not_found),
	};

	return cmocka_run_group_tests_name("profile", tests, setup, teardown);
}
