/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * aggregate.c - count flow events for the report and the summary
 *
 * Theory of operation
 *
 * There is one aggregation and two ways in. --report reads a saved flow log
 * line by line (report.c); --summary listens to the engine while the command
 * runs. Both turn each event into a struct agg_event, a flat record with
 * every field any event can carry (strings, or NULL; integers, or -1), and
 * call agg_add(). Everything the report and the summary print is derived
 * from what agg_add() counted, so the two can never disagree about what a
 * run did.
 *
 * What is counted lives in string-keyed hash tables (struct agg_table):
 * one per question the report answers (denials by reason, connect errors by
 * code, ...). Tables of "things" carry a record per key: a target
 * (remote_addr) knows its connects, errors, denials, bytes, and the SNI /
 * HTTP Host names seen on its connects; a DNS name knows its queries,
 * answers and answer IPs. Correlations are kept in both directions where
 * both are printed (matched domain -> targets, target -> matched domains),
 * and computed at print time where one table already holds the answer: the
 * DNS names of a target are those of its ip in @ip_names, filled from the
 * answer_ips of dns_answer events, whichever came first in the log.
 *
 * A target's rank is the number of flows seen towards it. A flow is counted
 * once, on its first event among connect_attempt, policy_violation and
 * flow_end: the flow_id (a SPEC addition) joins them, through @open_flows,
 * which holds the ids of flows that started and have not ended (a denial
 * ends its flow: the engine logs no flow_end after one). Logs
 * without flow ids (the earlier tool's) count every connect_attempt and
 * denial, and a flow_end only when it is not TCP, since a TCP flow always
 * began with a connect_attempt.
 *
 * Bounded memory. The input is hostile: the command tree chooses the names
 * it looks up and the addresses it connects to, and a flow log may be
 * anything. So every distinct key of every table, nested ones included,
 * spends one unit of a budget fixed at agg_init() (AGG_MAX_KEYS); once it is
 * spent, new keys are counted in @overflow and dropped while the counters
 * of known keys go on. Keys are cut to AGG_KEY_MAX bytes. Open flow ids
 * have their own cap of the same size, so that flows that never end cannot
 * starve the tables. Tables hash with SipHash-1-3 under a random key per
 * aggregate, so that a tree cannot choose names that all land in one chain.
 */
#include "observe/aggregate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "util.h"

#define AGG_BUCKETS_MIN 16

/* agg_rotl() - rotate @x left by @b bits */
static inline uint64_t agg_rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

/* agg_sipround() - one SipRound over the state @v */
static inline void agg_sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = agg_rotl(v[1], 13);
	v[1] ^= v[0];
	v[0] = agg_rotl(v[0], 32);
	v[2] += v[3];
	v[3] = agg_rotl(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = agg_rotl(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = agg_rotl(v[1], 17);
	v[1] ^= v[2];
	v[2] = agg_rotl(v[2], 32);
}

/* agg_hash() - SipHash-1-3 of @len bytes at @p under @key
 * Keyed so that colliding keys cannot be chosen without knowing the key.
 */
static uint64_t agg_hash(const uint64_t key[2], const char *p, size_t len)
{
	const unsigned char *u = (const unsigned char *)p;
	uint64_t v[4], m;
	size_t i, left = len & 7;
	int j;

	v[0] = key[0] ^ 0x736f6d6570736575ULL;
	v[1] = key[1] ^ 0x646f72616e646f6dULL;
	v[2] = key[0] ^ 0x6c7967656e657261ULL;
	v[3] = key[1] ^ 0x7465646279746573ULL;

	for (i = 0; i + 8 <= len; i += 8) {
		m = 0;
		for (j = 7; j >= 0; j--)
			m = m << 8 | u[i + j];
		v[3] ^= m;
		agg_sipround(v);
		v[0] ^= m;
	}
	m = (uint64_t)len << 56;
	for (j = (int)left - 1; j >= 0; j--)
		m |= (uint64_t)u[i + j] << (8 * j);
	v[3] ^= m;
	agg_sipround(v);
	v[0] ^= m;

	v[2] ^= 0xff;
	agg_sipround(v);
	agg_sipround(v);
	agg_sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* agg_cut_len() - how much of @s to keep when at most @max bytes may be
 * kept: never ending inside a UTF-8 sequence
 */
static size_t agg_cut_len(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* agg_key_len() - how much of @s is kept as a key (AGG_KEY_MAX bytes) */
static size_t agg_key_len(const char *s)
{
	return agg_cut_len(s, AGG_KEY_MAX);
}

/* agg_table_init() - an empty table of @owner; @free_data frees records */
static void agg_table_init(struct agg_table *t, struct agg *owner,
			   void (*free_data)(void *))
{
	memset(t, 0, sizeof(*t));
	t->owner = owner;
	t->free_data = free_data;
}

/* agg_table_free() - free every entry of @t and its record */
static void agg_table_free(struct agg_table *t)
{
	struct agg_entry *e, *next;
	size_t i;

	for (i = 0; i < t->n_buckets; i++) {
		for (e = t->buckets[i]; e; e = next) {
			next = e->next;
			if (e->data && t->free_data)
				t->free_data(e->data);
			free(e);
		}
	}
	free(t->buckets);
	t->buckets = NULL;
	t->n_buckets = 0;
	t->n_entries = 0;
}

/* agg_table_grow() - double the buckets of @t, keeping the chains' order */
static void agg_table_grow(struct agg_table *t)
{
	size_t n = t->n_buckets ? t->n_buckets * 2 : AGG_BUCKETS_MIN;
	struct agg_entry **b = xcalloc(n, sizeof(struct agg_entry *));
	struct agg_entry *e, *next;
	size_t i;

	for (i = 0; i < t->n_buckets; i++) {
		for (e = t->buckets[i]; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->n_buckets = n;
}

/* agg_lookup() - find @key (its first @len bytes) in @t; with @create, add
 * it when absent and the budget allows (else count the overflow)
 * Return: the entry, or NULL
 */
static struct agg_entry *agg_lookup(struct agg_table *t, const char *key,
				    size_t len, bool create)
{
	struct agg *a = t->owner;
	struct agg_entry *e;
	uint64_t h = agg_hash(a->hash_key, key, len);

	if (t->n_buckets) {
		for (e = t->buckets[h & (t->n_buckets - 1)]; e; e = e->next) {
			if (e->hash == h && !strncmp(e->key, key, len) &&
			    !e->key[len])
				return e;
		}
	}
	if (!create)
		return NULL;
	if (t->cap ? t->n_entries >= t->cap : a->n_keys >= a->max_keys) {
		if (!t->cap)
			a->overflow++;
		return NULL;
	}
	if (t->n_entries >= t->n_buckets)
		agg_table_grow(t);

	e = xcalloc(1, sizeof(*e) + len + 1);
	memcpy(e->key, key, len);
	e->hash = h;
	e->next = t->buckets[h & (t->n_buckets - 1)];
	t->buckets[h & (t->n_buckets - 1)] = e;
	t->n_entries++;
	if (!t->cap)
		a->n_keys++;
	return e;
}

/* agg_get() - the entry of @key in @t, added if new and room is left */
static struct agg_entry *agg_get(struct agg_table *t, const char *key)
{
	return agg_lookup(t, key, agg_key_len(key), true);
}

/* agg_bump() - count one more of @key (AGG_NONE when NULL) in @t */
static struct agg_entry *agg_bump(struct agg_table *t, const char *key)
{
	struct agg_entry *e = agg_get(t, key ? key : AGG_NONE);

	if (e)
		e->count++;
	return e;
}

/* agg_remove() - drop @key from @t (a table with its own cap, no records) */
static void agg_remove(struct agg_table *t, const char *key)
{
	size_t len = agg_key_len(key);
	uint64_t h;
	struct agg_entry **pe, *e;

	if (!t->n_buckets)
		return;
	h = agg_hash(t->owner->hash_key, key, len);
	for (pe = &t->buckets[h & (t->n_buckets - 1)]; (e = *pe);
	     pe = &e->next) {
		if (e->hash == h && !strncmp(e->key, key, len) &&
		    !e->key[len]) {
			*pe = e->next;
			if (e->data && t->free_data)
				t->free_data(e->data);
			free(e);
			t->n_entries--;
			if (!t->cap)
				t->owner->n_keys--;
			return;
		}
	}
}

struct agg_entry *agg_find(const struct agg_table *t, const char *key)
{
	if (!t || !key || !t->owner)
		return NULL;
	return agg_lookup((struct agg_table *)t, key, agg_key_len(key), false);
}

uint64_t agg_count(const struct agg_table *t, const char *key)
{
	const struct agg_entry *e = agg_find(t, key);

	return e ? e->count : 0;
}

/* agg_rank_cmp() - qsort order of agg_rank() */
static int agg_rank_cmp(const void *pa, const void *pb)
{
	const struct agg_entry *a = *(struct agg_entry *const *)pa;
	const struct agg_entry *b = *(struct agg_entry *const *)pb;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->sub != b->sub)
		return a->sub > b->sub ? -1 : 1;
	return strcmp(a->key, b->key);
}

size_t agg_rank(const struct agg_table *t, struct agg_entry ***out)
{
	struct agg_entry **v, *e;
	size_t i, n = 0;

	*out = NULL;
	if (!t || !t->n_entries)
		return 0;
	v = xmalloc(t->n_entries * sizeof(struct agg_entry *));
	for (i = 0; i < t->n_buckets; i++)
		for (e = t->buckets[i]; e; e = e->next)
			v[n++] = e;
	ASSERT(n == t->n_entries);
	qsort(v, n, sizeof(struct agg_entry *), agg_rank_cmp);
	*out = v;
	return n;
}

/* agg_target_free() - free_data of @targets */
static void agg_target_free(void *p)
{
	struct agg_target *t = p;

	agg_table_free(&t->host_names);
	agg_table_free(&t->matched_domains);
	free(t->ip);
	free(t);
}

/* agg_dns_name_free() - free_data of @dns_names */
static void agg_dns_name_free(void *p)
{
	struct agg_dns_name *d = p;

	agg_table_free(&d->answer_ips);
	free(d);
}

/* agg_subtable_free() - free_data of tables whose records are tables */
static void agg_subtable_free(void *p)
{
	agg_table_free(p);
	free(p);
}

/* agg_subtable() - the table held by @e (a new empty one the first time) */
static struct agg_table *agg_subtable(struct agg *a, struct agg_entry *e)
{
	if (!e->data) {
		e->data = xmalloc(sizeof(struct agg_table));
		agg_table_init(e->data, a, NULL);
	}
	return e->data;
}

/* agg_seed() - a random hash key for @a; time and pid if getrandom fails
 * (hash quality then drops, correctness does not)
 */
static void agg_seed(struct agg *a)
{
	struct timespec ts;

	if (getrandom(a->hash_key, sizeof(a->hash_key), GRND_NONBLOCK) ==
	    (ssize_t)sizeof(a->hash_key))
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	a->hash_key[0] = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30);
	a->hash_key[1] = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL;
}

void agg_init(struct agg *a, size_t max_keys)
{
	memset(a, 0, sizeof(*a));
	a->max_keys = max_keys ? max_keys : AGG_MAX_KEYS;
	agg_seed(a);

	agg_table_init(&a->schema_versions, a, NULL);
	agg_table_init(&a->events, a, NULL);
	agg_table_init(&a->protocols, a, NULL);
	agg_table_init(&a->deny_reasons, a, NULL);
	agg_table_init(&a->deny_controls, a, NULL);
	agg_table_init(&a->deny_cidrs, a, NULL);
	agg_table_init(&a->deny_domains, a, agg_subtable_free);
	agg_table_init(&a->errors, a, NULL);
	agg_table_init(&a->failure_reasons, a, free);
	agg_table_init(&a->failure_phases, a, NULL);
	agg_table_init(&a->targets, a, agg_target_free);
	agg_table_init(&a->dns_names, a, agg_dns_name_free);
	agg_table_init(&a->dns_modes, a, NULL);
	agg_table_init(&a->dns_qtypes, a, NULL);
	agg_table_init(&a->ip_names, a, agg_subtable_free);
	agg_table_init(&a->end_reasons, a, NULL);
	agg_table_init(&a->open_flows, a, NULL);
	a->open_flows.cap = a->max_keys;
}

void agg_free(struct agg *a)
{
	agg_table_free(&a->schema_versions);
	agg_table_free(&a->events);
	agg_table_free(&a->protocols);
	agg_table_free(&a->deny_reasons);
	agg_table_free(&a->deny_controls);
	agg_table_free(&a->deny_cidrs);
	agg_table_free(&a->deny_domains);
	agg_table_free(&a->errors);
	agg_table_free(&a->failure_reasons);
	agg_table_free(&a->failure_phases);
	agg_table_free(&a->targets);
	agg_table_free(&a->dns_names);
	agg_table_free(&a->dns_modes);
	agg_table_free(&a->dns_qtypes);
	agg_table_free(&a->ip_names);
	agg_table_free(&a->end_reasons);
	agg_table_free(&a->open_flows);
}

void agg_event_init(struct agg_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = AGG_UNKNOWN;
	ev->flow_id = -1;
	ev->remote_port = -1;
	ev->via_proxy = -1;
	ev->bytes_sent = -1;
	ev->bytes_received = -1;
	ev->duration_ms = -1;
}

static const char *const agg_kind_names[AGG_KINDS] = {
	[AGG_DNS_QUERY] = "dns_query",
	[AGG_DNS_ANSWER] = "dns_answer",
	[AGG_CONNECT_ATTEMPT] = "connect_attempt",
	[AGG_CONNECT_RESULT] = "connect_result",
	[AGG_POLICY_VIOLATION] = "policy_violation",
	[AGG_FLOW_END] = "flow_end",
	[AGG_RUNTIME_FAILURE] = "runtime_failure",
	[AGG_UNKNOWN] = "unknown",
};

const char *agg_kind_name(enum agg_kind k)
{
	if ((unsigned int)k >= AGG_KINDS)
		return agg_kind_names[AGG_UNKNOWN];
	return agg_kind_names[k];
}

enum agg_kind agg_kind_from_name(const char *name)
{
	int k;

	if (!name)
		return AGG_UNKNOWN;
	for (k = 0; k < AGG_UNKNOWN; k++)
		if (!strcmp(name, agg_kind_names[k]))
			return (enum agg_kind)k;
	return AGG_UNKNOWN;
}

/* agg_strndup() - the first @n bytes of @s as a new string */
static char *agg_strndup(const char *s, size_t n)
{
	char *d = xmalloc(n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* agg_addr_ip() - the ip part of @addr ("ip:port", "[v6]:port", or a bare
 * address) as a new string
 */
static char *agg_addr_ip(const char *addr)
{
	const char *end, *colon;

	if (addr[0] == '[') {
		end = strchr(addr, ']');
		if (!end)
			end = addr + strlen(addr);
		return agg_strndup(addr + 1, (size_t)(end - addr - 1));
	}
	colon = strchr(addr, ':');
	if (colon && !strchr(colon + 1, ':'))
		return agg_strndup(addr, (size_t)(colon - addr));
	return xstrdup(addr);
}

/* agg_to_resolver() - does connect_attempt @ev go to childflow's own
 * resolver (DNS over TCP, answered on the host, never a direct connect)?
 */
static bool agg_to_resolver(const struct agg_event *ev)
{
	return ev->remote_port == 53 && ev->remote_ip &&
	       (!strcmp(ev->remote_ip, SANDBOX_DNS4) ||
		!strcmp(ev->remote_ip, SANDBOX_DNS6));
}

/* agg_target() - the target record of @ev's remote end, created if new;
 * NULL when @ev names no remote or the budget is spent
 */
static struct agg_target *agg_target(struct agg *a, const struct agg_event *ev,
				     struct agg_entry **entry)
{
	char buf[AGG_KEY_MAX + 16];
	const char *key = ev->remote_addr;
	struct agg_target *t;
	struct agg_entry *e;

	*entry = NULL;
	if (!key && ev->remote_ip && ev->remote_port < 0) {
		key = ev->remote_ip;
	} else if (!key && ev->remote_ip) {
		snprintf(buf, sizeof(buf),
			 strchr(ev->remote_ip, ':') ? "[%.*s]:%d" : "%.*s:%d",
			 AGG_KEY_MAX, ev->remote_ip, (int)ev->remote_port);
		key = buf;
	}
	if (!key)
		return NULL;
	e = agg_get(&a->targets, key);
	if (!e)
		return NULL;
	if (!e->data) {
		t = xcalloc(1, sizeof(*t));
		t->ip = ev->remote_ip ? agg_strndup(ev->remote_ip,
						    agg_key_len(ev->remote_ip))
				      : agg_addr_ip(e->key);
		agg_table_init(&t->host_names, a, NULL);
		agg_table_init(&t->matched_domains, a, NULL);
		e->data = t;
	}
	*entry = e;
	return e->data;
}

/* agg_flow_starts() - is @ev (a connect_attempt) the first event
 * of its flow? Remembers the flow id until its flow_end.
 */
static bool agg_flow_starts(struct agg *a, const struct agg_event *ev)
{
	char id[24];

	if (ev->flow_id < 0)
		return true;
	snprintf(id, sizeof(id), "%" PRId64, ev->flow_id);
	if (agg_find(&a->open_flows, id))
		return false;
	if (!agg_get(&a->open_flows, id))
		a->open_flows_overflow++;
	return true;
}

/* agg_flow_ends() - was @ev (a flow_end) the only event of its flow seen?
 * Forgets its flow id.
 */
static bool agg_flow_ends(struct agg *a, const struct agg_event *ev)
{
	char id[24];

	if (ev->flow_id < 0)
		return !ev->protocol || strcmp(ev->protocol, "tcp") != 0;
	snprintf(id, sizeof(id), "%" PRId64, ev->flow_id);
	if (!agg_find(&a->open_flows, id))
		return true;
	agg_remove(&a->open_flows, id);
	return false;
}

/* agg_flow_denied() - is @ev (a policy_violation) the first event of its
 * flow? A denial ends its flow (no flow_end follows), so its id is not
 * remembered, and forgotten if an earlier event of the flow opened it.
 */
static bool agg_flow_denied(struct agg *a, const struct agg_event *ev)
{
	char id[24];

	if (ev->flow_id < 0)
		return true;
	snprintf(id, sizeof(id), "%" PRId64, ev->flow_id);
	if (!agg_find(&a->open_flows, id))
		return true;
	agg_remove(&a->open_flows, id);
	return false;
}

/* agg_add_host_names() - note the SNI and HTTP Host of a connect */
static void agg_add_host_names(struct agg_target *t, const struct agg_event *ev)
{
	if (ev->sni)
		agg_bump(&t->host_names, ev->sni);
	if (ev->http_host && (!ev->sni || strcmp(ev->sni, ev->http_host) != 0))
		agg_bump(&t->host_names, ev->http_host);
}

/* agg_dns_name() - the entry of @qname in @dns_names with its record,
 * created if new; NULL when the budget is spent
 */
static struct agg_entry *agg_dns_name(struct agg *a, const char *qname)
{
	struct agg_entry *e = agg_get(&a->dns_names, qname);
	struct agg_dns_name *d;

	if (e && !e->data) {
		d = xcalloc(1, sizeof(*d));
		agg_table_init(&d->answer_ips, a, NULL);
		e->data = d;
	}
	return e;
}

/* agg_add_dns_answer() - count an answer, and tie each answer ip to the
 * name for the target correlation
 */
static void agg_add_dns_answer(struct agg *a, const struct agg_event *ev)
{
	struct agg_dns_name *d;
	struct agg_entry *e, *ip;
	size_t i;

	agg_bump(&a->dns_modes, ev->mode);
	if (!ev->qname)
		return;
	e = agg_dns_name(a, ev->qname);
	if (!e)
		return;
	e->sub++;
	d = e->data;
	for (i = 0; i < ev->n_answer_ips; i++) {
		if (!ev->answer_ips[i])
			continue;
		agg_bump(&d->answer_ips, ev->answer_ips[i]);
		ip = agg_get(&a->ip_names, ev->answer_ips[i]);
		if (ip)
			agg_bump(agg_subtable(a, ip), ev->qname);
	}
}

/* agg_add_denial() - a policy_violation: by reason, control, matched rule,
 * and for its target
 */
static void agg_add_denial(struct agg *a, const struct agg_event *ev)
{
	struct agg_entry *te, *de;
	struct agg_target *t;

	agg_bump(&a->deny_reasons, ev->reason_code);
	agg_bump(&a->deny_controls, ev->control);
	if (ev->matched_cidr)
		agg_bump(&a->deny_cidrs, ev->matched_cidr);
	de = ev->matched_domain ? agg_bump(&a->deny_domains, ev->matched_domain)
				: NULL;

	t = agg_target(a, ev, &te);
	if (!t)
		return;
	t->denied++;
	if (agg_flow_denied(a, ev))
		te->count++;
	if (ev->matched_domain)
		agg_bump(&t->matched_domains, ev->matched_domain);
	if (de)
		agg_bump(agg_subtable(a, de), te->key);
}

/* agg_add_flow_end() - bytes, duration and end reason of a finished flow */
static void agg_add_flow_end(struct agg *a, const struct agg_event *ev)
{
	struct agg_target *t;
	struct agg_entry *te;

	if (ev->bytes_sent > 0)
		a->bytes_sent += (uint64_t)ev->bytes_sent;
	if (ev->bytes_received > 0)
		a->bytes_received += (uint64_t)ev->bytes_received;
	if (ev->duration_ms > 0)
		a->duration_ms += (uint64_t)ev->duration_ms;
	agg_bump(&a->end_reasons, ev->end);

	t = agg_target(a, ev, &te);
	if (!t) {
		agg_flow_ends(a, ev);
		return;
	}
	t->ended++;
	agg_add_host_names(t, ev); /* when only seen after the connect */
	if (ev->bytes_sent > 0)
		t->bytes_sent += (uint64_t)ev->bytes_sent;
	if (ev->bytes_received > 0)
		t->bytes_received += (uint64_t)ev->bytes_received;
	if (agg_flow_ends(a, ev))
		te->count++;
}

void agg_add(struct agg *a, const struct agg_event *ev)
{
	enum agg_kind k =
		(unsigned int)ev->kind < AGG_KINDS ? ev->kind : AGG_UNKNOWN;
	struct agg_target *t;
	struct agg_entry *e;
	const char *name = ev->name;

	if (!name)
		name = k == AGG_UNKNOWN ? AGG_NONE : agg_kind_name(k);
	a->total++;
	a->kinds[k]++;
	agg_bump(&a->schema_versions, ev->schema_version);
	agg_bump(&a->events, name);
	if (k == AGG_UNKNOWN)
		return; /* counted; its fields mean nothing we know */

	if (ev->protocol)
		agg_bump(&a->protocols, ev->protocol);

	switch (k) {
	case AGG_DNS_QUERY:
		agg_bump(&a->dns_qtypes, ev->qtype);
		if (ev->qname && (e = agg_dns_name(a, ev->qname)))
			e->count++;
		break;
	case AGG_DNS_ANSWER:
		agg_add_dns_answer(a, ev);
		break;
	case AGG_CONNECT_ATTEMPT:
		if (ev->via_proxy == 1)
			a->via_proxy++;
		else if (ev->via_proxy == 0 && agg_to_resolver(ev))
			a->resolver++;
		else if (ev->via_proxy == 0)
			a->direct++;
		t = agg_target(a, ev, &e);
		if (!t)
			break;
		t->connect_attempts++;
		if (agg_flow_starts(a, ev))
			e->count++;
		agg_add_host_names(t, ev);
		break;
	case AGG_CONNECT_RESULT:
		t = agg_target(a, ev, &e);
		if (ev->status && !strcmp(ev->status, "ok")) {
			a->connect_ok++;
			if (t)
				t->connect_ok++;
		} else if (ev->status && !strcmp(ev->status, "error")) {
			a->connect_errors++;
			agg_bump(&a->errors, ev->error);
			if (t)
				t->connect_errors++;
		}
		if (t)
			agg_add_host_names(t, ev);
		break;
	case AGG_POLICY_VIOLATION:
		agg_add_denial(a, ev);
		break;
	case AGG_FLOW_END:
		agg_add_flow_end(a, ev);
		break;
	case AGG_RUNTIME_FAILURE:
		e = agg_bump(&a->failure_reasons, ev->reason_code);
		if (e && !e->data && ev->detail)
			e->data = agg_strndup(
				ev->detail,
				agg_cut_len(ev->detail, AGG_DETAIL_MAX));
		agg_bump(&a->failure_phases, ev->phase);
		break;
	case AGG_UNKNOWN:
		break;
	}
}

const struct agg_table *agg_target_names(const struct agg *a,
					 const struct agg_entry *target)
{
	const struct agg_target *t = target ? target->data : NULL;
	const struct agg_entry *e;

	if (!t || !t->ip)
		return NULL;
	e = agg_find(&a->ip_names, t->ip);
	return e ? e->data : NULL;
}
