/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * fuzz_sniff.c - libFuzzer harness for the host name of a connection's
 * first bytes (src/engine/sniff.c): the tree chooses them
 *
 * What must hold for every input: no read outside it (the input is a
 * buffer of exactly its size), and a name found is 1-253 bytes of
 * lower-case letters, digits, '-', '_', '.' (and ':' for an HTTP IPv6
 * literal), NUL-terminated; no name leaves the buffer empty.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *	-Isrc tests/fuzz/fuzz_sniff.c src/engine/sniff.c -o /tmp/fuzz_sniff
 * Run:   /tmp/fuzz_sniff -max_total_time=60 tests/fuzz/corpus/sniff
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/sniff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[SNIFF_NAME_MAX];
	enum sniff_kind k;
	size_t len, i;

	memset(name, 'x', sizeof(name));
	k = sniff_host(data, size, name);
	len = strnlen(name, sizeof(name));
	if (len == sizeof(name))
		abort();
	if (k == SNIFF_NONE) {
		if (len)
			abort();
		return 0;
	}
	if (len == 0 || len > 253)
		abort();
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' ||
		      (c == ':' && k == SNIFF_HTTP_HOST)))
			abort();
	}
	return 0;
}
