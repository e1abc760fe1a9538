/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * names.c - domain names as users write them in rules
 *
 * A rule names a host by its DNS name in the usual letters-digits-hyphen
 * form. We are forgiving about what is harmless (surrounding white space,
 * trailing dots, upper case) and strict about everything else, so that a
 * misspelt rule is an error that names the bad label instead of a rule that
 * never matches.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "policy/names.h"
#include "util.h"

#define DOMAIN_LABEL_MAX 63

/* Labels longer than this are shown shortened, with "..." */
#define DOMAIN_SHOW_MAX	 24
#define DOMAIN_SHOW_HEAD 20

/* domain_lower() - ASCII lower case, independent of the locale */
static char domain_lower(char c)
{
	if (c >= 'A' && c <= 'Z')
		return (char)(c - 'A' + 'a');
	return c;
}

/* domain_is_ldh() - is @c (already lower case) a letter, digit or '-'? */
static bool domain_is_ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* domain_show_label() - a printable, possibly shortened copy of a label for
 * use in a reason: bytes outside printable ASCII become '?', and a label
 * longer than DOMAIN_SHOW_MAX bytes is cut and ends in "...".
 * @buf must hold DOMAIN_SHOW_MAX + 1 bytes.
 */
static void domain_show_label(const char *p, size_t n, char *buf)
{
	size_t i, shown = n > DOMAIN_SHOW_MAX ? DOMAIN_SHOW_HEAD : n;

	for (i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)p[i];

		buf[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (shown < n) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
}

/* domain_check_label() - validate one label of @n bytes at @p (n >= 1)
 * Return: 0, or -1 with a reason naming the label in @err.
 */
static int domain_check_label(const char *p, size_t n, char *err, size_t errlen)
{
	char show[DOMAIN_SHOW_MAX + 1];
	bool bad = false, non_ascii = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!domain_is_ldh(domain_lower(p[i])))
			bad = true;
		if ((unsigned char)p[i] >= 0x80)
			non_ascii = true;
	}
	if (bad) {
		domain_show_label(p, n, show);
		util_errf(
			err, errlen,
			"label '%s' may hold only a-z, 0-9 and '-'%s", show,
			non_ascii
				? " (write international names in their xn-- form)"
				: "");
		return -1;
	}
	if (n > DOMAIN_LABEL_MAX) {
		domain_show_label(p, n, show);
		util_errf(err, errlen, "label '%s' is longer than %d bytes",
			  show, DOMAIN_LABEL_MAX);
		return -1;
	}
	if (p[0] == '-' || p[n - 1] == '-') {
		domain_show_label(p, n, show);
		util_errf(err, errlen,
			  "label '%s' must not start or end with '-'", show);
		return -1;
	}
	return 0;
}

/* domain_wildcard_err() - explain that "*.example.com" is written
 * "example.com", when the part after "*." is itself a valid name.
 * @rest: what follows "*.", NUL-terminated
 */
static void domain_wildcard_err(const char *rest, char *err, size_t errlen)
{
	char name[DOMAIN_MAX + 1];

	if (rest && !strchr(rest, '*') &&
	    domain_normalize(rest, name, NULL, 0) == 0)
		util_errf(
			err, errlen,
			"wildcards are not supported, write '%s' to match it and its subdomains",
			name);
	else
		util_errf(err, errlen, "wildcards ('*') are not supported");
}

/* domain_normalize() - trim, drop trailing dots, lower-case and validate
 * (see names.h). @out is written only on success.
 */
int domain_normalize(const char *in, char *out, char *err, size_t errlen)
{
	const char *start, *end, *label, *p;
	size_t i, n;

	if (!in || !out) {
		util_errf(err, errlen, "empty domain");
		return -1;
	}
	start = in;
	while (util_is_space(*start))
		start++;
	end = start + strlen(start);
	while (end > start && util_is_space(end[-1]))
		end--;
	while (end > start && end[-1] == '.')
		end--;
	if (end == start) {
		util_errf(err, errlen, "empty domain");
		return -1;
	}
	n = (size_t)(end - start);

	if (memchr(start, '*', n)) {
		domain_wildcard_err(
			start[0] == '*' && start[1] == '.' ? start + 2 : NULL,
			err, errlen);
		return -1;
	}
	if (start[0] == '.') {
		util_errf(err, errlen, "domain must not start with a dot");
		return -1;
	}

	label = start;
	for (p = start;; p++) {
		if (p < end && *p != '.')
			continue;
		if (p == label) {
			util_errf(
				err, errlen,
				"domain has an empty label (two dots in a row)");
			return -1;
		}
		if (domain_check_label(label, (size_t)(p - label), err, errlen))
			return -1;
		if (p == end)
			break;
		label = p + 1;
	}
	if (n > DOMAIN_MAX) {
		util_errf(err, errlen, "domain is longer than %d bytes",
			  DOMAIN_MAX);
		return -1;
	}

	for (i = 0; i < n; i++)
		out[i] = domain_lower(start[i]);
	out[n] = '\0';
	return 0;
}

/* domain_matches() - @name equals @rule or, unless @exact, ends in "." @rule
 * Both are expected in domain_normalize() form; the comparison is bytewise.
 */
bool domain_matches(const char *name, const char *rule, bool exact)
{
	size_t nl, rl;

	if (!name || !rule)
		return false;
	if (strcmp(name, rule) == 0)
		return true;
	if (exact)
		return false;
	nl = strlen(name);
	rl = strlen(rule);
	if (rl == 0 || nl <= rl + 1)
		return false;
	return name[nl - rl - 1] == '.' &&
	       memcmp(name + nl - rl, rule, rl) == 0;
}
