/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * util.c - messages, allocation and path helpers
 */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* util_verr() - the one place that formats messages for the user */
__attribute__((format(printf, 1, 0))) static void util_verr(const char *fmt,
							    va_list ap)
{
	fputs("childflow: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void util_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	util_verr(fmt, ap);
	va_end(ap);
}

void die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	util_verr(fmt, ap);
	va_end(ap);
	exit(status);
}

void util_assert_fail(const char *expr, const char *file, int line)
{
	fprintf(stderr,
		"childflow: internal error: %s:%d: assertion '%s' failed\n",
		file, line, expr);
	abort();
}

void util_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die(EXIT_CHILDFLOW, "out of memory");
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die(EXIT_CHILDFLOW, "out of memory");
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die(EXIT_CHILDFLOW, "out of memory");
	return p;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		die(EXIT_CHILDFLOW, "out of memory");
	return d;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0)
		die(EXIT_CHILDFLOW, "out of memory");
	return s;
}

size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

char **strv_dup(char *const *v, size_t n)
{
	char **d = xcalloc(n + 1, sizeof(*d));
	size_t i;

	for (i = 0; i < n; i++)
		d[i] = xstrdup(v[i]);
	return d;
}

void strv_push(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 2) * sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
	(*v)[*n] = NULL;
}

void strv_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

char *path_join_normalize(const char *base, const char *rel)
{
	char *joined, *out, *tok, *save = NULL;
	size_t *starts, n = 0, len;

	if (rel[0] == '/' || !base || !*base)
		joined = xstrdup(rel);
	else
		joined = xasprintf("%s/%s", base, rel);

	len = strlen(joined);
	out = xcalloc(len + 2, 1);
	starts = xcalloc(len + 1, sizeof(*starts));
	if (joined[0] == '/')
		out[0] = '/';

	/* Walk the components, keeping a stack of where each one starts in
	 * @out so that ".." can pop the previous one. A relative path keeps
	 * leading ".." components it cannot pop.
	 */
	for (tok = strtok_r(joined, "/", &save); tok;
	     tok = strtok_r(NULL, "/", &save)) {
		size_t cur = strlen(out);

		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..") && n &&
		    strcmp(out + starts[n - 1], "..") != 0) {
			out[starts[--n]] = '\0';
			cur = strlen(out);
			if (cur > 1 && out[cur - 1] == '/')
				out[cur - 1] = '\0';
			continue;
		}
		if (!strcmp(tok, "..") && out[0] == '/')
			continue; /* "/.." is "/" */
		if (cur && out[cur - 1] != '/')
			out[cur++] = '/';
		starts[n++] = cur;
		memcpy(out + cur, tok, strlen(tok) + 1);
	}
	if (!out[0])
		memcpy(out, ".", 2);

	free(starts);
	free(joined);
	return out;
}

char *path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d;

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	d = xstrdup(path);
	d[slash - path] = '\0';
	return d;
}

char *path_absolute(const char *path)
{
	char *cwd, *abs;

	if (path[0] == '/')
		return path_join_normalize(NULL, path);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		die(EXIT_CHILDFLOW, "cannot read the current directory: %s",
		    strerror(errno));
	abs = path_join_normalize(cwd, path);
	free(cwd);
	return abs;
}
