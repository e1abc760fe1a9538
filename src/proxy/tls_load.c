/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * tls_load.c - tls.h for childflow itself: the TLS client lives in
 * childflow-tls.so, loaded the first time a TLS context is made
 *
 * Only an https:// proxy needs OpenSSL, and linking it into childflow
 * made every run's start-up about 0.7 ms slower (libssl and libcrypto
 * mapped and relocated before main()). So childflow links this loader
 * instead of tls.c, and tls_ctx_new() dlopen()s the module (see
 * tls_ops.h): first next to the running executable (a build directory),
 * then in the directory it was installed to (TLS_MODULE_DIR). A module
 * that is missing, cannot be loaded, or was built from other sources is
 * an error of tls_ctx_new(), which the engine turns into a refused run
 * (fail closed): never a proxy connection without TLS.
 *
 * Every other function is reached only through a context or connection
 * that tls_ctx_new() made, so the table is there.
 */
#include "proxy/tls_ops.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef TLS_MODULE_DIR
#error "TLS_MODULE_DIR: the directory childflow-tls.so is installed to"
#endif

static const struct tls_ops *tls_ops;

/* tls_load_from() - load the module at @path
 * Return: 0, or -1 with the reason in @err
 */
static int tls_load_from(const char *path, char *err, size_t errlen)
{
	const struct tls_ops *(*get)(void);
	const struct tls_ops *ops;
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(err, errlen, "%s", dlerror());
		return -1;
	}
	*(void **)(&get) = dlsym(h, TLS_MODULE_SYMBOL);
	ops = get ? get() : NULL;
	if (!ops || ops->version != TLS_OPS_VERSION ||
	    ops->size != sizeof(struct tls_ops)) {
		snprintf(err, errlen,
			 "%s was built from another version of childflow",
			 path);
		dlclose(h);
		return -1;
	}
	tls_ops = ops; /* kept loaded for the rest of the run */
	return 0;
}

/* tls_load() - the module, next to the executable or where installed
 * Return: 0, or -1 with one line in @err
 */
static int tls_load(char *err, size_t errlen)
{
	char exe[PATH_MAX], path[PATH_MAX + sizeof(TLS_MODULE_FILE)];
	char why[PATH_MAX + sizeof(TLS_MODULE_FILE) + 64];
	ssize_t n;
	char *slash;

	if (tls_ops)
		return 0;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(path, sizeof(path), "%s/%s", exe,
				 TLS_MODULE_FILE);
			if (access(path, F_OK) == 0)
				goto load;
		}
	}
	snprintf(path, sizeof(path), "%s/%s", TLS_MODULE_DIR, TLS_MODULE_FILE);
load:
	if (tls_load_from(path, why, sizeof(why))) {
		snprintf(
			err, errlen,
			"TLS to an https:// proxy needs childflow's TLS module, which cannot be loaded: %s (reinstall childflow)",
			why);
		return -1;
	}
	return 0;
}

struct tls_ctx *tls_ctx_new(const struct config *cfg, char *err, size_t errlen)
{
	if (tls_load(err, errlen))
		return NULL;
	return tls_ops->ctx_new(cfg, err, errlen);
}

void tls_ctx_free(struct tls_ctx *ctx)
{
	if (ctx)
		tls_ops->ctx_free(ctx);
}

struct tls_conn *tls_conn_new(struct tls_ctx *ctx, int fd, const char *host)
{
	return tls_ops->conn_new(ctx, fd, host);
}

enum tls_result tls_conn_handshake(struct tls_conn *c)
{
	return tls_ops->conn_handshake(c);
}

enum tls_result tls_conn_read(struct tls_conn *c, void *buf, size_t len,
			      size_t *got)
{
	return tls_ops->conn_read(c, buf, len, got);
}

enum tls_result tls_conn_write(struct tls_conn *c, const void *buf, size_t len,
			       size_t *taken)
{
	return tls_ops->conn_write(c, buf, len, taken);
}

size_t tls_conn_unsent(const struct tls_conn *c)
{
	return tls_ops->conn_unsent(c);
}

size_t tls_conn_pending(const struct tls_conn *c)
{
	return tls_ops->conn_pending(c);
}

bool tls_conn_has_pending(const struct tls_conn *c)
{
	return tls_ops->conn_has_pending(c);
}

enum tls_result tls_conn_shutdown(struct tls_conn *c)
{
	return tls_ops->conn_shutdown(c);
}

const char *tls_conn_error(const struct tls_conn *c, const char **detail)
{
	return tls_ops->conn_error(c, detail);
}

const char *tls_conn_info(const struct tls_conn *c, char *buf, size_t len)
{
	return tls_ops->conn_info(c, buf, len);
}

void tls_conn_free(struct tls_conn *c)
{
	if (c)
		tls_ops->conn_free(c);
}

bool tls_host_is_ip(const char *host)
{
	unsigned char a[16];

	/* pure: no module needed (the same test as tls.c's) */
	return host && (inet_pton(AF_INET, host, a) == 1 ||
			inet_pton(AF_INET6, host, a) == 1);
}
