/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * cli.c - the command line
 *
 * One table lists every option: its names, the setting it sets (or the
 * action it selects), its value and its help line. The parser walks argv
 * with it: long options as "--name VALUE" or "--name=VALUE", short ones as
 * "-x VALUE" or "-xVALUE". The first word that is not an option starts the
 * command, and everything after it belongs to the command, whatever it looks
 * like; "--" may mark the start explicitly. Options are matched exactly, not
 * by prefix, so that a new option can never change what an old command line
 * means. Values are checked by the same rules as profiles (settings_check()),
 * then the profile is loaded and the command line laid over it.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "util.h"

enum cli_special {
	CLI_SETTING, /* sets .key */
	CLI_NEGATE,  /* --no-X: sets .key false */
	CLI_PROFILE,
	CLI_DUMP_PROFILE,
	CLI_ROOT,
	CLI_NO_ROOT,
	CLI_DOCTOR,
	CLI_REPORT,
	CLI_HELP,
	CLI_VERSION,
};

enum cli_group {
	GROUP_CONFIG,
	GROUP_DNS,
	GROUP_PROXY,
	GROUP_POLICY,
	GROUP_OBSERVE,
	GROUP_BACKEND,
	GROUP_OTHER,
	GROUP__COUNT
};

struct cli_option {
	const char *name;
	const char *metavar; /* NULL: takes no value */
	const char *help;
	enum cli_special special;
	int key; /* enum setting_key, or -1 */
	enum cli_group group;
	char short_name;
};

#define OPT(n, s, k, mv, g, h)                       \
	{                                            \
		n, mv, h, CLI_SETTING, SET_##k, g, s \
	}
#define NEG(n, k)                                                   \
	{                                                           \
		n, NULL, NULL, CLI_NEGATE, SET_##k, GROUP__COUNT, 0 \
	}
#define SPECIAL(n, s, sp, mv, g, h)    \
	{                              \
		n, mv, h, sp, -1, g, s \
	}

