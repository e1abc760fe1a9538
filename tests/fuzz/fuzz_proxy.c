/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * fuzz_proxy.c - libFuzzer harness for the proxy handshakes (HTTP CONNECT
 * and SOCKS5, src/proxy/handshake.c)
 *
 * Input: one byte of set-up, one byte of split point, then the proxy's
 * bytes. Set-up bits 0-1 pick the scheme (http, https, socks5, socks5h),
 * bit 2 credentials, bit 3 an IPv6 target instead of IPv4, bit 4 a host
 * name (by name). The proxy's bytes are fed three ways, each on its own
 * handshake, with everything pending written before every feed:
 *  - byte by byte;
 *  - in two parts, cut at the split point;
 *  - whole, then EOF.
 * What must hold for every input:
 *  - consumed never exceeds what was fed; while the result is MORE it is
 *    all of it; once the result is not MORE it stays, and takes nothing;
 *  - an error has a short code and a printable one-line detail that holds
 *    neither the password nor the base64 credentials, and the ended state
 *    holds neither anywhere;
 *  - HTTP: the three ways agree exactly (result, consumed, detail), and a
 *    DONE ends on the LF of a blank line;
 *  - SOCKS5: the cut feed only adds one way to fail (a reply to a request
 *    not yet written, proxy_protocol); otherwise it agrees with the byte
 *    by byte feed; a DONE consumed exactly the replies' lengths as RFC
 *    1928/1929 give them, computed here independently;
 *  - EOF while MORE is proxy_refused before any byte of the awaited
 *    reply, else proxy_protocol (HTTP: any byte at all).
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *	-Isrc tests/fuzz/fuzz_proxy.c src/proxy/handshake.c -o /tmp/fuzz_proxy
 * Run:   /tmp/fuzz_proxy -max_total_time=60 tests/fuzz/corpus/proxy
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/handshake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PROXY_FUZZ_USER	  "fuzzuser"
#define PROXY_FUZZ_PW	  "fuzz-SECRET-pw"
#define PROXY_FUZZ_B64	  "ZnV6enVzZXI6ZnV6ei1TRUNSRVQtcHc="
#define PROXY_FUZZ_HEADER 2

/* proxy_fuzz_check() - stop the run when an invariant does not hold */
#define proxy_fuzz_check(cond)                                            \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", \
				#cond, __FILE__, __LINE__);               \
			abort();                                          \
		}                                                         \
	} while (0)

/* One run's outcome */
struct proxy_fuzz_run {
	enum proxy_hs_result r;
	size_t used;
	char detail[PROXY_HS_DETAIL_MAX];
};

/* proxy_fuzz_start() - a handshake as set-up byte @setup says; the
 * target and credentials are fixed, so only the kind varies
 */
static void proxy_fuzz_start(struct proxy_hs *hs, uint8_t setup)
{
	static const enum proxy_scheme schemes[] = {
		PROXY_HTTP, PROXY_HTTPS, PROXY_SOCKS5, PROXY_SOCKS5H};
	struct proxy_uri u;
	const char *target = (setup & 8) ? "2001:db8::10" : "203.0.113.10";
	bool auth = setup & 4;
	int ret;

	memset(&u, 0, sizeof(u));
	u.scheme = schemes[setup & 3];
	if (setup & 16)
		target = "www.example.test";
	ret = proxy_hs_init(hs, &u, auth ? PROXY_FUZZ_USER : NULL,
			    auth ? PROXY_FUZZ_PW : NULL, target, 443,
			    (setup & 16) != 0);
	proxy_fuzz_check(ret == 0);
}

/* proxy_fuzz_send() - write all that is pending, in one go */
static void proxy_fuzz_send(struct proxy_hs *hs)
{
	const uint8_t *p;
	size_t n = proxy_hs_pending(hs, &p);

	proxy_fuzz_check(!n == !p && n <= PROXY_HS_OUT_MAX);
	proxy_hs_wrote(hs, n);
	proxy_fuzz_check(proxy_hs_pending(hs, NULL) == 0);
}

