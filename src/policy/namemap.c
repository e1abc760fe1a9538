/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * namemap.c - which names lead to an IP address: the input of domain policy
 *
 * Theory of operation
 *
 * Domain policy needs, for the destination address of a new flow, the
 * names through which the tree found that address. The tree finds
 * addresses in two ways the engine can see: a DNS answer it relays (every
 * A/AAAA address of the answer, tied to every name of the CNAME chain that
 * led there, so that a deny rule for the alias and one for the canonical
 * name both match), and the hosts file childflow mounts as the tree's
 * /etc/hosts. Addresses the tree knew by itself have no names, and domain
 * rules cannot judge them (DESIGN.md "Policy").
 *
 * Storage. Entries live in one array of slots, indexed by uint32_t, grown
 * by doubling as the map fills and never shrunk; a hash table of chain
 * heads (SipHash-1-3 of the address under a random key, so that addresses
 * chosen by a hostile resolver cannot pile into one chain) finds them in
 * O(1) on average. The table doubles when there are as many entries as
 * buckets. An IPv4-mapped IPv6 address is the IPv4 address here: both
 * reach the same host.
 *
 * Bounds. Whatever the tree resolves, at most max_learned entries come
 * from DNS and each holds at most NAMEMAP_NAMES names of at most
 * NAMEMAP_NAME_MAX bytes: with the defaults, at worst some 17 MiB, in
 * practice a few hundred KiB. When the map is full the least recently
 * used learned entry (added to, or looked up by policy) is evicted and its
 * slot reused; when an entry's names are full its oldest DNS name makes
 * room. Both choices keep what the tree touched last, which is what the
 * connection that follows a lookup needs; dropping the newest instead
 * would let a burst of early answers blind the map for the rest of the run.
 * Hosts-file names are the user's configuration, not the tree's doing:
 * they are pinned (never evicted, not counted against the cap) and listed
 * first; DNS names for the same address fill the remaining name slots.
 *
 * Pure: namemap_load_hosts() reads its file; nothing else does I/O.
 */
#include "policy/namemap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "engine/dnsmsg.h"
#include "util.h"

/* --- hashing ------------------------------------------------------------ */

#define NAMEMAP_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

/* namemap_sipround() - one SipRound on the state @v */
static void namemap_sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = NAMEMAP_ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = NAMEMAP_ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = NAMEMAP_ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = NAMEMAP_ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = NAMEMAP_ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = NAMEMAP_ROTL(v[2], 32);
}

