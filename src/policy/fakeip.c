/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * fakeip.c - the --proxy-dns address pool (see fakeip.h for what it
 * promises)
 *
 * Slots live in one array, grown as names come (so an idle pool costs
 * almost nothing), never beyond max_entries. An address is turned into
 * its slot by arithmetic (its offset in the prefix), a name by a chained
 * hash over the slots with a random seed, so that the tree cannot choose
 * names that collide. Slots nobody holds sit on a doubly linked LRU list
 * (oldest first); a held slot is off the list, which is what keeps it out
 * of reach of reuse without any search.
 */
#include "policy/fakeip.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "util.h"

/* fd63:666c:6f77::/64: the first 8 bytes */
static const uint8_t fakeip_v6_prefix[8] = {0xfd, 0x63, 0x66, 0x6c,
					    0x6f, 0x77, 0x00, 0x00};
#define FAKEIP_V4_NET  0xc6120000u /* 198.18.0.0 */
#define FAKEIP_V4_MASK 0xfffe0000u /* /15 */

void fakeip_init(struct fakeip *fp, size_t max_entries)
{
	memset(fp, 0, sizeof(*fp));
	if (!max_entries)
		max_entries = FAKEIP_MAX_ENTRIES;
	if (max_entries > FAKEIP_SLOTS_MAX)
		max_entries = FAKEIP_SLOTS_MAX;
	fp->max_entries = max_entries;
	fp->oldest = fp->newest = FAKEIP_NONE;
	if (getrandom(&fp->seed, sizeof(fp->seed), GRND_NONBLOCK) !=
	    sizeof(fp->seed))
		fp->seed = 0x9e3779b97f4a7c15ULL ^ (uintptr_t)fp;
}

void fakeip_free(struct fakeip *fp)
{
	size_t i;

	for (i = 0; i < fp->n_entries; i++)
		free(fp->entries[i].name);
	free(fp->entries);
	free(fp->buckets);
	memset(fp, 0, sizeof(*fp));
	fp->oldest = fp->newest = FAKEIP_NONE;
}

