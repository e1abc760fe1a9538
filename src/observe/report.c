/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * report.c - --report FILE: read a saved flow log, print what it says
 *
 * The flow log is JSON Lines (docs/flow-log.md). Each line is read with a
 * bounded reader (REPORT_LINE_MAX), parsed with json-c in strict mode with
 * UTF-8 validation, turned into a struct agg_event and counted by
 * aggregate.c; nothing of the line is kept beyond that call. The whole file
 * is read before anything is printed, so a broken line gives one error on
 * stderr and nothing on stdout.
 *
 * Reading is lenient where the flow-log contract asks for it: unknown events
 * are counted under their name, unknown fields are ignored, and a field of
 * the wrong type counts as missing. It is strict where a silent guess would
 * mislead: a line that is not one JSON object stops the report, naming the
 * line. A schema_version other than 1 is read as version 1 (fields are only
 * ever added within a version) with one warning.
 *
 * Rendering builds each section as a small table of cleaned cells and prints
 * it as aligned text or as a GitHub table; JSON is built with json-c from
 * the same aggregate. The renderers take a const aggregate and no file, so
 * that --summary can print the same sections from live events.
 */
#include "observe/report.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define REPORT_COLS_MAX 8

/* Names listed in one table cell before "+N" */
#define REPORT_CELL_NAMES 3

/* report_parser_init() - see report.h */
void report_parser_init(struct report_parser *p, struct agg *agg)
{
	memset(p, 0, sizeof(*p));
	p->agg = agg;
	p->tok = json_tokener_new();
	if (!p->tok)
		die(EXIT_CHILDFLOW, "out of memory");
	json_tokener_set_flags(p->tok, JSON_TOKENER_STRICT |
					       JSON_TOKENER_VALIDATE_UTF8);
}

/* report_parser_free() - release the tokener of @p */
void report_parser_free(struct report_parser *p)
{
	if (p->tok)
		json_tokener_free(p->tok);
	p->tok = NULL;
}

/* report_str() - the string field @key of @o, NULL when missing, null or
 * not a string
 */
static const char *report_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* report_int() - the integer field @key of @o within 0..@max, else -1 */
static int64_t report_int(struct json_object *o, const char *key, int64_t max)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	n = json_object_get_int64(v);
	return n >= 0 && n <= max ? n : -1;
}

/* report_bool() - the boolean field @key of @o: 1, 0, or -1 when not one */
static int report_bool(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return -1;
	return json_object_get_boolean(v) ? 1 : 0;
}

/* report_type_name() - "an array", "a string", ... for messages */
static const char *report_type_name(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
	case json_type_int:
		return "a number";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	case json_type_object:
		return "an object";
	}
	return "something else";
}

/* report_version() - note @o's schema_version in @ev; remember the first
 * line where it is not 1 for the warning
 * Return: the JSON text of the version kept for the event, or NULL
 */
static const char *report_version(struct report_parser *p,
				  struct json_object *o)
{
	struct json_object *v;
	const char *text;

	if (!json_object_object_get_ex(o, "schema_version", &v) || !v)
		return NULL;
	if (json_object_is_type(v, json_type_int) &&
	    json_object_get_int64(v) == 1)
		return "1";
	text = json_object_to_json_string_ext(
		v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!p->version_line) {
		p->version_line = p->line;
		snprintf(p->version, sizeof(p->version), "%s", text);
	}
	return text;
}

/* report_event() - count the event object @o */
static void report_event(struct report_parser *p, struct json_object *o)
{
	const char **ips = NULL;
	struct json_object *arr, *item;
	struct agg_event ev;
	size_t i, n;

	agg_event_init(&ev);
	ev.name = report_str(o, "event");
	ev.kind = agg_kind_from_name(ev.name);
	ev.schema_version = report_version(p, o);
	ev.flow_id = report_int(o, "flow_id", INT64_MAX);
	ev.protocol = report_str(o, "protocol");
	ev.remote_addr = report_str(o, "remote_addr");
	if (!ev.remote_addr)
		ev.remote_addr = report_str(o, "remote");
	ev.remote_ip = report_str(o, "remote_ip");
	ev.remote_port = (int32_t)report_int(o, "remote_port", 65535);
	ev.via_proxy = report_bool(o, "via_proxy");
	ev.status = report_str(o, "status");
	ev.error = report_str(o, "error");
	ev.error_detail = report_str(o, "error_detail");
	ev.sni = report_str(o, "sni");
	ev.http_host = report_str(o, "http_host");
	ev.reason_code = report_str(o, "reason_code");
	ev.control = report_str(o, "control");
	ev.matched_cidr = report_str(o, "matched_cidr");
	ev.matched_domain = report_str(o, "matched_domain");
	ev.reason = report_str(o, "reason");
	ev.qname = report_str(o, "qname");
	ev.qtype = report_str(o, "qtype");
	ev.mode = report_str(o, "mode");
	ev.phase = report_str(o, "phase");
	ev.detail = report_str(o, "detail");
	ev.bytes_sent = report_int(o, "bytes_sent", INT64_MAX);
	ev.bytes_received = report_int(o, "bytes_received", INT64_MAX);
	ev.duration_ms = report_int(o, "duration_ms", INT64_MAX);
	ev.end = report_str(o, "end");

	if (json_object_object_get_ex(o, "answer_ips", &arr) &&
	    json_object_is_type(arr, json_type_array) &&
	    (n = json_object_array_length(arr))) {
		ips = xcalloc(n, sizeof(*ips));
		for (i = 0; i < n; i++) {
			item = json_object_array_get_idx(arr, i);
			if (json_object_is_type(item, json_type_string))
				ips[ev.n_answer_ips++] =
					json_object_get_string(item);
		}
		ev.answer_ips = ips;
	}

	agg_add(p->agg, &ev);
	free(ips);
}