/* namemap_siphash() - SipHash-1-3 of @len bytes at @p under @key */
static uint64_t namemap_siphash(const uint64_t key[2], const uint8_t *p,
				size_t len)
{
	uint64_t v[4] = {
		key[0] ^ 0x736f6d6570736575ULL, key[1] ^ 0x646f72616e646f6dULL,
		key[0] ^ 0x6c7967656e657261ULL, key[1] ^ 0x7465646279746573ULL};
	uint64_t m, last = (uint64_t)len << 56;
	size_t i, j;

	for (i = 0; i + 8 <= len; i += 8) {
		m = 0;
		for (j = 0; j < 8; j++)
			m |= (uint64_t)p[i + j] << (8 * j);
		v[3] ^= m;
		namemap_sipround(v);
		v[0] ^= m;
	}
	for (j = 0; i + j < len; j++)
		last |= (uint64_t)p[i + j] << (8 * j);
	v[3] ^= last;
	namemap_sipround(v);
	v[0] ^= last;
	v[2] ^= 0xff;
	for (j = 0; j < 3; j++)
		namemap_sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* namemap_key() - @a as the map stores it: IPv4-mapped IPv6 made IPv4,
 * unused bytes zero. Return: false for an address of no known family.
 */
static bool namemap_key(const struct ipaddr *a, struct ipaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (a->family == AF_INET) {
		out->family = AF_INET;
		out->v4 = a->v4;
		return true;
	}
	if (a->family != AF_INET6)
		return false;
	if (IN6_IS_ADDR_V4MAPPED(&a->v6)) {
		out->family = AF_INET;
		memcpy(&out->v4, &a->v6.s6_addr[12], 4);
		return true;
	}
	out->family = AF_INET6;
	out->v6 = a->v6;
	return true;
}

/* namemap_hash() - the hash of the stored form @a */
static uint64_t namemap_hash(const struct namemap *nm, const struct ipaddr *a)
{
	uint8_t buf[1 + sizeof(struct in6_addr)];
	size_t n;

	if (a->family == AF_INET) {
		buf[0] = 4;
		memcpy(buf + 1, &a->v4, 4);
		n = 1 + 4;
	} else {
		buf[0] = 6;
		memcpy(buf + 1, &a->v6, 16);
		n = 1 + 16;
	}
	return namemap_siphash(nm->key, buf, n);
}

/* namemap_same() - are the stored forms @a and @b the same address? */
static bool namemap_same(const struct ipaddr *a, const struct ipaddr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->v4.s_addr == b->v4.s_addr;
	return !memcmp(&a->v6, &b->v6, sizeof(a->v6));
}

/* --- the table ---------------------------------------------------------- */

void namemap_init(struct namemap *nm, size_t max_entries)
{
	size_t i;

	memset(nm, 0, sizeof(*nm));
	nm->max_learned = max_entries ? max_entries : NAMEMAP_MAX_ENTRIES;
	if (nm->max_learned > NAMEMAP_NONE / 2)
		nm->max_learned = NAMEMAP_NONE / 2;
	nm->oldest = nm->newest = NAMEMAP_NONE;
	nm->n_buckets = 64;
	nm->buckets = xmalloc(nm->n_buckets * sizeof(*nm->buckets));
	for (i = 0; i < nm->n_buckets; i++)
		nm->buckets[i] = NAMEMAP_NONE;
	if (getrandom(nm->key, sizeof(nm->key), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(nm->key)) {
		/* No entropy yet: a weaker key still spreads honest input */
		nm->key[0] = (uint64_t)time(NULL) ^ 0x9e3779b97f4a7c15ULL;
		nm->key[1] = (uint64_t)getpid() ^ (uint64_t)(uintptr_t)nm;
	}
}

void namemap_free(struct namemap *nm)
{
	size_t i, j;

	for (i = 0; i < nm->n_entries; i++)
		for (j = 0; j < nm->entries[i].n_names; j++)
			free(nm->entries[i].names[j]);
	free(nm->entries);
	free(nm->buckets);
	memset(nm, 0, sizeof(*nm));
	nm->oldest = nm->newest = NAMEMAP_NONE;
}

/* namemap_bucket() - the chain head of the stored form @a */
static uint32_t *namemap_bucket(struct namemap *nm, const struct ipaddr *a)
{
	return &nm->buckets[namemap_hash(nm, a) & (nm->n_buckets - 1)];
}

/* namemap_find() - the slot of the stored form @a, or NAMEMAP_NONE */
static uint32_t namemap_find(struct namemap *nm, const struct ipaddr *a)
{
	uint32_t i = *namemap_bucket(nm, a);

	while (i != NAMEMAP_NONE && !namemap_same(&nm->entries[i].addr, a))
		i = nm->entries[i].next;
	return i;
}

/* namemap_rehash() - double the buckets and chain every entry again */
static void namemap_rehash(struct namemap *nm)
{
	uint32_t *b;
	size_t i;

	nm->n_buckets *= 2;
	nm->buckets =
		xrealloc(nm->buckets, nm->n_buckets * sizeof(*nm->buckets));
	for (i = 0; i < nm->n_buckets; i++)
		nm->buckets[i] = NAMEMAP_NONE;
	for (i = 0; i < nm->n_entries; i++) {
		b = namemap_bucket(nm, &nm->entries[i].addr);
		nm->entries[i].next = *b;
		*b = (uint32_t)i;
	}
}

/* namemap_unchain() - take slot @idx out of its hash chain */
static void namemap_unchain(struct namemap *nm, uint32_t idx)
{
	uint32_t *p = namemap_bucket(nm, &nm->entries[idx].addr);

	while (*p != idx) {
		ASSERT(*p != NAMEMAP_NONE);
		p = &nm->entries[*p].next;
	}
	*p = nm->entries[idx].next;
}

/* namemap_lru_unlink() - take the learned slot @idx out of the LRU list */
static void namemap_lru_unlink(struct namemap *nm, uint32_t idx)
{
	struct namemap_entry *e = &nm->entries[idx];

	if (e->older != NAMEMAP_NONE)
		nm->entries[e->older].newer = e->newer;
	else
		nm->oldest = e->newer;
	if (e->newer != NAMEMAP_NONE)
		nm->entries[e->newer].older = e->older;
	else
		nm->newest = e->older;
	e->older = e->newer = NAMEMAP_NONE;
}

/* namemap_lru_push() - make the learned slot @idx the most recently used */
static void namemap_lru_push(struct namemap *nm, uint32_t idx)
{
	struct namemap_entry *e = &nm->entries[idx];

	e->older = nm->newest;
	e->newer = NAMEMAP_NONE;
	if (nm->newest != NAMEMAP_NONE)
		nm->entries[nm->newest].newer = idx;
	else
		nm->oldest = idx;
	nm->newest = idx;
}

/* namemap_touch() - a learned entry was used: move it to the new end */
static void namemap_touch(struct namemap *nm, uint32_t idx)
{
	if (nm->entries[idx].n_pinned || nm->newest == idx)
		return;
	namemap_lru_unlink(nm, idx);
	namemap_lru_push(nm, idx);
}

/* namemap_slot() - a free slot: a new one, or, when @learned and the map
 * holds max_learned learned entries, the least recently used one, emptied
 * Return: the slot, or NAMEMAP_NONE when no index is left
 */
static uint32_t namemap_slot(struct namemap *nm, bool learned)
{
	struct namemap_entry *e;
	uint32_t idx;
	size_t j;

	if (learned && nm->n_learned >= nm->max_learned &&
	    nm->oldest != NAMEMAP_NONE) {
		idx = nm->oldest;
		e = &nm->entries[idx];
		namemap_lru_unlink(nm, idx);
		namemap_unchain(nm, idx);
		for (j = 0; j < e->n_names; j++)
			free(e->names[j]);
		nm->n_learned--;
		nm->evicted++;
		return idx;
	}
	if (nm->n_entries >= NAMEMAP_NONE - 1)
		return NAMEMAP_NONE;
	if (nm->n_entries == nm->cap_entries) {
		nm->cap_entries = nm->cap_entries ? nm->cap_entries * 2 : 64;
		nm->entries = xrealloc(nm->entries,
				       nm->cap_entries * sizeof(*nm->entries));
	}
	if (nm->n_entries + 1 > nm->n_buckets)
		namemap_rehash(nm); /* before the new slot counts */
	return (uint32_t)nm->n_entries++;
}

/* namemap_entry() - the slot of the stored form @a, made when missing
 * Return: the slot, or NAMEMAP_NONE when none could be made
 */
static uint32_t namemap_entry(struct namemap *nm, const struct ipaddr *a,
			      bool learned)
{
	struct namemap_entry *e;
	uint32_t idx = namemap_find(nm, a), *b;

	if (idx != NAMEMAP_NONE)
		return idx;
	idx = namemap_slot(nm, learned);
	if (idx == NAMEMAP_NONE)
		return idx;
	e = &nm->entries[idx];
	memset(e, 0, sizeof(*e));
	e->addr = *a;
	e->older = e->newer = NAMEMAP_NONE;
	b = namemap_bucket(nm, a);
	e->next = *b;
	*b = idx;
	if (learned) {
		namemap_lru_push(nm, idx);
		nm->n_learned++;
	}
	return idx;
}

/* namemap_norm() - @name as the map keeps it, in @out: trailing dots
 * dropped, ASCII lower-cased
 * Return: 0, or -1 when empty, too long, or holding a blank or a control
 */
static int namemap_norm(const char *name, char out[NAMEMAP_NAME_MAX + 1])
{
	size_t n = strnlen(name, NAMEMAP_NAME_MAX + 2), i;

	while (n && name[n - 1] == '.')
		n--;
	if (!n || n > NAMEMAP_NAME_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= ' ' || c == 0x7f)
			return -1;
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	out[n] = '\0';
	return 0;
}

/* namemap_name_at() - the index of @name in @e, or -1 */
static int namemap_name_at(const struct namemap_entry *e, const char *name)
{
	int i;

	for (i = 0; i < e->n_names; i++)
		if (!strcmp(e->names[i], name))
			return i;
	return -1;
}

/* namemap_move() - move the name at @from to @to within @e's list,
 * shifting those between
 */
static void namemap_move(struct namemap_entry *e, int from, int to)
{
	char *name = e->names[from];

	if (from < to)
		memmove(&e->names[from], &e->names[from + 1],
			(size_t)(to - from) * sizeof(e->names[0]));
	else if (from > to)
		memmove(&e->names[to + 1], &e->names[to],
			(size_t)(from - to) * sizeof(e->names[0]));
	e->names[to] = name;
}

/* namemap_name_learned() - add the DNS name @name to @e, newest last; the
 * oldest DNS name makes room when the list is full
 * Return: 0, or -1 when every slot holds a hosts-file name (not kept)
 */
static int namemap_name_learned(struct namemap *nm, struct namemap_entry *e,
				const char *name)
{
	int at = namemap_name_at(e, name);

	if (at >= e->n_pinned) {
		namemap_move(e, at, e->n_names - 1); /* now the newest */
		return 0;
	}
	if (at >= 0)
		return 0; /* a hosts-file name already */
	if (e->n_names == NAMEMAP_NAMES) {
		nm->dropped_names++;
		if (e->n_pinned == NAMEMAP_NAMES)
			return -1;
		free(e->names[e->n_pinned]);
		namemap_move(e, e->n_pinned, e->n_names - 1);
		e->names[e->n_names - 1] = xstrdup(name);
		return 0;
	}
	e->names[e->n_names++] = xstrdup(name);
	return 0;
}

/* namemap_name_pinned() - add the hosts-file name @name to @e, after the
 * other pinned names; a DNS name gives way when the list is full
 * Return: 0, or -1 when @e already holds NAMEMAP_NAMES hosts-file names
 */
static int namemap_name_pinned(struct namemap *nm, struct namemap_entry *e,
			       const char *name)
{
	int at = namemap_name_at(e, name);

	if (at >= 0 && at < e->n_pinned)
		return 0;
	if (at >= 0) { /* learned before: pin it */
		namemap_move(e, at, e->n_pinned);
		e->n_pinned++;
		return 0;
	}
	if (e->n_pinned == NAMEMAP_NAMES) {
		nm->dropped_names++;
		return -1;
	}
	if (e->n_names == NAMEMAP_NAMES) { /* the oldest DNS name goes */
		free(e->names[e->n_pinned]);
		e->names[e->n_pinned++] = xstrdup(name);
		nm->dropped_names++;
		return 0;
	}
	e->names[e->n_names++] = xstrdup(name);
	namemap_move(e, e->n_names - 1, e->n_pinned);
	e->n_pinned++;
	return 0;
}

/* namemap_add_one() - tie @name to @addr, from DNS or, with @pinned, from
 * the hosts file. Return: 0, or -1 when @name was not kept
 */
static int namemap_add_one(struct namemap *nm, const struct ipaddr *addr,
			   const char *name, bool pinned)
{
	struct namemap_entry *e;
	struct ipaddr key;
	char norm[NAMEMAP_NAME_MAX + 1];
	uint32_t idx;

	if (namemap_norm(name, norm) || !namemap_key(addr, &key)) {
		nm->dropped_names++;
		return -1;
	}
	idx = namemap_entry(nm, &key, !pinned);
	if (idx == NAMEMAP_NONE) {
		nm->dropped_names++;
		return -1;
	}
	e = &nm->entries[idx];
	if (!pinned) {
		namemap_touch(nm, idx);
		return namemap_name_learned(nm, e, norm);
	}
	if (!e->n_pinned && (e->older != NAMEMAP_NONE ||
			     e->newer != NAMEMAP_NONE || nm->newest == idx)) {
		namemap_lru_unlink(nm, idx); /* learned until now */
		nm->n_learned--;
	}
	return namemap_name_pinned(nm, e, norm);
}

int namemap_add(struct namemap *nm, const struct ipaddr *addr, const char *name)
{
	return namemap_add_one(nm, addr, name, false);
}

void namemap_add_answer(struct namemap *nm, const struct dnsmsg_answer *a)
{
	size_t i, j;

	for (i = 0; i < a->n_ips && i < DNSMSG_MAX_IPS; i++)
		for (j = 0; j < a->n_names && j < DNSMSG_MAX_NAMES; j++)
			namemap_add(nm, &a->ips[i], a->names[j]);
}

bool namemap_lookup(struct namemap *nm, const struct ipaddr *addr,
		    const char *const **names, size_t *n)
{
	struct namemap_entry *e;
	struct ipaddr key;
	uint32_t idx;

	*names = NULL;
	*n = 0;
	if (!namemap_key(addr, &key))
		return false;
	idx = namemap_find(nm, &key);
	if (idx == NAMEMAP_NONE)
		return false;
	namemap_touch(nm, idx);
	e = &nm->entries[idx];
	if (!e->n_names)
		return false;
	*names = (const char *const *)e->names;
	*n = e->n_names;
	return true;
}

/* --- the hosts file ----------------------------------------------------- */

/* namemap_hosts_addr() - parse the address field of a hosts line as glibc
 * does (inet_pton, IPv4 first; an IPv6 zone "%eth0" is ignored)
 * Return: 0, or -1 when it is no address
 */
static int namemap_hosts_addr(char *field, struct ipaddr *a)
{
	char *zone;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, field, &a->v4) == 1) {
		a->family = AF_INET;
		return 0;
	}
	zone = strchr(field, '%');
	if (zone)
		*zone = '\0';
	if (inet_pton(AF_INET6, field, &a->v6) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -1;
}

/* namemap_hosts_line() - add the names of one hosts-file line
 * Return: the names added
 */
static int namemap_hosts_line(struct namemap *nm, char *line)
{
	struct ipaddr a;
	char *p = line, *field;
	int added = 0;
	bool first = true;

	p[strcspn(p, "#")] = '\0';
	for (;;) {
		while (*p && util_is_space(*p))
			p++;
		if (!*p)
			break;
		field = p;
		while (*p && !util_is_space(*p))
			p++;
		if (*p)
			*p++ = '\0';
		if (first) {
			if (namemap_hosts_addr(field, &a))
				return 0; /* glibc skips the line */
			first = false;
			continue;
		}
		if (!namemap_add_one(nm, &a, field, true))
			added++;
	}
	return added;
}

int namemap_load_hosts(struct namemap *nm, const char *path, char *err,
		       size_t errlen)
{
	char *line = NULL;
	size_t cap = 0;
	int added = 0, ret;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		util_errf(err, errlen, "cannot read '%s': %s", path,
			  strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) >= 0)
		added += namemap_hosts_line(nm, line);
	ret = ferror(f) ? -1 : added;
	if (ret < 0)
		util_errf(err, errlen, "cannot read '%s': %s", path,
			  strerror(errno));
	free(line);
	fclose(f);
	return ret;
}
