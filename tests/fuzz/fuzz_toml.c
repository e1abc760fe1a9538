/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * fuzz_toml.c - libFuzzer harness for the TOML subset reader
 *
 * Parses each input as it comes (libFuzzer's buffer is exactly @size bytes,
 * not NUL terminated, so any over-read trips AddressSanitizer) and checks
 * what must hold for every input:
 *  - on error: the document is empty, the message is a non-empty, lower-case
 *    sentence without a trailing period, and the line exists in the input;
 *  - on success: keys are unique and non-empty, lines never go backwards,
 *    every string is valid UTF-8, and arrays are NULL terminated;
 *  - round trip: the document written back out as TOML parses again to the
 *    same entries.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *	tests/fuzz/fuzz_toml.c src/toml.c -o /tmp/fuzz_toml
 * Run:   /tmp/fuzz_toml -max_total_time=60 tests/fuzz/corpus/toml
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* toml_fuzz_check() - stop the run when an invariant does not hold */
#define toml_fuzz_check(cond)                                             \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", \
				#cond, __FILE__, __LINE__);               \
			abort();                                          \
		}                                                         \
	} while (0)

/* toml_fuzz_utf8() - is the C string @s valid UTF-8 (no surrogates)? */
static int toml_fuzz_utf8(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;
	int n, i;

	while (*u) {
		if (*u < 0x80) {
			u++;
			continue;
		}
		if ((*u & 0xe0) == 0xc0) {
			n = 1;
			cp = *u & 0x1f;
		} else if ((*u & 0xf0) == 0xe0) {
			n = 2;
			cp = *u & 0x0f;
		} else if ((*u & 0xf8) == 0xf0) {
			n = 3;
			cp = *u & 0x07;
		} else {
			return 0;
		}
		for (i = 1; i <= n; i++) {
			if ((u[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (u[i] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		u += n + 1;
	}
	return 1;
}

/* toml_fuzz_check_doc() - invariants of a successfully parsed document */
static void toml_fuzz_check_doc(const struct toml_doc *doc, int max_line)
{
	const struct toml_value *v;
	size_t i, j;
	int last = 1;

	toml_fuzz_check(doc->n_entries == 0 || doc->entries);
	for (i = 0; i < doc->n_entries; i++) {
		toml_fuzz_check(doc->entries[i].key);
		toml_fuzz_check(doc->entries[i].key[0]);
		toml_fuzz_check(toml_fuzz_utf8(doc->entries[i].key));
		toml_fuzz_check(doc->entries[i].line >= last);
		toml_fuzz_check(doc->entries[i].line <= max_line);
		last = doc->entries[i].line;
		/* inputs are small enough for the quadratic check */
		for (j = 0; j < i && i < 2000; j++)
			toml_fuzz_check(strcmp(doc->entries[i].key,
					       doc->entries[j].key));

		v = &doc->entries[i].value;
		switch (v->type) {
		case TOML_STRING:
			toml_fuzz_check(v->str && toml_fuzz_utf8(v->str));
			toml_fuzz_check(!v->items);
			break;
		case TOML_ARRAY:
			toml_fuzz_check(v->items && !v->items[v->n_items]);
			for (j = 0; j < v->n_items; j++)
				toml_fuzz_check(v->items[j] &&
						toml_fuzz_utf8(v->items[j]));
			toml_fuzz_check(!v->str);
			break;
		case TOML_BOOL:
		case TOML_INT:
			toml_fuzz_check(!v->str && !v->items);
			break;
		default:
			toml_fuzz_check(!"unknown value type");
		}
	}
}

/* toml_fuzz_emit_str() - write @s as a TOML basic string */
static void toml_fuzz_emit_str(FILE *f, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	fputc('"', f);
	for (; *u; u++) {
		if (*u == '"' || *u == '\\')
			fprintf(f, "\\%c", *u);
		else if (*u < 0x20 || *u == 0x7f)
			fprintf(f, "\\u%04X", *u);
		else
			fputc(*u, f);
	}
	fputc('"', f);
}

/* toml_fuzz_emit() - write @doc back out as TOML, one entry per line */
static char *toml_fuzz_emit(const struct toml_doc *doc, size_t *len)
{
	const struct toml_value *v;
	char *out = NULL;
	size_t i, j;
	FILE *f;

	f = open_memstream(&out, len);
	toml_fuzz_check(f);
	for (i = 0; i < doc->n_entries; i++) {
		v = &doc->entries[i].value;
		toml_fuzz_emit_str(f, doc->entries[i].key);
		fputs(" = ", f);
		switch (v->type) {
		case TOML_STRING:
			toml_fuzz_emit_str(f, v->str);
			break;
		case TOML_BOOL:
			fputs(v->boolean ? "true" : "false", f);
			break;
		case TOML_INT:
			fprintf(f, "%lld", v->integer);
			break;
		case TOML_ARRAY:
			fputc('[', f);
			for (j = 0; j < v->n_items; j++) {
				toml_fuzz_emit_str(f, v->items[j]);
				fputs(", ", f);
			}
			fputc(']', f);
			break;
		}
		fputc('\n', f);
	}
	toml_fuzz_check(fclose(f) == 0);
	return out;
}

/* toml_fuzz_same() - do @a and @b hold the same entries and values? */
static void toml_fuzz_same(const struct toml_doc *a, const struct toml_doc *b)
{
	const struct toml_value *va, *vb;
	size_t i, j;

	toml_fuzz_check(a->n_entries == b->n_entries);
	for (i = 0; i < a->n_entries; i++) {
		va = &a->entries[i].value;
		vb = &b->entries[i].value;
		toml_fuzz_check(!strcmp(a->entries[i].key, b->entries[i].key));
		toml_fuzz_check(b->entries[i].line == (int)i + 1);
		toml_fuzz_check(va->type == vb->type);
		switch (va->type) {
		case TOML_STRING:
			toml_fuzz_check(!strcmp(va->str, vb->str));
			break;
		case TOML_BOOL:
			toml_fuzz_check(va->boolean == vb->boolean);
			break;
		case TOML_INT:
			toml_fuzz_check(va->integer == vb->integer);
			break;
		case TOML_ARRAY:
			toml_fuzz_check(va->n_items == vb->n_items);
			for (j = 0; j < va->n_items; j++)
				toml_fuzz_check(
					!strcmp(va->items[j], vb->items[j]));
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct toml_doc doc, again;
	struct toml_error err;
	int lines = 1;
	size_t i, n, len;
	char *text;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';

	if (toml_parse((const char *)data, size, &doc, &err)) {
		toml_fuzz_check(!doc.entries && doc.n_entries == 0);
		toml_fuzz_check(err.line >= 1 && err.line <= lines);
		toml_fuzz_check(memchr(err.key, '\0', sizeof(err.key)));
		toml_fuzz_check(memchr(err.msg, '\0', sizeof(err.msg)));
		n = strlen(err.msg);
		toml_fuzz_check(n > 0 && islower((unsigned char)err.msg[0]));
		toml_fuzz_check(err.msg[n - 1] != '.');
		toml_fuzz_check(toml_fuzz_utf8(err.key));
		return 0;
	}
	toml_fuzz_check(err.line == 0 && !err.msg[0]);
	toml_fuzz_check_doc(&doc, lines);

	text = toml_fuzz_emit(&doc, &len);
	if (toml_parse(text, len, &again, &err)) {
		fprintf(stderr, "round trip failed at line %d: %s\n", err.line,
			err.msg);
		abort();
	}
	toml_fuzz_same(&doc, &again);
	free(text);
	toml_doc_free(&again);
	toml_doc_free(&doc);
	return 0;
}
