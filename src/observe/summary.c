/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * summary.c - --summary: what the run did, on stderr after it
 *
 * Theory of operation
 *
 * The summary is a sink of the engine's events (events.h), like the flow
 * log, and it counts exactly what the flow log writes: every event goes
 * through flowlog_record_fill(), the one translation into a flow-log
 * record, whose embedded struct agg_event is handed to agg_add(), the one
 * aggregation --report uses. So UDP and ICMP flow starts are skipped (the
 * flow log has no line for them), a TCP start is a connect_attempt, and the
 * summary of a run equals --report of that run's flow log, number for
 * number. It needs no flow log to do so.
 *
 * At the end the run's own facts come first (backend, command, exit
 * status, outputs, the controls in force, written as the options that set
 * them), then the aggregate rendered by report.c: report_print() for text,
 * whose header lines continue the summary's own, and report_json() for
 * JSON, whose keys follow the summary's in one object. Nothing of the
 * aggregate is rendered twice. A proxy is shown without its credentials,
 * and text from events has passed the flow log's password scrub.
 *
 * --fail-on-leak only needs to know whether anything was denied: without
 * --summary, the sink counts denials and keeps nothing else.
 *
 * Text goes to a terminal: control characters (C0, DEL, C1) and bytes
 * that are not UTF-8 are shown as \xNN, and command words are quoted as a
 * shell would need them. JSON strings are made valid UTF-8 (U+FFFD for
 * stray bytes); json-c escapes the rest.
 */
#include "observe/summary.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "observe/flowlog.h"
#include "observe/report.h"
#include "util.h"

/* Width of the labels of the header block, as report.c's header */
#define SUMMARY_LABEL "  %-18s"

/* The first line of report_print()'s text, which the summary's own heading
 * replaces
 */
#define SUMMARY_REPORT_TITLE "childflow report\n"

void summary_init(struct summary *s, const struct config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->aggregate = cfg->summary;
	if (s->aggregate)
		agg_init(&s->agg, 0);
}

void summary_sink(const struct event *ev, void *ctx)
{
	struct summary *s = ctx;
	struct flowlog_record r;

	if (ev->kind == EVENT_DENY)
		s->denials++;
	if (!s->aggregate)
		return;
	if (flowlog_record_fill(ev, s->cfg, &r))
		agg_add(&s->agg, &r.ev);
}

uint64_t summary_denials(const struct summary *s)
{
	return s->denials;
}

int summary_leak_status(const struct config *cfg, const struct summary *s,
			int status)
{
	if (!cfg->fail_on_leak || status != 0 || !s->denials)
		return status;
	util_err(
		"--fail-on-leak: %llu flow%s denied (see the flow log or --summary); exiting 1 although the command exited 0",
		(unsigned long long)s->denials,
		s->denials == 1 ? " was" : "s were");
	return 1;
}

void summary_free(struct summary *s)
{
	if (s->aggregate)
		agg_free(&s->agg);
	s->aggregate = false;
}

/* --- text --------------------------------------------------------------- */

/* summary_clean_char() - write the character at @p for a terminal:
 * control characters (C0, DEL, C1) and bytes that are not UTF-8 as \xNN
 * Return: the bytes of @p consumed (at least 1)
 */
static size_t summary_clean_char(FILE *out, const unsigned char *p)
{
	size_t n = flowlog_utf8_len(p);

	if (!n || *p < 0x20 || *p == 0x7f ||
	    (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)) {
		fprintf(out, "\\x%02x", *p);
		return 1;
	}
	fwrite(p, 1, n, out);
	return n;
}

/* summary_clean() - write @s to @out for a terminal (summary_clean_char()) */
static void summary_clean(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p)
		p += summary_clean_char(out, p);
}

/* summary_word() - write the command word @w as a shell would need it:
 * bare when it holds only safe characters, else in single quotes
 */
static void summary_word(FILE *out, const char *w)
{
	const unsigned char *p = (const unsigned char *)w;

	if (*w &&
	    strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789_@%+=:,./-") == strlen(w)) {
		summary_clean(out, w);
		return;
	}
	fputc('\'', out);
	while (*p) {
		if (*p == '\'') {
			fputs("'\\''", out);
			p++;
		} else {
			p += summary_clean_char(out, p);
		}
	}
	fputc('\'', out);
}

/* summary_row() - one "  label    value" line, the value cleaned */
static void summary_row(FILE *out, const char *label, const char *value)
{
	fprintf(out, SUMMARY_LABEL, label);
	summary_clean(out, value);
	fputc('\n', out);
}

