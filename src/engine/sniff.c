/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * sniff.c - the host name a TCP connection's first bytes ask for
 *
 * Two readers over the first segment the tree sends, both bounded by the
 * bytes at hand and by every length field on the way:
 *
 *  - TLS (RFC 8446 §4.1.2, RFC 6066 §3): a handshake record holding a
 *    ClientHello; walk session id, cipher suites, compression methods and
 *    the extensions to server_name (type 0), and take its first host_name
 *    entry. A ClientHello split over records or segments is not followed:
 *    clients write it at once, and the tree's MTU holds it whole.
 *  - HTTP/1.x (RFC 9112 §3.2): a request line with a known method and an
 *    HTTP version, then header lines up to the blank line or the end of
 *    the segment; the first Host header, trimmed, its port removed.
 *
 * What is taken must look like a host name; anything else is ignored, so
 * a tree cannot put arbitrary bytes into the flow log this way.
 */
#include "engine/sniff.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#define TLS_RECORD_HANDSHAKE 0x16
#define TLS_HS_CLIENT_HELLO  0x01
#define TLS_EXT_SERVER_NAME  0x0000
#define TLS_SNI_HOST_NAME    0x00

/* A cursor over bytes that may end anywhere */
struct rd {
	const uint8_t *p;
	size_t left;
};

static bool rd_skip(struct rd *r, size_t n)
{
	if (r->left < n)
		return false;
	r->p += n;
	r->left -= n;
	return true;
}

static bool rd_u8(struct rd *r, size_t *v)
{
	if (r->left < 1)
		return false;
	*v = r->p[0];
	return rd_skip(r, 1);
}

static bool rd_u16(struct rd *r, size_t *v)
{
	if (r->left < 2)
		return false;
	*v = (size_t)r->p[0] << 8 | r->p[1];
	return rd_skip(r, 2);
}

static bool rd_u24(struct rd *r, size_t *v)
{
	if (r->left < 3)
		return false;
	*v = (size_t)r->p[0] << 16 | (size_t)r->p[1] << 8 | r->p[2];
	return rd_skip(r, 3);
}

/* rd_sub() - the next @n bytes as their own cursor, or as many as there
 * are when @partial (a length that runs past the segment)
 */
static bool rd_sub(struct rd *r, size_t n, bool partial, struct rd *sub)
{
	if (r->left < n) {
		if (!partial)
			return false;
		n = r->left;
	}
	sub->p = r->p;
	sub->left = n;
	return rd_skip(r, n);
}

/* sniff_copy_name() - @len bytes at @s into @name, lower-cased, when they
 * form a host name: 1-253 bytes of letters, digits, '-', '_' and '.'
 * (with @colons, also ':' for an IPv6 literal)
 */
static bool sniff_copy_name(const uint8_t *s, size_t len, bool colons,
			    char *name)
{
	size_t i;

	if (len == 0 || len > SNIFF_NAME_MAX - 1)
		return false;
	for (i = 0; i < len; i++) {
		uint8_t c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || (colons && c == ':')))
			return false;
		name[i] = (char)c;
	}
	name[len] = '\0';
	return true;
}

/* sniff_tls() - the server_name of a ClientHello at @data */
static bool sniff_tls(const uint8_t *data, size_t len, char *name)
{
	struct rd r = {data, len}, rec, hello, exts, ext, list;
	size_t type, v, n;

	if (!rd_u8(&r, &type) || type != TLS_RECORD_HANDSHAKE ||
	    !rd_u8(&r, &v) || v != 3 || !rd_skip(&r, 1) || !rd_u16(&r, &n) ||
	    !rd_sub(&r, n, true, &rec))
		return false;
	if (!rd_u8(&rec, &type) || type != TLS_HS_CLIENT_HELLO ||
	    !rd_u24(&rec, &n) || !rd_sub(&rec, n, true, &hello))
		return false;
	/* legacy_version, random, session id, suites, compression */
	if (!rd_skip(&hello, 2 + 32) || !rd_u8(&hello, &n) ||
	    !rd_skip(&hello, n) || !rd_u16(&hello, &n) || !rd_skip(&hello, n) ||
	    !rd_u8(&hello, &n) || !rd_skip(&hello, n) || !rd_u16(&hello, &n) ||
	    !rd_sub(&hello, n, true, &exts))
		return false;
	while (rd_u16(&exts, &type) && rd_u16(&exts, &n)) {
		if (!rd_sub(&exts, n, false, &ext))
			return false;
		if (type != TLS_EXT_SERVER_NAME)
			continue;
		if (!rd_u16(&ext, &n) || !rd_sub(&ext, n, false, &list))
			return false;
		while (rd_u8(&list, &type) && rd_u16(&list, &n)) {
			const uint8_t *s = list.p;

			if (!rd_skip(&list, n))
				return false;
			if (type == TLS_SNI_HOST_NAME)
				return sniff_copy_name(s, n, false, name);
		}
		return false;
	}
	return false;
}

/* sniff_line() - the next line of @r (without CR LF) into @line */
static bool sniff_line(struct rd *r, struct rd *line)
{
	const uint8_t *nl = memchr(r->p, '\n', r->left);
	size_t n;

	if (!nl)
		return false;
	n = (size_t)(nl - r->p);
	line->p = r->p;
	line->left = n && nl[-1] == '\r' ? n - 1 : n;
	return rd_skip(r, n + 1);
}

static bool sniff_http_request_line(const struct rd *line)
{
	static const char *const methods[] = {
		"GET ",	    "HEAD ",  "POST ",	"PUT ",	    "DELETE ",
		"OPTIONS ", "PATCH ", "TRACE ", "CONNECT ",
	};
	size_t i, m;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		m = strlen(methods[i]);
		if (line->left >= m && !memcmp(line->p, methods[i], m))
			break;
	}
	if (i == sizeof(methods) / sizeof(methods[0]))
		return false;
	/* ... request-target SP HTTP/1.x */
	return line->left >= m + 10 &&
	       !memcmp(line->p + line->left - 9, " HTTP/1.", 8);
}

/* sniff_http() - the Host header of an HTTP/1.x request at @data */
static bool sniff_http(const uint8_t *data, size_t len, char *name)
{
	struct rd r = {data, len}, line;
	const uint8_t *v, *end;

	if (!sniff_line(&r, &line) || !sniff_http_request_line(&line))
		return false;
	while (sniff_line(&r, &line) && line.left > 0) {
		if (line.left < 5 ||
		    strncasecmp((const char *)line.p, "host:", 5) != 0)
			continue;
		v = line.p + 5;
		end = line.p + line.left;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (v < end && *v == '[') { /* [v6]:port */
			const uint8_t *close =
				memchr(v, ']', (size_t)(end - v));

			if (!close)
				return false;
			return sniff_copy_name(v + 1, (size_t)(close - v - 1),
					       true, name);
		}
		{
			const uint8_t *colon =
				memchr(v, ':', (size_t)(end - v));

			if (colon)
				end = colon;
		}
		return sniff_copy_name(v, (size_t)(end - v), false, name);
	}
	return false;
}

enum sniff_kind sniff_host(const uint8_t *data, size_t len, char *name)
{
	name[0] = '\0';
	if (sniff_tls(data, len, name))
		return SNIFF_TLS_SNI;
	name[0] = '\0';
	if (sniff_http(data, len, name))
		return SNIFF_HTTP_HOST;
	name[0] = '\0';
	return SNIFF_NONE;
}