/* report_blank() - is @line only JSON whitespace? */
static bool report_blank(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!line[i] || !strchr(" \t\r", line[i]))
			return false;
	return true;
}

int report_parse_line(struct report_parser *p, const char *line, size_t len)
{
	const char *nul;
	struct json_object *o;
	enum json_tokener_error jerr;

	p->line++;
	p->error[0] = '\0';
	if (len > REPORT_LINE_MAX) {
		snprintf(p->error, sizeof(p->error),
			 "line is longer than %zu bytes", REPORT_LINE_MAX);
		return -1;
	}
	if (report_blank(line, len))
		return 0;
	nul = memchr(line, '\0', len);
	if (nul) {
		/* json-c would stop there and take the line for complete */
		snprintf(p->error, sizeof(p->error),
			 "not valid JSON: NUL byte at column %zu",
			 (size_t)(nul - line) + 1);
		return -1;
	}

	json_tokener_reset(p->tok);
	o = json_tokener_parse_ex(p->tok, line, (int)len);
	jerr = json_tokener_get_error(p->tok);
	if (!o && jerr == json_tokener_continue) {
		/* a bare number or an unfinished value: the line ends here */
		o = json_tokener_parse_ex(p->tok, "", 1);
		jerr = json_tokener_get_error(p->tok);
		if (jerr == json_tokener_continue)
			jerr = json_tokener_error_parse_eof;
	}
	if (!o && jerr == json_tokener_success) {
		snprintf(p->error, sizeof(p->error),
			 "not a JSON object (found null)");
		return -1;
	}
	if (!o || jerr != json_tokener_success) {
		json_object_put(o);
		snprintf(p->error, sizeof(p->error), "not valid JSON: %s",
			 json_tokener_error_desc(jerr));
		return -1;
	}
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(p->error, sizeof(p->error),
			 "not a JSON object (found %s)", report_type_name(o));
		json_object_put(o);
		return -1;
	}
	report_event(p, o);
	json_object_put(o);
	return 0;
}

int report_parse_buffer(struct report_parser *p, const char *buf, size_t len)
{
	const char *nl, *end = buf + len;

	while (buf < end) {
		nl = memchr(buf, '\n', (size_t)(end - buf));
		if (!nl)
			nl = end;
		if (report_parse_line(p, buf, (size_t)(nl - buf)))
			return -1;
		buf = nl + 1;
	}
	return 0;
}

/* report_read_line() - the next line of @f, without its newline, into
 * *@buf (grown as needed, to at most REPORT_LINE_MAX + 1 bytes: a longer
 * line comes back cut there, for report_parse_line() to refuse)
 * Return: its length; -1 at the end of the file; -2 on a read error
 */
static ssize_t report_read_line(FILE *f, char **buf, size_t *cap)
{
	size_t len = 0;
	int c;

	for (;;) {
		c = getc_unlocked(f);
		if (c == EOF) {
			if (ferror(f))
				return -2;
			return len ? (ssize_t)len : -1;
		}
		if (c == '\n')
			return (ssize_t)len;
		if (len == *cap) {
			*cap = *cap ? *cap * 2 : 4096;
			*buf = xrealloc(*buf, *cap);
		}
		(*buf)[len++] = (char)c;
		if (len > REPORT_LINE_MAX)
			return (ssize_t)len;
	}
}

/* --- rendering: text and Markdown tables ------------------------------ */

/* struct report_table - one section being built: cells already cleaned */
struct report_table {
	size_t ncols;
	const char *head[REPORT_COLS_MAX];
	const char *align; /* per column: 'l' or 'r' */
	char **cells;	   /* rows * ncols */
	size_t rows, alloc;
};

/* report_clean() - @s made safe to print: control bytes as \xNN (no
 * terminal escapes from the log reach the screen), and for Markdown the
 * characters that would break the table or start formatting escaped
 * Return: a new string
 */
static char *report_clean(const char *s, enum out_format fmt)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, n = strlen(s);
	char *out = xmalloc(n * 5 + 1), *o = out;
	bool prev_alnum, next_alnum;

	for (i = 0; i < n; i++) {
		if (u[i] < 0x20 || u[i] == 0x7f) {
			o += sprintf(o, "\\x%02x", u[i]);
			continue;
		}
		if (fmt == FORMAT_MARKDOWN) {
			prev_alnum = i > 0 && isalnum(u[i - 1]);
			next_alnum = i + 1 < n && isalnum(u[i + 1]);
			if (strchr("\\|*`[]", u[i]) ||
			    (u[i] == '_' && !(prev_alnum && next_alnum))) {
				*o++ = '\\';
			} else if (u[i] == '<') {
				o += sprintf(o, "&lt;");
				continue;
			} else if (u[i] == '>') {
				o += sprintf(o, "&gt;");
				continue;
			}
		}
		*o++ = (char)u[i];
	}
	*o = '\0';
	return out;
}

