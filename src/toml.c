/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * toml.c - reader for the subset of TOML that childflow profiles use
 *
 * Theory of operation
 * -------------------
 * The reader is a single forward pass over the bytes of the input with one
 * byte of look-ahead (three for the multi-line string check). It never looks
 * at text[len] or beyond: every access goes through the position checks of
 * toml_peek() or an explicit "pos < len" test, so the input need not be NUL
 * terminated. There is no recursion: the only nesting the subset allows is
 * an array of strings, and the array loop handles it iteratively while
 * rejecting any nested '['.
 *
 * The grammar, line by line:
 *
 *   line  := ws* ( comment | entry )? ws* ( LF | CRLF | end of input )
 *   entry := key ws* '=' ws* value ws* comment?
 *   key   := bare-key | basic-string | literal-string
 *   value := basic-string | literal-string | boolean | integer | array
 *   array := '[' ( trivia* string trivia* ',' )* ( trivia* string )?
 *            trivia* ']'    where trivia is white space, comments, newlines
 *
 * Anything TOML has that the subset lacks (tables, dotted keys, inline
 * tables, floats, dates and times, multi-line strings, non-string arrays) is
 * recognised well enough to say so by name, so users get "floats are not
 * supported" rather than a vague syntax error.
 *
 * Errors: the first problem found stops the parse. toml_fail() formats the
 * message into the parser's own struct toml_error, recording the line the
 * problem is on and the key of the entry being read (if any). toml_parse()
 * then frees everything and hands back an empty document. Every helper
 * returns 0 or -1 and leaves what it allocated reachable from the parser or
 * the value being built, so a single clean-up path frees it all.
 *
 * Strings are built in a growable buffer (struct toml_buf) that enforces a
 * size limit while it grows. Strings and comments are checked for control
 * characters and for valid UTF-8 as TOML requires; escapes are decoded to
 * UTF-8. Because results are C strings, \u0000 is refused.
 *
 * Duplicate keys are found with a small open-addressing hash table of entry
 * indexes, so a large file cannot make the check quadratic. Sizes are capped
 * (input, string length, array items, number of keys) so hostile input can
 * neither exhaust memory nor overflow the int line counter.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"

#define TOML_MAX_INPUT	 (16u << 20) /* bytes of input */
#define TOML_MAX_VALUE	 (1u << 20)  /* bytes in one string value */
#define TOML_MAX_KEY	 1024u	     /* bytes in one key */
#define TOML_MAX_ITEMS	 100000u     /* strings in one array */
#define TOML_MAX_ENTRIES 100000u     /* keys in one document */

/* A growable byte buffer, always kept NUL terminated once allocated */
struct toml_buf {
	char *data;
	size_t len;
	size_t cap;
};

struct toml_parser {
	const unsigned char *s; /* input, not NUL terminated */
	size_t len;		/* bytes in @s */
	size_t pos;		/* next byte to read */
	int line;		/* 1-based line of @pos */
	const char *key;	/* key of the entry being read, for errors */
	struct toml_error err;	/* first error found */

	struct toml_entry *entries;
	size_t n_entries;
	size_t cap_entries;

	size_t *slots; /* hash table: entry index + 1, or 0 when free */
	size_t n_slots;
};