/* summary_capture_base() - cfg->capture without a trailing ".pcapng", the
 * NAME of NAME.child.pcapng and NAME.egress.pcapng (SPEC.md §5); a new
 * string
 */
static char *summary_capture_base(const char *path)
{
	size_t n = strlen(path), ext = strlen(".pcapng");

	if (n > ext && !strcmp(path + n - ext, ".pcapng"))
		n -= ext;
	return xasprintf("%.*s", (int)n, path);
}

/* struct summary_controls - the active controls as option words */
struct summary_controls {
	char **v;
	size_t n;
};

/* summary_control() - add "@opt" or "@opt @arg" to @c */
static void summary_control(struct summary_controls *c, const char *opt,
			    const char *arg)
{
	char *s = arg ? xasprintf("%s %s", opt, arg) : xstrdup(opt);

	strv_push(&c->v, &c->n, s);
	free(s);
}

/* summary_controls() - the controls of @cfg in force, in the order of
 * DESIGN.md "Policy", then DNS and the hosts file. The proxy is shown
 * without credentials. The caller strv_free()s c->v.
 */
static void summary_controls(const struct config *cfg,
			     struct summary_controls *c)
{
	char buf[600], uri[300];
	size_t i;

	memset(c, 0, sizeof(*c));
	if (cfg->offline)
		summary_control(c, "--offline", NULL);
	if (cfg->has_proxy) {
		proxy_uri_format(&cfg->proxy, uri, sizeof(uri));
		snprintf(buf, sizeof(buf), "%s%s", uri,
			 cfg->proxy_user || cfg->proxy_password
				 ? " (with credentials)"
				 : "");
		summary_control(c, "--proxy", buf);
	}
	if (cfg->proxy_only)
		summary_control(c, "--proxy-only", NULL);
	if (cfg->has_proxy && cfg->proxy_dns)
		summary_control(c, "--proxy-dns", NULL);
	if (cfg->proxy_insecure)
		summary_control(c, "--proxy-insecure", NULL);
	if (cfg->proxy_ca)
		summary_control(c, "--proxy-ca", cfg->proxy_ca);
	if (cfg->block_metadata)
		summary_control(c, "--block-metadata", NULL);
	if (cfg->block_private)
		summary_control(c, "--block-private", NULL);
	for (i = 0; i < cfg->n_deny_cidrs; i++)
		summary_control(
			c, "--deny-cidr",
			cidr_format(&cfg->deny_cidrs[i], buf, sizeof(buf)));
	for (i = 0; i < cfg->n_deny_domains; i++)
		summary_control(c, "--deny-domain", cfg->deny_domains[i]);
	for (i = 0; i < cfg->n_deny_domains_exact; i++)
		summary_control(c, "--deny-domain-exact",
				cfg->deny_domains_exact[i]);
	for (i = 0; i < cfg->n_allow_cidrs; i++)
		summary_control(
			c, "--allow-cidr",
			cidr_format(&cfg->allow_cidrs[i], buf, sizeof(buf)));
	for (i = 0; i < cfg->n_allow_domains; i++)
		summary_control(c, "--allow-domain", cfg->allow_domains[i]);
	for (i = 0; i < cfg->n_allow_domains_exact; i++)
		summary_control(c, "--allow-domain-exact",
				cfg->allow_domains_exact[i]);
	summary_control(c, "--default-policy",
			cfg->default_policy == POLICY_DENY ? "deny" : "allow");
	if (cfg->has_dns)
		summary_control(c, "--dns",
				ip_format(&cfg->dns, buf, sizeof(buf)));
	if (cfg->hosts_file)
		summary_control(c, "--hosts-file", cfg->hosts_file);
	if (cfg->fail_on_leak)
		summary_control(c, "--fail-on-leak", NULL);
	if (cfg->iface)
		summary_control(c, "--iface", cfg->iface);
}