/* report_width() - columns @s takes on a terminal (UTF-8 characters) */
static size_t report_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* report_table_init() - an empty table with @ncols headers and @align */
static void report_table_init(struct report_table *t, const char *align,
			      size_t ncols, ...)
{
	va_list ap;
	size_t i;

	ASSERT(ncols <= REPORT_COLS_MAX && strlen(align) == ncols);
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->align = align;
	va_start(ap, ncols);
	for (i = 0; i < ncols; i++)
		t->head[i] = va_arg(ap, const char *);
	va_end(ap);
}

/* report_table_row() - add a row of @t->ncols cells, cleaned for @fmt */
static void report_table_row(struct report_table *t, enum out_format fmt, ...)
{
	va_list ap;
	const char *s;
	size_t i;

	if (t->rows == t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 16;
		t->cells = xrealloc(t->cells,
				    t->alloc * t->ncols * sizeof(*t->cells));
	}
	va_start(ap, fmt);
	for (i = 0; i < t->ncols; i++) {
		s = va_arg(ap, const char *);
		t->cells[t->rows * t->ncols + i] =
			report_clean(s ? s : "", fmt);
	}
	va_end(ap);
	t->rows++;
}

/* report_table_free() - release the cells of @t */
static void report_table_free(struct report_table *t)
{
	size_t i;

	for (i = 0; i < t->rows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->rows = 0;
}

/* report_pad() - write @n spaces */
static void report_pad(FILE *out, size_t n)
{
	while (n--)
		fputc(' ', out);
}

/* report_table_text() - @t as aligned columns under @title, two spaces in */
static void report_table_text(FILE *out, const struct report_table *t,
			      const char *title, uint64_t more)
{
	size_t w[REPORT_COLS_MAX] = {0}, r, c, cw;
	const char *s, *h;

	fprintf(out, "\n%s\n", title);
	if (!t->rows) {
		fputs("  none\n", out);
		return;
	}
	for (c = 0; c < t->ncols; c++) {
		w[c] = strlen(t->head[c]);
		for (r = 0; r < t->rows; r++) {
			cw = report_width(t->cells[r * t->ncols + c]);
			if (cw > w[c])
				w[c] = cw;
		}
	}
	for (r = 0; r <= t->rows; r++) {
		fputs("  ", out);
		for (c = 0; c < t->ncols; c++) {
			s = r ? t->cells[(r - 1) * t->ncols + c] : NULL;
			cw = s ? report_width(s) : strlen(t->head[c]);
			if (s && !*s && c + 1 == t->ncols && t->align[c] == 'l')
				break; /* no trailing blanks */
			if (c)
				fputs("  ", out);
			if (t->align[c] == 'r')
				report_pad(out, w[c] - cw);
			if (s) {
				fputs(s, out);
			} else {
				for (h = t->head[c]; *h; h++)
					fputc(toupper((unsigned char)*h), out);
			}
			if (t->align[c] == 'l' && c + 1 < t->ncols)
				report_pad(out, w[c] - cw);
		}
		fputc('\n', out);
	}
	if (more)
		fprintf(out, "  (%" PRIu64 " more)\n", more);
}

/* report_table_markdown() - @t as a GitHub table under "### @title";
 * nothing for an empty table (the Highlights say it)
 */
static void report_table_markdown(FILE *out, const struct report_table *t,
				  const char *title, uint64_t more)
{
	size_t r, c;

	if (!t->rows)
		return;
	fprintf(out, "\n### %s\n\n|", title);
	for (c = 0; c < t->ncols; c++)
		fprintf(out, " %s |", t->head[c]);
	fputs("\n|", out);
	for (c = 0; c < t->ncols; c++)
		fputs(t->align[c] == 'r' ? "---:|" : "---|", out);
	fputc('\n', out);
	for (r = 0; r < t->rows; r++) {
		fputc('|', out);
		for (c = 0; c < t->ncols; c++)
			fprintf(out, " %s |", t->cells[r * t->ncols + c]);
		fputc('\n', out);
	}
	if (more)
		fprintf(out, "\n(%" PRIu64 " more)\n", more);
}

/* report_table_end() - print @t in @fmt and free it */
static void report_table_end(FILE *out, enum out_format fmt,
			     struct report_table *t, const char *title,
			     uint64_t more)
{
	if (fmt == FORMAT_MARKDOWN)
		report_table_markdown(out, t, title, more);
	else
		report_table_text(out, t, title, more);
	report_table_free(t);
}

/* report_u64() - @v in decimal, in @buf (at least 24 bytes) */
static const char *report_u64(char *buf, uint64_t v)
{
	snprintf(buf, 24, "%" PRIu64, v);
	return buf;
}

/* report_names() - the keys of @t, most counted first, as one cell:
 * "a, b, c, +2"; "" for none
 * Return: a new string
 */
static char *report_names(const struct agg_table *t,
			  const struct agg_table *skip, size_t max)
{
	struct agg_entry **v;
	size_t i, n = agg_rank(t, &v), shown = 0, left = 0, len = 0;
	char *out;

	out = xmalloc(max * (AGG_KEY_MAX + 2) + 32);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (skip && agg_find(skip, v[i]->key))
			continue;
		if (shown == max) {
			left++;
			continue;
		}
		len += (size_t)sprintf(out + len, "%s%s", shown ? ", " : "",
				       v[i]->key);
		shown++;
	}
	if (left)
		sprintf(out + len, ", +%zu", left);
	free(v);
	return out;
}

