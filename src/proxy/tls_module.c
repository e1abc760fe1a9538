/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * tls_module.c - what childflow-tls.so exports: tls.c as one table
 *
 * The module is built with hidden visibility, so that tls.c's functions
 * never interpose on childflow's loader of the same names (tls_load.c);
 * only childflow_tls_ops() is visible.
 */
#include "proxy/tls_ops.h"

static const struct tls_ops tls_module_ops = {
	.version = TLS_OPS_VERSION,
	.size = sizeof(struct tls_ops),
	.ctx_new = tls_ctx_new,
	.ctx_free = tls_ctx_free,
	.conn_new = tls_conn_new,
	.conn_handshake = tls_conn_handshake,
	.conn_read = tls_conn_read,
	.conn_write = tls_conn_write,
	.conn_unsent = tls_conn_unsent,
	.conn_pending = tls_conn_pending,
	.conn_has_pending = tls_conn_has_pending,
	.conn_shutdown = tls_conn_shutdown,
	.conn_error = tls_conn_error,
	.conn_info = tls_conn_info,
	.conn_free = tls_conn_free,
	.host_is_ip = tls_host_is_ip,
};

__attribute__((visibility("default"))) const struct tls_ops *
childflow_tls_ops(void)
{
	return &tls_module_ops;
}