/* summary_text_run() - the run's own facts, the head of the text */
static void summary_text_run(const struct config *cfg, int exit_status,
			     FILE *out)
{
	struct summary_controls c;
	char *base;
	size_t i;

	fputs("childflow summary\n", out);
	summary_row(out, "backend", config_backend_name(cfg->backend));
	fprintf(out, SUMMARY_LABEL, "command");
	for (i = 0; i < cfg->n_command; i++) {
		if (i)
			fputc(' ', out);
		summary_word(out, cfg->command[i]);
	}
	fputc('\n', out);
	fprintf(out, SUMMARY_LABEL "%d\n", "exit status", exit_status);

	summary_row(out, "flow log", cfg->flow_log ? cfg->flow_log : "none");
	fprintf(out, SUMMARY_LABEL, "capture");
	if (!cfg->capture) {
		fputs("none", out);
	} else if (cfg->capture_point == CAPTURE_BOTH) {
		base = summary_capture_base(cfg->capture);
		summary_clean(out, base);
		fputs(".child.pcapng, ", out);
		summary_clean(out, base);
		fputs(".egress.pcapng (view both)", out);
		free(base);
	} else {
		summary_clean(out, cfg->capture);
		fprintf(out, " (view %s)",
			config_capture_point_name(cfg->capture_point));
	}
	fputc('\n', out);

	summary_controls(cfg, &c);
	for (i = 0; i < c.n; i++)
		summary_row(out, i ? "" : "controls", c.v[i]);
	strv_free(c.v);
}

/* summary_text() - the text summary: the run, then report_print()'s text
 * with its title line dropped, so that its key numbers continue the
 * summary's header block
 */
static int summary_text(const struct config *cfg, struct summary *s,
			int exit_status, FILE *out)
{
	const char *body;
	char *rep = NULL;
	size_t len = 0;
	FILE *m;

	summary_text_run(cfg, exit_status, out);
	m = open_memstream(&rep, &len);
	if (!m) /* no memory for the copy: the report as it is */
		return report_print(out, &s->agg, FORMAT_TEXT, NULL);
	if (report_print(m, &s->agg, FORMAT_TEXT, NULL)) {
		fclose(m);
		free(rep);
		return -1;
	}
	fclose(m);
	body = rep;
	if (!strncmp(body, SUMMARY_REPORT_TITLE, strlen(SUMMARY_REPORT_TITLE)))
		body += strlen(SUMMARY_REPORT_TITLE);
	fputs(body, out);
	free(rep);
	return fflush(out) || ferror(out) ? -1 : 0;
}

/* --- JSON --------------------------------------------------------------- */

/* summary_jstr() - a JSON string of @s made valid UTF-8 (stray bytes as
 * U+FFFD), or JSON null for NULL
 */
static struct json_object *summary_jstr(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	struct json_object *o;
	char *buf, *q;
	size_t n;

	if (!s)
		return NULL;
	q = buf = xmalloc(strlen(s) * 3 + 1);
	while (*p) {
		n = flowlog_utf8_len(p);
		if (!n) {
			memcpy(q, "\xef\xbf\xbd", 3);
			q += 3;
			p++;
			continue;
		}
		memcpy(q, p, n);
		q += n;
		p += n;
	}
	*q = '\0';
	o = json_object_new_string(buf);
	free(buf);
	return o;
}

/* summary_jstrv() - a JSON array of the @n strings of @v */
static struct json_object *summary_jstrv(char *const *v, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, summary_jstr(v[i]));
	return a;
}

/* summary_jcidrs() - a JSON array of @n CIDRs */
static struct json_object *summary_jcidrs(const struct cidr *v, size_t n)
{
	struct json_object *a = json_object_new_array();
	char buf[INET6_ADDRSTRLEN + 4];
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(cidr_format(
						 &v[i], buf, sizeof(buf))));
	return a;
}

/* summary_jcontrols() - "controls": every control, set or not */
static struct json_object *summary_jcontrols(const struct config *cfg)
{
	struct json_object *o = json_object_new_object();
	char buf[300];

