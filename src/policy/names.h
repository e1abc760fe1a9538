/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * names.h - domain names as users write them in rules
 */
#ifndef CHILDFLOW_NAMES_H
#define CHILDFLOW_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#define DOMAIN_MAX 253

/* domain_normalize() - trim white space, drop trailing dots, lower-case, and
 * validate: labels of [a-z0-9-], 1 to 63 bytes, not starting or ending with
 * '-'; at most 253 bytes in all. Wildcards ("*.example.com") are rejected
 * with a hint to write "example.com", which matches subdomains already.
 * @out must hold DOMAIN_MAX + 1 bytes and is written only on success.
 * Return: 0, or -1 with a reason in @err (e.g. "label 'a_b' may hold only
 * a-z, 0-9 and '-'").
 */
int domain_normalize(const char *in, char *out, char *err, size_t errlen);

/* domain_matches() - is @name (normalised) @rule or, unless @exact, a
 * subdomain of @rule? "a.example.com" is under "example.com",
 * "badexample.com" is not.
 */
bool domain_matches(const char *name, const char *rule, bool exact);

#endif /* CHILDFLOW_NAMES_H */