bool fakeip_name_ok(const char *name)
{
	size_t len = name ? strnlen(name, FAKEIP_NAME_MAX + 2) : 0, i;
	bool label_empty = true;

	if (len && name[len - 1] == '.')
		len--; /* one trailing dot: the root */
	if (!len || len > FAKEIP_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (c == '.') {
			if (label_empty)
				return false;
			label_empty = true;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
		label_empty = false;
	}
	return !label_empty;
}

/* fakeip_hash() - bucket index of the normalised @name */
static size_t fakeip_hash(const struct fakeip *fp, const char *name)
{
	uint64_t h = fp->seed ^ 0xcbf29ce484222325ULL;

	for (; *name; name++) {
		h ^= (uint8_t)*name;
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h & (fp->n_buckets - 1);
}

/* fakeip_find() - the slot holding @name, or FAKEIP_NONE */
static uint32_t fakeip_find(const struct fakeip *fp, const char *name)
{
	uint32_t i;

	if (!fp->n_buckets)
		return FAKEIP_NONE;
	for (i = fp->buckets[fakeip_hash(fp, name)]; i != FAKEIP_NONE;
	     i = fp->entries[i].next)
		if (!strcmp(fp->entries[i].name, name))
			return i;
	return FAKEIP_NONE;
}

/* fakeip_unhash() - take slot @i out of its hash chain */
static void fakeip_unhash(struct fakeip *fp, uint32_t i)
{
	uint32_t *link = &fp->buckets[fakeip_hash(fp, fp->entries[i].name)];

	while (*link != FAKEIP_NONE) {
		if (*link == i) {
			*link = fp->entries[i].next;
			return;
		}
		link = &fp->entries[*link].next;
	}
	ASSERT(0); /* a named slot is always in its chain */
}

/* fakeip_rehash() - @n buckets (a power of two), every named slot in them */
static void fakeip_rehash(struct fakeip *fp, size_t n)
{
	size_t i;

	free(fp->buckets);
	fp->buckets = xmalloc(n * sizeof(*fp->buckets));
	fp->n_buckets = n;
	for (i = 0; i < n; i++)
		fp->buckets[i] = FAKEIP_NONE;
	for (i = 0; i < fp->n_entries; i++) {
		struct fakeip_entry *en = &fp->entries[i];
		size_t b;

		if (!en->name)
			continue;
		b = fakeip_hash(fp, en->name);
		en->next = fp->buckets[b];
		fp->buckets[b] = (uint32_t)i;
	}
}

/* fakeip_lru_unlink() - take unheld slot @i off the LRU list */
static void fakeip_lru_unlink(struct fakeip *fp, uint32_t i)
{
	struct fakeip_entry *en = &fp->entries[i];

	if (en->older != FAKEIP_NONE)
		fp->entries[en->older].newer = en->newer;
	else
		fp->oldest = en->newer;
	if (en->newer != FAKEIP_NONE)
		fp->entries[en->newer].older = en->older;
	else
		fp->newest = en->older;
	en->older = en->newer = FAKEIP_NONE;
}

/* fakeip_lru_push() - put unheld slot @i at the recent end of the list */
static void fakeip_lru_push(struct fakeip *fp, uint32_t i)
{
	struct fakeip_entry *en = &fp->entries[i];

	en->newer = FAKEIP_NONE;
	en->older = fp->newest;
	if (fp->newest != FAKEIP_NONE)
		fp->entries[fp->newest].newer = i;
	else
		fp->oldest = i;
	fp->newest = i;
}

/* fakeip_touch() - slot @i was used: the most recently used, if unheld */
static void fakeip_touch(struct fakeip *fp, uint32_t i)
{
	if (fp->entries[i].holds || fp->newest == i)
		return;
	fakeip_lru_unlink(fp, i);
	fakeip_lru_push(fp, i);
}

/* fakeip_addrs() - the addresses of slot @i */
static void fakeip_addrs(uint32_t i, struct ipaddr *v4, struct ipaddr *v6)
{
	uint32_t host = i + 1;

	if (v4) {
		memset(v4, 0, sizeof(*v4));
		v4->family = AF_INET;
		v4->v4.s_addr = htonl(FAKEIP_V4_NET + host);
	}
	if (v6) {
		memset(v6, 0, sizeof(*v6));
		v6->family = AF_INET6;
		memcpy(v6->v6.s6_addr, fakeip_v6_prefix,
		       sizeof(fakeip_v6_prefix));
		v6->v6.s6_addr[12] = (uint8_t)(host >> 24);
		v6->v6.s6_addr[13] = (uint8_t)(host >> 16);
		v6->v6.s6_addr[14] = (uint8_t)(host >> 8);
		v6->v6.s6_addr[15] = (uint8_t)host;
	}
}

/* fakeip_slot_of() - the slot number @a would belong to, or FAKEIP_NONE
 * when @a is outside the pool's prefixes (or the range's unused ends)
 */
static uint32_t fakeip_slot_of(const struct ipaddr *a)
{
	uint32_t host;

	if (a->family == AF_INET) {
		uint32_t v = ntohl(a->v4.s_addr);

		if ((v & FAKEIP_V4_MASK) != FAKEIP_V4_NET)
			return FAKEIP_NONE;
		host = v - FAKEIP_V4_NET;
	} else if (a->family == AF_INET6) {
		const uint8_t *b = a->v6.s6_addr;

		if (memcmp(b, fakeip_v6_prefix, sizeof(fakeip_v6_prefix)) !=
			    0 ||
		    b[8] || b[9] || b[10] || b[11])
			return FAKEIP_NONE;
		host = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
		       (uint32_t)b[14] << 8 | b[15];
	} else {
		return FAKEIP_NONE;
	}
	if (!host || host > FAKEIP_SLOTS_MAX)
		return FAKEIP_NONE;
	return host - 1;
}

bool fakeip_contains(const struct ipaddr *a)
{
	if (a->family == AF_INET)
		return (ntohl(a->v4.s_addr) & FAKEIP_V4_MASK) == FAKEIP_V4_NET;
	return a->family == AF_INET6 && !memcmp(a->v6.s6_addr, fakeip_v6_prefix,
						sizeof(fakeip_v6_prefix));
}

/* fakeip_named_slot() - the slot of @a when it holds a name, else
 * FAKEIP_NONE
 */
static uint32_t fakeip_named_slot(const struct fakeip *fp,
				  const struct ipaddr *a)
{
	uint32_t i = fakeip_slot_of(a);

	if (i == FAKEIP_NONE || i >= fp->n_entries || !fp->entries[i].name)
		return FAKEIP_NONE;
	return i;
}

/* fakeip_new_slot() - a slot for a new name: a fresh one while the cap
 * allows, else the least recently used one nobody holds, its old name
 * forgotten. The slot is off the LRU list and out of the hash.
 * Return: the slot, or FAKEIP_NONE when every slot is held
 */
static uint32_t fakeip_new_slot(struct fakeip *fp)
{
	uint32_t i;

	if (fp->n_entries < fp->max_entries) {
		if (fp->n_entries == fp->cap_entries) {
			size_t cap = fp->cap_entries ? fp->cap_entries * 2 : 64;

			if (cap > fp->max_entries)
				cap = fp->max_entries;
			fp->entries = xrealloc(fp->entries,
					       cap * sizeof(*fp->entries));
			fp->cap_entries = cap;
		}
		i = (uint32_t)fp->n_entries++;
		memset(&fp->entries[i], 0, sizeof(fp->entries[i]));
		fp->entries[i].older = fp->entries[i].newer = FAKEIP_NONE;
		/* keep chains short: at most two slots per bucket on average */
		if (fp->n_entries > fp->n_buckets * 2)
			fakeip_rehash(fp,
				      fp->n_buckets ? fp->n_buckets * 2 : 64);
		return i;
	}
	i = fp->oldest;
	if (i == FAKEIP_NONE)
		return FAKEIP_NONE;
	fakeip_lru_unlink(fp, i);
	fakeip_unhash(fp, i);
	free(fp->entries[i].name);
	fp->entries[i].name = NULL;
	fp->reused++;
	return i;
}

int fakeip_assign(struct fakeip *fp, const char *name, struct ipaddr *v4,
		  struct ipaddr *v6)
{
	char norm[FAKEIP_NAME_MAX + 2];
	size_t len, k, b;
	uint32_t i;

	if (!fakeip_name_ok(name))
		return -EINVAL;
	len = strlen(name);
	if (name[len - 1] == '.')
		len--;
	for (k = 0; k < len; k++) {
		char c = name[k];

		norm[k] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	norm[len] = '\0';

	i = fakeip_find(fp, norm);
	if (i == FAKEIP_NONE) {
		i = fakeip_new_slot(fp);
		if (i == FAKEIP_NONE)
			return -ENOSPC;
		fp->entries[i].name = xstrdup(norm);
		b = fakeip_hash(fp, norm);
		fp->entries[i].next = fp->buckets[b];
		fp->buckets[b] = i;
		fakeip_lru_push(fp, i);
	} else {
		fakeip_touch(fp, i);
	}
	fakeip_addrs(i, v4, v6);
	return 0;
}

const char *fakeip_lookup(struct fakeip *fp, const struct ipaddr *a)
{
	uint32_t i = fakeip_named_slot(fp, a);

	if (i == FAKEIP_NONE)
		return NULL;
	fakeip_touch(fp, i);
	return fp->entries[i].name;
}

const char *fakeip_hold(struct fakeip *fp, const struct ipaddr *a)
{
	uint32_t i = fakeip_named_slot(fp, a);
	struct fakeip_entry *en;

	if (i == FAKEIP_NONE)
		return NULL;
	en = &fp->entries[i];
	if (!en->holds++)
		fakeip_lru_unlink(fp, i);
	return en->name;
}

void fakeip_release(struct fakeip *fp, const struct ipaddr *a)
{
	uint32_t i = fakeip_named_slot(fp, a);
	struct fakeip_entry *en;

	if (i == FAKEIP_NONE)
		return;
	en = &fp->entries[i];
	if (!en->holds)
		return;
	if (!--en->holds)
		fakeip_lru_push(fp, i);
}