	json_object_object_add(o, "offline",
			       json_object_new_boolean(cfg->offline));
	json_object_object_add(o, "block_private",
			       json_object_new_boolean(cfg->block_private));
	json_object_object_add(o, "block_metadata",
			       json_object_new_boolean(cfg->block_metadata));
	json_object_object_add(
		o, "default_policy",
		json_object_new_string(
			cfg->default_policy == POLICY_DENY ? "deny" : "allow"));
	json_object_object_add(
		o, "allow_cidrs",
		summary_jcidrs(cfg->allow_cidrs, cfg->n_allow_cidrs));
	json_object_object_add(
		o, "deny_cidrs",
		summary_jcidrs(cfg->deny_cidrs, cfg->n_deny_cidrs));
	json_object_object_add(
		o, "allow_domains",
		summary_jstrv(cfg->allow_domains, cfg->n_allow_domains));
	json_object_object_add(o, "allow_domains_exact",
			       summary_jstrv(cfg->allow_domains_exact,
					     cfg->n_allow_domains_exact));
	json_object_object_add(
		o, "deny_domains",
		summary_jstrv(cfg->deny_domains, cfg->n_deny_domains));
	json_object_object_add(o, "deny_domains_exact",
			       summary_jstrv(cfg->deny_domains_exact,
					     cfg->n_deny_domains_exact));
	json_object_object_add(
		o, "proxy",
		cfg->has_proxy ? json_object_new_string(proxy_uri_format(
					 &cfg->proxy, buf, sizeof(buf)))
			       : NULL);
	json_object_object_add(o, "proxy_credentials",
			       json_object_new_boolean(cfg->proxy_user ||
						       cfg->proxy_password));
	json_object_object_add(o, "proxy_only",
			       json_object_new_boolean(cfg->proxy_only));
	json_object_object_add(
		o, "proxy_dns",
		json_object_new_boolean(cfg->has_proxy && cfg->proxy_dns));
	json_object_object_add(o, "proxy_insecure",
			       json_object_new_boolean(cfg->proxy_insecure));
	json_object_object_add(o, "proxy_ca", summary_jstr(cfg->proxy_ca));
	json_object_object_add(o, "dns",
			       cfg->has_dns
				       ? json_object_new_string(ip_format(
						 &cfg->dns, buf, sizeof(buf)))
				       : NULL);
	json_object_object_add(o, "hosts_file", summary_jstr(cfg->hosts_file));
	json_object_object_add(o, "fail_on_leak",
			       json_object_new_boolean(cfg->fail_on_leak));
	json_object_object_add(o, "iface", summary_jstr(cfg->iface));
	return o;
}

/* summary_joutputs() - "outputs": the flow log and the capture files */
static struct json_object *summary_joutputs(const struct config *cfg)
{
	struct json_object *o = json_object_new_object(), *files;
	char *base, *f;

	json_object_object_add(o, "flow_log", summary_jstr(cfg->flow_log));
	json_object_object_add(o, "capture", summary_jstr(cfg->capture));
	json_object_object_add(
		o, "capture_point",
		cfg->capture ? json_object_new_string(config_capture_point_name(
				       cfg->capture_point))
			     : NULL);
	files = json_object_new_array();
	if (cfg->capture && cfg->capture_point == CAPTURE_BOTH) {
		base = summary_capture_base(cfg->capture);
		f = xasprintf("%s.child.pcapng", base);
		json_object_array_add(files, summary_jstr(f));
		free(f);
		f = xasprintf("%s.egress.pcapng", base);
		json_object_array_add(files, summary_jstr(f));
		free(f);
		free(base);
	} else if (cfg->capture) {
		json_object_array_add(files, summary_jstr(cfg->capture));
	}
	json_object_object_add(o, "capture_files", files);
	return o;
}

/* summary_json() - one object: the run's keys, then report_json()'s */
static int summary_json(const struct config *cfg, struct summary *s,
			int exit_status, FILE *out)
{
	struct json_object *root = json_object_new_object(), *rep;
	struct json_object_iterator it, end;

	json_object_object_add(
		root, "backend",
		json_object_new_string(config_backend_name(cfg->backend)));
	json_object_object_add(root, "command",
			       summary_jstrv(cfg->command, cfg->n_command));
	json_object_object_add(root, "exit_status",
			       json_object_new_int(exit_status));
	json_object_object_add(root, "controls", summary_jcontrols(cfg));
	json_object_object_add(root, "outputs", summary_joutputs(cfg));

	rep = report_json(&s->agg, NULL);
	it = json_object_iter_begin(rep);
	end = json_object_iter_end(rep);
	while (!json_object_iter_equal(&it, &end)) {
		json_object_object_add(
			root, json_object_iter_peek_name(&it),
			json_object_get(json_object_iter_peek_value(&it)));
		json_object_iter_next(&it);
	}
	json_object_put(rep);

	fputs(json_object_to_json_string_ext(
		      root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
				    JSON_C_TO_STRING_NOSLASHESCAPE),
	      out);
	fputc('\n', out);
	json_object_put(root);
	return fflush(out) || ferror(out) ? -1 : 0;
}

int summary_print(const struct config *cfg, struct summary *s, int exit_status,
		  FILE *out)
{
	if (!s->aggregate) { /* counted denials only: nothing to show */
		agg_init(&s->agg, 0);
		s->aggregate = true;
	}
	if (cfg->summary_format == FORMAT_JSON)
		return summary_json(cfg, s, exit_status, out);
	return summary_text(cfg, s, exit_status, out);
}