/* report_section_counts() - a ranked KEY / COUNT table of @t; @mark, when
 * set, is appended to keys it says are special
 */
static void report_section_counts(FILE *out, enum out_format fmt,
				  const char *title, const char *keyname,
				  const struct agg_table *t,
				  const char *(*mark)(const char *key))
{
	struct report_table tab;
	struct agg_entry **v;
	size_t i, n = agg_rank(t, &v);
	char num[24], key[AGG_KEY_MAX + 32];

	report_table_init(&tab, "lr", 2, keyname, "count");
	for (i = 0; i < n && i < REPORT_TOP; i++) {
		snprintf(key, sizeof(key), "%s%s", v[i]->key,
			 mark ? mark(v[i]->key) : "");
		report_table_row(&tab, fmt, key, report_u64(num, v[i]->count));
	}
	report_table_end(out, fmt, &tab, title,
			 n > REPORT_TOP ? n - REPORT_TOP : 0);
	free(v);
}

/* report_mark_unknown() - " (unknown)" after event names not in SPEC §3 */
static const char *report_mark_unknown(const char *name)
{
	return agg_kind_from_name(name) == AGG_UNKNOWN ? " (unknown)" : "";
}

/* report_section_proxy() - connect attempts via the proxy and direct */
static void report_section_proxy(FILE *out, enum out_format fmt,
				 const struct agg *a)
{
	struct report_table tab;
	char n1[24], n2[24], n3[24];
	bool proxy_first = a->via_proxy > a->direct;

	report_table_init(&tab, "lr", 2, "route", "connect attempts");
	if (a->via_proxy || a->direct) {
		report_table_row(
			&tab, fmt, proxy_first ? "via proxy" : "direct",
			report_u64(n1, proxy_first ? a->via_proxy : a->direct));
		report_table_row(
			&tab, fmt, proxy_first ? "direct" : "via proxy",
			report_u64(n2, proxy_first ? a->direct : a->via_proxy));
	}
	/* DNS over TCP to the engine: answered on the host, so neither */
	if (a->resolver)
		report_table_row(&tab, fmt,
				 "childflow's resolver (DNS over TCP)",
				 report_u64(n3, a->resolver));
	report_table_end(out, fmt, &tab, "Proxy usage", 0);
}

/* report_section_domains() - denials by matched domain, with the targets
 * each one denied (the matched-domain -> targets correlation)
 */
static void report_section_domains(FILE *out, enum out_format fmt,
				   const struct agg *a)
{
	struct report_table tab;
	struct agg_entry **v;
	size_t i, n = agg_rank(&a->deny_domains, &v);
	char num[24], *targets;

	report_table_init(&tab, "lrl", 3, "matched domain", "denials",
			  "targets");
	for (i = 0; i < n && i < REPORT_TOP; i++) {
		targets = report_names(v[i]->data, NULL, REPORT_CELL_NAMES);
		report_table_row(&tab, fmt, v[i]->key,
				 report_u64(num, v[i]->count), targets);
		free(targets);
	}
	report_table_end(out, fmt, &tab, "Denials by matched domain",
			 n > REPORT_TOP ? n - REPORT_TOP : 0);
	free(v);
}

/* report_section_failures() - runtime failures by reason, with the first
 * detail of each: it says what to do
 */
static void report_section_failures(FILE *out, enum out_format fmt,
				    const struct agg *a)
{
	struct report_table tab;
	struct agg_entry **v;
	size_t i, n = agg_rank(&a->failure_reasons, &v);
	char num[24];

	report_table_init(&tab, "lrl", 3, "reason code", "count", "detail");
	for (i = 0; i < n && i < REPORT_TOP; i++)
		report_table_row(&tab, fmt, v[i]->key,
				 report_u64(num, v[i]->count),
				 (const char *)v[i]->data);
	report_table_end(out, fmt, &tab, "Runtime failures by reason",
			 n > REPORT_TOP ? n - REPORT_TOP : 0);
	free(v);
}

/* report_section_targets() - the top connection targets with their names
 * (the target -> DNS names correlation; SNI / HTTP Host names not already
 * among them follow)
 */
