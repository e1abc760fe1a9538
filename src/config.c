/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * config.c - from merged settings to one validated struct config
 *
 * Values were checked one by one where they came in (cli.c, profile.c, both
 * through settings_check()). What is left here are the rules that tie
 * options together, in the order SPEC.md §1 lists them, and the conversion
 * to typed fields. The first rule broken is reported, as one line.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proxy/handshake.h"
#include "util.h"

/* config_choice() - the index of @value among the choices of @key */
static int config_choice(const struct settings *s, enum setting_key key)
{
	const struct setting_info *info = &setting_table[key];
	const char *value = s->v[key].set ? s->v[key].str : info->dflt;
	int i;

	for (i = 0; info->choices[i]; i++)
		if (!strcmp(info->choices[i], value))
			return i;
	ASSERT(0); /* settings_check() let only choices in */
}

/* config_format() - "text", "json" or "markdown" as enum out_format */
static enum out_format config_format(const struct settings *s,
				     enum setting_key key)
{
	const char *v = setting_table[key].choices[config_choice(s, key)];

	if (!strcmp(v, "json"))
		return FORMAT_JSON;
	if (!strcmp(v, "markdown"))
		return FORMAT_MARKDOWN;
	return FORMAT_TEXT;
}

/* config_readable_file() - 0 when @path is a readable regular file, else -1
 * with the reason in @why
 */
