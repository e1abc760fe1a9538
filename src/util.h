/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * util.h - small helpers every part of childflow may use
 */
#ifndef CHILDFLOW_UTIL_H
#define CHILDFLOW_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Exit statuses of SPEC.md §1 */
#define EXIT_USAGE	 2   /* usage or validation error */
#define EXIT_CHILDFLOW	 125 /* childflow itself failed */
#define EXIT_CANNOT_EXEC 126 /* the command cannot be executed */
#define EXIT_NOT_FOUND	 127 /* the command was not found */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define ASSERT(x)                                                 \
	do {                                                      \
		if (!(x))                                         \
			util_assert_fail(#x, __FILE__, __LINE__); \
	} while (0)

/* util_err() - print "childflow: " and a formatted message on stderr */
void util_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* die() - util_err(), then exit with @status: for setup failures only */
void die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

void util_assert_fail(const char *expr, const char *file, int line)
	__attribute__((noreturn));

/* util_errf() - format a reason for a caller's error buffer @err (of
 * @errlen bytes; either may be NULL/0, then nothing is written)
 */
void util_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* util_is_space() - ASCII white space, independent of the locale */
static inline bool util_is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Allocation that cannot fail: out of memory ends the run (status 125) */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* NULL-terminated string vectors */
size_t strv_len(char *const *v);
char **strv_dup(char *const *v, size_t n);
void strv_push(char ***v, size_t *n, const char *s);
void strv_free(char **v);

/* path_join_normalize() - lexically join @base and @rel (@rel wins when it
 * is absolute) and clean the result: "//" and "." dropped, ".." removed
 * with the component before it. Returns a new string.
 */
char *path_join_normalize(const char *base, const char *rel);

/* path_dirname() - the folder of @path as a new string ("." for none) */
char *path_dirname(const char *path);

/* path_absolute() - @path made absolute against the current directory */
char *path_absolute(const char *path);

#endif /* CHILDFLOW_UTIL_H */