static void report_section_targets(FILE *out, enum out_format fmt,
				   const struct agg *a)
{
	struct report_table tab;
	struct agg_entry **v;
	const struct agg_target *t;
	const struct agg_table *dns;
	size_t i, n = agg_rank(&a->targets, &v);
	char c[6][24], *names, *hosts, *cell;

	report_table_init(&tab, "lrrrrrrl", 8, "target", "flows", "ok",
			  "errors", "denied", "sent", "received", "names");
	for (i = 0; i < n && i < REPORT_TOP; i++) {
		t = v[i]->data;
		dns = agg_target_names(a, v[i]);
		names = dns ? report_names(dns, NULL, REPORT_CELL_NAMES)
			    : xstrdup("");
		hosts = report_names(&t->host_names, dns, REPORT_CELL_NAMES);
		cell = xasprintf("%s%s%s", names, *names && *hosts ? ", " : "",
				 hosts);
		report_table_row(&tab, fmt, v[i]->key,
				 report_u64(c[0], v[i]->count),
				 report_u64(c[1], t->connect_ok),
				 report_u64(c[2], t->connect_errors),
				 report_u64(c[3], t->denied),
				 report_u64(c[4], t->bytes_sent),
				 report_u64(c[5], t->bytes_received), cell);
		free(cell);
		free(hosts);
		free(names);
	}
	report_table_end(out, fmt, &tab, "Top connection targets",
			 n > REPORT_TOP ? n - REPORT_TOP : 0);
	free(v);
}

/* report_section_dns() - the top DNS names with their answer IPs (the DNS
 * name -> answer IPs correlation)
 */
static void report_section_dns(FILE *out, enum out_format fmt,
			       const struct agg *a)
{
	struct report_table tab;
	struct agg_entry **v;
	const struct agg_dns_name *d;
	size_t i, n = agg_rank(&a->dns_names, &v);
	char q[24], an[24], *ips;

	report_table_init(&tab, "lrrl", 4, "name", "queries", "answers",
			  "answer ips");
	for (i = 0; i < n && i < REPORT_TOP; i++) {
		d = v[i]->data;
		ips = report_names(&d->answer_ips, NULL, REPORT_CELL_NAMES);
		report_table_row(&tab, fmt, v[i]->key,
				 report_u64(q, v[i]->count),
				 report_u64(an, v[i]->sub), ips);
		free(ips);
	}
	report_table_end(out, fmt, &tab, "Top DNS names",
			 n > REPORT_TOP ? n - REPORT_TOP : 0);
	free(v);
}

