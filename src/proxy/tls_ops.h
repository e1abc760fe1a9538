/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * tls_ops.h - the TLS client (tls.c) as a table of functions, for the
 * module childflow loads only when it needs TLS
 *
 * OpenSSL costs every run about 0.7 ms of start-up (mapping and relocating
 * libssl and libcrypto) although only an https:// proxy uses it. So tls.c
 * is built twice: into childflow-tls.so (with tls_module.c, which exports
 * this table and nothing else), which childflow dlopen()s the first time a
 * TLS context is made (tls_load.c); and directly into the unit tests and
 * test tools. Callers see tls.h in both cases.
 */
#ifndef CHILDFLOW_PROXY_TLS_OPS_H
#define CHILDFLOW_PROXY_TLS_OPS_H

#include "proxy/tls.h"

/* The module's file name, and the one symbol it exports */
#define TLS_MODULE_FILE	  "childflow-tls.so"
#define TLS_MODULE_SYMBOL "childflow_tls_ops"

/* Bumped whenever the table or a type behind it changes: childflow refuses
 * a module built from other sources
 */
#define TLS_OPS_VERSION 1

struct tls_ops {
	unsigned int version;
	size_t size; /* sizeof(struct tls_ops), a second check */
	struct tls_ctx *(*ctx_new)(const struct config *cfg, char *err,
				   size_t errlen);
	void (*ctx_free)(struct tls_ctx *ctx);
	struct tls_conn *(*conn_new)(struct tls_ctx *ctx, int fd,
				     const char *host);
	enum tls_result (*conn_handshake)(struct tls_conn *c);
	enum tls_result (*conn_read)(struct tls_conn *c, void *buf, size_t len,
				     size_t *got);
	enum tls_result (*conn_write)(struct tls_conn *c, const void *buf,
				      size_t len, size_t *taken);
	size_t (*conn_unsent)(const struct tls_conn *c);
	size_t (*conn_pending)(const struct tls_conn *c);
	bool (*conn_has_pending)(const struct tls_conn *c);
	enum tls_result (*conn_shutdown)(struct tls_conn *c);
	const char *(*conn_error)(const struct tls_conn *c,
				  const char **detail);
	const char *(*conn_info)(const struct tls_conn *c, char *buf,
				 size_t len);
	void (*conn_free)(struct tls_conn *c);
	bool (*host_is_ip)(const char *host);
};

/* childflow_tls_ops() - the table (the module's only exported symbol) */
const struct tls_ops *childflow_tls_ops(void);

#endif /* CHILDFLOW_PROXY_TLS_OPS_H */
