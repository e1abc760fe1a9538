/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * toml.h - reader for the subset of TOML that childflow profiles use
 *
 * Accepted: "key = value" lines with bare or quoted keys, values that are
 * basic strings (every TOML escape, \uXXXX and \UXXXXXXXX included), literal
 * strings, booleans, integers, and arrays of strings that may span several
 * lines, hold comments and end with a trailing comma. Comments wherever TOML
 * allows them. Everything else (tables, dotted keys, inline tables, floats,
 * dates, multi-line strings, duplicate keys) is an error that names the line
 * and, where there is one, the key.
 *
 * The reader knows nothing of profile keys: it returns the entries in file
 * order, each with its line, and profile.c gives them meaning.
 *
 * Guarantees on success: keys are unique and never empty; every string (keys,
 * values, array items) is valid UTF-8 without NUL bytes; the document owns
 * all its memory (nothing points into the input text).
 *
 * Limits (each an error naming the line): input 16 MiB, one string 1 MiB,
 * one key 1024 bytes, 100000 items in one array, 100000 keys.
 */
#ifndef CHILDFLOW_TOML_H
#define CHILDFLOW_TOML_H

#include <stdbool.h>
#include <stddef.h>

enum toml_type {
	TOML_STRING,
	TOML_BOOL,
	TOML_INT,
	TOML_ARRAY, /* of strings only */
};

struct toml_value {
	enum toml_type type;
	char *str;	   /* TOML_STRING: NUL-terminated, never contains NUL;
			  * NULL for other types */
	bool boolean;	   /* TOML_BOOL */
	long long integer; /* TOML_INT */
	char **items;	   /* TOML_ARRAY: n_items strings, then NULL, so
			  * items can go straight to execvp(); never NULL,
			  * even for an empty array */
	size_t n_items;
};

struct toml_entry {
	char *key; /* the key as written, unquoted */
	int line;  /* 1-based line of the key */
	struct toml_value value;
};

struct toml_doc {
	struct toml_entry *entries;
	size_t n_entries;
};

struct toml_error {
	int line;      /* 1-based line where the problem is */
	char key[128]; /* the key concerned, or "" when there is none
			  * (cut at a UTF-8 boundary if longer) */
	char msg[256]; /* what is wrong, lower case, no trailing period */
};

/* toml_parse() - parse @len bytes of @text into @doc
 * @doc is overwritten, not freed first. @err may be NULL; on success it is
 * cleared (line 0, empty key and msg). A UTF-8 byte order mark at the start
 * is skipped; lines end in LF or CRLF.
 * Return: 0 on success; -1 with @err filled (and @doc empty) on bad input.
 * Never aborts on malformed input; @text need not be NUL-terminated and is
 * never read at or past @len.
 */
int toml_parse(const char *text, size_t len, struct toml_doc *doc,
	       struct toml_error *err);

/* toml_doc_free() - release everything toml_parse() allocated
 * Leaves @doc empty, so calling it twice is harmless; @doc may be NULL.
 */
void toml_doc_free(struct toml_doc *doc);

#endif /* CHILDFLOW_TOML_H */
