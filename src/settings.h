/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * settings.h - the settable keys of childflow, from one table
 *
 * Every setting a user can give, on the command line or in a profile, is a
 * key of this table. The command line (cli.c) and profiles (profile.c) both
 * produce a struct settings that holds only what they were told; settings are
 * merged (parent profile, child profile, command line) and config.c turns the
 * result into the typed, validated, immutable struct config. One table keeps
 * the key order of --dump-profile, the value rules and the option names in
 * step.
 */
#ifndef CHILDFLOW_SETTINGS_H
#define CHILDFLOW_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* In the order of SPEC.md §2, which is also the order of --dump-profile */
enum setting_key {
	SET_EXTENDS,
	SET_CAPTURE,
	SET_CAPTURE_POINT,
	SET_BACKEND,
	SET_DNS,
	SET_HOSTS_FILE,
	SET_PROXY,
	SET_PROXY_USER,
	SET_PROXY_PASSWORD,
	SET_PROXY_INSECURE,
	SET_PROXY_CA,
	SET_PROXY_DNS,
	SET_SUMMARY,
	SET_SUMMARY_FORMAT,
	SET_DOCTOR_FORMAT,
	SET_REPORT_FORMAT,
	SET_FLOW_LOG,
	SET_OFFLINE,
	SET_BLOCK_PRIVATE,
	SET_BLOCK_METADATA,
	SET_DEFAULT_POLICY,
	SET_ALLOW_CIDRS,
	SET_DENY_CIDRS,
	SET_ALLOW_DOMAINS,
	SET_ALLOW_DOMAINS_EXACT,
	SET_DENY_DOMAINS,
	SET_DENY_DOMAINS_EXACT,
	SET_PROXY_ONLY,
	SET_FAIL_ON_LEAK,
	SET_IFACE,
	SET_COMMAND,
	SET__COUNT
};

enum setting_type {
	SETTING_STRING,
	SETTING_PATH, /* a string; relative values resolve against a folder */
	SETTING_BOOL,
	SETTING_LIST, /* of strings */
};

/* What a value must look like */
enum setting_rule {
	RULE_ANY,    /* any non-empty string */
	RULE_CHOICE, /* one of info->choices */
	RULE_IP,
	RULE_CIDR,
	RULE_DOMAIN, /* normalised on the way in */
	RULE_PROXY,
	RULE_IFACE,
	RULE_ARGV, /* a command: a non-empty list whose first word is not empty */
	RULE_SECRET, /* any string, possibly empty; never echoed in messages */
};

struct setting_info {
	const char *key; /* profile key */
	const char *
		option; /* the command-line option that sets it, for messages */
	enum setting_type type;
	enum setting_rule rule;
	const char *const *choices; /* RULE_CHOICE: NULL-terminated */
	const char *dflt; /* default of a choice, printed always by dump */
};

/* Where a value came from, for messages: "--dns" or "/p/base.toml:3" */
struct setting_value {
	bool set;
	char *str; /* STRING and PATH */
	bool boolean;
	char **list; /* LIST: NULL-terminated */
	size_t n_list;
	char *origin;
	bool from_cli;
};

struct settings {
	struct setting_value v[SET__COUNT];
};

extern const struct setting_info setting_table[SET__COUNT];

/* settings_lookup() - the key of a profile name, or -1 */
int settings_lookup(const char *key);

/* settings_check() - validate (and normalise) one scalar value or one list
 * item of @key. On success returns a new string with the value to keep. On
 * failure returns NULL and writes into @err a reason that quotes the value
 * (never a secret), e.g. "'1.2.3' is not an IP address: expected ...".
 */
char *settings_check(enum setting_key key, const char *value, char *err,
		     size_t errlen);

/* Setters: each replaces what @key held; @origin is copied */
void settings_set_str(struct settings *s, enum setting_key key,
		      const char *value, const char *origin, bool from_cli);
void settings_set_bool(struct settings *s, enum setting_key key, bool value,
		       const char *origin, bool from_cli);
void settings_set_list(struct settings *s, enum setting_key key,
		       char *const *items, size_t n, const char *origin,
		       bool from_cli);
/* settings_append() - add one item to a list, keeping what the same source
 * gave before (repeated command-line options)
 */
void settings_append(struct settings *s, enum setting_key key, const char *item,
		     const char *origin, bool from_cli);
void settings_unset(struct settings *s, enum setting_key key);

/* settings_merge() - every key set in @over replaces the one in @base */
void settings_merge(struct settings *base, const struct settings *over);

void settings_free(struct settings *s);

/* settings_name() - how to name @key in a message: the option when the
 * command line set it, else "KEY (FILE:LINE)"; writes into @buf
 */
const char *settings_name(const struct settings *s, enum setting_key key,
			  char *buf, size_t len);

/* settings_redact() - @value with any proxy password replaced by "***",
 * as a new string (for messages that must quote a proxy URI)
 */
char *settings_redact(const char *value);

/* settings_dump() - write @s as a TOML profile (SPEC.md §2 --dump-profile):
 * capture_point, backend and default_policy always, other keys when set,
 * booleans when true (and proxy_dns = false when it turns off a default
 * that would be on), in table order; extends is never written since the
 * output is already merged.
 */
void settings_dump(const struct settings *s, FILE *out);

/* settings_toml_string() - @s quoted as a TOML basic string, new string */
char *settings_toml_string(const char *s);

#endif /* CHILDFLOW_SETTINGS_H */