/* report_human() - @bytes as "512 B", "1.5 KiB", "12.0 MiB", ... */
static const char *report_human(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = {"KiB", "MiB", "GiB",
					    "TiB", "PiB", "EiB"};
	double v = (double)bytes;
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return buf;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

/* report_top() - the top entry of @t, or NULL (freeing the ranking) */
static const struct agg_entry *report_top(const struct agg_table *t)
{
	struct agg_entry **v;
	const struct agg_entry *e = NULL;

	if (agg_rank(t, &v))
		e = v[0];
	free(v);
	return e;
}

/* report_plural() - "" or "s" for @n */
static const char *report_plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* report_highlights() - the Markdown "Highlights" list: the few lines a
 * reader of a CI artifact or an issue needs first
 */
static void report_highlights(FILE *out, const struct agg *a,
			      const struct report_source *src)
{
	const struct agg_entry *e, *e2;
	const struct agg_table *dns;
	char h1[32], h2[32], *s, *names;
	uint64_t denials = a->kinds[AGG_POLICY_VIOLATION];
	uint64_t failures = a->kinds[AGG_RUNTIME_FAILURE];

	fputs("## Highlights\n\n", out);
	if (src && src->flow_log) {
		s = report_clean(src->flow_log, FORMAT_MARKDOWN);
		fprintf(out, "- Flow log: %s (%zu line%s)\n", s, src->lines,
			report_plural(src->lines));
		free(s);
	}
	fprintf(out, "- **%" PRIu64 "** event%s", a->total,
		report_plural(a->total));
	if (a->kinds[AGG_UNKNOWN])
		fprintf(out, ", %" PRIu64 " of unknown kind",
			a->kinds[AGG_UNKNOWN]);
	fputs("\n", out);

	if ((e = report_top(&a->deny_reasons))) {
		s = report_clean(e->key, FORMAT_MARKDOWN);
		fprintf(out,
			"- **%" PRIu64 " denial%s**, most for %s (%" PRIu64
			")\n",
			denials, report_plural(denials), s, e->count);
		free(s);
	} else {
		fputs("- No denials\n", out);
	}
	if ((e = report_top(&a->errors))) {
		s = report_clean(e->key, FORMAT_MARKDOWN);
		fprintf(out,
			"- **%" PRIu64 " connect error%s**, most %s (%" PRIu64
			")\n",
			a->connect_errors, report_plural(a->connect_errors), s,
			e->count);
		free(s);
	} else {
		fputs("- No connect errors\n", out);
	}
	if ((e = report_top(&a->failure_reasons))) {
		e2 = report_top(&a->failure_phases);
		s = report_clean(e->key, FORMAT_MARKDOWN);
		names = report_clean(e2 ? e2->key : AGG_NONE, FORMAT_MARKDOWN);
		fprintf(out,
			"- **%" PRIu64 " runtime failure%s**, most %s; phase "
			"%s\n",
			failures, report_plural(failures), s, names);
		free(names);
		free(s);
	} else {
		fputs("- No runtime failures\n", out);
	}
	if ((e = report_top(&a->targets))) {
		dns = agg_target_names(a, e);
		s = report_clean(e->key, FORMAT_MARKDOWN);
		fprintf(out, "- Top target: %s (%" PRIu64 " flow%s", s,
			e->count, report_plural(e->count));
		free(s);
		if (dns) {
			names = report_names(dns, NULL, REPORT_CELL_NAMES);
			s = report_clean(names, FORMAT_MARKDOWN);
			fprintf(out, "; %s", s);
			free(s);
			free(names);
		}
		fputs(")\n", out);
	}
	if ((e = report_top(&a->dns_names))) {
		s = report_clean(e->key, FORMAT_MARKDOWN);
		fprintf(out, "- Top DNS name: %s (%" PRIu64 " quer%s)\n", s,
			e->count, e->count == 1 ? "y" : "ies");
		free(s);
	}
	if (a->via_proxy || a->direct)
		fprintf(out,
			"- Proxy: %" PRIu64 " of %" PRIu64
			" connect attempt%s via the proxy%s\n",
			a->via_proxy, a->via_proxy + a->direct,
			report_plural(a->via_proxy + a->direct),
			a->resolver ? " (DNS over TCP to childflow's resolver "
				      "not counted)"
				    : "");
	if (a->kinds[AGG_FLOW_END])
		fprintf(out,
			"- Traffic: %" PRIu64 " flow%s ended, %s sent, %s "
			"received\n",
			a->kinds[AGG_FLOW_END],
			report_plural(a->kinds[AGG_FLOW_END]),
			report_human(h1, sizeof(h1), a->bytes_sent),
			report_human(h2, sizeof(h2), a->bytes_received));
	if (a->overflow)
		fprintf(out,
			"- Warning: %" PRIu64 " key%s not stored (more than "
			"%zu distinct); their events are in the totals only\n",
			a->overflow, report_plural(a->overflow), a->max_keys);
}

/* report_text_header() - the key facts at the top of the text report */
static void report_text_header(FILE *out, const struct agg *a,
			       const struct report_source *src)
{
	char *s;

	fputs("childflow report\n", out);
	if (src && src->flow_log) {
		s = report_clean(src->flow_log, FORMAT_TEXT);
		fprintf(out, "  flow log          %s\n", s);
		free(s);
		fprintf(out, "  lines             %zu\n", src->lines);
	}
	fprintf(out, "  events            %" PRIu64 "\n", a->total);
	fprintf(out, "  unknown events    %" PRIu64 "\n",
		a->kinds[AGG_UNKNOWN]);
	fprintf(out, "  denials           %" PRIu64 "\n",
		a->kinds[AGG_POLICY_VIOLATION]);
	fprintf(out, "  connect errors    %" PRIu64 "\n", a->connect_errors);
	fprintf(out, "  runtime failures  %" PRIu64 "\n",
		a->kinds[AGG_RUNTIME_FAILURE]);
	fprintf(out, "  bytes sent        %" PRIu64 "\n", a->bytes_sent);
	fprintf(out, "  bytes received    %" PRIu64 "\n", a->bytes_received);
	if (a->overflow)
		fprintf(out,
			"  dropped keys      %" PRIu64
			" (more than %zu distinct; totals still count them)\n",
			a->overflow, a->max_keys);
}

/* report_tables() - every section, in the order of docs/report.md */
static void report_tables(FILE *out, enum out_format fmt, const struct agg *a)
{
	report_section_counts(out, fmt, "Events", "event", &a->events,
			      report_mark_unknown);
	report_section_counts(out, fmt, "Protocols", "protocol", &a->protocols,
			      NULL);
	report_section_proxy(out, fmt, a);
	report_section_counts(out, fmt, "Denials by reason", "reason code",
			      &a->deny_reasons, NULL);
	report_section_counts(out, fmt, "Denials by control", "control",
			      &a->deny_controls, NULL);
	report_section_domains(out, fmt, a);
	report_section_counts(out, fmt, "Denials by matched CIDR",
			      "matched cidr", &a->deny_cidrs, NULL);
	report_section_counts(out, fmt, "Connect errors", "error", &a->errors,
			      NULL);
	report_section_failures(out, fmt, a);
	report_section_counts(out, fmt, "Runtime failures by phase", "phase",
			      &a->failure_phases, NULL);
	report_section_targets(out, fmt, a);
	report_section_dns(out, fmt, a);
	report_section_counts(out, fmt, "DNS answers by mode", "mode",
			      &a->dns_modes, NULL);
	report_section_counts(out, fmt, "DNS queries by type", "qtype",
			      &a->dns_qtypes, NULL);
	report_section_counts(out, fmt, "Flows by end", "end", &a->end_reasons,
			      NULL);
}

/* --- rendering: JSON --------------------------------------------------- */

/* report_jadd() - @o[@key] = @v */
static void report_jadd(struct json_object *o, const char *key,
			struct json_object *v)
{
	json_object_object_add(o, key, v);
}

/* report_jcount() - a new JSON unsigned number */
static struct json_object *report_jcount(uint64_t n)
{
	return json_object_new_uint64(n);
}

/* report_jranked() - @t as [{"key": K, "count": N}, ...], ranked */
static struct json_object *report_jranked(const struct agg_table *t)
{
	struct json_object *arr = json_object_new_array(), *o;
	struct agg_entry **v;
	size_t i, n = agg_rank(t, &v);

	for (i = 0; i < n; i++) {
		o = json_object_new_object();
		report_jadd(o, "key", json_object_new_string(v[i]->key));
		report_jadd(o, "count", report_jcount(v[i]->count));
		json_object_array_add(arr, o);
	}
	free(v);
	return arr;
}

/* report_jfailures() - runtime failures by reason, each with "detail"
 * (the first one seen, or null)
 */
static struct json_object *report_jfailures(const struct agg *a)
{
	struct json_object *arr = json_object_new_array(), *o;
	struct agg_entry **v;
	size_t i, n = agg_rank(&a->failure_reasons, &v);

	for (i = 0; i < n; i++) {
		o = json_object_new_object();
		report_jadd(o, "key", json_object_new_string(v[i]->key));
		report_jadd(o, "count", report_jcount(v[i]->count));
		report_jadd(o, "detail",
			    v[i]->data ? json_object_new_string(v[i]->data)
				       : NULL);
		json_object_array_add(arr, o);
	}
	free(v);
	return arr;
}

/* report_jtargets() - every target with its counts and names */
static struct json_object *report_jtargets(const struct agg *a)
{
	struct json_object *arr = json_object_new_array(), *o;
	const struct agg_target *t;
	const struct agg_table *dns;
	struct agg_entry **v;
	size_t i, n = agg_rank(&a->targets, &v);

	for (i = 0; i < n; i++) {
		t = v[i]->data;
		dns = agg_target_names(a, v[i]);
		o = json_object_new_object();
		report_jadd(o, "key", json_object_new_string(v[i]->key));
		report_jadd(o, "count", report_jcount(v[i]->count));
		report_jadd(o, "ip", json_object_new_string(t->ip));
		report_jadd(o, "connect_attempts",
			    report_jcount(t->connect_attempts));
		report_jadd(o, "connect_ok", report_jcount(t->connect_ok));
		report_jadd(o, "connect_errors",
			    report_jcount(t->connect_errors));
		report_jadd(o, "denied", report_jcount(t->denied));
		report_jadd(o, "flows_ended", report_jcount(t->ended));
		report_jadd(o, "bytes_sent", report_jcount(t->bytes_sent));
		report_jadd(o, "bytes_received",
			    report_jcount(t->bytes_received));
		report_jadd(o, "dns_names",
			    dns ? report_jranked(dns)
				: json_object_new_array());
		report_jadd(o, "host_names", report_jranked(&t->host_names));
		report_jadd(o, "matched_domains",
			    report_jranked(&t->matched_domains));
		json_object_array_add(arr, o);
	}
	free(v);
	return arr;
}

/* report_jdns_names() - every DNS name with its answers and answer IPs */
static struct json_object *report_jdns_names(const struct agg *a)
{
	struct json_object *arr = json_object_new_array(), *o;
	const struct agg_dns_name *d;
	struct agg_entry **v;
	size_t i, n = agg_rank(&a->dns_names, &v);

	for (i = 0; i < n; i++) {
		d = v[i]->data;
		o = json_object_new_object();
		report_jadd(o, "key", json_object_new_string(v[i]->key));
		report_jadd(o, "count", report_jcount(v[i]->count));
		report_jadd(o, "answers", report_jcount(v[i]->sub));
		report_jadd(o, "answer_ips", report_jranked(&d->answer_ips));
		json_object_array_add(arr, o);
	}
	free(v);
	return arr;
}

/* report_jdomains() - denials by matched domain, with their targets */
static struct json_object *report_jdomains(const struct agg *a)
{
	struct json_object *arr = json_object_new_array(), *o;
	struct agg_entry **v;
	size_t i, n = agg_rank(&a->deny_domains, &v);

	for (i = 0; i < n; i++) {
		o = json_object_new_object();
		report_jadd(o, "key", json_object_new_string(v[i]->key));
		report_jadd(o, "count", report_jcount(v[i]->count));
		report_jadd(o, "targets",
			    v[i]->data ? report_jranked(v[i]->data)
				       : json_object_new_array());
		json_object_array_add(arr, o);
	}
	free(v);
	return arr;
}

struct json_object *report_json(const struct agg *a,
				const struct report_source *src)
{
	struct json_object *root = json_object_new_object(), *o;
	int k;

	if (src && src->flow_log)
		report_jadd(root, "flow_log",
			    json_object_new_string(src->flow_log));
	if (src)
		report_jadd(root, "lines", report_jcount(src->lines));
	report_jadd(root, "schema_versions",
		    report_jranked(&a->schema_versions));

	o = json_object_new_object();
	report_jadd(o, "total", report_jcount(a->total));
	for (k = 0; k < AGG_KINDS; k++)
		report_jadd(o, agg_kind_name((enum agg_kind)k),
			    report_jcount(a->kinds[k]));
	report_jadd(o, "by_name", report_jranked(&a->events));
	report_jadd(root, "events", o);

	report_jadd(root, "protocols", report_jranked(&a->protocols));

	o = json_object_new_object();
	report_jadd(o, "via_proxy", report_jcount(a->via_proxy));
	report_jadd(o, "direct", report_jcount(a->direct));
	report_jadd(o, "resolver", report_jcount(a->resolver));
	report_jadd(root, "proxy_usage", o);

	o = json_object_new_object();
	report_jadd(o, "total", report_jcount(a->kinds[AGG_POLICY_VIOLATION]));
	report_jadd(o, "by_reason", report_jranked(&a->deny_reasons));
	report_jadd(o, "by_control", report_jranked(&a->deny_controls));
	report_jadd(o, "by_matched_domain", report_jdomains(a));
	report_jadd(o, "by_matched_cidr", report_jranked(&a->deny_cidrs));
	report_jadd(root, "denials", o);

	o = json_object_new_object();
	report_jadd(o, "attempts",
		    report_jcount(a->kinds[AGG_CONNECT_ATTEMPT]));
	report_jadd(o, "ok", report_jcount(a->connect_ok));
	report_jadd(o, "errors", report_jcount(a->connect_errors));
	report_jadd(o, "by_error", report_jranked(&a->errors));
	report_jadd(root, "connects", o);

	o = json_object_new_object();
	report_jadd(o, "total", report_jcount(a->kinds[AGG_RUNTIME_FAILURE]));
	report_jadd(o, "by_reason", report_jfailures(a));
	report_jadd(o, "by_phase", report_jranked(&a->failure_phases));
	report_jadd(root, "runtime_failures", o);

	report_jadd(root, "targets", report_jtargets(a));

	o = json_object_new_object();
	report_jadd(o, "queries", report_jcount(a->kinds[AGG_DNS_QUERY]));
	report_jadd(o, "answers", report_jcount(a->kinds[AGG_DNS_ANSWER]));
	report_jadd(o, "by_qtype", report_jranked(&a->dns_qtypes));
	report_jadd(o, "by_mode", report_jranked(&a->dns_modes));
	report_jadd(o, "names", report_jdns_names(a));
	report_jadd(root, "dns", o);

	o = json_object_new_object();
	report_jadd(o, "flows_ended", report_jcount(a->kinds[AGG_FLOW_END]));
	report_jadd(o, "bytes_sent", report_jcount(a->bytes_sent));
	report_jadd(o, "bytes_received", report_jcount(a->bytes_received));
	report_jadd(o, "duration_ms", report_jcount(a->duration_ms));
	report_jadd(o, "by_end", report_jranked(&a->end_reasons));
	report_jadd(root, "traffic", o);

	o = json_object_new_object();
	report_jadd(o, "max_keys", report_jcount(a->max_keys));
	report_jadd(o, "dropped_keys", report_jcount(a->overflow));
	report_jadd(o, "dropped_flow_ids",
		    report_jcount(a->open_flows_overflow));
	report_jadd(root, "limits", o);
	return root;
}

int report_print(FILE *out, const struct agg *a, enum out_format fmt,
		 const struct report_source *src)
{
	struct json_object *j;

	switch (fmt) {
	case FORMAT_JSON:
		j = report_json(a, src);
		fputs(json_object_to_json_string_ext(
			      j, JSON_C_TO_STRING_PRETTY |
					 JSON_C_TO_STRING_SPACED |
					 JSON_C_TO_STRING_NOSLASHESCAPE),
		      out);
		fputc('\n', out);
		json_object_put(j);
		break;
	case FORMAT_MARKDOWN:
		report_highlights(out, a, src);
		report_tables(out, fmt, a);
		break;
	case FORMAT_TEXT:
		report_text_header(out, a, src);
		report_tables(out, fmt, a);
		break;
	}
	return fflush(out) || ferror(out) ? -1 : 0;
}

int report_main(const struct config *cfg)
{
	const char *path = cfg->report_file;
	struct report_parser p;
	struct report_source src = {.flow_log = path};
	struct agg a;
	size_t cap = 0;
	char *buf = NULL;
	bool warned = false;
	ssize_t n;
	int ret = 1;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		util_err("--report: cannot read '%s': %s", path,
			 strerror(errno));
		return 1;
	}
	agg_init(&a, 0);
	report_parser_init(&p, &a);
	for (;;) {
		n = report_read_line(f, &buf, &cap);
		if (n == -1)
			break;
		if (n == -2) {
			util_err("--report: cannot read '%s': %s", path,
				 strerror(errno));
			goto out;
		}
		if (report_parse_line(&p, buf, (size_t)n)) {
			util_err("--report: %s:%zu: %s", path, p.line, p.error);
			goto out;
		}
		if (p.version_line && !warned) {
			util_err("--report: %s:%zu: warning: schema_version %s "
				 "is not 1; reading it as version 1",
				 path, p.version_line, p.version);
			warned = true;
		}
	}
	src.lines = p.line;
	if (report_print(stdout, &a, cfg->report_format, &src)) {
		util_err("--report: cannot write the report: %s",
			 strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(buf);
	report_parser_free(&p);
	agg_free(&a);
	fclose(f);
	return ret;
}
