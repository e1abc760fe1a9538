/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * fuzz_packet.c - libFuzzer harness for the tun0 ingress parser
 *
 * Every packet the tree writes to tun0 goes through packet_parse() first.
 * This feeds it arbitrary bytes (in a buffer of exactly their length, so
 * that an over-read is caught) and checks what must hold for whatever it
 * accepts: the headers and payload it points to lie inside the input, the
 * transport fields are consistent, and the ICMP error the engine would
 * send about the packet can be built and parses back as ICMP.
 *
 * Build: meson setup -Dfuzz=true (CC=clang), target fuzz_packet
 * Run:   fuzz_packet -max_total_time=60 tests/fuzz/corpus/packet
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_check() - stop the run when an invariant does not hold */
#define fuzz_check(cond)                                                    \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "fuzz_packet: %s failed\n", #cond); \
			abort();                                            \
		}                                                           \
	} while (0)

/* fuzz_inside() - does [@p, @p + @n) lie within [@b, @b + @size)? */
static int fuzz_inside(const uint8_t *p, size_t n, const uint8_t *b,
		       size_t size)
{
	return p >= b && n <= size && (size_t)(p - b) <= size - n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[2048];
	uint8_t *buf = malloc(size ? size : 1);
	struct packet p;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (packet_parse(buf, size, &p) == 0) {
		struct ipaddr from = p.dst;
		struct packet q;
		size_t len;

		fuzz_check(fuzz_inside(p.l3, p.l3_len, buf, size));
		fuzz_check(fuzz_inside(p.l4, p.l4_len, p.l3, p.l3_len));
		fuzz_check(p.family == AF_INET || p.family == AF_INET6);
		fuzz_check(p.src.family == p.family);
		if (p.proto == IPPROTO_TCP || p.proto == IPPROTO_UDP ||
		    p.proto == IPPROTO_ICMP || p.proto == IPPROTO_ICMPV6)
			fuzz_check(fuzz_inside(p.payload, p.payload_len, p.l4,
					       p.l4_len));
		if (p.proto == IPPROTO_TCP)
			fuzz_check(p.wscale <= 14 ||
				   p.wscale == PACKET_WSCALE_NONE);

		/* what the engine would say about it */
		len = packet_build_icmp_error(&from,
					      p.family == AF_INET ? 3 : 1, 1, 0,
					      p.l3, p.l3_len, out, sizeof(out));
		fuzz_check(len > 0 && len <= sizeof(out));
		fuzz_check(packet_parse(out, len, &q) == 0);
		fuzz_check(q.proto == (p.family == AF_INET ? IPPROTO_ICMP
							   : IPPROTO_ICMPV6));
		fuzz_check(ipaddr_eq(&q.dst, &p.src));
	}
	free(buf);
	return 0;
}
