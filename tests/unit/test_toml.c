/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_toml.c - unit tests for the TOML subset reader
 *
 * Every parse goes through toml_test_parse(), which copies the input into a
 * heap buffer of exactly the input's length (no NUL terminator), so that an
 * over-read shows up under AddressSanitizer, and frees that buffer before
 * the result is examined, so the document cannot point into the input.
 *
 * Invalid inputs live in one table (toml_err_cases) and each becomes its
 * own cmocka test, named after the case, asserting the exact line, key and
 * message of the error.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"

/* toml_test_parse() - parse a private, unterminated copy of @len bytes */
static int toml_test_parse(const char *text, size_t len, struct toml_doc *doc,
			   struct toml_error *err)
{
	char *copy = malloc(len ? len : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, text, len);
	memset(doc, 0xa5, sizeof(*doc)); /* toml_parse() must overwrite it */
	memset(err, 0x5a, sizeof(*err));
	ret = toml_parse(copy, len, doc, err);
	free(copy);
	return ret;
}

/* toml_test_ok() - parse a C string that must be valid; fail with the error */
static void toml_test_ok(const char *text, struct toml_doc *doc)
{
	struct toml_error err;

	if (toml_test_parse(text, strlen(text), doc, &err))
		fail_msg("unexpected error at line %d (key '%s'): %s", err.line,
			 err.key, err.msg);
}

/* toml_test_entry() - the entry at @i, checking its key and line */
static const struct toml_entry *
toml_test_entry(const struct toml_doc *doc, size_t i, const char *key, int line)
{
	assert_true(i < doc->n_entries);
	assert_string_equal(doc->entries[i].key, key);
	assert_int_equal(doc->entries[i].line, line);
	return &doc->entries[i];
}

/* toml_test_str() - entry @i must be the string @val */
static void toml_test_str(const struct toml_doc *doc, size_t i, const char *key,
			  int line, const char *val)
{
	const struct toml_entry *e = toml_test_entry(doc, i, key, line);

	assert_int_equal(e->value.type, TOML_STRING);
	assert_non_null(e->value.str);
	assert_string_equal(e->value.str, val);
}

/* toml_test_int() - entry @i must be the integer @val */
static void toml_test_int(const struct toml_doc *doc, size_t i, const char *key,
			  int line, long long val)
{
	const struct toml_entry *e = toml_test_entry(doc, i, key, line);

	assert_int_equal(e->value.type, TOML_INT);
	if (e->value.integer != val)
		fail_msg("%s: got %lld, want %lld", key, e->value.integer, val);
}

/* toml_test_bool() - entry @i must be the boolean @val */
static void toml_test_bool(const struct toml_doc *doc, size_t i,
			   const char *key, int line, bool val)
{
	const struct toml_entry *e = toml_test_entry(doc, i, key, line);

	assert_int_equal(e->value.type, TOML_BOOL);
	assert_int_equal(e->value.boolean, val);
}

/* toml_test_array() - entry @i must be an array of the @n strings in @val */
static void toml_test_array(const struct toml_doc *doc, size_t i,
			    const char *key, int line, const char *const *val,
			    size_t n)
{
	const struct toml_entry *e = toml_test_entry(doc, i, key, line);
	size_t j;

	assert_int_equal(e->value.type, TOML_ARRAY);
	assert_int_equal(e->value.n_items, n);
	assert_non_null(e->value.items);
	for (j = 0; j < n; j++)
		assert_string_equal(e->value.items[j], val[j]);
	assert_null(e->value.items[n]); /* NULL terminated, for execvp() */
}

/* A realistic profile with every kind of value */
static void toml_test_profile(void **state)
{
	static const char text[] =
		"# childflow profile for a build job\n"
		"extends = \"base.toml\"\n"
		"\n"
		"dns = \"1.1.1.1\"   # resolver inside the sandbox\n"
		"offline = false\n"
		"allow_cidrs = [\"10.0.0.0/8\", \"192.0.2.1\"]\n"
		"max_procs = 64\n"
		"command = [\n"
		"\t\"curl\",  # the client\n"
		"\t\"-s\",\n"
		"\n"
		"\t# the target\n"
		"\t\"http://x/\",\n"
		"]\n"
		"log-level = 'debug'\n";
	static const char *const cidrs[] = {"10.0.0.0/8", "192.0.2.1"};
	static const char *const cmd[] = {"curl", "-s", "http://x/"};
	struct toml_doc doc;

	(void)state;
	toml_test_ok(text, &doc);
	assert_int_equal(doc.n_entries, 7);
	toml_test_str(&doc, 0, "extends", 2, "base.toml");
	toml_test_str(&doc, 1, "dns", 4, "1.1.1.1");
	toml_test_bool(&doc, 2, "offline", 5, false);
	toml_test_array(&doc, 3, "allow_cidrs", 6, cidrs, 2);
	toml_test_int(&doc, 4, "max_procs", 7, 64);
	toml_test_array(&doc, 5, "command", 8, cmd, 3);
	toml_test_str(&doc, 6, "log-level", 15, "debug");
	toml_doc_free(&doc);
	assert_null(doc.entries);
	assert_int_equal(doc.n_entries, 0);
	toml_doc_free(&doc); /* freeing twice is harmless */
}

/* Inputs with no entries give an empty document */
static void toml_test_empty(void **state)
{
	static const char *const inputs[] = {
		"",
		"\n\n\n",
		"# only a comment",
		"# comment\n   \n\t# indented comment\r\n",
		"\xef\xbb\xbf",
		"\xef\xbb\xbf# bom then comment\n",
		"#\n",
		"   \t  ",
	};
	struct toml_doc doc;
	struct toml_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		if (toml_test_parse(inputs[i], strlen(inputs[i]), &doc, &err))
			fail_msg("input %zu: %s", i, err.msg);
		assert_int_equal(doc.n_entries, 0);
		assert_null(doc.entries);
		assert_int_equal(err.line, 0);
		assert_string_equal(err.msg, "");
		toml_doc_free(&doc);
	}
}

/* NULL input of length 0, NULL error pointer, NULL document */
static void toml_test_null_args(void **state)
{
	struct toml_doc doc = {NULL, 0};
	struct toml_error err;

	(void)state;
	assert_int_equal(toml_parse(NULL, 0, &doc, &err), 0);
	assert_int_equal(doc.n_entries, 0);
	assert_int_equal(toml_parse("a = 1", 5, &doc, NULL), 0);
	assert_int_equal(doc.n_entries, 1);
	toml_doc_free(&doc);
	assert_int_equal(toml_parse("a = ", 4, &doc, NULL), -1);
	assert_int_equal(doc.n_entries, 0);
	assert_null(doc.entries);
	assert_int_equal(toml_parse("a = 1", 5, NULL, &err), -1);
	assert_int_equal(toml_parse(NULL, 3, &doc, &err), -1);
	assert_string_equal(err.msg, "no input");
	toml_doc_free(NULL);
}

