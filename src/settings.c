/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * settings.c - the key table, value rules, merge and --dump-profile
 */
#include "settings.h"

#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/cidr.h"
#include "policy/names.h"
#include "proxy/uri.h"
#include "util.h"

static const char *const settings_capture_points[] = {
	"child", "egress", "wire-egress", "both", NULL,
};
static const char *const settings_backends[] = {
	"rootless-internal",
	"rootful",
	NULL,
};
static const char *const settings_text_json[] = {"text", "json", NULL};
static const char *const settings_report_formats[] = {
	"text",
	"markdown",
	"json",
	NULL,
};
static const char *const settings_policies[] = {"allow", "deny", NULL};

const struct setting_info setting_table[SET__COUNT] = {
	[SET_EXTENDS] = {"extends", "extends", SETTING_PATH, RULE_ANY, NULL,
			 NULL},
	[SET_CAPTURE] = {"capture", "--capture", SETTING_PATH, RULE_ANY, NULL,
			 NULL},
	[SET_CAPTURE_POINT] = {"capture_point", "--capture-point",
			       SETTING_STRING, RULE_CHOICE,
			       settings_capture_points, "child"},
	[SET_BACKEND] = {"backend", "--backend", SETTING_STRING, RULE_CHOICE,
			 settings_backends, "rootless-internal"},
	[SET_DNS] = {"dns", "--dns", SETTING_STRING, RULE_IP, NULL, NULL},
	[SET_HOSTS_FILE] = {"hosts_file", "--hosts-file", SETTING_PATH,
			    RULE_ANY, NULL, NULL},
	[SET_PROXY] = {"proxy", "--proxy", SETTING_STRING, RULE_PROXY, NULL,
		       NULL},
	[SET_PROXY_USER] = {"proxy_user", "--proxy-user", SETTING_STRING,
			    RULE_ANY, NULL, NULL},
	[SET_PROXY_PASSWORD] = {"proxy_password", "--proxy-password",
				SETTING_STRING, RULE_SECRET, NULL, NULL},
	[SET_PROXY_INSECURE] = {"proxy_insecure", "--proxy-insecure",
				SETTING_BOOL, RULE_ANY, NULL, NULL},
	[SET_PROXY_CA] = {"proxy_ca", "--proxy-ca", SETTING_PATH, RULE_ANY,
			  NULL, NULL},
	[SET_PROXY_DNS] = {"proxy_dns", "--proxy-dns", SETTING_BOOL, RULE_ANY,
			   NULL, NULL},
	[SET_SUMMARY] = {"summary", "--summary", SETTING_BOOL, RULE_ANY, NULL,
			 NULL},
	[SET_SUMMARY_FORMAT] = {"summary_format", "--summary-format",
				SETTING_STRING, RULE_CHOICE, settings_text_json,
				"text"},
	[SET_DOCTOR_FORMAT] = {"doctor_format", "--doctor-format",
			       SETTING_STRING, RULE_CHOICE, settings_text_json,
			       "text"},
	[SET_REPORT_FORMAT] = {"report_format", "--report-format",
			       SETTING_STRING, RULE_CHOICE,
			       settings_report_formats, "text"},
	[SET_FLOW_LOG] = {"flow_log", "--flow-log", SETTING_PATH, RULE_ANY,
			  NULL, NULL},
	[SET_OFFLINE] = {"offline", "--offline", SETTING_BOOL, RULE_ANY, NULL,
			 NULL},
	[SET_BLOCK_PRIVATE] = {"block_private", "--block-private", SETTING_BOOL,
			       RULE_ANY, NULL, NULL},
	[SET_BLOCK_METADATA] = {"block_metadata", "--block-metadata",
				SETTING_BOOL, RULE_ANY, NULL, NULL},
	[SET_DEFAULT_POLICY] = {"default_policy", "--default-policy",
				SETTING_STRING, RULE_CHOICE, settings_policies,
				"allow"},
	[SET_ALLOW_CIDRS] = {"allow_cidrs", "--allow-cidr", SETTING_LIST,
			     RULE_CIDR, NULL, NULL},
	[SET_DENY_CIDRS] = {"deny_cidrs", "--deny-cidr", SETTING_LIST,
			    RULE_CIDR, NULL, NULL},
	[SET_ALLOW_DOMAINS] = {"allow_domains", "--allow-domain", SETTING_LIST,
			       RULE_DOMAIN, NULL, NULL},
	[SET_ALLOW_DOMAINS_EXACT] = {"allow_domains_exact",
				     "--allow-domain-exact", SETTING_LIST,
				     RULE_DOMAIN, NULL, NULL},
	[SET_DENY_DOMAINS] = {"deny_domains", "--deny-domain", SETTING_LIST,
			      RULE_DOMAIN, NULL, NULL},
	[SET_DENY_DOMAINS_EXACT] = {"deny_domains_exact", "--deny-domain-exact",
				    SETTING_LIST, RULE_DOMAIN, NULL, NULL},
	[SET_PROXY_ONLY] = {"proxy_only", "--proxy-only", SETTING_BOOL,
			    RULE_ANY, NULL, NULL},
	[SET_FAIL_ON_LEAK] = {"fail_on_leak", "--fail-on-leak", SETTING_BOOL,
			      RULE_ANY, NULL, NULL},
	[SET_IFACE] = {"iface", "--iface", SETTING_STRING, RULE_IFACE, NULL,
		       NULL},
	[SET_COMMAND] = {"command", "COMMAND", SETTING_LIST, RULE_ARGV, NULL,
			 NULL},
};

