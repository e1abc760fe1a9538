/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * fuzz_report.c - libFuzzer harness for --report: the flow-log line parser,
 * the aggregator and the three renderers
 *
 * Each input is a whole flow log (libFuzzer's buffer is exactly @size
 * bytes, not NUL terminated, so any over-read trips AddressSanitizer). It
 * goes through report_parse_buffer() into an aggregate with a small key
 * budget, so that the overflow paths run as often as the normal ones, and
 * what was aggregated is printed as text, Markdown and JSON. What must hold
 * for every input:
 *  - on error: the refused line exists in the input, and the message is a
 *    non-empty lower-case phrase;
 *  - the aggregate: events add up by kind, no more events than lines, the
 *    key budget is never exceeded, every ranking is in order;
 *  - the JSON report parses back as an object with the same event total.
 *
 * Build: meson setup -Dfuzz=true (CC=clang), or
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc \
 *	tests/fuzz/fuzz_report.c src/observe/report.c \
 *	src/observe/aggregate.c src/util.c -ljson-c -o /tmp/fuzz_report
 * Run:   /tmp/fuzz_report -max_total_time=60 tests/fuzz/corpus/report
 */
#include <ctype.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "observe/aggregate.h"
#include "observe/report.h"

/* A small budget: overflow is exercised, not only the happy path */
#define FUZZ_REPORT_MAX_KEYS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* report_fuzz_check() - stop the run when an invariant does not hold */
#define report_fuzz_check(cond)                                           \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", \
				#cond, __FILE__, __LINE__);               \
			abort();                                          \
		}                                                         \
	} while (0)

/* report_fuzz_ranked() - is @t's ranking in order, and its count right? */
static void report_fuzz_ranked(const struct agg_table *t)
{
	struct agg_entry **v;
	size_t i, n = agg_rank(t, &v);

	report_fuzz_check(n == t->n_entries);
	for (i = 1; i < n; i++) {
		report_fuzz_check(v[i - 1]->count >= v[i]->count);
		if (v[i - 1]->count == v[i]->count &&
		    v[i - 1]->sub == v[i]->sub)
			report_fuzz_check(strcmp(v[i - 1]->key, v[i]->key) < 0);
		report_fuzz_check(strlen(v[i]->key) <= AGG_KEY_MAX);
	}
	free(v);
}

/* report_fuzz_print() - render @a in @fmt to memory
 * Return: the output (the caller frees it)
 */
static char *report_fuzz_print(const struct agg *a, enum out_format fmt,
			       const struct report_source *src)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	report_fuzz_check(f);
	report_fuzz_check(report_print(f, a, fmt, src) == 0);
	report_fuzz_check(fclose(f) == 0);
	return out;
}

/* report_fuzz_json() - the JSON report parses back, with the same total */
static void report_fuzz_json(const struct agg *a,
			     const struct report_source *src)
{
	char *out = report_fuzz_print(a, FORMAT_JSON, src);
	struct json_object *j = json_tokener_parse(out), *events, *total;

	report_fuzz_check(j && json_object_is_type(j, json_type_object));
	report_fuzz_check(json_object_object_get_ex(j, "events", &events));
	report_fuzz_check(json_object_object_get_ex(events, "total", &total));
	report_fuzz_check((uint64_t)json_object_get_int64(total) == a->total);
	json_object_put(j);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report_source src = {.flow_log = "fuzz.jsonl"};
	struct report_parser p;
	struct agg a;
	size_t i, lines = 0;
	uint64_t sum = 0;
	int k, ret;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (size && data[size - 1] != '\n')
		lines++; /* a last line without newline */

	agg_init(&a, FUZZ_REPORT_MAX_KEYS);
	report_parser_init(&p, &a);
	ret = report_parse_buffer(&p, (const char *)data, size);
	if (ret) {
		report_fuzz_check(ret == -1);
		report_fuzz_check(p.line >= 1 && p.line <= lines);
		report_fuzz_check(p.error[0] &&
				  islower((unsigned char)p.error[0]));
	} else {
		report_fuzz_check(p.line == lines);
		report_fuzz_check(!p.error[0]);
	}
	report_fuzz_check(p.version_line <= p.line);

	for (k = 0; k < AGG_KINDS; k++)
		sum += a.kinds[k];
	report_fuzz_check(sum == a.total);
	report_fuzz_check(a.total <= p.line);
	report_fuzz_check(a.n_keys <= a.max_keys);
	report_fuzz_check(a.open_flows.n_entries <= a.max_keys);
	report_fuzz_ranked(&a.events);
	report_fuzz_ranked(&a.targets);
	report_fuzz_ranked(&a.dns_names);
	report_fuzz_ranked(&a.deny_domains);

	/* every renderer, on whatever was aggregated before any error */
	src.lines = p.line;
	free(report_fuzz_print(&a, FORMAT_TEXT, &src));
	free(report_fuzz_print(&a, FORMAT_MARKDOWN, &src));
	report_fuzz_json(&a, &src);

	report_parser_free(&p);
	agg_free(&a);
	return 0;
}
