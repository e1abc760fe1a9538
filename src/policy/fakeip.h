/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * fakeip.h - the --proxy-dns address pool: stand-in addresses for names
 * that only the proxy resolves
 *
 * Under --proxy-dns the engine answers the tree's A and AAAA queries
 * itself, with addresses from a reserved pool, and remembers which name
 * each address stands for; a TCP connection to a pool address is then
 * opened through the proxy by name (CONNECT name:port, SOCKS5 domain
 * address). This module is that memory. Pure: no I/O; one thread (the
 * engine's).
 *
 * The pool. Slot i (0-based) stands for one name and owns two addresses:
 * 198.18.0.0 + (i + 1) in 198.18.0.0/15 (RFC 2544's benchmarking range,
 * never routed on the internet) for A, and fd63:666c:6f77::(i + 1) in the
 * ULA /64 fd63:666c:6f77::/64 ("cflow" in hex) for AAAA. A name keeps its
 * slot, so the same addresses, while it is remembered.
 *
 * Bounded: at most @max_entries slots (FAKEIP_MAX_ENTRIES by default,
 * never more than the IPv4 range holds). A new name takes a fresh slot
 * while there are some; then the least recently used slot (assigned or
 * looked up) is given to the new name. A slot that live flows hold
 * (fakeip_hold()) is never reused: its address keeps standing for its
 * name until the last flow lets it go (fakeip_release()). When every slot
 * is held, a new name gets no address.
 */
#ifndef CHILDFLOW_FAKEIP_H
#define CHILDFLOW_FAKEIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/cidr.h"

/* The pool's prefixes, as users read them (docs/policy.md) */
#define FAKEIP_V4_CIDR "198.18.0.0/15"
#define FAKEIP_V6_CIDR "fd63:666c:6f77::/64"

/* Default cap of names remembered at once */
#define FAKEIP_MAX_ENTRIES 16384

/* The IPv4 range holds this many slots (.0.0 and the last address unused) */
#define FAKEIP_SLOTS_MAX ((1u << 17) - 2)

/* Longest name kept (a DNS name in presentation form) */
#define FAKEIP_NAME_MAX 253

/* The TTL of the engine's pool answers, in seconds: short, so that a
 * caching resolver in the tree asks again rather than keep an address
 * whose slot may go to another name
 */
#define FAKEIP_TTL 60

#define FAKEIP_NONE UINT32_MAX

/* struct fakeip_entry - one slot */
struct fakeip_entry {
	char *name;	       /* normalised; NULL while the slot is unused */
	uint32_t next;	       /* hash chain */
	uint32_t older, newer; /* LRU list; FAKEIP_NONE ends */
	uint32_t holds;	       /* live flows using the slot's addresses */
};

/* struct fakeip - the pool; read it only through the functions */
struct fakeip {
	struct fakeip_entry *entries; /* slots [0, n_entries), grown as used */
	size_t n_entries, cap_entries, max_entries;
	uint32_t *buckets; /* heads of hash chains, FAKEIP_NONE when empty */
	size_t n_buckets;  /* a power of two */
	uint32_t oldest, newest; /* LRU list of slots nobody holds */
	uint64_t seed;		 /* random hash seed */
	uint64_t reused;	 /* slots given to another name */
};

/* fakeip_init() - an empty pool of at most @max_entries slots (0:
 * FAKEIP_MAX_ENTRIES; capped at FAKEIP_SLOTS_MAX)
 */
void fakeip_init(struct fakeip *fp, size_t max_entries);

/* fakeip_free() - release everything; fakeip_init() it to use it again */
void fakeip_free(struct fakeip *fp);

/* fakeip_name_ok() - could @name be a pool name (and a proxy target)?
 * 1 to FAKEIP_NAME_MAX bytes of ASCII letters, digits, '-', '_' and '.',
 * no empty label; upper case is accepted (folded by fakeip_assign())
 */
bool fakeip_name_ok(const char *name);

/* fakeip_assign() - the addresses that stand for @name, giving it a slot
 * when it has none (reusing the least recently used one when the pool is
 * full); the slot becomes the most recently used. @name is normalised
 * (ASCII lower case, one trailing dot dropped).
 * @v4, @v6: set to the slot's addresses (either may be NULL)
 * Return: 0; -EINVAL when @name is not fakeip_name_ok(); -ENOSPC when
 * every slot is held by live flows
 */
int fakeip_assign(struct fakeip *fp, const char *name, struct ipaddr *v4,
		  struct ipaddr *v6);

/* fakeip_contains() - is @a in the pool's prefixes (assigned or not)? */
bool fakeip_contains(const struct ipaddr *a);

/* fakeip_lookup() - the name @a stands for, or NULL (not a pool address,
 * or its slot holds no name). Valid until the next fakeip_assign() or
 * fakeip_free(); the slot becomes the most recently used.
 */
const char *fakeip_lookup(struct fakeip *fp, const struct ipaddr *a);

/* fakeip_hold() - a live flow uses @a: its slot keeps its name until
 * the matching fakeip_release()
 * Return: the name (valid while held), or NULL when @a stands for none
 * (then nothing is held)
 */
const char *fakeip_hold(struct fakeip *fp, const struct ipaddr *a);

/* fakeip_release() - the flow that held @a is gone; a slot nobody holds
 * any more becomes the most recently used. Releasing what is not held is
 * a no-op.
 */
void fakeip_release(struct fakeip *fp, const struct ipaddr *a);

#endif /* CHILDFLOW_FAKEIP_H */