int settings_lookup(const char *key)
{
	int i;

	for (i = 0; i < SET__COUNT; i++)
		if (!strcmp(setting_table[i].key, key))
			return i;
	return -1;
}

/* settings_choices() - "a, b or c" for the choices of @info into @buf */
static const char *settings_choices(const struct setting_info *info, char *buf,
				    size_t len)
{
	size_t i, n = strv_len((char *const *)info->choices), off = 0;

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++) {
		const char *sep = !i ? "" : (i == n - 1 ? " or " : ", ");

		off += (size_t)snprintf(buf + off, len - off, "%s%s", sep,
					info->choices[i]);
	}
	return buf;
}

char *settings_check(enum setting_key key, const char *value, char *err,
		     size_t errlen)
{
	const struct setting_info *info = &setting_table[key];
	char reason[256], buf[256];
	char dom[DOMAIN_MAX + 1];
	struct proxy_uri uri;
	struct ipaddr ip;
	struct cidr c;
	size_t i;

	if (info->rule != RULE_SECRET && !*value) {
		snprintf(err, errlen, "empty value");
		return NULL;
	}

	switch (info->rule) {
	case RULE_ANY:
	case RULE_SECRET:
	case RULE_ARGV:
		return xstrdup(value);
	case RULE_CHOICE:
		for (i = 0; info->choices[i]; i++)
			if (!strcmp(info->choices[i], value))
				return xstrdup(value);
		snprintf(err, errlen, "'%s' is not valid: expected %s", value,
			 settings_choices(info, buf, sizeof(buf)));
		return NULL;
	case RULE_IP:
		if (ip_parse(value, &ip, reason, sizeof(reason))) {
			snprintf(err, errlen, "'%s' is not an IP address: %s",
				 value, reason);
			return NULL;
		}
		return xstrdup(value);
	case RULE_CIDR:
		if (cidr_parse(value, &c, reason, sizeof(reason))) {
			snprintf(err, errlen,
				 "'%s' is not a CIDR or IP address: %s", value,
				 reason);
			return NULL;
		}
		return xstrdup(value);
	case RULE_DOMAIN:
		if (domain_normalize(value, dom, reason, sizeof(reason))) {
			snprintf(err, errlen, "'%s' is not a domain name: %s",
				 value, reason);
			return NULL;
		}
		return xstrdup(dom);
	case RULE_PROXY:
		if (proxy_uri_parse(value, &uri, reason, sizeof(reason))) {
			char *shown = settings_redact(value);

			snprintf(err, errlen, "'%s' is not a proxy URI: %s",
				 shown, reason);
			free(shown);
			return NULL;
		}
		return xstrdup(value);
	case RULE_IFACE:
		if (strlen(value) >= IFNAMSIZ || strpbrk(value, "/ \t\n:") ||
		    !strcmp(value, ".") || !strcmp(value, "..")) {
			snprintf(
				err, errlen,
				"'%s' is not an interface name: expected at most %d characters without '/', ':' or white space",
				value, IFNAMSIZ - 1);
			return NULL;
		}
		return xstrdup(value);
	}
	snprintf(err, errlen, "unknown rule");
	return NULL;
}