/* White space around '=' and elsewhere, as TOML allows */
static void toml_test_whitespace(void **state)
{
	static const char text[] = "a=\"x\"\n"
				   "  b\t=\t1\t\n"
				   "\tc   =   true   # trailing comment\n"
				   "d =\t'y'#no space before comment\n"
				   "e = [ ]\n"
				   "f = []\n"
				   "g=[\"p\",\"q\",]\n"
				   "h = 2"; /* no final newline */
	static const char *const pq[] = {"p", "q"};
	struct toml_doc doc;

	(void)state;
	toml_test_ok(text, &doc);
	assert_int_equal(doc.n_entries, 8);
	toml_test_str(&doc, 0, "a", 1, "x");
	toml_test_int(&doc, 1, "b", 2, 1);
	toml_test_bool(&doc, 2, "c", 3, true);
	toml_test_str(&doc, 3, "d", 4, "y");
	toml_test_array(&doc, 4, "e", 5, NULL, 0);
	toml_test_array(&doc, 5, "f", 6, NULL, 0);
	toml_test_array(&doc, 6, "g", 7, pq, 2);
	toml_test_int(&doc, 7, "h", 8, 2);
	toml_doc_free(&doc);
}

/* Bare keys of every allowed character, and quoted keys of both kinds */
static void toml_test_keys(void **state)
{
	static const char text[] = "Az_09-x = 1\n"
				   "1234 = 2\n"
				   "- = 3\n"
				   "\"my key\" = 4\n"
				   "'a.b \"c\"' = 5\n"
				   "\"caf\\u00e9\" = 6\n"
				   "\"tab\\there\" = 7\n"
				   "'\\raw' = 8\n"
				   "\"x\"=9\n";
	struct toml_doc doc;

	(void)state;
	toml_test_ok(text, &doc);
	assert_int_equal(doc.n_entries, 9);
	toml_test_int(&doc, 0, "Az_09-x", 1, 1);
	toml_test_int(&doc, 1, "1234", 2, 2);
	toml_test_int(&doc, 2, "-", 3, 3);
	toml_test_int(&doc, 3, "my key", 4, 4);
	toml_test_int(&doc, 4, "a.b \"c\"", 5, 5);
	toml_test_int(&doc, 5, "caf\xc3\xa9", 6, 6);
	toml_test_int(&doc, 6, "tab\there", 7, 7);
	toml_test_int(&doc, 7, "\\raw", 8, 8);
	toml_test_int(&doc, 8, "x", 9, 9);
	toml_doc_free(&doc);
}

/* Every basic-string escape, including \u and \U as UTF-8 */
static void toml_test_escapes(void **state)
{
	static const char text[] = "simple = \"\\b\\t\\n\\f\\r\\\"\\\\\"\n"
				   "eacute = \"caf\\u00e9\"\n"
				   "eacute_upper = \"caf\\u00E9\"\n"
				   "grin = \"\\U0001F600\"\n"
				   "euro = \"\\u20AC\"\n"
				   "max = \"\\U0010FFFF\"\n"
				   "one = \"\\u0001\\u007f\"\n"
				   "mixed = \"a\\u0041\\U00000042c\"\n"
				   "edge = \"\\uD7FF\\uE000\\uFFFF\"\n"
				   "quote = \"say \\\"hi\\\"\"\n";
	struct toml_doc doc;

	(void)state;
	toml_test_ok(text, &doc);
	assert_int_equal(doc.n_entries, 10);
	toml_test_str(&doc, 0, "simple", 1, "\b\t\n\f\r\"\\");
	toml_test_str(&doc, 1, "eacute", 2, "caf\xc3\xa9");
	toml_test_str(&doc, 2, "eacute_upper", 3, "caf\xc3\xa9");
	toml_test_str(&doc, 3, "grin", 4, "\xf0\x9f\x98\x80");
	toml_test_str(&doc, 4, "euro", 5, "\xe2\x82\xac");
	toml_test_str(&doc, 5, "max", 6, "\xf4\x8f\xbf\xbf");
	toml_test_str(&doc, 6, "one", 7, "\x01\x7f");
	toml_test_str(&doc, 7, "mixed", 8, "aABc");
	toml_test_str(&doc, 8, "edge", 9,
		      "\xed\x9f\xbf"
		      "\xee\x80\x80"
		      "\xef\xbf\xbf");
	toml_test_str(&doc, 9, "quote", 10, "say \"hi\"");
	toml_doc_free(&doc);
}

/* Literal strings take everything up to the next quote as it is */
static void toml_test_literal(void **state)
{
	static const char text[] = "path = 'C:\\Users\\nodejs\\templates'\n"
				   "q = '<\\i\\c*\\s*>'\n"
				   "dq = 'Tom \"Dubs\" Preston'\n"
				   "hash = 'not # a comment'\n"
				   "empty = ''\n"
				   "tab = 'a\tb'\n"
				   "arr = ['\\d+', \"\\\\d+\"]\n";
	static const char *const arr[] = {"\\d+", "\\d+"};
	struct toml_doc doc;

	(void)state;
	toml_test_ok(text, &doc);
	assert_int_equal(doc.n_entries, 7);
	toml_test_str(&doc, 0, "path", 1, "C:\\Users\\nodejs\\templates");
	toml_test_str(&doc, 1, "q", 2, "<\\i\\c*\\s*>");
	toml_test_str(&doc, 2, "dq", 3, "Tom \"Dubs\" Preston");
	toml_test_str(&doc, 3, "hash", 4, "not # a comment");
	toml_test_str(&doc, 4, "empty", 5, "");
	toml_test_str(&doc, 5, "tab", 6, "a\tb");
	toml_test_array(&doc, 6, "arr", 7, arr, 2);
	toml_doc_free(&doc);
}