static int config_readable_file(const char *path, char *why, size_t len)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, len, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || S_ISDIR(st.st_mode)) {
		snprintf(why, len, "it is a directory");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* config_cidrs() - parse the list @key into a new array */
static struct cidr *config_cidrs(const struct settings *s, enum setting_key key,
				 size_t *n)
{
	const struct setting_value *v = &s->v[key];
	struct cidr *out;
	char reason[256];
	size_t i;

	*n = v->set ? v->n_list : 0;
	out = xcalloc(*n + 1, sizeof(*out));
	for (i = 0; i < *n; i++)
		if (cidr_parse(v->list[i], &out[i], reason, sizeof(reason)))
			ASSERT(0); /* checked by settings_check() */
	return out;
}

/* config_strv() - copy the list @key */
static char **config_strv(const struct settings *s, enum setting_key key,
			  size_t *n)
{
	const struct setting_value *v = &s->v[key];

	*n = v->set ? v->n_list : 0;
	return strv_dup(v->set ? v->list : NULL, *n);
}

static char *config_str(const struct settings *s, enum setting_key key)
{
	return s->v[key].set ? xstrdup(s->v[key].str) : NULL;
}

static bool config_bool(const struct settings *s, enum setting_key key)
{
	return s->v[key].set && s->v[key].boolean;
}

#define NAME(k)	 settings_name(s, (k), n1, sizeof(n1))
#define NAME2(k) settings_name(s, (k), n2, sizeof(n2))

/* config_check() - the rules that tie options together */
static int config_check(const struct settings *s, enum config_action action,
			const char *password_env, bool has_cli_command,
			const struct proxy_uri *proxy, char *err, size_t errlen)
{
	bool has_proxy = s->v[SET_PROXY].set;
	bool https = has_proxy && proxy->scheme == PROXY_HTTPS;
	bool has_user = s->v[SET_PROXY_USER].set;
	/* CHILDFLOW_PROXY_PASSWORD is ambient: it counts only for a proxy
	 * whose user comes from --proxy-user; a user in the URI takes it
	 * when the URI has no password, and without --proxy it is unused
	 */
	bool has_pass = s->v[SET_PROXY_PASSWORD].set ||
			(password_env && has_proxy && !proxy->has_userinfo);
	char n1[512], n2[512], why[256];

	if (action == ACTION_RUN && !s->v[SET_COMMAND].set) {
		snprintf(
			err, errlen,
			"no command given: usage: childflow [OPTIONS] [--] COMMAND [ARG...] (see childflow --help)");
		return -1;
	}
	if ((action == ACTION_DOCTOR || action == ACTION_REPORT) &&
	    has_cli_command) {
		snprintf(
			err, errlen,
			"%s takes no command, but '%s' was given: run the command without %s",
			action == ACTION_DOCTOR ? "--doctor" : "--report",
			s->v[SET_COMMAND].list[0],
			action == ACTION_DOCTOR ? "--doctor" : "--report");
		return -1;
	}
	if (s->v[SET_IFACE].set &&
	    config_choice(s, SET_BACKEND) != BACKEND_ROOTFUL) {
		snprintf(
			err, errlen,
			"%s needs the rootful backend: add --root (or --backend rootful)",
			NAME(SET_IFACE));
		return -1;
	}
	if (action == ACTION_RUN && s->v[SET_HOSTS_FILE].set &&
	    config_readable_file(s->v[SET_HOSTS_FILE].str, why, sizeof(why))) {
		snprintf(err, errlen, "%s: cannot read '%s': %s",
			 NAME(SET_HOSTS_FILE), s->v[SET_HOSTS_FILE].str, why);
		return -1;
	}
	if (config_choice(s, SET_CAPTURE_POINT) != CAPTURE_CHILD &&
	    !s->v[SET_CAPTURE].set) {
		snprintf(
			err, errlen,
			"%s %s needs --capture FILE: say where to write the capture",
			NAME(SET_CAPTURE_POINT), s->v[SET_CAPTURE_POINT].str);
		return -1;
	}
	if (has_user != has_pass) {
		snprintf(
			err, errlen,
			has_user
				? "%s needs a password too: add --proxy-password (or set CHILDFLOW_PROXY_PASSWORD)"
				: "%s needs a user too: add --proxy-user",
			has_user ? NAME(SET_PROXY_USER)
				 : (s->v[SET_PROXY_PASSWORD].set
					    ? NAME(SET_PROXY_PASSWORD)
					    : "CHILDFLOW_PROXY_PASSWORD"));
		return -1;
	}
	if (has_user && !has_proxy) {
		snprintf(
			err, errlen,
			"%s and --proxy-password need --proxy: add the proxy they are for",
			NAME(SET_PROXY_USER));
		return -1;
	}
	if (has_user && proxy->has_userinfo) {
		snprintf(
			err, errlen,
			"%s and credentials in %s conflict: give them one way only",
			NAME(SET_PROXY_USER), NAME2(SET_PROXY));
		return -1;
	}
	if (config_bool(s, SET_PROXY_INSECURE) && !https) {
		snprintf(
			err, errlen,
			"%s needs an https:// proxy: it only affects TLS to the proxy",
			NAME(SET_PROXY_INSECURE));
		return -1;
	}
	if (s->v[SET_PROXY_CA].set && !https) {
		snprintf(
			err, errlen,
			"%s needs an https:// proxy: it only affects TLS to the proxy",
			NAME(SET_PROXY_CA));
		return -1;
	}
	if (action == ACTION_RUN && s->v[SET_PROXY_CA].set &&
	    config_readable_file(s->v[SET_PROXY_CA].str, why, sizeof(why))) {
		snprintf(err, errlen, "%s: cannot read '%s': %s",
			 NAME(SET_PROXY_CA), s->v[SET_PROXY_CA].str, why);
		return -1;
	}
	if (config_bool(s, SET_PROXY_ONLY) && !has_proxy) {
		snprintf(
			err, errlen,
			"%s needs --proxy: name the proxy everything must go through",
			NAME(SET_PROXY_ONLY));
		return -1;
	}
	if (config_bool(s, SET_PROXY_DNS) && !has_proxy) {
		snprintf(err, errlen,
			 "%s needs --proxy: names are resolved by the proxy",
			 NAME(SET_PROXY_DNS));
		return -1;
	}
	if (config_bool(s, SET_OFFLINE) && has_proxy) {
		snprintf(
			err, errlen,
			"%s and %s contradict each other: offline lets nothing out, not even to a proxy; drop one",
			NAME(SET_OFFLINE), NAME2(SET_PROXY));
		return -1;
	}
	return 0;
}

int config_build(const struct settings *s, enum config_action action,
		 const char *report_file, const char *proxy_password_env,
		 bool has_cli_command, struct config *cfg, char *err,
		 size_t errlen)
{
	struct proxy_uri proxy = {0};
	char reason[256];

	memset(cfg, 0, sizeof(*cfg));
	if (s->v[SET_PROXY].set && proxy_uri_parse(s->v[SET_PROXY].str, &proxy,
						   reason, sizeof(reason)))
		ASSERT(0); /* checked by settings_check() */

	if (config_check(s, action, proxy_password_env, has_cli_command, &proxy,
			 err, errlen))
		return -1;

	cfg->action = action;
	cfg->capture = config_str(s, SET_CAPTURE);
	cfg->capture_point =
		(enum capture_point)config_choice(s, SET_CAPTURE_POINT);
	cfg->backend = (enum backend)config_choice(s, SET_BACKEND);
	if (s->v[SET_DNS].set) {
		cfg->has_dns = true;
		if (ip_parse(s->v[SET_DNS].str, &cfg->dns, reason,
			     sizeof(reason)))
			ASSERT(0);
	}
	cfg->hosts_file = config_str(s, SET_HOSTS_FILE);

	cfg->has_proxy = s->v[SET_PROXY].set;
	cfg->proxy = proxy;
	if (proxy.has_userinfo) {
		cfg->proxy_user = xstrdup(proxy.user);
		cfg->proxy_password =
			xstrdup(!proxy.password[0] && proxy_password_env
					? proxy_password_env
					: proxy.password);
	} else if (s->v[SET_PROXY_USER].set) {
		cfg->proxy_user = config_str(s, SET_PROXY_USER);
		cfg->proxy_password =
			s->v[SET_PROXY_PASSWORD].set
				? config_str(s, SET_PROXY_PASSWORD)
				: xstrdup(proxy_password_env);
	}
	/* The URI's copy of the password must not outlive parsing */
	explicit_bzero(cfg->proxy.password, sizeof(cfg->proxy.password));
	explicit_bzero(proxy.password, sizeof(proxy.password));

	if (cfg->proxy_user &&
	    proxy_hs_check_creds(cfg->proxy.scheme, cfg->proxy_user,
				 cfg->proxy_password, reason, sizeof(reason))) {
		snprintf(err, errlen, "%s: %s",
			 proxy.has_userinfo ? "--proxy" : "--proxy-user",
			 reason);
		config_free(cfg);
		return -1;
	}

	cfg->proxy_insecure = config_bool(s, SET_PROXY_INSECURE);
	cfg->proxy_ca = config_str(s, SET_PROXY_CA);
	if (s->v[SET_PROXY_DNS].set)
		cfg->proxy_dns = s->v[SET_PROXY_DNS].boolean;
	else
		cfg->proxy_dns =
			cfg->has_proxy && (cfg->proxy.scheme == PROXY_SOCKS5H ||
					   config_bool(s, SET_PROXY_ONLY));

	cfg->summary = config_bool(s, SET_SUMMARY);
	cfg->summary_format = config_format(s, SET_SUMMARY_FORMAT);
	cfg->doctor_format = config_format(s, SET_DOCTOR_FORMAT);
	cfg->report_format = config_format(s, SET_REPORT_FORMAT);
	cfg->flow_log = config_str(s, SET_FLOW_LOG);
	cfg->report_file = report_file ? xstrdup(report_file) : NULL;

	cfg->offline = config_bool(s, SET_OFFLINE);
	cfg->block_private = config_bool(s, SET_BLOCK_PRIVATE);
	cfg->block_metadata = config_bool(s, SET_BLOCK_METADATA);
	cfg->default_policy =
		(enum default_policy)config_choice(s, SET_DEFAULT_POLICY);
	cfg->allow_cidrs =
		config_cidrs(s, SET_ALLOW_CIDRS, &cfg->n_allow_cidrs);
	cfg->deny_cidrs = config_cidrs(s, SET_DENY_CIDRS, &cfg->n_deny_cidrs);
	cfg->allow_domains =
		config_strv(s, SET_ALLOW_DOMAINS, &cfg->n_allow_domains);
	cfg->allow_domains_exact = config_strv(s, SET_ALLOW_DOMAINS_EXACT,
					       &cfg->n_allow_domains_exact);
	cfg->deny_domains =
		config_strv(s, SET_DENY_DOMAINS, &cfg->n_deny_domains);
	cfg->deny_domains_exact = config_strv(s, SET_DENY_DOMAINS_EXACT,
					      &cfg->n_deny_domains_exact);
	cfg->proxy_only = config_bool(s, SET_PROXY_ONLY);
	cfg->fail_on_leak = config_bool(s, SET_FAIL_ON_LEAK);
	cfg->iface = config_str(s, SET_IFACE);
	cfg->command = config_strv(s, SET_COMMAND, &cfg->n_command);
	return 0;
}

void config_free(struct config *cfg)
{
	free(cfg->capture);
	free(cfg->hosts_file);
	free(cfg->proxy_user);
	if (cfg->proxy_password) {
		explicit_bzero(cfg->proxy_password,
			       strlen(cfg->proxy_password));
		free(cfg->proxy_password);
	}
	free(cfg->proxy_ca);
	free(cfg->flow_log);
	free(cfg->report_file);
	free(cfg->allow_cidrs);
	free(cfg->deny_cidrs);
	strv_free(cfg->allow_domains);
	strv_free(cfg->allow_domains_exact);
	strv_free(cfg->deny_domains);
	strv_free(cfg->deny_domains_exact);
	free(cfg->iface);
	strv_free(cfg->command);
	memset(cfg, 0, sizeof(*cfg));
}

const char *config_backend_name(enum backend b)
{
	return setting_table[SET_BACKEND].choices[b];
}

const char *config_capture_point_name(enum capture_point c)
{
	return setting_table[SET_CAPTURE_POINT].choices[c];
}
