/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * handshake.h - upstream proxy handshakes (HTTP CONNECT, SOCKS5) as pure,
 * incremental state machines
 *
 * Included by the engine (which owns the socket to the proxy and the TLS
 * layer for https:// proxies) and by the unit tests and the fuzz harness.
 * Nothing here does I/O or allocates: the engine writes what
 * proxy_hs_pending() offers, tells proxy_hs_wrote() how much went out, and
 * feeds whatever the proxy sends to proxy_hs_feed() until it says
 * PROXY_HS_DONE (the tunnel is up) or an error. See handshake.c for the
 * state machines.
 *
 * Typical use, per flow, on a non-blocking socket:
 *
 *	proxy_hs_init(&hs, &cfg->proxy, cfg->proxy_user, cfg->proxy_password,
 *		      "203.0.113.10", 443, false);
 *	on EPOLLOUT:  n = proxy_hs_pending(&hs, &p); w = send(fd, p, n);
 *		      proxy_hs_wrote(&hs, w);
 *	on EPOLLIN:   r = recv(fd, buf, sizeof(buf), MSG_PEEK);
 *		      res = proxy_hs_feed(&hs, buf, r, &used);
 *		      recv(fd, NULL, used, MSG_TRUNC);  (the rest is tunnel data)
 *		      r == 0: res = proxy_hs_eof(&hs);
 *	after either: write again if proxy_hs_pending() offers bytes.
 *	res == PROXY_HS_DONE: answer the child's SYN; > PROXY_HS_DONE: fail it
 *	the way proxy_hs_error_name() says, and log its code and detail.
 */
#ifndef CHILDFLOW_PROXY_HANDSHAKE_H
#define CHILDFLOW_PROXY_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy/uri.h"

/* Credentials and target names: at most 255 bytes each (SOCKS5 length
 * bytes, RFC 1928/1929; the same bound for HTTP keeps the state fixed-size)
 */
#define PROXY_HS_CRED_MAX 255
#define PROXY_HS_NAME_MAX 255

/* An HTTP reply (status line and headers, interim 1xx replies included)
 * longer than this is a protocol error
 */
#define PROXY_HS_HTTP_REPLY_MAX 16384

/* Room for an error detail, NUL included */
#define PROXY_HS_DETAIL_MAX 96

/* Base64 length of @n bytes, without the NUL */
#define PROXY_HS_B64_LEN(n) ((((size_t)(n) + 2) / 3) * 4)

/* The largest request: the HTTP CONNECT with a bracketed name-sized host
 * twice and Basic credentials of user ":" password
 */
#define PROXY_HS_HOSTPORT_MAX ((size_t)PROXY_HS_NAME_MAX + 2 + 1 + 5)
#define PROXY_HS_OUT_MAX                                     \
	(sizeof("CONNECT  HTTP/1.1\r\nHost: \r\n") - 1 +     \
	 2 * PROXY_HS_HOSTPORT_MAX +                         \
	 sizeof("Proxy-Authorization: Basic \r\n\r\n") - 1 + \
	 PROXY_HS_B64_LEN(2 * (size_t)PROXY_HS_CRED_MAX + 1))

enum proxy_hs_result {
	PROXY_HS_MORE,		   /* write what is pending, or feed more */
	PROXY_HS_DONE,		   /* the tunnel is up */
	PROXY_HS_PROXY_REFUSED,	   /* "proxy_refused" */
	PROXY_HS_AUTH_FAILED,	   /* "proxy_auth_failed" */
	PROXY_HS_REFUSED,	   /* "refused": the target refused */
	PROXY_HS_NET_UNREACHABLE,  /* "unreachable" (network) */
	PROXY_HS_HOST_UNREACHABLE, /* "unreachable" (host) */
	PROXY_HS_TIMEOUT,	   /* "timeout" */
	PROXY_HS_PROTOCOL,	   /* "proxy_protocol": the reply is broken */
};

/* struct proxy_hs - one flow's handshake; fixed size, no pointers out of
 * it. The fields are private to handshake.c. The request bytes and pw
 * (which hold credentials) are wiped as soon as the handshake ends either
 * way; call proxy_hs_wipe() when dropping one that has not ended.
 */
struct proxy_hs {
	uint8_t kind;	   /* HTTP or SOCKS5 */
	uint8_t state;	   /* which reply is being read */
	uint8_t result;	   /* enum proxy_hs_result */
	uint8_t has_auth;  /* credentials were given */
	uint8_t cr;	   /* HTTP: the last byte was a CR */
	uint8_t bol;	   /* HTTP: at the beginning of a line */
	uint8_t line_cut;  /* HTTP: the status line was longer than detail */
	uint8_t pw_len;	   /* HTTP: length of pw */
	uint8_t head[4];   /* SOCKS5: first bytes of the current reply */
	uint16_t out_off;  /* next request byte to write */
	uint16_t out_lim;  /* end of the message that may be written now */
	uint16_t out_auth; /* SOCKS5: start of the username/password message */
	uint16_t out_conn; /* SOCKS5: start of the CONNECT request */
	uint16_t out_end;  /* end of all request bytes */
	uint16_t b64_off;  /* HTTP: the Basic credentials inside out */
	uint16_t b64_len;
	uint16_t status;   /* HTTP: status code of the current reply */
	uint16_t line_len; /* HTTP: bytes of the status line kept in detail */
	uint16_t need;	   /* SOCKS5: bytes the current reply still needs */
	uint32_t got;	   /* bytes of the reply (HTTP: all replies) so far */
	char detail[PROXY_HS_DETAIL_MAX];
	uint8_t pw[PROXY_HS_CRED_MAX]; /* HTTP: to keep it out of detail */
	uint8_t out[PROXY_HS_OUT_MAX]; /* the request bytes */
};

/* proxy_hs_init() - start a handshake with @proxy for @target_host
 * @proxy:	only its scheme is used here (http/https: CONNECT; socks5,
 *		socks5h: SOCKS5); the engine connects to it and runs TLS
 * @user, @password: the effective credentials (cfg->proxy_user and
 *		cfg->proxy_password), or NULL for none. The URI's own fields
 *		are not read: config_build() wipes its password. Copied
 *		(encoded) into @hs; nothing keeps the pointers.
 * @target_host: an IPv4 or IPv6 literal (without brackets), or, with
 *		@by_name (socks5h, --proxy-dns), a host name of letters,
 *		digits, '-', '_' and '.' that the proxy resolves. An IP
 *		literal is sent as an address even with @by_name.
 * @target_port: 1..65535
 * Return: 0, -EINVAL for a NULL argument, an unknown scheme, a bad target
 * or port, or an HTTP user name holding ':' (Basic cannot carry it), or
 * -E2BIG for credentials longer than PROXY_HS_CRED_MAX. @hs is reset first,
 * so a failed init leaves nothing secret in it; it then reads as ended with
 * PROXY_HS_PROTOCOL and a detail "cannot start: <why>" (never the password).
 */
int proxy_hs_init(struct proxy_hs *hs, const struct proxy_uri *proxy,
		  const char *user, const char *password,
		  const char *target_host, uint16_t target_port, bool by_name);

/* proxy_hs_check_creds() - can these credentials be used with @scheme?
 * For config_build(), so that an unusable pair fails the run at start-up
 * instead of every connection. NULL @user means none (then 0).
 * Return: 0, or -1 with a reason in @err that never quotes the password.
 */
int proxy_hs_check_creds(enum proxy_scheme scheme, const char *user,
			 const char *password, char *err, size_t errlen);

/* proxy_hs_pending() - bytes to send to the proxy now
 * Sets *@out to them (NULL when none). None while a reply is awaited.
 * Return: how many
 */
size_t proxy_hs_pending(const struct proxy_hs *hs, const uint8_t **out);

/* proxy_hs_wrote() - @n of the pending bytes were sent (more than are
 * pending counts as all of them)
 */
void proxy_hs_wrote(struct proxy_hs *hs, size_t n);

/* proxy_hs_feed() - bytes from the proxy
 * @in, @len:	what arrived after the bytes already consumed
 * @consumed:	set to how many of them belong to the handshake. All of
 *		them while it goes on; after PROXY_HS_DONE the rest of @in is
 *		the tunnel's first payload and must go to the child; after an
 *		error the rest does not matter.
 * Once the result is not PROXY_HS_MORE it stays (and nothing more is
 * consumed). Any input is safe: lengths are checked, nothing aborts.
 * Return: PROXY_HS_MORE, PROXY_HS_DONE or an error
 */
enum proxy_hs_result proxy_hs_feed(struct proxy_hs *hs, const uint8_t *in,
				   size_t len, size_t *consumed);

/* proxy_hs_eof() - the proxy closed its side before the handshake ended
 * No reply at all (a proxy that drops clients it will not serve) is
 * proxy_refused; half a reply is proxy_protocol.
 * Return: the result, which also stays (PROXY_HS_DONE when already done)
 */
enum proxy_hs_result proxy_hs_eof(struct proxy_hs *hs);

/* proxy_hs_result() - the current result */
enum proxy_hs_result proxy_hs_result(const struct proxy_hs *hs);

/* proxy_hs_result_name() - the flow log's short code of @r: "refused",
 * "unreachable", "timeout", "proxy_refused", "proxy_auth_failed",
 * "proxy_protocol"; NULL for PROXY_HS_MORE and PROXY_HS_DONE
 */
const char *proxy_hs_result_name(enum proxy_hs_result r);

/* proxy_hs_error_name() - short code of a failed handshake, as above
 * @detail:	if not NULL, set to a one-line detail for the flow log, such
 *		as "HTTP/1.1 407 Proxy Authentication Required" or "SOCKS5
 *		reply 0x05 connection refused": printable ASCII, never the
 *		password ("" while no error)
 * Return: the code, or NULL while the handshake has not failed
 */
const char *proxy_hs_error_name(const struct proxy_hs *hs, const char **detail);

/* proxy_hs_wipe() - forget the request bytes (credentials included);
 * the result and detail stay. Idempotent.
 */
void proxy_hs_wipe(struct proxy_hs *hs);

/* proxy_hs_base64() - standard base64 (RFC 4648 §4, with padding)
 * Writes PROXY_HS_B64_LEN(@len) characters and a NUL into @out.
 * Return: the number of characters, or 0 (and "" when @size > 0) when
 * @size is too small
 */
size_t proxy_hs_base64(const uint8_t *in, size_t len, char *out, size_t size);

#endif /* CHILDFLOW_PROXY_HANDSHAKE_H */