/* Valid UTF-8 passes through strings and comments untouched */
static void toml_test_utf8(void **state)
{
	static const char text[] = "# comment: caf\xc3\xa9 \xf0\x9f\x98\x80\n"
				   "name = \"caf\xc3\xa9 \xe2\x82\xac "
				   "\xf0\x9f\x98\x80\" # \xe2\x9c\x93\n"
				   "lit = '\xe6\x97\xa5\xe6\x9c\xac'\n";
	struct toml_doc doc;

	(void)state;
	toml_test_ok(text, &doc);
	assert_int_equal(doc.n_entries, 2);
	toml_test_str(&doc, 0, "name", 2,
		      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	toml_test_str(&doc, 1, "lit", 3, "\xe6\x97\xa5\xe6\x9c\xac");
	toml_doc_free(&doc);
}

/* true and false */
static void toml_test_booleans(void **state)
{
	struct toml_doc doc;

	(void)state;
	toml_test_ok("t = true\nf = false # no\n", &doc);
	assert_int_equal(doc.n_entries, 2);
	toml_test_bool(&doc, 0, "t", 1, true);
	toml_test_bool(&doc, 1, "f", 2, false);
	toml_doc_free(&doc);
}

/* Decimal, hex, octal and binary integers, signs and underscores, limits */
static void toml_test_integers(void **state)
{
	static const char text[] =
		"a = 0\n"
		"b = +0\n"
		"c = -0\n"
		"d = 42\n"
		"e = +17\n"
		"f = -17\n"
		"g = 1_000\n"
		"h = 5_349_221\n"
		"i = 1_2_3_4_5\n"
		"j = 9223372036854775807\n"
		"k = -9223372036854775808\n"
		"l = 0xDEADBEEF\n"
		"m = 0xdead_beef\n"
		"n = 0o755\n"
		"o = 0b1101_0110\n"
		"p = 0x7FFFFFFFFFFFFFFF\n"
		"q = 0x0\n"
		"r = 0o777777777777777777777\n"
		"s = 0b111111111111111111111111111111111111111111111111"
		"111111111111111\n"
		"t = 0x00000000000000000001\n"
		"u = 10#comment\n";
	struct toml_doc doc;

	(void)state;
	toml_test_ok(text, &doc);
	assert_int_equal(doc.n_entries, 21);
	toml_test_int(&doc, 0, "a", 1, 0);
	toml_test_int(&doc, 1, "b", 2, 0);
	toml_test_int(&doc, 2, "c", 3, 0);
	toml_test_int(&doc, 3, "d", 4, 42);
	toml_test_int(&doc, 4, "e", 5, 17);
	toml_test_int(&doc, 5, "f", 6, -17);
	toml_test_int(&doc, 6, "g", 7, 1000);
	toml_test_int(&doc, 7, "h", 8, 5349221);
	toml_test_int(&doc, 8, "i", 9, 12345);
	toml_test_int(&doc, 9, "j", 10, LLONG_MAX);
	toml_test_int(&doc, 10, "k", 11, LLONG_MIN);
	toml_test_int(&doc, 11, "l", 12, 0xdeadbeef);
	toml_test_int(&doc, 12, "m", 13, 0xdeadbeef);
	toml_test_int(&doc, 13, "n", 14, 0755);
	toml_test_int(&doc, 14, "o", 15, 0xd6);
	toml_test_int(&doc, 15, "p", 16, LLONG_MAX);
	toml_test_int(&doc, 16, "q", 17, 0);
	toml_test_int(&doc, 17, "r", 18, LLONG_MAX);
	toml_test_int(&doc, 18, "s", 19, LLONG_MAX);
	toml_test_int(&doc, 19, "t", 20, 1);
	toml_test_int(&doc, 20, "u", 21, 10);
	toml_doc_free(&doc);
}

/* Arrays across lines, with comments, blank lines and trailing commas */
static void toml_test_arrays(void **state)
{
	static const char text[] =
		"a = [\n"
		"  \"one\", # first\n"
		"\n"
		"  # a comment line\n"
		"  'two' ,\n"
		"  \"three\",\n"
		"]\n"
		"b = [ # comment right after the bracket\n"
		"]\n"
		"c = [\"x\"\n"
		"  , \"y\"]   # comma at the start of a line\n"
		"d = [\"only\"]\n"
		"e = [\n"
		"\"a\",\"b\",\"c\",\"d\"\n"
		"]\n"
		"f = [\"#not a comment\", \"]\", \",\"]\n"
		"g = [\"\"]\n";
	static const char *const a[] = {"one", "two", "three"};
	static const char *const c[] = {"x", "y"};
	static const char *const d[] = {"only"};
	static const char *const e[] = {"a", "b", "c", "d"};
	static const char *const f[] = {"#not a comment", "]", ","};
	static const char *const g[] = {""};
	struct toml_doc doc;

	(void)state;
	toml_test_ok(text, &doc);
	assert_int_equal(doc.n_entries, 7);
	toml_test_array(&doc, 0, "a", 1, a, 3);
	toml_test_array(&doc, 1, "b", 8, NULL, 0);
	toml_test_array(&doc, 2, "c", 10, c, 2);
	toml_test_array(&doc, 3, "d", 12, d, 1);
	toml_test_array(&doc, 4, "e", 13, e, 4);
	toml_test_array(&doc, 5, "f", 16, f, 3);
	toml_test_array(&doc, 6, "g", 17, g, 1);
	toml_doc_free(&doc);
}

/* CRLF line endings everywhere, including inside arrays and after comments */
static void toml_test_crlf(void **state)
{
	static const char text[] = "# windows\r\n"
				   "dns = \"1.1.1.1\"\r\n"
				   "\r\n"
				   "offline = true # c\r\n"
				   "cmd = [\r\n"
				   "  \"a\", # c\r\n"
				   "  'b',\r\n"
				   "]\r\n"
				   "n = 5\r\n";
	static const char *const cmd[] = {"a", "b"};
	struct toml_doc doc;
	struct toml_error err;

	(void)state;
	toml_test_ok(text, &doc);
	assert_int_equal(doc.n_entries, 4);
	toml_test_str(&doc, 0, "dns", 2, "1.1.1.1");
	toml_test_bool(&doc, 1, "offline", 4, true);
	toml_test_array(&doc, 2, "cmd", 5, cmd, 2);
	toml_test_int(&doc, 3, "n", 9, 5);
	toml_doc_free(&doc);

	/* and error lines still count CRLF as one line ending */
	assert_int_equal(
		toml_test_parse("a = 1\r\n\r\nb = \"x\r\n", 18, &doc, &err),
		-1);
	assert_int_equal(err.line, 3);
	assert_string_equal(err.key, "b");
	assert_string_equal(
		err.msg,
		"unterminated string (no closing \" before end of line)");
}

/* A UTF-8 byte order mark is skipped at the start, and only there */
static void toml_test_bom(void **state)
{
	static const char text[] = "\xef\xbb\xbf"
				   "dns = \"9.9.9.9\"\n";
	struct toml_doc doc;
	struct toml_error err;

	(void)state;
	toml_test_ok(text, &doc);
	assert_int_equal(doc.n_entries, 1);
	toml_test_str(&doc, 0, "dns", 1, "9.9.9.9");
	toml_doc_free(&doc);

	/* errors after a BOM are still on line 1 */
	assert_int_equal(toml_test_parse("\xef\xbb\xbf[x]", 6, &doc, &err), -1);
	assert_int_equal(err.line, 1);
	assert_string_equal(err.msg, "tables are not supported in profiles");

	/* a truncated BOM is not a BOM */
	assert_int_equal(toml_test_parse("\xef\xbb", 2, &doc, &err), -1);
	assert_int_equal(err.line, 1);
	assert_string_equal(err.msg, "expected a key, found byte 0xef");
}

/* The input need not be NUL terminated: parse prefixes of a buffer */
static void toml_test_prefix(void **state)
{
	static const char text[] =
		"a = 12345\nb = \"xyz\"\nc = [\"p\", \"q\"]\n";
	struct toml_doc doc;
	struct toml_error err;

	(void)state;
	/* "a = 123" */
	assert_int_equal(toml_parse(text, 7, &doc, &err), 0);
	assert_int_equal(doc.n_entries, 1);
	toml_test_int(&doc, 0, "a", 1, 123);
	toml_doc_free(&doc);

	/* "a = 12345\nb = \"xyz" - the closing quote lies beyond len */
	assert_int_equal(toml_parse(text, 18, &doc, &err), -1);
	assert_int_equal(err.line, 2);
	assert_string_equal(err.key, "b");
	assert_string_equal(
		err.msg,
		"unterminated string (no closing \" before end of input)");
	assert_null(doc.entries);

	/* cut inside the array */
	assert_int_equal(toml_parse(text, 29, &doc, &err), -1);
	assert_int_equal(err.line, 3);
	assert_string_equal(err.key, "c");
	assert_string_equal(err.msg, "unterminated array (no closing ']')");

	/* cut right after "tru" of a boolean, through an unterminated copy */
	assert_int_equal(toml_test_parse("x = true", 7, &doc, &err), -1);
	assert_string_equal(err.msg,
			    "invalid value 'tru' (strings must be quoted)");

	/* every prefix of the text parses or fails cleanly */
	for (size_t n = 0; n <= sizeof(text) - 1; n++) {
		if (toml_test_parse(text, n, &doc, &err)) {
			assert_null(doc.entries);
			assert_int_equal(doc.n_entries, 0);
			assert_true(err.line >= 1 && err.line <= 4);
		}
		toml_doc_free(&doc);
	}
}

/* Lines are exact after multi-line arrays, and the order is the file's */
static void toml_test_lines(void **state)
{
	static const char text[] = "\n"
				   "# c\n"
				   "z = [\n"
				   "\"1\",\n"
				   "\n"
				   "\"2\"]\n"
				   "y = 1\n"
				   "\n"
				   "\n"
				   "x = 'last'";
	static const char *const z[] = {"1", "2"};
	struct toml_doc doc;

	(void)state;
	toml_test_ok(text, &doc);
	assert_int_equal(doc.n_entries, 3);
	toml_test_array(&doc, 0, "z", 3, z, 2);
	toml_test_int(&doc, 1, "y", 7, 1);
	toml_test_str(&doc, 2, "x", 10, "last");
	toml_doc_free(&doc);
}

/* toml_test_fill() - a heap copy of @pre, @n copies of @unit, then @post */
static char *toml_test_fill(const char *pre, const char *unit, size_t n,
			    const char *post, size_t *len)
{
	size_t lp = strlen(pre), lu = strlen(unit), lq = strlen(post), i;
	char *s = malloc(lp + lu * n + lq + 1), *w;

	assert_non_null(s);
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): ended below */
	memcpy(s, pre, lp);
	w = s + lp;
	for (i = 0; i < n; i++, w += lu)
		memcpy(w, unit, lu);
	memcpy(w, post, lq);
	w[lq] = '\0';
	*len = lp + lu * n + lq;
	return s;
}