/* proxy_fuzz_feed() - one feed, with the invariants every feed keeps */
static enum proxy_hs_result proxy_fuzz_feed(struct proxy_hs *hs,
					    const uint8_t *in, size_t len,
					    size_t *total)
{
	enum proxy_hs_result before = proxy_hs_result(hs), r;
	size_t used = (size_t)-1;

	proxy_fuzz_send(hs);
	r = proxy_hs_feed(hs, in, len, &used);
	proxy_fuzz_check(used <= len);
	if (before != PROXY_HS_MORE)
		proxy_fuzz_check(r == before && used == 0);
	if (r == PROXY_HS_MORE)
		proxy_fuzz_check(used == len);
	proxy_fuzz_check(r == proxy_hs_result(hs));
	*total += used;
	return r;
}

/* proxy_fuzz_ended() - what holds for a handshake that ended (or waits);
 * @auth: credentials were given, so the password is a secret to look for
 */
static void proxy_fuzz_ended(struct proxy_hs *hs, bool auth,
			     struct proxy_fuzz_run *run)
{
	const char *detail = NULL, *code;
	size_t i, n;

	code = proxy_hs_error_name(hs, &detail);
	proxy_fuzz_check(detail != NULL);
	n = strnlen(detail, PROXY_HS_DETAIL_MAX);
	proxy_fuzz_check(n < PROXY_HS_DETAIL_MAX);
	for (i = 0; i < n; i++)
		proxy_fuzz_check(detail[i] >= 0x20 && detail[i] <= 0x7e);
	if (auth) {
		proxy_fuzz_check(!strstr(detail, PROXY_FUZZ_PW));
		proxy_fuzz_check(!strstr(detail, PROXY_FUZZ_B64));
	}
	if (run->r == PROXY_HS_MORE) {
		proxy_fuzz_check(!code && !n);
	} else {
		/* the request is wiped: the struct holds no secret at all */
		proxy_fuzz_check(!auth ||
				 !memmem(hs, sizeof(*hs), PROXY_FUZZ_PW,
					 strlen(PROXY_FUZZ_PW)));
		proxy_fuzz_check(!auth ||
				 !memmem(hs, sizeof(*hs), PROXY_FUZZ_B64,
					 strlen(PROXY_FUZZ_B64)));
		proxy_fuzz_check(proxy_hs_pending(hs, NULL) == 0);
		proxy_fuzz_check((run->r == PROXY_HS_DONE) == !code);
		if (run->r == PROXY_HS_DONE)
			proxy_fuzz_check(!n);
		else
			proxy_fuzz_check(n > 0 && code && *code);
	}
	memcpy(run->detail, detail, n + 1);
}

/* proxy_fuzz_bytes() - feed @in byte by byte */
static void proxy_fuzz_bytes(uint8_t setup, const uint8_t *in, size_t len,
			     struct proxy_fuzz_run *run)
{
	struct proxy_hs hs;
	size_t i;

	proxy_fuzz_start(&hs, setup);
	run->used = 0;
	run->r = PROXY_HS_MORE;
	for (i = 0; i < len && run->r == PROXY_HS_MORE; i++)
		run->r = proxy_fuzz_feed(&hs, in + i, 1, &run->used);
	/* one more byte after the end is never taken */
	if (i < len)
		proxy_fuzz_check(proxy_fuzz_feed(&hs, in + i, len - i,
						 &run->used) == run->r);
	proxy_fuzz_ended(&hs, setup & 4, run);
}

/* proxy_fuzz_cut() - feed @in in two parts, cut at @cut */
static void proxy_fuzz_cut(uint8_t setup, const uint8_t *in, size_t len,
			   size_t cut, struct proxy_fuzz_run *run)
{
	struct proxy_hs hs;

	proxy_fuzz_start(&hs, setup);
	run->used = 0;
	run->r = proxy_fuzz_feed(&hs, in, cut, &run->used);
	run->r = proxy_fuzz_feed(&hs, in + cut, len - cut, &run->used);
	proxy_fuzz_ended(&hs, setup & 4, run);
}

