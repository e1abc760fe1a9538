/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * namemap.h - which names lead to an IP address: the input of domain policy
 *
 * Domain rules (--deny-domain, --allow-domain, ...) judge a flow by the
 * names its destination address was reached through. The engine feeds
 * every relayed DNS answer here (namemap_add_answer(): each address of
 * the answer gets every name of its CNAME chain), run_command() loads
 * --hosts-file (namemap_load_hosts()), and for a new flow the engine asks
 * namemap_lookup() and passes the names on in struct policy_flow.
 *
 * Bounded: at most @max_entries addresses learned from DNS, NAMEMAP_NAMES
 * names per address. When full, the least recently used address (added
 * to or looked up) is evicted, and an address's oldest DNS name makes room
 * for its newest: a name the tree has just resolved is always in the map
 * when it connects. Entries of the hosts file are the user's own, never
 * evicted and not counted against @max_entries (a hosts file that holds
 * more than NAMEMAP_NAMES names for one address keeps the first ones).
 *
 * Pure: no I/O except namemap_load_hosts(); one thread (the engine's).
 */
#ifndef CHILDFLOW_NAMEMAP_H
#define CHILDFLOW_NAMEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/cidr.h"

struct dnsmsg_answer;

/* Default cap of addresses learned from DNS */
#define NAMEMAP_MAX_ENTRIES 8192

/* Names kept per address (as many as one DNS answer's CNAME chain) */
#define NAMEMAP_NAMES 8

/* Longest name kept, in bytes (DOMAIN_MAX of names.h) */
#define NAMEMAP_NAME_MAX 253

/* struct namemap_entry - one address and its names */
struct namemap_entry {
	struct ipaddr addr;
	uint32_t next;	       /* hash chain, NAMEMAP_NONE at its end */
	uint32_t older, newer; /* LRU list of learned entries */
	uint8_t n_names;       /* names[0..n_names) */
	uint8_t n_pinned;      /* names[0..n_pinned) are from the hosts file */
	char *names[NAMEMAP_NAMES]; /* oldest first, after the pinned ones */
};

#define NAMEMAP_NONE UINT32_MAX

/* struct namemap - addresses to names; read it only through the functions */
struct namemap {
	struct namemap_entry *entries; /* slots, grown as used */
	size_t n_entries, cap_entries;
	uint32_t *buckets; /* heads of hash chains */
	size_t n_buckets;  /* a power of two */
	size_t max_learned, n_learned;
	uint32_t oldest, newest; /* LRU list of learned (not pinned) entries */
	uint64_t key[2];	 /* random SipHash key */
	uint64_t evicted;	 /* entries evicted to make room */
	uint64_t dropped_names;	 /* names not kept: full, or invalid */
};

/* namemap_init() - an empty map keeping at most @max_entries addresses
 * learned from DNS (0: NAMEMAP_MAX_ENTRIES)
 */
void namemap_init(struct namemap *nm, size_t max_entries);

/* namemap_free() - release everything; namemap_init() it to use it again */
void namemap_free(struct namemap *nm);

/* namemap_add() - tie @name to @addr (as learned from DNS), evicting as
 * the header says. @name is normalised: trailing dots dropped, ASCII
 * lower-cased. An IPv4-mapped IPv6 address is stored as the IPv4 one.
 * Return: 0, or -1 when @name was not kept: empty, longer than
 * NAMEMAP_NAME_MAX, holding a control character or a space, or @addr's
 * names all come from the hosts file
 */
int namemap_add(struct namemap *nm, const struct ipaddr *addr,
		const char *name);

/* namemap_add_answer() - tie every address of @a to every name of its
 * CNAME chain (a->names: the qname, each CNAME owner and target)
 */
void namemap_add_answer(struct namemap *nm, const struct dnsmsg_answer *a);

/* namemap_load_hosts() - add the entries of the hosts file @path, read as
 * glibc reads /etc/hosts: "ADDRESS NAME [ALIAS...]", '#' to the end of the
 * line is a comment, fields separated by blanks, IPv4 and IPv6 addresses;
 * lines whose address does not parse are skipped. These entries are
 * pinned: never evicted.
 * Return: the number of names added, or -1 with a reason in @err when the
 * file cannot be read
 */
int namemap_load_hosts(struct namemap *nm, const char *path, char *err,
		       size_t errlen);

/* namemap_lookup() - the names tied to @addr: *@names points to *@n
 * normalised names (hosts-file names first, then DNS names, oldest
 * first), valid until the next namemap_add*() or namemap_free(). A learned
 * entry becomes the most recently used.
 * Return: true when @addr is known (*@n >= 1); else false, *@names NULL
 * and *@n 0
 */
bool namemap_lookup(struct namemap *nm, const struct ipaddr *addr,
		    const char *const **names, size_t *n);

#endif /* CHILDFLOW_NAMEMAP_H */