/* Size caps: a string of 1 MiB is fine, one byte more is not */
static void toml_test_string_limit(void **state)
{
	struct toml_doc doc;
	struct toml_error err;
	size_t len;
	char *s;

	(void)state;
	s = toml_test_fill("big = \"", "x", 1u << 20, "\"\n", &len);
	assert_int_equal(toml_test_parse(s, len, &doc, &err), 0);
	assert_int_equal(strlen(doc.entries[0].value.str), 1u << 20);
	toml_doc_free(&doc);
	free(s);

	s = toml_test_fill("\n\nbig = '", "x", (1u << 20) + 1, "'\n", &len);
	assert_int_equal(toml_test_parse(s, len, &doc, &err), -1);
	assert_int_equal(err.line, 3);
	assert_string_equal(err.key, "big");
	assert_string_equal(err.msg, "string is longer than 1048576 bytes");
	free(s);

	/* the limit counts decoded bytes: 2^18 four-byte escapes + 1 byte */
	s = toml_test_fill("e = \"", "\\U0001F600", 1u << 18, "x\"", &len);
	assert_int_equal(toml_test_parse(s, len, &doc, &err), -1);
	assert_string_equal(err.msg, "string is longer than 1048576 bytes");
	free(s);

	/* the byte that crosses the limit is a backslash, or a UTF-8 "é" */
	s = toml_test_fill("lit = '", "x", 1u << 20, "\\'", &len);
	assert_int_equal(toml_test_parse(s, len, &doc, &err), -1);
	assert_string_equal(err.msg, "string is longer than 1048576 bytes");
	free(s);
	s = toml_test_fill("lit = '", "x", (1u << 20) - 1, "\xc3\xa9'", &len);
	assert_int_equal(toml_test_parse(s, len, &doc, &err), -1);
	assert_string_equal(err.msg, "string is longer than 1048576 bytes");
	free(s);

	s = toml_test_fill("\"", "k", 1025, "\" = 1", &len);
	assert_int_equal(toml_test_parse(s, len, &doc, &err), -1);
	assert_int_equal(err.line, 1);
	assert_string_equal(err.key, "");
	assert_string_equal(err.msg, "quoted key is longer than 1024 bytes");
	free(s);

	s = toml_test_fill("", "k", 1025, " = 1", &len);
	assert_int_equal(toml_test_parse(s, len, &doc, &err), -1);
	assert_string_equal(err.msg, "key is longer than 1024 bytes");
	free(s);

	s = toml_test_fill("", "k", 1024, " = 1", &len);
	assert_int_equal(toml_test_parse(s, len, &doc, &err), 0);
	toml_doc_free(&doc);
	free(s);
}

