/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * report.h - --report FILE: a saved flow log read back and aggregated
 *
 * report_main() is all main.c needs. The line parser is exposed for the
 * unit tests and the fuzz harness; the renderers for --summary, which
 * prints the same aggregate (see docs/report.md).
 */
#ifndef CHILDFLOW_REPORT_H
#define CHILDFLOW_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "observe/aggregate.h"

struct json_tokener;
struct json_object;

/* Longest flow-log line read, in bytes (the newline not counted) */
#define REPORT_LINE_MAX ((size_t)1 << 20)

/* Rows of each ranked list in text and Markdown (JSON lists them all) */
#define REPORT_TOP 10

/* struct report_parser - reads flow-log lines into an aggregate */
struct report_parser {
	struct agg *agg;
	struct json_tokener *tok;
	size_t line;	     /* number of the last line fed, 1-based */
	size_t version_line; /* first line whose schema_version is not 1 */
	char version[32];    /* that schema_version, as JSON text */
	char error[160];     /* why the last refused line was refused */
};

/* report_parser_init() - a parser feeding @agg (which the caller owns) */
void report_parser_init(struct report_parser *p, struct agg *agg);
void report_parser_free(struct report_parser *p);

/* report_parse_line() - count the line @line of @len bytes (no newline)
 * A blank line is skipped; any other must be one JSON object. Unknown
 * events and fields are counted or ignored, never refused.
 * Return: 0, or -1 with the reason in p->error (line number in p->line)
 */
int report_parse_line(struct report_parser *p, const char *line, size_t len);

/* report_parse_buffer() - report_parse_line() for every line of @buf, a
 * whole flow log of @len bytes (a last line without newline counts)
 * Return: 0, or -1 at the first refused line, as report_parse_line()
 */
int report_parse_buffer(struct report_parser *p, const char *buf, size_t len);

/* struct report_source - where an aggregate came from, for the headers */
struct report_source {
	const char *flow_log; /* the file, or NULL */
	size_t lines;	      /* lines read, blank ones included */
};

/* report_json() - the aggregate as a new json-c object, the stable keys of
 * docs/report.md; @src may be NULL. The caller json_object_put()s it.
 */
struct json_object *report_json(const struct agg *a,
				const struct report_source *src);

/* report_print() - write @a to @out as text, Markdown or JSON
 * Return: 0, or -1 when @out failed
 */
int report_print(FILE *out, const struct agg *a, enum out_format fmt,
		 const struct report_source *src);

/* report_main() - --report: read cfg->report_file, print the report on
 * stdout in cfg->report_format
 * Return: 0, or 1 with one line on stderr when the file cannot be read or
 * a line is not a JSON object (named by its number)
 */
int report_main(const struct config *cfg);

#endif /* CHILDFLOW_REPORT_H */