/* toml_fail() - record an error at @line and return -1 */
__attribute__((format(printf, 3, 4))) static int
toml_fail(struct toml_parser *p, int line, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	p->err.line = line;
	p->err.key[0] = '\0';
	if (p->key) {
		n = strlen(p->key);
		if (n >= sizeof(p->err.key)) {
			/* truncate, but not in the middle of a UTF-8 sequence */
			n = sizeof(p->err.key) - 1;
			while (n > 0 &&
			       ((unsigned char)p->key[n] & 0xc0) == 0x80)
				n--;
		}
		memcpy(p->err.key, p->key, n);
		p->err.key[n] = '\0';
	}

	va_start(ap, fmt);
	vsnprintf(p->err.msg, sizeof(p->err.msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* toml_peek() - byte at @off past the current position, or -1 past the end */
static int toml_peek(const struct toml_parser *p, size_t off)
{
	if (p->pos >= p->len || off >= p->len - p->pos)
		return -1;
	return p->s[p->pos + off];
}

/* toml_newline_len() - length of the LF or CRLF at the position, else 0 */
static size_t toml_newline_len(const struct toml_parser *p)
{
	int c = toml_peek(p, 0);

	if (c == '\n')
		return 1;
	if (c == '\r' && toml_peek(p, 1) == '\n')
		return 2;
	return 0;
}

/* toml_skip_ws() - step over spaces and tabs */
static void toml_skip_ws(struct toml_parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
		p->pos++;
}

/* toml_describe() - printable description of byte @c for error messages */
static const char *toml_describe(int c, char *buf, size_t len)
{
	if (c < 0)
		snprintf(buf, len, "end of input");
	else if (c >= 0x20 && c < 0x7f)
		snprintf(buf, len, "'%c'", c);
	else
		snprintf(buf, len, "byte 0x%02x", c);
	return buf;
}

/* toml_utf8_len() - length of the valid UTF-8 sequence at @s, or 0
 * Rejects overlong forms, surrogates and code points above U+10FFFF.
 */
static size_t toml_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		if (s[0] == 0xe0)
			lo = 0xa0; /* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		if (s[0] == 0xf0)
			lo = 0x90; /* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < need || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < need; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	}
	return need;
}

/* toml_is_control() - is @c a control character TOML forbids (not tab)? */
static int toml_is_control(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* toml_skip_comment() - step over a comment at '#', up to its newline
 * Checks the comment for control characters and invalid UTF-8.
 */
static int toml_skip_comment(struct toml_parser *p)
{
	size_t n;

	p->pos++; /* '#' */
	while (p->pos < p->len && !toml_newline_len(p)) {
		unsigned char c = p->s[p->pos];

		if (toml_is_control(c))
			return toml_fail(
				p, p->line,
				"control character U+%04X is not allowed in a comment",
				c);
		n = toml_utf8_len(p->s + p->pos, p->len - p->pos);
		if (!n)
			return toml_fail(p, p->line,
					 "invalid UTF-8 in a comment");
		p->pos += n;
	}
	return 0;
}

/* toml_end_line() - finish a line: white space, optional comment, newline
 * Consumes the newline (or accepts end of input); anything else is junk.
 */
static int toml_end_line(struct toml_parser *p)
{
	char what[24];
	size_t nl;
	int c;

	toml_skip_ws(p);
	if (toml_peek(p, 0) == '#' && toml_skip_comment(p))
		return -1;
	c = toml_peek(p, 0);
	if (c < 0)
		return 0;
	nl = toml_newline_len(p);
	if (nl) {
		p->pos += nl;
		p->line++;
		return 0;
	}
	if (c == '\r')
		return toml_fail(p, p->line,
				 "carriage return not followed by a line feed");
	return toml_fail(p, p->line, "unexpected %s after value",
			 toml_describe(c, what, sizeof(what)));
}

/* toml_buf_put() - append @n bytes to @b, refusing to grow beyond @limit */
static int toml_buf_put(struct toml_parser *p, struct toml_buf *b,
			const void *data, size_t n, size_t limit,
			const char *what)
{
	size_t cap;
	char *nd;

	if (n > limit - b->len)
		return toml_fail(p, p->line, "%s is longer than %zu bytes",
				 what, limit);
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 32;
		while (cap < b->len + n + 1)
			cap *= 2;
		nd = realloc(b->data, cap);
		if (!nd)
			return toml_fail(p, p->line, "out of memory");
		b->data = nd;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

/* toml_put_codepoint() - append code point @cp to @b encoded as UTF-8 */
static int toml_put_codepoint(struct toml_parser *p, struct toml_buf *b,
			      uint32_t cp, size_t limit, const char *what)
{
	unsigned char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return toml_buf_put(p, b, u, n, limit, what);
}

/* toml_hex_value() - value of hex digit @c, or -1 */
static int toml_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* toml_parse_escape() - decode the escape sequence at '\' into @b */
static int toml_parse_escape(struct toml_parser *p, struct toml_buf *b,
			     size_t limit, const char *what)
{
	const char *digits;
	char desc[24];
	uint32_t cp = 0;
	size_t n, i;
	int c = toml_peek(p, 1), d;
	char out;

	switch (c) {
	case 'b':
		out = '\b';
		break;
	case 't':
		out = '\t';
		break;
	case 'n':
		out = '\n';
		break;
	case 'f':
		out = '\f';
		break;
	case 'r':
		out = '\r';
		break;
	case '"':
		out = '"';
		break;
	case '\\':
		out = '\\';
		break;
	case 'u':
	case 'U':
		n = c == 'u' ? 4 : 8;
		for (i = 0; i < n; i++) {
			d = toml_hex_value(toml_peek(p, 2 + i));
			if (d < 0)
				return toml_fail(
					p, p->line,
					"invalid escape: \\%c needs exactly %zu hex digits",
					c, n);
			cp = cp << 4 | (uint32_t)d;
		}
		digits = (const char *)p->s + p->pos + 2; /* all in bounds */
		if (cp >= 0xd800 && cp <= 0xdfff)
			return toml_fail(
				p, p->line,
				"invalid escape \\%c%.*s: surrogate code points are not allowed",
				c, (int)n, digits);
		if (cp > 0x10ffff)
			return toml_fail(
				p, p->line,
				"invalid escape \\%c%.*s: code points stop at U+10FFFF",
				c, (int)n, digits);
		if (cp == 0)
			return toml_fail(
				p, p->line,
				"invalid escape \\%c%.*s: strings cannot contain NUL characters",
				c, (int)n, digits);
		p->pos += 2 + n;
		return toml_put_codepoint(p, b, cp, limit, what);
	default:
		if (c < 0 || c == '\n' || c == '\r')
			return toml_fail(p, p->line,
					 "invalid escape: '\\' at end of line");
		if (c > 0x20 && c < 0x7f)
			return toml_fail(p, p->line,
					 "invalid escape sequence '\\%c'", c);
		return toml_fail(p, p->line,
				 "invalid escape sequence: '\\' followed by %s",
				 toml_describe(c, desc, sizeof(desc)));
	}
	p->pos += 2;
	return toml_buf_put(p, b, &out, 1, limit, what);
}

/* toml_parse_string() - read a basic or literal string at its opening quote
 * @what names the thing for errors ("string" or "quoted key"); the result
 * goes to @out (always a fresh allocation, "" for an empty string).
 */
static int toml_parse_string(struct toml_parser *p, char **out, size_t limit,
			     const char *what)
{
	struct toml_buf b = {0};
	unsigned char q = p->s[p->pos];
	size_t start, n;

	*out = NULL;
	if (toml_peek(p, 1) == q && toml_peek(p, 2) == q)
		return toml_fail(p, p->line,
				 "multi-line strings are not supported");
	p->pos++;
	for (;;) {
		unsigned char c;

		/* copy a run of ordinary bytes in one go */
		start = p->pos;
		while (p->pos < p->len) {
			c = p->s[p->pos];
			if (c == q || c == '\\' || toml_is_control(c) ||
			    c >= 0x80)
				break;
			p->pos++;
		}
		if (p->pos > start && toml_buf_put(p, &b, p->s + start,
						   p->pos - start, limit, what))
			goto fail;

		if (p->pos >= p->len) {
			toml_fail(
				p, p->line,
				"unterminated %s (no closing %c before end of input)",
				what, q);
			goto fail;
		}
		c = p->s[p->pos];
		if (c == q) {
			p->pos++;
			break;
		}
		if (c == '\\' && q == '"') {
			if (toml_parse_escape(p, &b, limit, what))
				goto fail;
		} else if (c == '\\') {
			/* literal strings take backslashes as they are */
			if (toml_buf_put(p, &b, "\\", 1, limit, what))
				goto fail;
			p->pos++;
		} else if (toml_newline_len(p)) {
			toml_fail(
				p, p->line,
				"unterminated %s (no closing %c before end of line)",
				what, q);
			goto fail;
		} else if (toml_is_control(c)) {
			toml_fail(
				p, p->line,
				"control character U+%04X is not allowed in a %s%s",
				c, what,
				q == '"' ? " (use an escape sequence)" : "");
			goto fail;
		} else {
			n = toml_utf8_len(p->s + p->pos, p->len - p->pos);
			if (!n) {
				toml_fail(p, p->line, "invalid UTF-8 in a %s",
					  what);
				goto fail;
			}
			if (toml_buf_put(p, &b, p->s + p->pos, n, limit, what))
				goto fail;
			p->pos += n;
		}
	}
	if (!b.data && toml_buf_put(p, &b, "", 0, limit, what))
		goto fail;
	*out = b.data;
	return 0;
fail:
	free(b.data);
	return -1;
}

/* toml_is_bare() - may @c appear in a bare key? */
static int toml_is_bare(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* toml_parse_key() - read a bare or quoted key at the position into @out */
static int toml_parse_key(struct toml_parser *p, char **out)
{
	struct toml_buf b = {0};
	char what[24];
	size_t start;
	int c = toml_peek(p, 0);

	*out = NULL;
	if (c == '"' || c == '\'') {
		if (toml_parse_string(p, out, TOML_MAX_KEY, "quoted key"))
			return -1;
		if (!*out || !**out) {
			free(*out);
			*out = NULL;
			return toml_fail(p, p->line,
					 "empty keys are not supported");
		}
		return 0;
	}
	if (c == '[')
		return toml_fail(p, p->line,
				 "tables are not supported in profiles");
	if (c == '=')
		return toml_fail(p, p->line, "missing key before '='");
	if (c == '.')
		return toml_fail(p, p->line, "dotted keys are not supported");
	if (!toml_is_bare(c))
		return toml_fail(p, p->line, "expected a key, found %s",
				 toml_describe(c, what, sizeof(what)));

	start = p->pos;
	while (toml_is_bare(toml_peek(p, 0)))
		p->pos++;
	c = toml_peek(p, 0);
	if (c >= 0 && c != ' ' && c != '\t' && c != '=' && c != '.' &&
	    c != '#' && !toml_newline_len(p))
		return toml_fail(
			p, p->line,
			"invalid character %s in bare key (only A-Z a-z 0-9 _ - are allowed; quote other keys)",
			toml_describe(c, what, sizeof(what)));
	if (toml_buf_put(p, &b, p->s + start, p->pos - start, TOML_MAX_KEY,
			 "key"))
		return -1;
	*out = b.data;
	return 0;
}

/* toml_match() - does the token @t of @n bytes equal the string @s? */
static int toml_match(const char *t, size_t n, const char *s)
{
	return strlen(s) == n && !memcmp(t, s, n);
}

/* toml_shown() - copy of the value token @t of @n bytes for messages
 * Tokens hold only printable ASCII; long ones are cut and end in "...".
 */
static const char *toml_shown(const char *t, size_t n, char *buf, size_t len)
{
	if (n < len) {
		memcpy(buf, t, n);
		buf[n] = '\0';
	} else {
		memcpy(buf, t, len - 4);
		memcpy(buf + len - 4, "...", 4);
	}
	return buf;
}

/* toml_digits() - convert @n digits of @s in @base, with TOML underscores
 * Underscores must sit between two digits. Fails if the value exceeds @max.
 * @shown is the whole token as messages show it.
 */
static int toml_digits(struct toml_parser *p, const char *s, size_t n,
		       unsigned int base, unsigned long long max,
		       unsigned long long *out, const char *shown)
{
	unsigned long long acc = 0;
	int prev_digit = 0, d;
	size_t i;

	if (n == 0)
		return toml_fail(p, p->line, "invalid integer '%s'", shown);
	for (i = 0; i < n; i++) {
		if (s[i] == '_') {
			if (!prev_digit || i + 1 == n)
				return toml_fail(
					p, p->line,
					"invalid integer '%s': underscores must sit between digits",
					shown);
			prev_digit = 0;
			continue;
		}
		d = toml_hex_value(s[i]);
		if (d < 0 || (unsigned int)d >= base)
			return toml_fail(p, p->line, "invalid integer '%s'",
					 shown);
		if (acc > (max - (unsigned int)d) / base)
			return toml_fail(
				p, p->line,
				"integer '%s' is out of range (64-bit signed)",
				shown);
		acc = acc * base + (unsigned int)d;
		prev_digit = 1;
	}
	*out = acc;
	return 0;
}

/* toml_is_digit() - is @c an ASCII decimal digit? */
static int toml_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* toml_parse_number() - classify and convert a token that starts like a
 * number (a digit or a sign): integers are accepted; floats, dates and
 * times are recognised and refused by name
 */
static int toml_parse_number(struct toml_parser *p, const char *t, size_t n,
			     struct toml_value *v)
{
	const unsigned long long pos_max = LLONG_MAX;
	const unsigned long long neg_max = (unsigned long long)LLONG_MAX + 1;
	unsigned long long acc = 0;
	unsigned int base = 10;
	const char *r = t;
	size_t rn = n, i;
	char shown[80];
	int neg = 0;

	toml_shown(t, n, shown, sizeof(shown));
	if (r[0] == '+' || r[0] == '-') {
		neg = r[0] == '-';
		r++;
		rn--;
	}
	if (toml_match(r, rn, "inf") || toml_match(r, rn, "nan"))
		return toml_fail(p, p->line, "floats are not supported");
	if (memchr(r, ':', rn) ||
	    (rn >= 5 && toml_is_digit(r[0]) && toml_is_digit(r[1]) &&
	     toml_is_digit(r[2]) && toml_is_digit(r[3]) && r[4] == '-'))
		return toml_fail(p, p->line,
				 "dates and times are not supported");
	if (rn >= 2 && r[0] == '0' &&
	    (r[1] == 'x' || r[1] == 'o' || r[1] == 'b')) {
		if (r != t)
			return toml_fail(
				p, p->line,
				"invalid integer '%s': hex, octal and binary integers cannot have a sign",
				shown);
		base = r[1] == 'x' ? 16 : r[1] == 'o' ? 8 : 2;
		if (toml_digits(p, r + 2, rn - 2, base, pos_max, &acc, shown))
			return -1;
		v->type = TOML_INT;
		v->integer = (long long)acc;
		return 0;
	}
	for (i = 0; i < rn; i++) {
		if (r[i] == '.' || r[i] == 'e' || r[i] == 'E')
			return toml_fail(p, p->line,
					 "floats are not supported");
	}
	if (rn > 1 && r[0] == '0' && (toml_is_digit(r[1]) || r[1] == '_'))
		return toml_fail(
			p, p->line,
			"invalid integer '%s': leading zeros are not allowed",
			shown);
	if (toml_digits(p, r, rn, base, neg ? neg_max : pos_max, &acc, shown))
		return -1;
	v->type = TOML_INT;
	if (neg)
		v->integer = acc == neg_max ? LLONG_MIN : -(long long)acc;
	else
		v->integer = (long long)acc;
	return 0;
}

/* toml_is_token() - may @c appear in a bare value token (number, bool)? */
static int toml_is_token(int c)
{
	return toml_is_bare(c) || c == '+' || c == '.' || c == ':';
}

/* toml_parse_scalar() - read a boolean or integer token */
static int toml_parse_scalar(struct toml_parser *p, struct toml_value *v)
{
	const char *t = (const char *)p->s + p->pos;
	char what[80];
	size_t n = 0;

	while (toml_is_token(toml_peek(p, n)))
		n++;
	if (n == 0)
		return toml_fail(
			p, p->line, "expected a value, found %s",
			toml_describe(toml_peek(p, 0), what, sizeof(what)));
	if (toml_match(t, n, "true") || toml_match(t, n, "false")) {
		v->type = TOML_BOOL;
		v->boolean = t[0] == 't';
	} else if (toml_is_digit(t[0]) || t[0] == '+' || t[0] == '-') {
		if (toml_parse_number(p, t, n, v))
			return -1;
	} else if (toml_match(t, n, "inf") || toml_match(t, n, "nan")) {
		return toml_fail(p, p->line, "floats are not supported");
	} else {
		return toml_fail(p, p->line,
				 "invalid value '%s' (strings must be quoted)",
				 toml_shown(t, n, what, sizeof(what)));
	}
	p->pos += n;
	return 0;
}

/* toml_skip_trivia() - inside an array: skip white space, comments and
 * newlines; fails only on a bad comment or a stray carriage return
 */
static int toml_skip_trivia(struct toml_parser *p)
{
	size_t nl;

	for (;;) {
		toml_skip_ws(p);
		if (toml_peek(p, 0) == '#' && toml_skip_comment(p))
			return -1;
		nl = toml_newline_len(p);
		if (!nl)
			break;
		p->pos += nl;
		p->line++;
	}
	if (toml_peek(p, 0) == '\r')
		return toml_fail(p, p->line,
				 "carriage return not followed by a line feed");
	return 0;
}

/* toml_array_add() - append the string @s to the array value @v */
static int toml_array_add(struct toml_parser *p, struct toml_value *v, char *s,
			  size_t *cap)
{
	char **ni;
	size_t nc;

	if (v->n_items >= TOML_MAX_ITEMS) {
		free(s);
		return toml_fail(p, p->line,
				 "array has too many items (limit %u)",
				 TOML_MAX_ITEMS);
	}
	/* keep room for the NULL terminator */
	if (v->n_items + 2 > *cap) {
		nc = *cap * 2;
		ni = realloc(v->items, nc * sizeof(*ni));
		if (!ni) {
			free(s);
			return toml_fail(p, p->line, "out of memory");
		}
		v->items = ni;
		*cap = nc;
	}
	v->items[v->n_items++] = s;
	v->items[v->n_items] = NULL;
	return 0;
}

/* toml_parse_array() - read an array of strings at its '['
 * On failure the items read so far stay in @v for the caller to free.
 */
static int toml_parse_array(struct toml_parser *p, struct toml_value *v)
{
	int open_line = p->line, c;
	size_t cap = 0;
	char what[24];
	char *s;

	v->type = TOML_ARRAY;
	v->items = calloc(8, sizeof(*v->items)); /* NULL terminated */
	if (!v->items)
		return toml_fail(p, p->line, "out of memory");
	cap = 8;
	p->pos++; /* '[' */
	for (;;) {
		if (toml_skip_trivia(p))
			return -1;
		c = toml_peek(p, 0);
		if (c < 0)
			break;
		if (c == ']') {
			p->pos++;
			return 0;
		}
		if (c == ',')
			return toml_fail(
				p, p->line,
				"unexpected ',' in array (expected a string or ']')");
		if (c == '[')
			return toml_fail(p, p->line,
					 "nested arrays are not supported");
		if (c == '{')
			return toml_fail(p, p->line,
					 "inline tables are not supported");
		if (c != '"' && c != '\'')
			return toml_fail(p, p->line,
					 "arrays may hold only strings");
		if (toml_parse_string(p, &s, TOML_MAX_VALUE, "string"))
			return -1;
		if (toml_array_add(p, v, s, &cap))
			return -1;

		if (toml_skip_trivia(p))
			return -1;
		c = toml_peek(p, 0);
		if (c < 0)
			break;
		if (c == ',') {
			p->pos++;
			continue;
		}
		if (c == ']') {
			p->pos++;
			return 0;
		}
		return toml_fail(
			p, p->line,
			"expected ',' or ']' after array item, found %s",
			toml_describe(c, what, sizeof(what)));
	}
	return toml_fail(p, open_line, "unterminated array (no closing ']')");
}

/* toml_parse_value() - read the value after '=' into @v
 * On failure @v may hold partial allocations; toml_value_free() them.
 */
static int toml_parse_value(struct toml_parser *p, struct toml_value *v)
{
	int c = toml_peek(p, 0);

	if (c < 0 || c == '#' || c == '\n' || c == '\r')
		return toml_fail(p, p->line, "missing value after '='");
	if (c == '"' || c == '\'') {
		v->type = TOML_STRING;
		return toml_parse_string(p, &v->str, TOML_MAX_VALUE, "string");
	}
	if (c == '[')
		return toml_parse_array(p, v);
	if (c == '{')
		return toml_fail(p, p->line, "inline tables are not supported");
	return toml_parse_scalar(p, v);
}

/* toml_value_free() - release what @v owns and clear it */
static void toml_value_free(struct toml_value *v)
{
	size_t i;

	free(v->str);
	if (v->items) {
		for (i = 0; i < v->n_items; i++)
			free(v->items[i]);
		free(v->items);
	}
	memset(v, 0, sizeof(*v));
}

/* toml_hash() - FNV-1a hash of the C string @s */
static size_t toml_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (s &&
	       *s) { /* keys are never NULL; this keeps the analyser sure */
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ull;
	}
	return (size_t)h;
}

/* toml_find_key() - index of the entry named @key, or -1 */
static long toml_find_key(const struct toml_parser *p, const char *key)
{
	size_t mask, i, e;

	if (!p->n_slots || !key)
		return -1;
	mask = p->n_slots - 1;
	for (i = toml_hash(key) & mask; (e = p->slots[i]); i = (i + 1) & mask) {
		if (!strcmp(p->entries[e - 1].key, key))
			return (long)(e - 1);
	}
	return -1;
}

/* toml_index_insert() - put entry @idx into the hash table (room assured) */
static void toml_index_insert(struct toml_parser *p, size_t idx)
{
	size_t mask = p->n_slots - 1;
	size_t i = toml_hash(p->entries[idx].key) & mask;

	while (p->slots[i])
		i = (i + 1) & mask;
	p->slots[i] = idx + 1;
}

/* toml_add_entry() - append an entry, taking ownership of @key and @v */
static int toml_add_entry(struct toml_parser *p, char *key, int line,
			  struct toml_value *v)
{
	struct toml_entry *ne;
	size_t nc, i, *ns;

	if (p->n_entries >= TOML_MAX_ENTRIES)
		return toml_fail(p, line, "too many keys (limit %u)",
				 TOML_MAX_ENTRIES);
	if (p->n_entries == p->cap_entries) {
		nc = p->cap_entries ? p->cap_entries * 2 : 16;
		ne = realloc(p->entries, nc * sizeof(*ne));
		if (!ne)
			return toml_fail(p, line, "out of memory");
		p->entries = ne;
		p->cap_entries = nc;
	}
	/* keep the hash table at most half full */
	if (2 * (p->n_entries + 1) > p->n_slots) {
		nc = p->n_slots ? p->n_slots * 2 : 32;
		ns = calloc(nc, sizeof(*ns));
		if (!ns)
			return toml_fail(p, line, "out of memory");
		free(p->slots);
		p->slots = ns;
		p->n_slots = nc;
		for (i = 0; i < p->n_entries; i++)
			toml_index_insert(p, i);
	}
	ne = &p->entries[p->n_entries];
	ne->key = key;
	ne->line = line;
	ne->value = *v;
	memset(v, 0, sizeof(*v));
	toml_index_insert(p, p->n_entries++);
	return 0;
}

/* toml_parse_entry() - read one "key = value" line, newline included */
static int toml_parse_entry(struct toml_parser *p)
{
	struct toml_value v = {0};
	int line = p->line, c;
	char *key = NULL;
	char what[24];
	long first;

	if (toml_parse_key(p, &key))
		return -1;
	p->key = key;

	toml_skip_ws(p);
	c = toml_peek(p, 0);
	if (c == '.') {
		toml_fail(p, p->line, "dotted keys are not supported");
		goto fail;
	}
	if (c != '=') {
		if (c < 0 || c == '#' || c == '\n' || c == '\r')
			toml_fail(p, p->line, "missing '=' after key");
		else
			toml_fail(p, p->line,
				  "expected '=' after key, found %s",
				  toml_describe(c, what, sizeof(what)));
		goto fail;
	}
	first = toml_find_key(p, key);
	if (first >= 0) {
		toml_fail(p, line, "duplicate key (first set on line %d)",
			  p->entries[first].line);
		goto fail;
	}
	p->pos++; /* '=' */
	toml_skip_ws(p);
	if (toml_parse_value(p, &v) || toml_end_line(p))
		goto fail;
	if (toml_add_entry(p, key, line, &v))
		goto fail;
	p->key = NULL;
	return 0;
fail:
	toml_value_free(&v);
	p->key = NULL;
	free(key);
	return -1;
}

/* toml_parse_lines() - the top-level loop over the lines of the input */
static int toml_parse_lines(struct toml_parser *p)
{
	size_t nl;
	int c;

	if (p->len >= 3 && p->s[0] == 0xef && p->s[1] == 0xbb &&
	    p->s[2] == 0xbf)
		p->pos = 3; /* UTF-8 byte order mark */
	for (;;) {
		toml_skip_ws(p);
		c = toml_peek(p, 0);
		if (c < 0)
			return 0;
		nl = toml_newline_len(p);
		if (nl) {
			p->pos += nl;
			p->line++;
		} else if (c == '#') {
			if (toml_end_line(p))
				return -1;
		} else if (c == '\r') {
			return toml_fail(
				p, p->line,
				"carriage return not followed by a line feed");
		} else if (toml_parse_entry(p)) {
			return -1;
		}
	}
}

/* toml_parse() - parse @len bytes of @text into @doc; see toml.h */
int toml_parse(const char *text, size_t len, struct toml_doc *doc,
	       struct toml_error *err)
{
	struct toml_parser p = {0};
	struct toml_doc tmp;
	int ret;

	p.s = (const unsigned char *)text;
	p.len = len;
	p.line = 1;
	if (!text && len)
		ret = toml_fail(&p, 0, "no input");
	else if (len > TOML_MAX_INPUT)
		ret = toml_fail(&p, 1, "input is larger than %u bytes",
				TOML_MAX_INPUT);
	else if (!doc)
		ret = toml_fail(&p, 0, "no document to fill");
	else
		ret = toml_parse_lines(&p);

	free(p.slots);
	tmp.entries = p.entries;
	tmp.n_entries = p.n_entries;
	if (ret) {
		toml_doc_free(&tmp);
		tmp.entries = NULL;
	} else if (!tmp.n_entries) {
		free(tmp.entries);
		tmp.entries = NULL;
	}
	if (doc)
		*doc = tmp;
	if (err)
		*err = p.err;
	return ret;
}

/* toml_doc_free() - release everything toml_parse() allocated */
void toml_doc_free(struct toml_doc *doc)
{
	size_t i;

	if (!doc)
		return;
	for (i = 0; i < doc->n_entries; i++) {
		free(doc->entries[i].key);
		toml_value_free(&doc->entries[i].value);
	}
	free(doc->entries);
	doc->entries = NULL;
	doc->n_entries = 0;
}