/* Size caps: 100000 array items are fine, 100001 are not */
static void toml_test_array_limit(void **state)
{
	struct toml_doc doc;
	struct toml_error err;
	size_t len;
	char *s;

	(void)state;
	s = toml_test_fill("a = [", "'',", 100000, "]", &len);
	assert_int_equal(toml_test_parse(s, len, &doc, &err), 0);
	assert_int_equal(doc.entries[0].value.n_items, 100000);
	assert_null(doc.entries[0].value.items[100000]);
	toml_doc_free(&doc);
	free(s);

	s = toml_test_fill("a = [\n", "'',\n", 100001, "]", &len);
	assert_int_equal(toml_test_parse(s, len, &doc, &err), -1);
	assert_int_equal(err.line, 100002); /* the line of the 100001st item */
	assert_string_equal(err.key, "a");
	assert_string_equal(err.msg, "array has too many items (limit 100000)");
	free(s);
}

/* Size caps: the whole input, and the number of keys */
static void toml_test_input_limit(void **state)
{
	struct toml_doc doc;
	struct toml_error err;
	size_t len = (16u << 20) + 1;
	char *s = malloc(len);

	(void)state;
	assert_non_null(s);
	memset(s, '\n', len);
	assert_int_equal(toml_parse(s, len, &doc, &err), -1);
	assert_int_equal(err.line, 1);
	assert_string_equal(err.msg, "input is larger than 16777216 bytes");
	assert_int_equal(toml_parse(s, len - 1, &doc, &err), 0);
	assert_int_equal(doc.n_entries, 0);
	free(s);
}

/* Many keys: the duplicate check stays correct as its hash table grows */
static void toml_test_many_keys(void **state)
{
	const size_t n = 100000;
	struct toml_doc doc;
	struct toml_error err;
	char *s = malloc(n * 16 + 64), *w = s;
	size_t i;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < n; i++)
		w += sprintf(w, "k%zu = %zu\n", i, i);
	assert_int_equal(toml_test_parse(s, (size_t)(w - s), &doc, &err), 0);
	assert_int_equal(doc.n_entries, n);
	toml_test_int(&doc, 4242, "k4242", 4243, 4242);
	toml_doc_free(&doc);

	/* one more key is too many */
	sprintf(w, "extra = 1\n");
	assert_int_equal(toml_test_parse(s, strlen(s), &doc, &err), -1);
	assert_int_equal(err.line, (int)n + 1);
	assert_string_equal(err.key, "extra");
	assert_string_equal(err.msg, "too many keys (limit 100000)");

	/* a repeat of an early key is found among many */
	w = s;
	for (i = 0; i < 5000; i++)
		w += sprintf(w, "k%zu = %zu\n", i, i);
	sprintf(w, "\"k17\" = 0\n");
	assert_int_equal(toml_test_parse(s, strlen(s), &doc, &err), -1);
	assert_int_equal(err.line, 5001);
	assert_string_equal(err.key, "k17");
	assert_string_equal(err.msg, "duplicate key (first set on line 18)");
	free(s);
}

/* Long value tokens are cut short in messages, marked with "..." */
static void toml_test_long_token(void **state)
{
	struct toml_doc doc;
	struct toml_error err;
	size_t len;
	char *s;

	(void)state;
	s = toml_test_fill("n = ", "9", 200, "", &len);
	assert_int_equal(toml_test_parse(s, len, &doc, &err), -1);
	assert_string_equal(
		err.msg, "integer '9999999999999999999999999999999999999999"
			 "999999999999999999999999999999999999...' is out of "
			 "range (64-bit signed)");
	free(s);

	s = toml_test_fill("v = ", "y", 200, "", &len);
	assert_int_equal(toml_test_parse(s, len, &doc, &err), -1);
	assert_int_equal(strlen(err.msg),
			 strlen("invalid value '' (strings must be quoted)") +
				 79);
	free(s);
}

/* Long keys are cut to fit err.key, never inside a UTF-8 sequence */
static void toml_test_error_key_truncation(void **state)
{
	struct toml_doc doc;
	struct toml_error err;
	size_t len;
	char *s;

	(void)state;
	s = toml_test_fill("", "k", 200, " = x", &len);
	assert_int_equal(toml_test_parse(s, len, &doc, &err), -1);
	assert_int_equal(strlen(err.key), sizeof(err.key) - 1);
	assert_memory_equal(err.key, s, sizeof(err.key) - 1);
	free(s);

	/* 100 x "é": 127 bytes would end mid-character, so 126 are kept */
	s = toml_test_fill("\"", "\xc3\xa9", 100, "\" = x", &len);
	assert_int_equal(toml_test_parse(s, len, &doc, &err), -1);
	assert_int_equal(strlen(err.key), 126);
	assert_memory_equal(err.key, s + 1, 126);
	assert_string_equal(err.msg,
			    "invalid value 'x' (strings must be quoted)");
	free(s);
}

/* One invalid input: where the error must be and what it must say */
struct toml_err_case {
	const char *name;
	const char *in;
	size_t len;
	int line;
	const char *key;
	const char *msg;
};

/* TOML_IN() - a string literal and its length, which may include NULs */
#define TOML_IN(s) s, sizeof(s) - 1