static const struct cli_option cli_options[] = {
	SPECIAL("profile", 0, CLI_PROFILE, "FILE", GROUP_CONFIG,
		"load settings from a TOML profile; options given here override it"),
	SPECIAL("dump-profile", 0, CLI_DUMP_PROFILE, NULL, GROUP_CONFIG,
		"print the effective settings as a TOML profile and exit"),

	OPT("dns", 'd', DNS, "IP", GROUP_DNS,
	    "send all DNS of the command to this resolver"),
	OPT("hosts-file", 0, HOSTS_FILE, "FILE", GROUP_DNS,
	    "use FILE as the command's /etc/hosts"),

	OPT("proxy", 'p', PROXY, "URI", GROUP_PROXY,
	    "force every TCP connection through http://, https://, socks5:// or socks5h:// HOST:PORT"),
	OPT("proxy-user", 'U', PROXY_USER, "USER", GROUP_PROXY,
	    "user name for the proxy (HTTP Basic or SOCKS5)"),
	OPT("proxy-password", 'P', PROXY_PASSWORD, "PASS", GROUP_PROXY,
	    "password for the proxy; CHILDFLOW_PROXY_PASSWORD keeps it out of ps"),
	OPT("proxy-insecure", 0, PROXY_INSECURE, NULL, GROUP_PROXY,
	    "https proxy: skip the certificate chain check (the hostname is still checked)"),
	OPT("proxy-ca", 0, PROXY_CA, "FILE", GROUP_PROXY,
	    "https proxy: trust the CA certificates in FILE"),
	OPT("proxy-dns", 0, PROXY_DNS, NULL, GROUP_PROXY,
	    "let the proxy resolve names; no DNS leaves the host (default with socks5h:// and --proxy-only)"),
	OPT("proxy-only", 0, PROXY_ONLY, NULL, GROUP_PROXY,
	    "deny everything that cannot go through the proxy (UDP, ICMP, direct DNS)"),

	OPT("offline", 0, OFFLINE, NULL, GROUP_POLICY,
	    "let nothing leave the command's network; DNS is refused at once"),
	OPT("block-private", 0, BLOCK_PRIVATE, NULL, GROUP_POLICY,
	    "deny private, loopback, link-local, CGNAT, ULA and unspecified addresses"),
	OPT("block-metadata", 0, BLOCK_METADATA, NULL, GROUP_POLICY,
	    "deny cloud metadata endpoints (169.254.169.254 and others)"),
	OPT("default-policy", 0, DEFAULT_POLICY, "allow|deny", GROUP_POLICY,
	    "what happens to traffic no rule matches (default: allow)"),
	OPT("allow-cidr", 0, ALLOW_CIDRS, "CIDR", GROUP_POLICY,
	    "allow this network or address (repeatable)"),
	OPT("deny-cidr", 0, DENY_CIDRS, "CIDR", GROUP_POLICY,
	    "deny this network or address (repeatable)"),
	OPT("allow-domain", 0, ALLOW_DOMAINS, "DOMAIN", GROUP_POLICY,
	    "allow this domain and its subdomains (repeatable)"),
	OPT("allow-domain-exact", 0, ALLOW_DOMAINS_EXACT, "DOMAIN",
	    GROUP_POLICY, "allow exactly this name (repeatable)"),
	OPT("deny-domain", 0, DENY_DOMAINS, "DOMAIN", GROUP_POLICY,
	    "deny this domain and its subdomains (repeatable)"),
	OPT("deny-domain-exact", 0, DENY_DOMAINS_EXACT, "DOMAIN", GROUP_POLICY,
	    "deny exactly this name (repeatable)"),
	OPT("fail-on-leak", 0, FAIL_ON_LEAK, NULL, GROUP_POLICY,
	    "exit 1 when something was denied but the command exited 0"),

	OPT("flow-log", 0, FLOW_LOG, "FILE", GROUP_OBSERVE,
	    "write every flow event as JSON Lines to FILE"),
	OPT("summary", 0, SUMMARY, NULL, GROUP_OBSERVE,
	    "print a summary on stderr after the run"),
	OPT("summary-format", 0, SUMMARY_FORMAT, "text|json", GROUP_OBSERVE,
	    "format of --summary (default: text)"),
	OPT("capture", 'c', CAPTURE, "FILE", GROUP_OBSERVE,
	    "write a pcapng capture of only this command's traffic"),
	OPT("capture-point", 'C', CAPTURE_POINT, "VIEW", GROUP_OBSERVE,
	    "child, egress, wire-egress or both (default: child)"),
	SPECIAL("report", 0, CLI_REPORT, "FILE", GROUP_OBSERVE,
		"read a flow log, print a report and exit"),
	OPT("report-format", 0, REPORT_FORMAT, "text|markdown|json",
	    GROUP_OBSERVE, "format of --report (default: text)"),

	SPECIAL("root", 0, CLI_ROOT, NULL, GROUP_BACKEND,
		"use the rootful backend (root only); same as --backend rootful"),
	OPT("backend", 0, BACKEND, "NAME", GROUP_BACKEND,
	    "rootless-internal (default) or rootful"),
	OPT("iface", 'i', IFACE, "NAME", GROUP_BACKEND,
	    "rootful: send the command's traffic out of this interface"),
	SPECIAL("doctor", 0, CLI_DOCTOR, NULL, GROUP_BACKEND,
		"check whether this host can run the selected backend, and exit"),
	OPT("doctor-format", 0, DOCTOR_FORMAT, "text|json", GROUP_BACKEND,
	    "format of --doctor (default: text)"),

	SPECIAL("help", 'h', CLI_HELP, NULL, GROUP_OTHER,
		"show this help and exit"),
	SPECIAL("version", 'V', CLI_VERSION, NULL, GROUP_OTHER,
		"show the version and exit"),

	/* --no- forms: turn a profile's true off */
	NEG("no-proxy-insecure", PROXY_INSECURE),
	NEG("no-proxy-dns", PROXY_DNS),
	NEG("no-proxy-only", PROXY_ONLY),
	NEG("no-offline", OFFLINE),
	NEG("no-block-private", BLOCK_PRIVATE),
	NEG("no-block-metadata", BLOCK_METADATA),
	NEG("no-fail-on-leak", FAIL_ON_LEAK),
	NEG("no-summary", SUMMARY),
	SPECIAL("no-root", 0, CLI_NO_ROOT, NULL, GROUP__COUNT, NULL),
};

static const char *const cli_group_titles[GROUP__COUNT] = {
	[GROUP_CONFIG] = "Configuration",
	[GROUP_DNS] = "Names",
	[GROUP_PROXY] = "Upstream proxy",
	[GROUP_POLICY] = "Policy",
	[GROUP_OBSERVE] = "Flow log, summary, report and capture",
	[GROUP_BACKEND] = "Backend",
	[GROUP_OTHER] = "Other",
};

