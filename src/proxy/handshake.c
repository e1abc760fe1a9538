/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * handshake.c - upstream proxy handshakes as pure, incremental state machines
 *
 * Theory of operation
 * ===================
 *
 * The engine connects a non-blocking host socket to the proxy (and, for an
 * https:// proxy, runs TLS over it); this file only decides which bytes go
 * to the proxy and what the proxy's bytes mean. It never reads or writes a
 * socket and never allocates: struct proxy_hs is fixed-size and lives in the
 * flow while it connects. The child's SYN stays unanswered until the result
 * is PROXY_HS_DONE.
 *
 * Every request the handshake will ever send is built at init, once, into
 * hs->out; [out_off, out_lim) is the part that may be written now. A reply
 * opens the next part by moving out_lim (or out_off, to skip a part). Replies
 * are read byte by byte, so a reply split anywhere across feeds parses the
 * same as one fed whole, and the handshake always knows the exact byte where
 * the proxy's reply ends: whatever follows it in the same buffer is the
 * tunnel's first payload, and is never consumed.
 *
 * HTTP CONNECT (http:// and https://), one round trip:
 *
 *	write	CONNECT host:port HTTP/1.1 CRLF Host: host:port CRLF
 *		[Proxy-Authorization: Basic base64(user:pass) CRLF] CRLF
 *	read	HTTP_STATUS   the status line, checked as "HTTP/1.x NNN" and
 *			      kept (printable, cut to fit) as the error detail
 *		HTTP_HEADERS  header lines, not interpreted, until an empty
 *			      line (CRLF CRLF, or a bare LF LF)
 *	A 1xx reply other than 101 is interim: its blank line leads back to
 *	HTTP_STATUS. 2xx means the tunnel is up; no body follows a 2xx to
 *	CONNECT, whatever the headers say (RFC 9110 §9.3.6). Everything read
 *	counts against PROXY_HS_HTTP_REPLY_MAX. A CR must be followed by LF.
 *
 *	Status to result (HTTP cannot say why the proxy failed to connect, so
 *	the status code alone decides):
 *	    2xx				done
 *	    401, 407			proxy_auth_failed
 *	    502 Bad Gateway,		refused: Squid, Apache, Privoxy, HAProxy
 *	    503 Service Unavailable	and nginx answer one of these when the
 *					target did not accept the connection,
 *					and a refused connect is what the
 *					child would have seen without a proxy
 *	    504 Gateway Timeout		timeout
 *	    101, malformed		proxy_protocol
 *	    any other (3xx, 4xx such as 403, 5xx such as 500)  proxy_refused
 *	tinyproxy (the lab's proxy) answers "500 Unable to connect" for every
 *	failed connect, so through it a closed port logs proxy_refused; the
 *	detail keeps its reason phrase.
 *
 * SOCKS5 (socks5:// and socks5h://; RFC 1928, RFC 1929), up to three round
 * trips, each reply parsed with exact lengths:
 *
 *	write	05 01 00		no authentication, or with credentials
 *		05 02 00 02		also username/password
 *	read	S5_METHOD  VER METHOD	VER 05; METHOD 00, 02 (only when
 *					offered) or FF (none acceptable)
 *	write	01 ULEN USER PLEN PASS	only when 02 was chosen
 *	read	S5_AUTH    VER STATUS	VER 01 (05 accepted: some servers send
 *					it); STATUS 00 or auth failed
 *	write	05 01 00 ATYP DST.ADDR DST.PORT
 *					ATYP 01 IPv4, 04 IPv6, 03 a name
 *					(socks5h, --proxy-dns)
 *	read	S5_REPLY   VER REP RSV ATYP
 *		S5_ALEN    LEN		ATYP 03 only
 *		S5_ADDR    BND.ADDR BND.PORT	4, 16 or LEN bytes, then 2
 *	A non-zero REP ends the handshake as soon as it is read (a proxy that
 *	refuses often sends nothing sensible after it): 01 general failure,
 *	02 ruleset, 07 command and 08 address type not supported, and
 *	unassigned codes are proxy_refused; 03 network and 04 host
 *	unreachable are unreachable; 05 is refused; 06 TTL expired timeout.
 *
 * A reply that completes while part of the request it answers is still
 * unsent is a protocol error: the tunnel must not start with our own
 * leftovers. An EOF before any byte of the awaited reply is proxy_refused
 * (proxies such as dante drop clients they will not serve); an EOF inside
 * one is proxy_protocol.
 *
 * Secrets: the request bytes hold the credentials (raw for SOCKS5, base64
 * for HTTP). They are wiped the moment the result is known. The one piece
 * of proxy-chosen text that reaches a log is the HTTP reason phrase; before
 * it becomes the detail it is searched for the password and the base64
 * credentials, and withheld when either (or the start of one, at a cut) is
 * in it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proxy/handshake.h"

enum proxy_hs_kind {
	PROXY_HS_HTTP,
	PROXY_HS_SOCKS5,
};

enum proxy_hs_state {
	PROXY_HS_ST_HTTP_STATUS,
	PROXY_HS_ST_HTTP_HEADERS,
	PROXY_HS_ST_S5_METHOD,
	PROXY_HS_ST_S5_AUTH,
	PROXY_HS_ST_S5_REPLY,
	PROXY_HS_ST_S5_ALEN,
	PROXY_HS_ST_S5_ADDR,
	PROXY_HS_ST_END,
};

#define PROXY_HS_S5_VER	      0x05
#define PROXY_HS_S5_AUTH_VER  0x01
#define PROXY_HS_S5_NO_AUTH   0x00
#define PROXY_HS_S5_USERPASS  0x02
#define PROXY_HS_S5_NO_METHOD 0xff
#define PROXY_HS_S5_CMD_CONN  0x01
#define PROXY_HS_S5_ATYP_IPV4 0x01
#define PROXY_HS_S5_ATYP_NAME 0x03
#define PROXY_HS_S5_ATYP_IPV6 0x04
#define PROXY_HS_HTTP_PREFIX  "HTTP/1."
#define PROXY_HS_STATUS_MIN   12 /* "HTTP/1.1 200" */
#define PROXY_HS_REDACT_MIN   4	 /* shortest secret start hidden at a cut */
#define PROXY_HS_WITHHELD     " [reason withheld]"

/* Offsets into out are 16 bits; the SOCKS5 messages fit where HTTP does */
_Static_assert(PROXY_HS_OUT_MAX <= UINT16_MAX, "out offsets are 16 bits");
_Static_assert(4 + 3 + 2 * PROXY_HS_CRED_MAX + 4 + 1 + PROXY_HS_NAME_MAX + 2 <=
		       PROXY_HS_OUT_MAX,
	       "SOCKS5 messages fit in out");
_Static_assert(PROXY_HS_DETAIL_MAX > PROXY_HS_STATUS_MIN + 20,
	       "a status line and the withheld marker fit in detail");

/* A parsed target: an address, or a name for the proxy to resolve */
struct proxy_hs_target {
	int family; /* AF_INET, AF_INET6, or 0 for a name */
	uint8_t addr[16];
	const char *name;
	size_t name_len;
	uint16_t port;
};

/* A bounded writer into hs->out */
struct proxy_hs_buf {
	uint8_t *p;
	size_t len, size;
};

static const char proxy_hs_b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t proxy_hs_base64(const uint8_t *in, size_t len, char *out, size_t size)
{
	size_t need, i, o = 0;
	uint32_t v;

	if (!out || !size)
		return 0;
	out[0] = '\0';
	if (len > (SIZE_MAX - 3) / 4 * 3 - 3)
		return 0;
	need = PROXY_HS_B64_LEN(len);
	if (size < need + 1 || (len && !in))
		return 0;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = proxy_hs_b64_alphabet[(v >> 18) & 0x3f];
		out[o++] = proxy_hs_b64_alphabet[(v >> 12) & 0x3f];
		out[o++] = proxy_hs_b64_alphabet[(v >> 6) & 0x3f];
		out[o++] = proxy_hs_b64_alphabet[v & 0x3f];
	}
	if (len - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = proxy_hs_b64_alphabet[(v >> 18) & 0x3f];
		out[o++] = proxy_hs_b64_alphabet[(v >> 12) & 0x3f];
		out[o++] = '=';
		out[o++] = '=';
	} else if (len - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = proxy_hs_b64_alphabet[(v >> 18) & 0x3f];
		out[o++] = proxy_hs_b64_alphabet[(v >> 12) & 0x3f];
		out[o++] = proxy_hs_b64_alphabet[(v >> 6) & 0x3f];
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

/* proxy_hs_put() - append @n bytes to @b; a short buffer only sets len past
 * size, which proxy_hs_init() checks once at the end
 */
static void proxy_hs_put(struct proxy_hs_buf *b, const void *s, size_t n)
{
	if (b->len <= b->size && n <= b->size - b->len)
		memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* proxy_hs_puts() - append a C string */
static void proxy_hs_puts(struct proxy_hs_buf *b, const char *s)
{
	proxy_hs_put(b, s, strlen(s));
}

/* proxy_hs_putc() - append one byte */
static void proxy_hs_putc(struct proxy_hs_buf *b, uint8_t c)
{
	proxy_hs_put(b, &c, 1);
}

/* proxy_hs_name_ok() - is @s (of @len bytes) a host name we may pass on?
 * Letters, digits, '-', '_' and '.': what a DNS name the engine learnt can
 * hold, and nothing that could break the CONNECT line or the Host header.
 */
static bool proxy_hs_name_ok(const char *s, size_t len)
{
	size_t i;

	if (!len || len > PROXY_HS_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return false;
	}
	return true;
}

/* proxy_hs_target() - parse @host/@port into @t
 * Return: 0, or -EINVAL
 */
static int proxy_hs_target(const char *host, uint16_t port, bool by_name,
			   struct proxy_hs_target *t)
{
	memset(t, 0, sizeof(*t));
	if (!port)
		return -EINVAL;
	t->port = port;
	if (inet_pton(AF_INET, host, t->addr) == 1) {
		t->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, host, t->addr) == 1) {
		t->family = AF_INET6;
		return 0;
	}
	t->name_len = strnlen(host, PROXY_HS_NAME_MAX + 1);
	if (!by_name || !proxy_hs_name_ok(host, t->name_len))
		return -EINVAL;
	t->name = host;
	return 0;
}

/* proxy_hs_creds() - the checks behind proxy_hs_init() and
 * proxy_hs_check_creds(); @why gets a reason without the password
 * Return: 0, -E2BIG or -EINVAL
 */
static int proxy_hs_creds(bool http, const char *user, const char *password,
			  const char **why)
{
	if (!user)
		return 0;
	if (strnlen(user, PROXY_HS_CRED_MAX + 1) > PROXY_HS_CRED_MAX) {
		*why = "the proxy user name is longer than 255 bytes";
		return -E2BIG;
	}
	if (password &&
	    strnlen(password, PROXY_HS_CRED_MAX + 1) > PROXY_HS_CRED_MAX) {
		*why = "the proxy password is longer than 255 bytes";
		return -E2BIG;
	}
	if (http && strchr(user, ':')) {
		*why = "the proxy user name holds ':', which HTTP Basic authentication cannot carry";
		return -EINVAL;
	}
	return 0;
}

int proxy_hs_check_creds(enum proxy_scheme scheme, const char *user,
			 const char *password, char *err, size_t errlen)
{
	const char *why = "";
	bool http = scheme == PROXY_HTTP || scheme == PROXY_HTTPS;

	if (!proxy_hs_creds(http, user, password, &why))
		return 0;
	if (err && errlen)
		snprintf(err, errlen, "%s", why);
	return -1;
}

/* proxy_hs_http_host() - "host:port" of @t into @out (room for
 * PROXY_HS_HOSTPORT_MAX + 1), IPv6 in brackets
 */
static void proxy_hs_http_host(const struct proxy_hs_target *t, char *out,
			       size_t size)
{
	char ip[INET6_ADDRSTRLEN] = "";

	if (t->family)
		inet_ntop(t->family, t->addr, ip, sizeof(ip));
	if (t->family == AF_INET6)
		snprintf(out, size, "[%s]:%u", ip, (unsigned int)t->port);
	else if (t->family == AF_INET)
		snprintf(out, size, "%s:%u", ip, (unsigned int)t->port);
	else
		snprintf(out, size, "%.*s:%u", (int)t->name_len, t->name,
			 (unsigned int)t->port);
}

/* proxy_hs_build_http() - the CONNECT request into hs->out
 * Return: its length (> PROXY_HS_OUT_MAX only if the bounds are wrong)
 */
static size_t proxy_hs_build_http(struct proxy_hs *hs,
				  const struct proxy_hs_target *t,
				  const char *user, const char *password)
{
	struct proxy_hs_buf b = {hs->out, 0, sizeof(hs->out)};
	uint8_t cred[2 * PROXY_HS_CRED_MAX + 1];
	char b64[PROXY_HS_B64_LEN(sizeof(cred)) + 1];
	char hp[PROXY_HS_HOSTPORT_MAX + 1];
	size_t ulen, plen, n;

	proxy_hs_http_host(t, hp, sizeof(hp));
	proxy_hs_puts(&b, "CONNECT ");
	proxy_hs_puts(&b, hp);
	proxy_hs_puts(&b, " HTTP/1.1\r\nHost: ");
	proxy_hs_puts(&b, hp);
	proxy_hs_puts(&b, "\r\n");
	if (hs->has_auth) {
		ulen = strlen(user);
		plen = strlen(password);
		memcpy(cred, user, ulen);
		cred[ulen] = ':';
		memcpy(cred + ulen + 1, password, plen);
		n = proxy_hs_base64(cred, ulen + 1 + plen, b64, sizeof(b64));
		explicit_bzero(cred, sizeof(cred));
		proxy_hs_puts(&b, "Proxy-Authorization: Basic ");
		hs->b64_off = (uint16_t)b.len;
		hs->b64_len = (uint16_t)n;
		proxy_hs_put(&b, b64, n);
		explicit_bzero(b64, sizeof(b64));
		proxy_hs_puts(&b, "\r\n");
		memcpy(hs->pw, password, plen);
		hs->pw_len = (uint8_t)plen;
	}
	proxy_hs_puts(&b, "\r\n");
	return b.len;
}

/* proxy_hs_build_socks5() - greeting, username/password message and
 * CONNECT request, one after the other, into hs->out
 * Return: the length of all three
 */
static size_t proxy_hs_build_socks5(struct proxy_hs *hs,
				    const struct proxy_hs_target *t,
				    const char *user, const char *password)
{
	struct proxy_hs_buf b = {hs->out, 0, sizeof(hs->out)};
	size_t ulen, plen;

	proxy_hs_putc(&b, PROXY_HS_S5_VER);
	if (hs->has_auth) {
		proxy_hs_putc(&b, 2);
		proxy_hs_putc(&b, PROXY_HS_S5_NO_AUTH);
		proxy_hs_putc(&b, PROXY_HS_S5_USERPASS);
	} else {
		proxy_hs_putc(&b, 1);
		proxy_hs_putc(&b, PROXY_HS_S5_NO_AUTH);
	}

	hs->out_auth = (uint16_t)b.len;
	if (hs->has_auth) {
		ulen = strlen(user);
		plen = strlen(password);
		proxy_hs_putc(&b, PROXY_HS_S5_AUTH_VER);
		proxy_hs_putc(&b, (uint8_t)ulen);
		proxy_hs_put(&b, user, ulen);
		proxy_hs_putc(&b, (uint8_t)plen);
		proxy_hs_put(&b, password, plen);
	}

	hs->out_conn = (uint16_t)b.len;
	proxy_hs_putc(&b, PROXY_HS_S5_VER);
	proxy_hs_putc(&b, PROXY_HS_S5_CMD_CONN);
	proxy_hs_putc(&b, 0);
	if (t->family == AF_INET) {
		proxy_hs_putc(&b, PROXY_HS_S5_ATYP_IPV4);
		proxy_hs_put(&b, t->addr, 4);
	} else if (t->family == AF_INET6) {
		proxy_hs_putc(&b, PROXY_HS_S5_ATYP_IPV6);
		proxy_hs_put(&b, t->addr, 16);
	} else {
		proxy_hs_putc(&b, PROXY_HS_S5_ATYP_NAME);
		proxy_hs_putc(&b, (uint8_t)t->name_len);
		proxy_hs_put(&b, t->name, t->name_len);
	}
	proxy_hs_putc(&b, (uint8_t)(t->port >> 8));
	proxy_hs_putc(&b, (uint8_t)(t->port & 0xff));
	return b.len;
}

/* proxy_hs_init_err() - a failed init: the handshake reads as ended with
 * proxy_protocol and @why as its detail, so a caller that logs it anyway
 * logs something true
 * Return: @ret
 */
static int proxy_hs_init_err(struct proxy_hs *hs, int ret, const char *why)
{
	snprintf(hs->detail, sizeof(hs->detail), "cannot start: %s", why);
	return ret;
}

int proxy_hs_init(struct proxy_hs *hs, const struct proxy_uri *proxy,
		  const char *user, const char *password,
		  const char *target_host, uint16_t target_port, bool by_name)
{
	struct proxy_hs_target t;
	const char *why = "";
	size_t len;
	bool http;
	int ret;

	if (!hs)
		return -EINVAL;
	memset(hs, 0, sizeof(*hs));
	hs->state = PROXY_HS_ST_END;
	hs->result = PROXY_HS_PROTOCOL;
	if (!proxy || !target_host)
		return proxy_hs_init_err(hs, -EINVAL, "no proxy or target");
	switch (proxy->scheme) {
	case PROXY_HTTP:
	case PROXY_HTTPS:
		http = true;
		break;
	case PROXY_SOCKS5:
	case PROXY_SOCKS5H:
		http = false;
		break;
	default:
		return proxy_hs_init_err(hs, -EINVAL, "unknown proxy scheme");
	}
	ret = proxy_hs_creds(http, user, password, &why);
	if (ret)
		return proxy_hs_init_err(hs, ret, why);
	ret = proxy_hs_target(target_host, target_port, by_name, &t);
	if (ret)
		return proxy_hs_init_err(
			hs, ret,
			target_port
				? "target is not an IP address or an allowed host name"
				: "target port 0");

	if (!password)
		password = "";
	hs->has_auth = user && (*user || *password);
	if (http) {
		hs->kind = PROXY_HS_HTTP;
		len = proxy_hs_build_http(hs, &t, user, password);
	} else {
		hs->kind = PROXY_HS_SOCKS5;
		len = proxy_hs_build_socks5(hs, &t, user, password);
	}
	if (len > sizeof(hs->out)) { /* the bounds in handshake.h are wrong */
		proxy_hs_wipe(hs);
		return proxy_hs_init_err(hs, -E2BIG, "request too long");
	}
	hs->out_end = (uint16_t)len;
	hs->result = PROXY_HS_MORE;
	if (http) {
		hs->state = PROXY_HS_ST_HTTP_STATUS;
		hs->out_lim = hs->out_end;
	} else {
		hs->state = PROXY_HS_ST_S5_METHOD;
		hs->need = 2;
		hs->out_lim = hs->out_auth;
	}
	return 0;
}

void proxy_hs_wipe(struct proxy_hs *hs)
{
	explicit_bzero(hs->out, sizeof(hs->out));
	explicit_bzero(hs->pw, sizeof(hs->pw));
	hs->pw_len = 0;
	hs->b64_off = hs->b64_len = 0;
	hs->out_off = hs->out_lim = hs->out_auth = hs->out_conn = 0;
	hs->out_end = 0;
}

size_t proxy_hs_pending(const struct proxy_hs *hs, const uint8_t **out)
{
	if (out)
		*out = NULL;
	if (hs->result != PROXY_HS_MORE || hs->out_off >= hs->out_lim)
		return 0;
	if (out)
		*out = hs->out + hs->out_off;
	return (size_t)(hs->out_lim - hs->out_off);
}

void proxy_hs_wrote(struct proxy_hs *hs, size_t n)
{
	size_t left = proxy_hs_pending(hs, NULL);

	if (n > left)
		n = left;
	hs->out_off = (uint16_t)(hs->out_off + n);
}

/* proxy_hs_finish() - end the handshake with @r and wipe the request
 * Also clears detail past its end: a shorter detail written over a kept
 * status line must not leave the rest of that line (which may hold the
 * password) in memory.
 */
static enum proxy_hs_result proxy_hs_finish(struct proxy_hs *hs,
					    enum proxy_hs_result r)
{
	size_t n = strnlen(hs->detail, sizeof(hs->detail) - 1);

	explicit_bzero(hs->detail + n, sizeof(hs->detail) - n);
	hs->result = (uint8_t)r;
	hs->state = PROXY_HS_ST_END;
	proxy_hs_wipe(hs);
	return r;
}

/* proxy_hs_fail() - end with error @r and a detail of our own making */
__attribute__((format(printf, 3, 4))) static enum proxy_hs_result
proxy_hs_fail(struct proxy_hs *hs, enum proxy_hs_result r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(hs->detail, sizeof(hs->detail), fmt, ap);
	va_end(ap);
	return proxy_hs_finish(hs, r);
}

/* proxy_hs_sent() - a reply just completed: was all it answers sent? If
 * not, the proxy answered a request it had not seen whole.
 * Return: PROXY_HS_MORE if so, or the protocol error
 */
static enum proxy_hs_result proxy_hs_sent(struct proxy_hs *hs)
{
	if (hs->out_off >= hs->out_lim)
		return PROXY_HS_MORE;
	return proxy_hs_fail(hs, PROXY_HS_PROTOCOL,
			     "proxy replied before the whole request was sent");
}

/* proxy_hs_secret_at() - does a secret of @slen bytes start at @i of the
 * kept status line? Whole, or, where the line was cut, its first
 * PROXY_HS_REDACT_MIN bytes or more at the end.
 */
static bool proxy_hs_secret_at(const struct proxy_hs *hs, size_t i,
			       const uint8_t *secret, size_t slen)
{
	size_t m = hs->line_len - i;

	if (m > slen)
		m = slen;
	if (!slen || memcmp(hs->detail + i, secret, m) != 0)
		return false;
	return m == slen || (hs->line_cut && m >= PROXY_HS_REDACT_MIN);
}

/* proxy_hs_redact() - withhold the reason phrase of the kept status line if
 * the password or the base64 credentials are in it. Called before the
 * request (where the base64 form lives) is wiped.
 */
static void proxy_hs_redact(struct proxy_hs *hs)
{
	const uint8_t *b64 = hs->out + hs->b64_off;
	size_t i;

	for (i = PROXY_HS_STATUS_MIN; i < hs->line_len; i++) {
		if (proxy_hs_secret_at(hs, i, hs->pw, hs->pw_len) ||
		    proxy_hs_secret_at(hs, i, b64, hs->b64_len)) {
			snprintf(hs->detail + PROXY_HS_STATUS_MIN,
				 sizeof(hs->detail) - PROXY_HS_STATUS_MIN, "%s",
				 PROXY_HS_WITHHELD);
			hs->line_len = (uint16_t)strlen(hs->detail);
			return;
		}
	}
}

/* proxy_hs_http_status() - check the status line kept in detail and set
 * hs->status
 * Return: PROXY_HS_MORE, or the protocol error
 */
static enum proxy_hs_result proxy_hs_http_status(struct proxy_hs *hs)
{
	const char *l = hs->detail;
	unsigned int code;

	hs->detail[hs->line_len] = '\0';
	if (hs->line_len < PROXY_HS_STATUS_MIN ||
	    strncmp(l, PROXY_HS_HTTP_PREFIX, 7) != 0 || l[7] < '0' ||
	    l[7] > '9' || l[8] != ' ' || l[9] < '0' || l[9] > '9' ||
	    l[10] < '0' || l[10] > '9' || l[11] < '0' || l[11] > '9' ||
	    (l[12] != '\0' && l[12] != ' '))
		return proxy_hs_fail(hs, PROXY_HS_PROTOCOL,
				     "HTTP proxy reply: malformed status line");
	code = (unsigned int)(l[9] - '0') * 100 +
	       (unsigned int)(l[10] - '0') * 10 + (unsigned int)(l[11] - '0');
	if (code < 100 || code > 599)
		return proxy_hs_fail(hs, PROXY_HS_PROTOCOL,
				     "HTTP proxy reply: status %u out of range",
				     code);
	if (code == 101)
		return proxy_hs_fail(
			hs, PROXY_HS_PROTOCOL,
			"HTTP proxy reply: unexpected 101 to CONNECT");
	hs->status = (uint16_t)code;
	return PROXY_HS_MORE;
}

/* proxy_hs_http_code() - the result of a final HTTP status (see the top) */
static enum proxy_hs_result proxy_hs_http_code(unsigned int code)
{
	if (code >= 200 && code <= 299)
		return PROXY_HS_DONE;
	switch (code) {
	case 401: /* tinyproxy's answer to wrong credentials */
	case 407:
		return PROXY_HS_AUTH_FAILED;
	case 502:
	case 503:
		return PROXY_HS_REFUSED;
	case 504:
		return PROXY_HS_TIMEOUT;
	default:
		return PROXY_HS_PROXY_REFUSED;
	}
}

/* proxy_hs_http_end() - the blank line after a reply's headers was read */
static enum proxy_hs_result proxy_hs_http_end(struct proxy_hs *hs)
{
	enum proxy_hs_result r;

	if (hs->status < 200) { /* interim: the real reply follows */
		hs->state = PROXY_HS_ST_HTTP_STATUS;
		hs->line_len = 0;
		hs->line_cut = 0;
		hs->status = 0;
		hs->detail[0] = '\0';
		return PROXY_HS_MORE;
	}
	r = proxy_hs_http_code(hs->status);
	if (r == PROXY_HS_DONE) {
		if (proxy_hs_sent(hs) != PROXY_HS_MORE)
			return (enum proxy_hs_result)hs->result;
		hs->detail[0] = '\0';
		return proxy_hs_finish(hs, r);
	}
	/* The status line is the detail: trimmed, and without secrets */
	while (hs->line_len > PROXY_HS_STATUS_MIN &&
	       hs->detail[hs->line_len - 1] == ' ')
		hs->line_len--;
	hs->detail[hs->line_len] = '\0';
	proxy_hs_redact(hs);
	return proxy_hs_finish(hs, r);
}

/* proxy_hs_http_byte() - one byte of an HTTP reply */
static enum proxy_hs_result proxy_hs_http_byte(struct proxy_hs *hs, uint8_t c)
{
	bool eol = false;

	if (++hs->got > PROXY_HS_HTTP_REPLY_MAX)
		return proxy_hs_fail(hs, PROXY_HS_PROTOCOL,
				     "HTTP proxy reply: header over %u bytes",
				     PROXY_HS_HTTP_REPLY_MAX);
	if (hs->cr) {
		if (c != '\n')
			return proxy_hs_fail(
				hs, PROXY_HS_PROTOCOL,
				"HTTP proxy reply: CR not followed by LF");
		hs->cr = 0;
		eol = true;
	} else if (c == '\r') {
		hs->cr = 1;
		return PROXY_HS_MORE;
	} else if (c == '\n') {
		eol = true;
	}

	if (hs->state == PROXY_HS_ST_HTTP_STATUS) {
		if (eol) {
			if (proxy_hs_http_status(hs) != PROXY_HS_MORE)
				return (enum proxy_hs_result)hs->result;
			hs->state = PROXY_HS_ST_HTTP_HEADERS;
			hs->bol = 1;
			return PROXY_HS_MORE;
		}
		/* Not HTTP at all (a SOCKS server, TLS, garbage): say so now
		 * instead of after 16 KiB
		 */
		if (hs->line_len < 7 &&
		    c != (uint8_t)PROXY_HS_HTTP_PREFIX[hs->line_len])
			return proxy_hs_fail(
				hs, PROXY_HS_PROTOCOL,
				"not an HTTP reply (byte %u is 0x%02x)",
				(unsigned int)hs->line_len, c);
		if (hs->line_len < sizeof(hs->detail) - 1) {
			if (c == '\t')
				c = ' ';
			else if (c < 0x20 || c > 0x7e)
				c = '?';
			hs->detail[hs->line_len++] = (char)c;
		} else {
			hs->line_cut = 1;
		}
		return PROXY_HS_MORE;
	}

	/* PROXY_HS_ST_HTTP_HEADERS: only line ends matter */
	if (!eol) {
		hs->bol = 0;
		return PROXY_HS_MORE;
	}
	if (hs->bol)
		return proxy_hs_http_end(hs);
	hs->bol = 1;
	return PROXY_HS_MORE;
}

/* proxy_hs_s5_rep() - result and text of a SOCKS5 reply code */
static enum proxy_hs_result proxy_hs_s5_rep(uint8_t rep, const char **text)
{
	switch (rep) {
	case 0x01:
		*text = "general SOCKS server failure";
		return PROXY_HS_PROXY_REFUSED;
	case 0x02:
		*text = "connection not allowed by ruleset";
		return PROXY_HS_PROXY_REFUSED;
	case 0x03:
		*text = "network unreachable";
		return PROXY_HS_NET_UNREACHABLE;
	case 0x04:
		*text = "host unreachable";
		return PROXY_HS_HOST_UNREACHABLE;
	case 0x05:
		*text = "connection refused";
		return PROXY_HS_REFUSED;
	case 0x06:
		*text = "TTL expired";
		return PROXY_HS_TIMEOUT;
	case 0x07:
		*text = "command not supported";
		return PROXY_HS_PROXY_REFUSED;
	case 0x08:
		*text = "address type not supported";
		return PROXY_HS_PROXY_REFUSED;
	default:
		*text = "unassigned";
		return PROXY_HS_PROXY_REFUSED;
	}
}

/* proxy_hs_s5_method() - the method selection reply is complete */
static enum proxy_hs_result proxy_hs_s5_method(struct proxy_hs *hs)
{
	uint8_t ver = hs->head[0], method = hs->head[1];

	if (ver != PROXY_HS_S5_VER)
		return proxy_hs_fail(
			hs, PROXY_HS_PROTOCOL,
			"SOCKS5 method reply version 0x%02x, expected 0x05",
			ver);
	if (method == PROXY_HS_S5_NO_METHOD)
		return proxy_hs_fail(
			hs, PROXY_HS_AUTH_FAILED, "%s",
			hs->has_auth
				? "SOCKS5 no acceptable method (0xff): username/password not accepted"
				: "SOCKS5 no acceptable method (0xff): the proxy may need a user and password");
	if (method != PROXY_HS_S5_NO_AUTH &&
	    !(method == PROXY_HS_S5_USERPASS && hs->has_auth))
		return proxy_hs_fail(
			hs, PROXY_HS_PROTOCOL,
			"SOCKS5 proxy chose method 0x%02x, which was not offered",
			method);
	if (proxy_hs_sent(hs) != PROXY_HS_MORE)
		return (enum proxy_hs_result)hs->result;
	hs->got = 0;
	if (method == PROXY_HS_S5_USERPASS) {
		hs->state = PROXY_HS_ST_S5_AUTH;
		hs->need = 2;
		hs->out_off = hs->out_auth;
		hs->out_lim = hs->out_conn;
	} else {
		hs->state = PROXY_HS_ST_S5_REPLY;
		hs->need = 4;
		hs->out_off = hs->out_conn;
		hs->out_lim = hs->out_end;
	}
	return PROXY_HS_MORE;
}

/* proxy_hs_s5_auth() - the username/password status reply is complete */
static enum proxy_hs_result proxy_hs_s5_auth(struct proxy_hs *hs)
{
	uint8_t ver = hs->head[0], status = hs->head[1];

	/* RFC 1929 says 0x01; some servers answer with the SOCKS version */
	if (ver != PROXY_HS_S5_AUTH_VER && ver != PROXY_HS_S5_VER)
		return proxy_hs_fail(
			hs, PROXY_HS_PROTOCOL,
			"SOCKS5 auth reply version 0x%02x, expected 0x01", ver);
	if (status)
		return proxy_hs_fail(
			hs, PROXY_HS_AUTH_FAILED,
			"SOCKS5 username/password rejected (status 0x%02x)",
			status);
	if (proxy_hs_sent(hs) != PROXY_HS_MORE)
		return (enum proxy_hs_result)hs->result;
	hs->got = 0;
	hs->state = PROXY_HS_ST_S5_REPLY;
	hs->need = 4;
	hs->out_off = hs->out_conn;
	hs->out_lim = hs->out_end;
	return PROXY_HS_MORE;
}

/* proxy_hs_s5_head() - one of the first four bytes of the CONNECT reply,
 * checked as soon as it is known
 */
static enum proxy_hs_result proxy_hs_s5_head(struct proxy_hs *hs, size_t i,
					     uint8_t c)
{
	enum proxy_hs_result r;
	const char *text;

	switch (i) {
	case 0:
		if (c != PROXY_HS_S5_VER)
			return proxy_hs_fail(
				hs, PROXY_HS_PROTOCOL,
				"SOCKS5 reply version 0x%02x, expected 0x05",
				c);
		return PROXY_HS_MORE;
	case 1:
		if (!c)
			return PROXY_HS_MORE;
		r = proxy_hs_s5_rep(c, &text);
		return proxy_hs_fail(hs, r, "SOCKS5 reply 0x%02x %s", c, text);
	case 2:
		if (c)
			return proxy_hs_fail(
				hs, PROXY_HS_PROTOCOL,
				"SOCKS5 reply reserved byte 0x%02x, expected 0x00",
				c);
		return PROXY_HS_MORE;
	default:
		if (c == PROXY_HS_S5_ATYP_IPV4) {
			hs->state = PROXY_HS_ST_S5_ADDR;
			hs->need = 4 + 2;
		} else if (c == PROXY_HS_S5_ATYP_IPV6) {
			hs->state = PROXY_HS_ST_S5_ADDR;
			hs->need = 16 + 2;
		} else if (c == PROXY_HS_S5_ATYP_NAME) {
			hs->state = PROXY_HS_ST_S5_ALEN;
			hs->need = 1;
		} else {
			return proxy_hs_fail(
				hs, PROXY_HS_PROTOCOL,
				"SOCKS5 reply address type 0x%02x unknown", c);
		}
		return PROXY_HS_MORE;
	}
}

/* proxy_hs_s5_feed() - consume bytes of a SOCKS5 reply from @in
 * @used:	bytes taken so far, advanced
 */
static enum proxy_hs_result proxy_hs_s5_feed(struct proxy_hs *hs,
					     const uint8_t *in, size_t len,
					     size_t *used)
{
	enum proxy_hs_result r = PROXY_HS_MORE;
	size_t take, i;
	uint8_t c;

	while (*used < len && r == PROXY_HS_MORE) {
		if (hs->state == PROXY_HS_ST_S5_ADDR) {
			/* BND.ADDR and BND.PORT: not needed, skip them */
			take = len - *used;
			if (take > hs->need)
				take = hs->need;
			*used += take;
			hs->got += (uint32_t)take;
			hs->need = (uint16_t)(hs->need - take);
			if (!hs->need && proxy_hs_sent(hs) == PROXY_HS_MORE) {
				hs->detail[0] = '\0';
				return proxy_hs_finish(hs, PROXY_HS_DONE);
			}
			r = (enum proxy_hs_result)hs->result;
			continue;
		}

		c = in[(*used)++];
		i = hs->got++;
		if (i < sizeof(hs->head))
			hs->head[i] = c;
		hs->need--;
		switch (hs->state) {
		case PROXY_HS_ST_S5_METHOD:
			if (!hs->need)
				r = proxy_hs_s5_method(hs);
			break;
		case PROXY_HS_ST_S5_AUTH:
			if (!hs->need)
				r = proxy_hs_s5_auth(hs);
			break;
		case PROXY_HS_ST_S5_REPLY:
			r = proxy_hs_s5_head(hs, i, c);
			break;
		case PROXY_HS_ST_S5_ALEN:
			hs->state = PROXY_HS_ST_S5_ADDR;
			hs->need = (uint16_t)(c + 2);
			break;
		default:
			r = proxy_hs_fail(hs, PROXY_HS_PROTOCOL,
					  "handshake in a bad state");
			break;
		}
	}
	return r;
}

enum proxy_hs_result proxy_hs_feed(struct proxy_hs *hs, const uint8_t *in,
				   size_t len, size_t *consumed)
{
	enum proxy_hs_result r;
	size_t used = 0;

	if (consumed)
		*consumed = 0;
	if (hs->result != PROXY_HS_MORE)
		return (enum proxy_hs_result)hs->result;
	if (!in)
		len = 0;

	if (hs->kind == PROXY_HS_HTTP) {
		r = PROXY_HS_MORE;
		while (used < len && r == PROXY_HS_MORE)
			r = proxy_hs_http_byte(hs, in[used++]);
	} else {
		r = proxy_hs_s5_feed(hs, in, len, &used);
	}
	if (consumed)
		*consumed = used;
	return r;
}

/* proxy_hs_stage() - the reply being awaited, for EOF details */
static const char *proxy_hs_stage(const struct proxy_hs *hs)
{
	switch (hs->state) {
	case PROXY_HS_ST_S5_METHOD:
		return "SOCKS5 method";
	case PROXY_HS_ST_S5_AUTH:
		return "SOCKS5 username/password";
	case PROXY_HS_ST_S5_REPLY:
	case PROXY_HS_ST_S5_ALEN:
	case PROXY_HS_ST_S5_ADDR:
		return "SOCKS5 CONNECT";
	default:
		return "HTTP CONNECT";
	}
}

enum proxy_hs_result proxy_hs_eof(struct proxy_hs *hs)
{
	if (hs->result != PROXY_HS_MORE)
		return (enum proxy_hs_result)hs->result;
	if (!hs->got)
		return proxy_hs_fail(
			hs, PROXY_HS_PROXY_REFUSED,
			"proxy closed the connection before its %s reply",
			proxy_hs_stage(hs));
	return proxy_hs_fail(hs, PROXY_HS_PROTOCOL,
			     "proxy closed the connection inside its %s reply",
			     proxy_hs_stage(hs));
}

enum proxy_hs_result proxy_hs_result(const struct proxy_hs *hs)
{
	return (enum proxy_hs_result)hs->result;
}

const char *proxy_hs_result_name(enum proxy_hs_result r)
{
	switch (r) {
	case PROXY_HS_PROXY_REFUSED:
		return "proxy_refused";
	case PROXY_HS_AUTH_FAILED:
		return "proxy_auth_failed";
	case PROXY_HS_REFUSED:
		return "refused";
	case PROXY_HS_NET_UNREACHABLE:
	case PROXY_HS_HOST_UNREACHABLE:
		return "unreachable";
	case PROXY_HS_TIMEOUT:
		return "timeout";
	case PROXY_HS_PROTOCOL:
		return "proxy_protocol";
	default:
		return NULL;
	}
}

const char *proxy_hs_error_name(const struct proxy_hs *hs, const char **detail)
{
	const char *name = proxy_hs_result_name(proxy_hs_result(hs));

	if (detail)
		*detail = name ? hs->detail : "";
	return name;
}