static const struct toml_err_case toml_err_cases[] = {
	/* tables and array tables */
	{"table", TOML_IN("a = 1\n[net]\nb = 2\n"), 2, "",
	 "tables are not supported in profiles"},
	{"table_indented", TOML_IN("\n  [net]"), 2, "",
	 "tables are not supported in profiles"},
	{"array_table", TOML_IN("[[rule]]\n"), 1, "",
	 "tables are not supported in profiles"},
	/* dotted keys */
	{"dotted", TOML_IN("a = 1\na.b = 1\n"), 2, "a",
	 "dotted keys are not supported"},
	{"dotted_spaced", TOML_IN("a . b = 1"), 1, "a",
	 "dotted keys are not supported"},
	{"dotted_quoted", TOML_IN("\"a\".\"b\" = 1"), 1, "a",
	 "dotted keys are not supported"},
	{"dotted_leading", TOML_IN(".a = 1"), 1, "",
	 "dotted keys are not supported"},
	/* other kinds of value */
	{"inline_table", TOML_IN("dns = \"x\"\nt = { a = 1 }\n"), 2, "t",
	 "inline tables are not supported"},
	{"float_point", TOML_IN("f = 3.14"), 1, "f",
	 "floats are not supported"},
	{"float_exp", TOML_IN("f = 1e5"), 1, "f", "floats are not supported"},
	{"float_neg", TOML_IN("f = -0.5"), 1, "f", "floats are not supported"},
	{"float_full", TOML_IN("f = 6.626e-34"), 1, "f",
	 "floats are not supported"},
	{"float_inf", TOML_IN("f = inf"), 1, "f", "floats are not supported"},
	{"float_nan", TOML_IN("f = +nan"), 1, "f", "floats are not supported"},
	{"date", TOML_IN("d = 1979-05-27"), 1, "d",
	 "dates and times are not supported"},
	{"datetime", TOML_IN("d = 1979-05-27T07:32:00Z"), 1, "d",
	 "dates and times are not supported"},
	{"datetime_space", TOML_IN("d = 1979-05-27 07:32:00"), 1, "d",
	 "dates and times are not supported"},
	{"time", TOML_IN("t = 07:32:00"), 1, "t",
	 "dates and times are not supported"},
	{"multiline_basic", TOML_IN("m = \"\"\"\nx\"\"\""), 1, "m",
	 "multi-line strings are not supported"},
	{"multiline_literal", TOML_IN("m = '''x'''"), 1, "m",
	 "multi-line strings are not supported"},
	{"multiline_in_array", TOML_IN("m = [\n'''x''']"), 2, "m",
	 "multi-line strings are not supported"},
	{"multiline_key", TOML_IN("\"\"\"k\"\"\" = 1"), 1, "",
	 "multi-line strings are not supported"},
	/* arrays */
	{"array_ints", TOML_IN("a = [1, 2]"), 1, "a",
	 "arrays may hold only strings"},
	{"array_mixed", TOML_IN("a = [\n\"x\",\n2,\n]"), 3, "a",
	 "arrays may hold only strings"},
	{"array_bools", TOML_IN("a = [true]"), 1, "a",
	 "arrays may hold only strings"},
	{"array_nested", TOML_IN("a = [\"x\", [\"y\"]]"), 1, "a",
	 "nested arrays are not supported"},
	{"array_inline_table", TOML_IN("a = [{}]"), 1, "a",
	 "inline tables are not supported"},
	{"array_bare_word", TOML_IN("a = [x]"), 1, "a",
	 "arrays may hold only strings"},
	{"array_empty_item", TOML_IN("a = [,]"), 1, "a",
	 "unexpected ',' in array (expected a string or ']')"},
	{"array_double_comma", TOML_IN("a = [\"x\",,]"), 1, "a",
	 "unexpected ',' in array (expected a string or ']')"},
	{"array_missing_comma", TOML_IN("a = [\n\"x\"\n\"y\"\n]"), 3, "a",
	 "expected ',' or ']' after array item, found '\"'"},
	{"array_unterminated", TOML_IN("x = 1\na = [\n\"p\",\n\"q\"\n"), 2, "a",
	 "unterminated array (no closing ']')"},
	{"array_unterminated_empty", TOML_IN("a = ["), 1, "a",
	 "unterminated array (no closing ']')"},
	{"array_unterminated_comment", TOML_IN("a = [ # ]"), 1, "a",
	 "unterminated array (no closing ']')"},
	{"array_bad_item_line", TOML_IN("a = [\n\"ok\",\n\"bad\\q\",\n]"), 3,
	 "a", "invalid escape sequence '\\q'"},
	{"array_bad_comment", TOML_IN("a = [\n\"ok\", # \x01\n]"), 2, "a",
	 "control character U+0001 is not allowed in a comment"},
	{"array_bad_comment_after_item", TOML_IN("a = [\"x\" # \x7f\n]"), 1,
	 "a", "control character U+007F is not allowed in a comment"},
	{"array_junk_after", TOML_IN("a = [\"x\"] y"), 1, "a",
	 "unexpected 'y' after value"},
	{"array_lone_cr", TOML_IN("a = [\"x\",\r]"), 1, "a",
	 "carriage return not followed by a line feed"},
	/* duplicate keys */
	{"duplicate", TOML_IN("a = 1\nb = 2\na = 3\n"), 3, "a",
	 "duplicate key (first set on line 1)"},
	{"duplicate_quoted", TOML_IN("dns = 'x'\n\n\"dns\" = 'y'\n"), 3, "dns",
	 "duplicate key (first set on line 1)"},
	{"duplicate_after_array", TOML_IN("c = [\n'a',\n]\nd = 1\nc = 2"), 5,
	 "c", "duplicate key (first set on line 1)"},
	/* keys and '=' */
	{"missing_eq", TOML_IN("a\n"), 1, "a", "missing '=' after key"},
	{"missing_eq_eof", TOML_IN("\n\nabc"), 3, "abc",
	 "missing '=' after key"},
	{"missing_eq_comment", TOML_IN("a # c\n"), 1, "a",
	 "missing '=' after key"},
	{"missing_eq_value", TOML_IN("a 1\n"), 1, "a",
	 "expected '=' after key, found '1'"},
	{"key_with_space", TOML_IN("my key = 1\n"), 1, "my",
	 "expected '=' after key, found 'k'"},
	{"missing_key", TOML_IN("= 1\n"), 1, "", "missing key before '='"},
	{"empty_quoted_key", TOML_IN("\"\" = 1\n"), 1, "",
	 "empty keys are not supported"},
	{"empty_literal_key", TOML_IN("'' = 1\n"), 1, "",
	 "empty keys are not supported"},
	{"key_bad_char", TOML_IN("k\xc3\xa9y = 1"), 1, "",
	 "invalid character byte 0xc3 in bare key (only A-Z a-z 0-9 _ - are "
	 "allowed; quote other keys)"},
	{"key_bad_punct", TOML_IN("a/b = 1"), 1, "",
	 "invalid character '/' in bare key (only A-Z a-z 0-9 _ - are "
	 "allowed; quote other keys)"},
	{"key_bad_start", TOML_IN("!a = 1"), 1, "",
	 "expected a key, found '!'"},
	{"key_unterminated", TOML_IN("\"abc = 1"), 1, "",
	 "unterminated quoted key (no closing \" before end of input)"},
	{"key_bad_escape", TOML_IN("\"a\\x\" = 1"), 1, "",
	 "invalid escape sequence '\\x'"},
	{"key_bad_utf8", TOML_IN("'a\xff' = 1"), 1, "",
	 "invalid UTF-8 in a quoted key"},
	{"bom_not_at_start",
	 TOML_IN("a = 1\n\xef\xbb\xbf"
		 "b = 2"),
	 2, "", "expected a key, found byte 0xef"},
	/* values */
	{"missing_value", TOML_IN("a =\n"), 1, "a", "missing value after '='"},
	{"missing_value_eof", TOML_IN("x = 1\na = "), 2, "a",
	 "missing value after '='"},
	{"missing_value_comment", TOML_IN("a = # nothing\n"), 1, "a",
	 "missing value after '='"},
	{"bare_word", TOML_IN("dns = localhost"), 1, "dns",
	 "invalid value 'localhost' (strings must be quoted)"},
	{"bool_case", TOML_IN("offline = True"), 1, "offline",
	 "invalid value 'True' (strings must be quoted)"},
	{"bool_prefix", TOML_IN("offline = truex"), 1, "offline",
	 "invalid value 'truex' (strings must be quoted)"},
	{"bad_value_char", TOML_IN("a = @"), 1, "a",
	 "expected a value, found '@'"},
	{"junk_after_string", TOML_IN("a = \"x\" y"), 1, "a",
	 "unexpected 'y' after value"},
	{"junk_after_int", TOML_IN("a = 1 2"), 1, "a",
	 "unexpected '2' after value"},
	{"junk_after_bool", TOML_IN("a = true false"), 1, "a",
	 "unexpected 'f' after value"},
	{"junk_two_strings", TOML_IN("a = \"x\"\"y\""), 1, "a",
	 "unexpected '\"' after value"},
	{"junk_two_entries", TOML_IN("a = 1 b = 2"), 1, "a",
	 "unexpected 'b' after value"},
	{"junk_control", TOML_IN("a = 1 \x01"), 1, "a",
	 "unexpected byte 0x01 after value"},
	/* strings */
	{"unterminated_eol", TOML_IN("a = 1\nb = \"abc\nc = 2\n"), 2, "b",
	 "unterminated string (no closing \" before end of line)"},
	{"unterminated_eof", TOML_IN("b = \"abc"), 1, "b",
	 "unterminated string (no closing \" before end of input)"},
	{"unterminated_literal", TOML_IN("\nb = 'abc\n'"), 2, "b",
	 "unterminated string (no closing ' before end of line)"},
	{"unterminated_in_array", TOML_IN("a = [\n\"x\",\n\"y\n]\n"), 3, "a",
	 "unterminated string (no closing \" before end of line)"},
	{"unterminated_escaped_quote", TOML_IN("a = \"x\\\""), 1, "a",
	 "unterminated string (no closing \" before end of input)"},
	{"escape_unknown", TOML_IN("a = \"\\q\""), 1, "a",
	 "invalid escape sequence '\\q'"},
	{"escape_hex", TOML_IN("a = \"\\x41\""), 1, "a",
	 "invalid escape sequence '\\x'"},
	{"escape_period", TOML_IN("a = \"\\.\""), 1, "a",
	 "invalid escape sequence '\\.'"},
	{"escape_space", TOML_IN("a = \"\\ \""), 1, "a",
	 "invalid escape sequence: '\\' followed by ' '"},
	{"escape_eol", TOML_IN("a = \"x\\\n\""), 1, "a",
	 "invalid escape: '\\' at end of line"},
	{"escape_eof", TOML_IN("a = \"x\\"), 1, "a",
	 "invalid escape: '\\' at end of line"},
	{"escape_u_short", TOML_IN("a = \"\\u12\""), 1, "a",
	 "invalid escape: \\u needs exactly 4 hex digits"},
	{"escape_u_eof", TOML_IN("a = \"\\u12"), 1, "a",
	 "invalid escape: \\u needs exactly 4 hex digits"},
	{"escape_U_short", TOML_IN("a = \"\\U0001F60\""), 1, "a",
	 "invalid escape: \\U needs exactly 8 hex digits"},
	{"escape_u_nonhex", TOML_IN("a = \"\\u00g9\""), 1, "a",
	 "invalid escape: \\u needs exactly 4 hex digits"},
	{"escape_surrogate", TOML_IN("a = \"\\uD800\""), 1, "a",
	 "invalid escape \\uD800: surrogate code points are not allowed"},
	{"escape_surrogate_low", TOML_IN("a = \"\\udfff\""), 1, "a",
	 "invalid escape \\udfff: surrogate code points are not allowed"},
	{"escape_U_surrogate", TOML_IN("a = \"\\U0000DC00\""), 1, "a",
	 "invalid escape \\U0000DC00: surrogate code points are not allowed"},
	{"escape_too_big", TOML_IN("a = \"\\U00110000\""), 1, "a",
	 "invalid escape \\U00110000: code points stop at U+10FFFF"},
	{"escape_way_too_big", TOML_IN("a = \"\\UFFFFFFFF\""), 1, "a",
	 "invalid escape \\UFFFFFFFF: code points stop at U+10FFFF"},
	{"escape_nul", TOML_IN("a = \"x\\u0000\""), 1, "a",
	 "invalid escape \\u0000: strings cannot contain NUL characters"},
	{"escape_U_nul", TOML_IN("a = \"\\U00000000\""), 1, "a",
	 "invalid escape \\U00000000: strings cannot contain NUL characters"},
	{"control_in_string", TOML_IN("a = \"x\x01y\""), 1, "a",
	 "control character U+0001 is not allowed in a string (use an "
	 "escape sequence)"},
	{"del_in_string", TOML_IN("a = \"\x7f\""), 1, "a",
	 "control character U+007F is not allowed in a string (use an "
	 "escape sequence)"},
	{"nul_in_string", TOML_IN("a = \"x\0y\""), 1, "a",
	 "control character U+0000 is not allowed in a string (use an "
	 "escape sequence)"},
	{"cr_in_string", TOML_IN("a = \"x\ry\""), 1, "a",
	 "control character U+000D is not allowed in a string (use an "
	 "escape sequence)"},
	{"control_in_literal", TOML_IN("a = 'x\x1by'"), 1, "a",
	 "control character U+001B is not allowed in a string"},
	{"utf8_bad_byte", TOML_IN("a = \"\xff\""), 1, "a",
	 "invalid UTF-8 in a string"},
	{"utf8_overlong", TOML_IN("a = \"\xc0\xaf\""), 1, "a",
	 "invalid UTF-8 in a string"},
	{"utf8_overlong3", TOML_IN("a = \"\xe0\x80\xaf\""), 1, "a",
	 "invalid UTF-8 in a string"},
	{"utf8_surrogate", TOML_IN("a = \"\xed\xa0\x80\""), 1, "a",
	 "invalid UTF-8 in a string"},
	{"utf8_too_big", TOML_IN("a = '\xf4\x90\x80\x80'"), 1, "a",
	 "invalid UTF-8 in a string"},
	{"utf8_truncated", TOML_IN("a = \"\xe2\x82\""), 1, "a",
	 "invalid UTF-8 in a string"},
	{"utf8_truncated_eof", TOML_IN("a = \"\xe2\x82"), 1, "a",
	 "invalid UTF-8 in a string"},
	{"utf8_lone_continuation", TOML_IN("a = '\x80'"), 1, "a",
	 "invalid UTF-8 in a string"},
	/* comments and line endings */
	{"comment_control", TOML_IN("# bell \x07\n"), 1, "",
	 "control character U+0007 is not allowed in a comment"},
	{"comment_del", TOML_IN("a = 1 # \x7f"), 1, "a",
	 "control character U+007F is not allowed in a comment"},
	{"comment_nul", TOML_IN("a = 1\n# \0"), 2, "",
	 "control character U+0000 is not allowed in a comment"},
	{"comment_lone_cr", TOML_IN("# x\ry\n"), 1, "",
	 "control character U+000D is not allowed in a comment"},
	{"comment_bad_utf8", TOML_IN("\n\n# caf\xe9\n"), 3, "",
	 "invalid UTF-8 in a comment"},
	{"lone_cr_after_value", TOML_IN("a = 1\r\nb = 2\r"), 2, "b",
	 "carriage return not followed by a line feed"},
	{"lone_cr_line", TOML_IN("a = 1\n\rb = 2"), 2, "",
	 "carriage return not followed by a line feed"},
	/* integers */
	{"int_overflow", TOML_IN("n = 9223372036854775808"), 1, "n",
	 "integer '9223372036854775808' is out of range (64-bit signed)"},
	{"int_underflow", TOML_IN("n = -9223372036854775809"), 1, "n",
	 "integer '-9223372036854775809' is out of range (64-bit signed)"},
	{"int_huge", TOML_IN("n = 99999999999999999999999999"), 1, "n",
	 "integer '99999999999999999999999999' is out of range (64-bit "
	 "signed)"},
	{"int_hex_overflow", TOML_IN("n = 0x8000000000000000"), 1, "n",
	 "integer '0x8000000000000000' is out of range (64-bit signed)"},
	{"int_bin_overflow",
	 TOML_IN("n = 0b1000000000000000000000000000000000000000000000000000000000000000"),
	 1, "n",
	 "integer '0b1000000000000000000000000000000000000000000000000000000000000000' "
	 "is out of range (64-bit signed)"},
	{"int_leading_zero", TOML_IN("n = 007"), 1, "n",
	 "invalid integer '007': leading zeros are not allowed"},
	{"int_leading_zero_neg", TOML_IN("n = -01"), 1, "n",
	 "invalid integer '-01': leading zeros are not allowed"},
	{"int_double_underscore", TOML_IN("n = 1__000"), 1, "n",
	 "invalid integer '1__000': underscores must sit between digits"},
	{"int_trailing_underscore", TOML_IN("n = 1_"), 1, "n",
	 "invalid integer '1_': underscores must sit between digits"},
	{"int_sign_underscore", TOML_IN("n = -_1"), 1, "n",
	 "invalid integer '-_1': underscores must sit between digits"},
	{"int_leading_underscore", TOML_IN("n = _1"), 1, "n",
	 "invalid value '_1' (strings must be quoted)"},
	{"int_hex_underscore_first", TOML_IN("n = 0x_1"), 1, "n",
	 "invalid integer '0x_1': underscores must sit between digits"},
	{"int_signed_hex", TOML_IN("n = +0x10"), 1, "n",
	 "invalid integer '+0x10': hex, octal and binary integers cannot "
	 "have a sign"},
	{"int_hex_empty", TOML_IN("n = 0x"), 1, "n", "invalid integer '0x'"},
	{"int_hex_bad_digit", TOML_IN("n = 0xfg"), 1, "n",
	 "invalid integer '0xfg'"},
	{"int_oct_bad_digit", TOML_IN("n = 0o8"), 1, "n",
	 "invalid integer '0o8'"},
	{"int_bin_bad_digit", TOML_IN("n = 0b102"), 1, "n",
	 "invalid integer '0b102'"},
	{"int_upper_prefix", TOML_IN("n = 0X10"), 1, "n",
	 "invalid integer '0X10'"},
	{"int_letters", TOML_IN("n = 12abc"), 1, "n",
	 "invalid integer '12abc'"},
	{"int_sign_only", TOML_IN("n = -"), 1, "n", "invalid integer '-'"},
	{"int_double_sign", TOML_IN("n = +-1"), 1, "n",
	 "invalid integer '+-1'"},
};

