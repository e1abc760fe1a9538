/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * sniff.h - the host name a TCP connection's first bytes ask for
 *
 * The flow log's `sni` and `http_host` (SPEC §3 additions): the engine
 * looks once at the first segment the tree sends on a connection and
 * takes the TLS ClientHello's server_name, or the Host header of a plain
 * HTTP request. Pure functions over hostile bytes; nothing is copied
 * unless it is a well-formed host name, lower-cased.
 */
#ifndef CHILDFLOW_ENGINE_SNIFF_H
#define CHILDFLOW_ENGINE_SNIFF_H

#include <stddef.h>
#include <stdint.h>

/* Room for the longest name sniff_*() writes, NUL included */
#define SNIFF_NAME_MAX 254

enum sniff_kind {
	SNIFF_NONE,
	SNIFF_TLS_SNI,	 /* @name is the ClientHello's server_name */
	SNIFF_HTTP_HOST, /* @name is the Host header, without its port */
};

/* sniff_host() - what host do the first bytes @data (@len) of a connection
 * name? Looks for a TLS ClientHello with a server_name extension, then for
 * an HTTP/1.x request with a Host header, both wholly inside @data.
 * @name (SNIFF_NAME_MAX bytes) gets the name, lower-cased, when one is
 * found and is a valid host name (letters, digits, '-', '_' and dots,
 * 1-253 bytes) or, for HTTP, an IP literal.
 * Return: which kind was found; SNIFF_NONE leaves @name empty
 */
enum sniff_kind sniff_host(const uint8_t *data, size_t len, char *name);

#endif