/* settings_clear() - forget the value of @key */
static void settings_clear(struct setting_value *v)
{
	free(v->str);
	strv_free(v->list);
	free(v->origin);
	memset(v, 0, sizeof(*v));
}

/* settings_mark() - clear @key and record where its new value comes from */
static struct setting_value *settings_mark(struct settings *s,
					   enum setting_key key,
					   const char *origin, bool from_cli)
{
	struct setting_value *v = &s->v[key];

	settings_clear(v);
	v->set = true;
	v->origin = xstrdup(origin);
	v->from_cli = from_cli;
	return v;
}

void settings_set_str(struct settings *s, enum setting_key key,
		      const char *value, const char *origin, bool from_cli)
{
	ASSERT(setting_table[key].type == SETTING_STRING ||
	       setting_table[key].type == SETTING_PATH);
	settings_mark(s, key, origin, from_cli)->str = xstrdup(value);
}

void settings_set_bool(struct settings *s, enum setting_key key, bool value,
		       const char *origin, bool from_cli)
{
	ASSERT(setting_table[key].type == SETTING_BOOL);
	settings_mark(s, key, origin, from_cli)->boolean = value;
}

void settings_set_list(struct settings *s, enum setting_key key,
		       char *const *items, size_t n, const char *origin,
		       bool from_cli)
{
	struct setting_value *v;

	ASSERT(setting_table[key].type == SETTING_LIST);
	v = settings_mark(s, key, origin, from_cli);
	v->list = strv_dup(items, n);
	v->n_list = n;
}

void settings_append(struct settings *s, enum setting_key key, const char *item,
		     const char *origin, bool from_cli)
{
	struct setting_value *v = &s->v[key];

	ASSERT(setting_table[key].type == SETTING_LIST);
	if (!v->set)
		settings_set_list(s, key, NULL, 0, origin, from_cli);
	strv_push(&v->list, &v->n_list, item);
}

void settings_unset(struct settings *s, enum setting_key key)
{
	settings_clear(&s->v[key]);
}

void settings_merge(struct settings *base, const struct settings *over)
{
	int k;

	for (k = 0; k < SET__COUNT; k++) {
		const struct setting_value *o = &over->v[k];

		if (!o->set)
			continue;
		switch (setting_table[k].type) {
		case SETTING_STRING:
		case SETTING_PATH:
			settings_set_str(base, k, o->str, o->origin,
					 o->from_cli);
			break;
		case SETTING_BOOL:
			settings_set_bool(base, k, o->boolean, o->origin,
					  o->from_cli);
			break;
		case SETTING_LIST:
			settings_set_list(base, k, o->list, o->n_list,
					  o->origin, o->from_cli);
			break;
		}
	}
}

void settings_free(struct settings *s)
{
	int k;

	for (k = 0; k < SET__COUNT; k++)
		settings_clear(&s->v[k]);
}

const char *settings_name(const struct settings *s, enum setting_key key,
			  char *buf, size_t len)
{
	const struct setting_value *v = &s->v[key];

	if (!v->set || v->from_cli)
		snprintf(buf, len, "%s", setting_table[key].option);
	else
		snprintf(buf, len, "%s (%s)", setting_table[key].key,
			 v->origin);
	return buf;
}