void cli_help(FILE *out)
{
	size_t i;
	int g;

	fputs("Usage: childflow [OPTIONS] [--] COMMAND [ARG...]\n"
	      "       childflow --doctor | --report FILE | --dump-profile [OPTIONS]\n"
	      "\n"
	      "Run COMMAND and everything it starts in its own network, and control that\n"
	      "network from outside: DNS, /etc/hosts, an upstream proxy forced on every\n"
	      "connection, allow/deny policy, offline mode, capture and a flow log.\n",
	      out);
	for (g = 0; g < GROUP__COUNT; g++) {
		fprintf(out, "\n%s:\n", cli_group_titles[g]);
		for (i = 0; i < ARRAY_SIZE(cli_options); i++) {
			const struct cli_option *o = &cli_options[i];
			char left[64];

			if (o->group != (enum cli_group)g)
				continue;
			snprintf(left, sizeof(left), "%c%c%s--%s%s%s",
				 o->short_name ? '-' : ' ',
				 o->short_name ? o->short_name : ' ',
				 o->short_name ? ", " : "  ", o->name,
				 o->metavar ? " " : "",
				 o->metavar ? o->metavar : "");
			fprintf(out, "  %-36s %s\n", left, o->help);
		}
	}
	fputs("\n"
	      "Every on/off option has a --no- form (--no-offline, --no-root, ...) that\n"
	      "turns a profile's setting off. The first word that is not an option starts\n"
	      "COMMAND; everything after it belongs to COMMAND.\n"
	      "\n"
	      "Examples:\n"
	      "  childflow --offline -- make             prove a build needs no network\n"
	      "  childflow -p socks5h://127.0.0.1:1080 -- go build ./...\n"
	      "                                          force a tool through a proxy\n"
	      "  childflow --flow-log flows.jsonl --summary -- ./installer.sh\n"
	      "                                          see everything a program talks to\n"
	      "  childflow --default-policy deny --allow-domain example.org -- curl https://example.org/\n"
	      "                                          allow only what is needed\n"
	      "  childflow --profile ci.toml --dump-profile\n"
	      "                                          show the settings a profile gives\n"
	      "\n"
	      "Exit status: the command's own (128+N if it died of signal N); 1 with\n"
	      "--fail-on-leak when something was denied; 2 for a usage error; 125 when\n"
	      "childflow itself failed; 126/127 when the command cannot run / is not found.\n"
	      "Documentation: man childflow, and docs/ in the source tree.\n",
	      out);
}

/* cli_find_long() - the option called --@name (length @len), or NULL */
static const struct cli_option *cli_find_long(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cli_options); i++)
		if (strlen(cli_options[i].name) == len &&
		    !strncmp(cli_options[i].name, name, len))
			return &cli_options[i];
	return NULL;
}

static const struct cli_option *cli_find_short(char c)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cli_options); i++)
		if (cli_options[i].short_name == c)
			return &cli_options[i];
	return NULL;
}

/* cli_distance() - edit distance between two short strings, for "did you
 * mean"; capped lengths keep it cheap
 */
static size_t cli_distance(const char *a, size_t la, const char *b)
{
	size_t lb = strlen(b), i, j, prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);

			cur[j] = del < ins ? del : ins;
			if (sub < cur[j])
				cur[j] = sub;
		}
		memcpy(prev, cur, (lb + 1) * sizeof(*cur));
	}
	return prev[lb];
}

/* cli_suggest() - the closest long option to @name, or NULL */
static const char *cli_suggest(const char *name, size_t len)
{
	const char *best = NULL;
	size_t i, best_d = 3;

	for (i = 0; i < ARRAY_SIZE(cli_options); i++) {
		const char *cand = cli_options[i].name;
		size_t d = cli_distance(name, len, cand);

		if (strlen(cand) > len && !strncmp(cand, name, len) && len >= 3)
			d = 1; /* a prefix of exactly one option */
		if (d < best_d) {
			best_d = d;
			best = cand;
		}
	}
	return best;
}