#define TOML_N_ERR_CASES (sizeof(toml_err_cases) / sizeof(toml_err_cases[0]))

/* One invalid input must fail with exactly its line, key and message */
static void toml_test_error_case(void **state)
{
	const struct toml_err_case *c = *state;
	struct toml_doc doc;
	struct toml_error err;
	size_t n;

	assert_int_equal(toml_test_parse(c->in, c->len, &doc, &err), -1);
	assert_null(doc.entries);
	assert_int_equal(doc.n_entries, 0);
	assert_string_equal(err.msg, c->msg);
	assert_int_equal(err.line, c->line);
	assert_string_equal(err.key, c->key);

	/* house style: lower case start, no trailing period */
	n = strlen(err.msg);
	assert_true(n > 0);
	assert_false(isupper((unsigned char)err.msg[0]));
	assert_true(err.msg[n - 1] != '.');
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(toml_test_profile),
		cmocka_unit_test(toml_test_empty),
		cmocka_unit_test(toml_test_null_args),
		cmocka_unit_test(toml_test_whitespace),
		cmocka_unit_test(toml_test_keys),
		cmocka_unit_test(toml_test_escapes),
		cmocka_unit_test(toml_test_literal),
		cmocka_unit_test(toml_test_utf8),
		cmocka_unit_test(toml_test_booleans),
		cmocka_unit_test(toml_test_integers),
		cmocka_unit_test(toml_test_arrays),
		cmocka_unit_test(toml_test_crlf),
		cmocka_unit_test(toml_test_bom),
		cmocka_unit_test(toml_test_prefix),
		cmocka_unit_test(toml_test_lines),
		cmocka_unit_test(toml_test_string_limit),
		cmocka_unit_test(toml_test_array_limit),
		cmocka_unit_test(toml_test_input_limit),
		cmocka_unit_test(toml_test_many_keys),
		cmocka_unit_test(toml_test_long_token),
		cmocka_unit_test(toml_test_error_key_truncation),
	};
	/* the fixed tests, then one test per invalid input, named after it */
	struct CMUnitTest
		tests[sizeof(fixed) / sizeof(fixed[0]) + TOML_N_ERR_CASES];
	size_t nf = sizeof(fixed) / sizeof(fixed[0]), i;

	memcpy(tests, fixed, sizeof(fixed));
	for (i = 0; i < TOML_N_ERR_CASES; i++) {
		tests[nf + i] = (struct CMUnitTest){
			.name = toml_err_cases[i].name,
			.test_func = toml_test_error_case,
			.initial_state = (void *)&toml_err_cases[i],
		};
	}
	return cmocka_run_group_tests_name("toml", tests, NULL, NULL);
}