char *settings_redact(const char *value)
{
	const char *auth = strstr(value, "://");
	const char *at = strrchr(value, '@');
	const char *colon;

	/* The user information ends at the last '@': a password may hold '/',
	 * '?' or '#' that the user forgot to percent-encode, and must not show
	 * even then. Without a scheme the whole value may be user information.
	 */
	auth = auth ? auth + 3 : value;
	if (!at || at < auth) {
		/* "http://user:secret" lacks its host: what stands where the
		 * port should be may be a password, unless it is a number
		 */
		const char *port = strrchr(auth, ':');

		if (port && port[1] &&
		    strspn(port + 1, "0123456789/") != strlen(port + 1))
			return xasprintf("%.*s:***", (int)(port - value),
					 value);
		return xstrdup(value);
	}
	colon = memchr(auth, ':', (size_t)(at - auth));
	if (!colon)
		return xstrdup(value); /* a user name alone is not secret */
	return xasprintf("%.*s:***%s", (int)(colon - value), value, at);
}

char *settings_toml_string(const char *s)
{
	size_t len = strlen(s), off = 0;
	char *out = xmalloc(len * 6 + 3);
	const unsigned char *p;

	out[off++] = '"';
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			off += (size_t)sprintf(out + off, "\\\"");
			break;
		case '\\':
			off += (size_t)sprintf(out + off, "\\\\");
			break;
		case '\n':
			off += (size_t)sprintf(out + off, "\\n");
			break;
		case '\t':
			off += (size_t)sprintf(out + off, "\\t");
			break;
		case '\r':
			off += (size_t)sprintf(out + off, "\\r");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				off += (size_t)sprintf(out + off, "\\u%04x",
						       *p);
			else
				out[off++] = (char)*p;
		}
	}
	out[off++] = '"';
	out[off] = '\0';
	return out;
}

/* settings_proxy_dns_default() - would proxy_dns be on without being set?
 * It is with a socks5h:// proxy and with --proxy-only.
 */
static bool settings_proxy_dns_default(const struct settings *s)
{
	const struct setting_value *p = &s->v[SET_PROXY];
	const struct setting_value *only = &s->v[SET_PROXY_ONLY];

	if (p->set && !strncasecmp(p->str, "socks5h://", 10))
		return true;
	return only->set && only->boolean;
}

void settings_dump(const struct settings *s, FILE *out)
{
	int k;

	for (k = 0; k < SET__COUNT; k++) {
		const struct setting_info *info = &setting_table[k];
		const struct setting_value *v = &s->v[k];
		char *q;
		size_t i;

		if (k == SET_EXTENDS)
			continue;
		if (!v->set) {
			if (info->rule == RULE_CHOICE &&
			    (k == SET_CAPTURE_POINT || k == SET_BACKEND ||
			     k == SET_DEFAULT_POLICY))
				fprintf(out, "%s = \"%s\"\n", info->key,
					info->dflt);
			continue;
		}
		switch (info->type) {
		case SETTING_BOOL:
			if (v->boolean)
				fprintf(out, "%s = true\n", info->key);
			else if (k == SET_PROXY_DNS &&
				 settings_proxy_dns_default(s))
				fprintf(out, "%s = false\n", info->key);
			break;
		case SETTING_STRING:
		case SETTING_PATH:
			q = settings_toml_string(v->str);
			fprintf(out, "%s = %s\n", info->key, q);
			free(q);
			break;
		case SETTING_LIST:
			fprintf(out, "%s = [", info->key);
			for (i = 0; i < v->n_list; i++) {
				q = settings_toml_string(v->list[i]);
				fprintf(out, "%s%s", i ? ", " : "", q);
				free(q);
			}
			fputs("]\n", out);
			break;
		}
	}
}