/* cli_apply() - act on one option @o with @value (NULL for flags) */
static int cli_apply(struct cli *c, const struct cli_option *o,
		     const char *value, struct settings *cmdline, char *err,
		     size_t errlen)
{
	char opt[80], reason[512];
	char *v;

	snprintf(opt, sizeof(opt), "--%s", o->name);
	switch (o->special) {
	case CLI_PROFILE:
		if (!value || !*value) {
			snprintf(err, errlen,
				 "--profile: empty value: give a profile file");
			return -1;
		}
		free(c->profile);
		c->profile = xstrdup(value);
		return 0;
	case CLI_DUMP_PROFILE:
	case CLI_DOCTOR:
	case CLI_HELP:
	case CLI_VERSION:
		return 0; /* cli_parse() picks the action once argv is read */
	case CLI_ROOT:
		settings_set_str(cmdline, SET_BACKEND, "rootful", "--root",
				 true);
		return 0;
	case CLI_NO_ROOT:
		settings_set_str(cmdline, SET_BACKEND, "rootless-internal",
				 "--no-root", true);
		return 0;
	case CLI_REPORT:
		if (!value || !*value) {
			snprintf(err, errlen,
				 "--report: empty value: give a flow-log file");
			return -1;
		}
		free(c->report_file);
		c->report_file = xstrdup(value);
		return 0;
	case CLI_NEGATE:
		settings_set_bool(cmdline, o->key, false, opt, true);
		return 0;
	case CLI_SETTING:
		break;
	}

	if (setting_table[o->key].type == SETTING_BOOL) {
		settings_set_bool(cmdline, o->key, true, opt, true);
		return 0;
	}
	v = settings_check(o->key, value, reason, sizeof(reason));
	if (!v) {
		snprintf(err, errlen, "%s: %s", opt, reason);
		return -1;
	}
	if (setting_table[o->key].type == SETTING_PATH) {
		char *abs = path_absolute(v);

		free(v);
		v = abs;
	}
	if (setting_table[o->key].type == SETTING_LIST)
		settings_append(cmdline, o->key, v, opt, true);
	else
		settings_set_str(cmdline, o->key, v, opt, true);
	free(v);
	return 0;
}

int cli_parse(int argc, char *const *argv, struct cli *out, char *err,
	      size_t errlen)
{
	struct settings cmdline = {0};
	bool dump = false, doctor = false;
	int i, rc = -1;

	memset(out, 0, sizeof(*out));
	out->action = ACTION_RUN;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *value = NULL;
		const struct cli_option *o;

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || !a[1])
			break; /* the command starts here */

		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);

			o = cli_find_long(name, len);
			if (!o) {
				const char *s = cli_suggest(name, len);

				if (s)
					snprintf(
						err, errlen,
						"unknown option '--%.*s': did you mean --%s? (see childflow --help)",
						(int)len, name, s);
				else
					snprintf(
						err, errlen,
						"unknown option '--%.*s' (see childflow --help)",
						(int)len, name);
				goto out;
			}
			if (eq && !o->metavar) {
				snprintf(
					err, errlen,
					"--%s takes no value, but was given '%s'",
					o->name, eq + 1);
				goto out;
			}
			if (eq)
				value = eq + 1;
		} else {
			o = cli_find_short(a[1]);
			if (!o) {
				snprintf(
					err, errlen,
					"unknown option '-%c' (see childflow --help)",
					a[1]);
				goto out;
			}
			if (a[2] && !o->metavar) {
				snprintf(
					err, errlen,
					"-%c takes no value: write each short option separately",
					a[1]);
				goto out;
			}
			if (a[2])
				value = a + 2;
		}

		if (o->metavar && !value) {
			if (i + 1 >= argc) {
				snprintf(err, errlen,
					 "--%s needs a value: --%s %s", o->name,
					 o->name, o->metavar);
				goto out;
			}
			value = argv[++i];
		}

		if (o->special == CLI_HELP || o->special == CLI_VERSION) {
			/* Answered at once, whatever follows */
			out->action = o->special == CLI_HELP ? ACTION_HELP
							     : ACTION_VERSION;
			rc = 0;
			goto out;
		}
		if (o->special == CLI_DUMP_PROFILE)
			dump = true;
		else if (o->special == CLI_DOCTOR)
			doctor = true;
		if (cli_apply(out, o, value, &cmdline, err, errlen))
			goto out;
	}

	if (i < argc) {
		settings_set_list(&cmdline, SET_COMMAND, argv + i,
				  (size_t)(argc - i), "COMMAND", true);
		out->has_command = true;
	}

	/* Dispatch order: --dump-profile, --doctor, --report, the run */
	if (dump)
		out->action = ACTION_DUMP_PROFILE;
	else if (doctor)
		out->action = ACTION_DOCTOR;
	else if (out->report_file)
		out->action = ACTION_REPORT;

	if (out->profile &&
	    profile_load(out->profile, &out->settings, err, errlen))
		goto out;
	settings_merge(&out->settings, &cmdline);
	rc = 0;
out:
	settings_free(&cmdline);
	return rc;
}

void cli_free(struct cli *c)
{
	settings_free(&c->settings);
	free(c->report_file);
	free(c->profile);
	memset(c, 0, sizeof(*c));
}