/* proxy_fuzz_eof() - feed @in whole, then close */
static void proxy_fuzz_eof(uint8_t setup, const uint8_t *in, size_t len)
{
	struct proxy_fuzz_run run = {PROXY_HS_MORE, 0, ""};
	enum proxy_hs_result r;
	struct proxy_hs hs;

	proxy_fuzz_start(&hs, setup);
	run.r = proxy_fuzz_feed(&hs, in, len, &run.used);
	r = proxy_hs_eof(&hs);
	/* no byte of the awaited reply: refused; part of one: protocol.
	 * HTTP awaits one reply from the first byte; a SOCKS5 reply may
	 * have just ended, and the next not begun.
	 */
	if (run.r != PROXY_HS_MORE)
		proxy_fuzz_check(r == run.r);
	else if (!len)
		proxy_fuzz_check(r == PROXY_HS_PROXY_REFUSED);
	else if ((setup & 3) < 2)
		proxy_fuzz_check(r == PROXY_HS_PROTOCOL);
	else
		proxy_fuzz_check(r == PROXY_HS_PROTOCOL ||
				 r == PROXY_HS_PROXY_REFUSED);
	run.r = r;
	proxy_fuzz_ended(&hs, setup & 4, &run);
	proxy_fuzz_check(proxy_hs_eof(&hs) == r);
}

/* proxy_fuzz_socks5_len() - how long the replies of a successful SOCKS5
 * handshake are, from the bytes themselves (0 if they cannot be)
 */
static size_t proxy_fuzz_socks5_len(const uint8_t *in, size_t len)
{
	size_t o = 2;

	if (len < 2)
		return 0;
	if (in[1] == 0x02)
		o += 2;
	if (len < o + 4)
		return 0;
	switch (in[o + 3]) {
	case 0x01:
		return o + 4 + 4 + 2;
	case 0x04:
		return o + 4 + 16 + 2;
	case 0x03:
		if (len < o + 5)
			return 0;
		return o + 4 + 1 + in[o + 4] + 2;
	default:
		return 0;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_fuzz_run bytes, cut;
	const uint8_t *in;
	size_t len, at;
	uint8_t setup;
	bool http;

	if (size < PROXY_FUZZ_HEADER)
		return 0;
	setup = data[0];
	in = data + PROXY_FUZZ_HEADER;
	len = size - PROXY_FUZZ_HEADER;
	at = len ? data[1] % (len + 1) : 0;
	http = (setup & 3) < 2;

	proxy_fuzz_bytes(setup, in, len, &bytes);
	proxy_fuzz_cut(setup, in, len, at, &cut);
	proxy_fuzz_eof(setup, in, len);

	if (http || cut.r != PROXY_HS_PROTOCOL) {
		proxy_fuzz_check(cut.r == bytes.r && cut.used == bytes.used);
		proxy_fuzz_check(!strcmp(cut.detail, bytes.detail));
	}
	if (bytes.r == PROXY_HS_DONE && cut.r != PROXY_HS_DONE)
		proxy_fuzz_check(!http && cut.r == PROXY_HS_PROTOCOL);

	if (bytes.r == PROXY_HS_DONE) {
		if (http) {
			proxy_fuzz_check(bytes.used >= 14 &&
					 in[bytes.used - 1] == '\n');
			proxy_fuzz_check(in[bytes.used - 2] == '\n' ||
					 (in[bytes.used - 2] == '\r' &&
					  in[bytes.used - 3] == '\n'));
		} else {
			proxy_fuzz_check(bytes.used ==
					 proxy_fuzz_socks5_len(in, len));
		}
	}
	return 0;
}
