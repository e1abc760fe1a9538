/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * config.h - the validated, immutable configuration of one childflow run
 *
 * main() builds it once (cli.c parses argv and loads profiles into settings,
 * config_build() checks and types them) and passes it down as a const
 * pointer. Nothing changes it afterwards.
 */
#ifndef CHILDFLOW_CONFIG_H
#define CHILDFLOW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/cidr.h"
#include "proxy/uri.h"
#include "settings.h"

enum config_action {
	ACTION_RUN,
	ACTION_DUMP_PROFILE,
	ACTION_DOCTOR,
	ACTION_REPORT,
	ACTION_HELP,
	ACTION_VERSION,
};

enum capture_point {
	CAPTURE_CHILD,
	CAPTURE_EGRESS,
	CAPTURE_WIRE_EGRESS,
	CAPTURE_BOTH,
};

enum backend {
	BACKEND_ROOTLESS,
	BACKEND_ROOTFUL,
};

enum out_format {
	FORMAT_TEXT,
	FORMAT_JSON,
	FORMAT_MARKDOWN,
};

enum default_policy {
	POLICY_ALLOW,
	POLICY_DENY,
};

struct config {
	enum config_action action;

	char *capture; /* absolute path, or NULL */
	enum capture_point capture_point;
	enum backend backend;

	bool has_dns;
	struct ipaddr dns;
	char *hosts_file;

	bool has_proxy;
	struct proxy_uri proxy;
	char *proxy_user;     /* NULL when none */
	char *proxy_password; /* NULL when none; never printed */
	bool proxy_insecure;
	char *proxy_ca;
	bool proxy_dns; /* effective: defaults applied */

	bool summary;
	enum out_format summary_format;
	enum out_format doctor_format;
	enum out_format report_format;
	char *flow_log;
	char *report_file; /* --report FILE */

	bool offline;
	bool block_private;
	bool block_metadata;
	enum default_policy default_policy;
	struct cidr *allow_cidrs, *deny_cidrs;
	size_t n_allow_cidrs, n_deny_cidrs;
	char **allow_domains, **allow_domains_exact;
	char **deny_domains, **deny_domains_exact;
	size_t n_allow_domains, n_allow_domains_exact;
	size_t n_deny_domains, n_deny_domains_exact;
	bool proxy_only;
	bool fail_on_leak;
	char *iface;

	char **command; /* NULL-terminated */
	size_t n_command;
};

/* config_build() - check @s as a whole and fill @cfg for @action
 * Each value was already checked on the way in; this adds the rules that
 * tie options together (SPEC.md §1, "Validation"). @proxy_password_env is
 * CHILDFLOW_PROXY_PASSWORD or NULL. @has_cli_command says whether the
 * command came from the command line, for --doctor and --report, which take
 * none.
 * Return: 0, or -1 with one line in @err naming the option(s) and what to do.
 */
int config_build(const struct settings *s, enum config_action action,
		 const char *report_file, const char *proxy_password_env,
		 bool has_cli_command, struct config *cfg, char *err,
		 size_t errlen);

void config_free(struct config *cfg);

const char *config_backend_name(enum backend b);
const char *config_capture_point_name(enum capture_point c);

#endif /* CHILDFLOW_CONFIG_H */
