/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * flow.c - the flow table, its lookup hash, its lifecycle and its sweep
 * (the lifecycle is drawn at the top of flow.h)
 *
 * The table is a static array of FLOW_MAX entries, zero (FLOW_STATE_FREE)
 * until used. Entries are handed out from flow_fresh upwards the first
 * time, so untouched entries cost no memory and start-up does not walk
 * the table (linking all of it into the free list cost about 8 ms and
 * made the whole table resident). Freed slots form a list through
 * flow_common.next; so do dead ones until the sweep. The hash is chained through the same field, with
 * a random seed so that the tree cannot choose colliding keys.
 */
#include "engine/flow.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "engine/flow_table.h"
#include "util.h"

#define FLOW_HASH_SIZE (FLOW_MAX * 2) /* buckets; a power of two */
#define FLOW_NONE      (-1)

static union flow flow_table[FLOW_MAX];
/* Bucket heads hold an index + 1, 0 for none: the array starts out empty
 * as zeroed memory, and costs nothing (512 KiB not written, not even
 * faulted in) until flows use it
 */
static uint32_t flow_hash_bucket[FLOW_HASH_SIZE];
static int32_t flow_free_head; /* free list */
static int32_t flow_dead_head; /* dead list, emptied by flow_sweep() */
static uint32_t flow_hiwater;  /* entries at or above are all FREE */
static uint32_t flow_fresh;    /* entries at or above were never used */
static unsigned int flow_used;
static uint64_t flow_seed;

/* flow_bucket() / flow_bucket_set() - the first flow of bucket @b */
static int32_t flow_bucket(uint32_t b)
{
	return (int32_t)flow_hash_bucket[b] - 1;
}

static void flow_bucket_set(uint32_t b, int32_t idx)
{
	flow_hash_bucket[b] = (uint32_t)(idx + 1);
}

void flow_init(void)
{
	/* Only what an earlier run of the table used needs clearing */
	if (flow_fresh) {
		memset(flow_table, 0, flow_fresh * sizeof(flow_table[0]));
		memset(flow_hash_bucket, 0, sizeof(flow_hash_bucket));
	}
	flow_fresh = 0;
	flow_free_head = FLOW_NONE;
	flow_dead_head = FLOW_NONE;
	flow_hiwater = 0;
	flow_used = 0;
	if (getrandom(&flow_seed, sizeof(flow_seed), 0) != sizeof(flow_seed))
		flow_seed = 0x9e3779b97f4a7c15ULL;
}

struct flow_common *flow_at(unsigned int idx)
{
	ASSERT(idx < FLOW_MAX);
	return &flow_table[idx].f;
}

unsigned int flow_idx(const struct flow_common *f)
{
	return (unsigned int)((const union flow *)(const void *)f - flow_table);
}

unsigned int flow_count(void)
{
	return flow_used;
}

/* flow_mix() - one round of the key hash */
static inline uint64_t flow_mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

/* flow_hash_addr() - mix an address into @h */
static uint64_t flow_hash_addr(uint64_t h, const struct ipaddr *a)
{
	uint64_t w[2];

	if (a->family == AF_INET)
		return flow_mix(h, a->v4.s_addr);
	memcpy(w, &a->v6, sizeof(w));
	return flow_mix(flow_mix(h, w[0]), w[1]);
}

/* flow_hash() - bucket of a key */
static uint32_t flow_hash(enum flow_type type, const struct ipaddr *child,
			  uint16_t child_port, const struct ipaddr *remote,
			  uint16_t remote_port)
{
	uint64_t h = flow_mix(flow_seed, type);

	h = flow_hash_addr(h, child);
	h = flow_mix(h, child_port);
	if (flow_uses_remote_key(type)) {
		h = flow_hash_addr(h, remote);
		h = flow_mix(h, remote_port);
	}
	return (uint32_t)(h >> 32) & (FLOW_HASH_SIZE - 1);
}

/* flow_key_eq() - does @f have this key? */
static bool flow_key_eq(const struct flow_common *f, enum flow_type type,
			const struct ipaddr *child, uint16_t child_port,
			const struct ipaddr *remote, uint16_t remote_port)
{
	if (f->type != type || f->child_port != child_port ||
	    !ipaddr_eq(&f->child, child))
		return false;
	if (!flow_uses_remote_key(type))
		return true;
	return f->remote_port == remote_port && ipaddr_eq(&f->remote, remote);
}

uint32_t flow_deny_id(struct engine *e)
{
	return ++e->next_flow_id;
}

struct flow_common *flow_alloc(struct engine *e, enum flow_type type)
{
	struct flow_common *f;
	int32_t idx = flow_free_head;

	if (idx != FLOW_NONE) {
		f = &flow_table[idx].f;
		flow_free_head = f->next;
	} else if (flow_fresh < FLOW_MAX) {
		idx = (int32_t)flow_fresh++;
		f = &flow_table[idx].f;
	} else {
		return NULL;
	}
	ASSERT(f->state == FLOW_STATE_FREE);
	memset(flow_entry(f), 0, sizeof(union flow));
	f->state = FLOW_STATE_NEW;
	f->type = (uint8_t)type;
	f->next = FLOW_NONE;
	f->sock = -1;
	f->id = ++e->next_flow_id;
	f->start_ms = f->last_ms = e->now_ms;
	if ((uint32_t)idx >= flow_hiwater)
		flow_hiwater = (uint32_t)idx + 1;
	flow_used++;
	return f;
}

void flow_activate(struct flow_common *f)
{
	uint32_t b;

	ASSERT(f->state == FLOW_STATE_NEW);
	b = flow_hash(f->type, &f->child, f->child_port, &f->remote,
		      f->remote_port);
	f->next = flow_bucket(b);
	flow_bucket_set(b, (int32_t)flow_idx(f));
	f->state = FLOW_STATE_ACTIVE;
}

/* flow_unhash() - take ACTIVE @f out of its hash chain */
static void flow_unhash(struct flow_common *f)
{
	uint32_t b = flow_hash(f->type, &f->child, f->child_port, &f->remote,
			       f->remote_port);
	int32_t idx = (int32_t)flow_idx(f), cur = flow_bucket(b);

	if (cur == idx) {
		flow_bucket_set(b, f->next);
		return;
	}
	while (cur != FLOW_NONE) {
		struct flow_common *c = &flow_table[cur].f;

		if (c->next == idx) {
			c->next = f->next;
			return;
		}
		cur = c->next;
	}
	ASSERT(0); /* an ACTIVE flow is always in its chain */
}

void flow_kill(struct flow_common *f, enum event_end end)
{
	ASSERT(f->state == FLOW_STATE_NEW || f->state == FLOW_STATE_ACTIVE);
	if (f->state == FLOW_STATE_ACTIVE)
		flow_unhash(f);
	f->state = FLOW_STATE_DEAD;
	f->end = (uint8_t)end;
	f->next = flow_dead_head;
	flow_dead_head = (int32_t)flow_idx(f);
}

struct flow_common *flow_lookup(enum flow_type type, const struct ipaddr *child,
				uint16_t child_port,
				const struct ipaddr *remote,
				uint16_t remote_port)
{
	int32_t idx = flow_bucket(
		flow_hash(type, child, child_port, remote, remote_port));

	while (idx != FLOW_NONE) {
		struct flow_common *f = &flow_table[idx].f;

		if (flow_key_eq(f, type, child, child_port, remote,
				remote_port))
			return f;
		idx = f->next;
	}
	return NULL;
}

void flow_sweep(struct engine *e)
{
	while (flow_dead_head != FLOW_NONE) {
		union flow *fl = &flow_table[flow_dead_head];

		ASSERT(fl->f.state == FLOW_STATE_DEAD);
		flow_dead_head = fl->f.next;
		switch (fl->f.type) {
		case FLOW_TYPE_TCP:
			tcp_free(e, &fl->tcp);
			break;
		case FLOW_TYPE_UDP:
			udp_free(e, &fl->udp);
			break;
		case FLOW_TYPE_ICMP:
			icmp_free(e, &fl->icmp);
			break;
		case FLOW_TYPE_DNS:
			dns_free(e, &fl->dns);
			break;
		default:
			ASSERT(0);
		}
		ASSERT(fl->f.sock < 0); /* the hook closed it */
		fl->f.state = FLOW_STATE_FREE;
		fl->f.next = flow_free_head;
		flow_free_head = (int32_t)flow_idx(&fl->f);
		flow_used--;
	}
	while (flow_hiwater &&
	       flow_table[flow_hiwater - 1].f.state == FLOW_STATE_FREE)
		flow_hiwater--;
}

bool flow_timers(struct engine *e)
{
	bool fast = false;
	uint32_t i;

	for (i = 0; i < flow_hiwater; i++) {
		union flow *fl = &flow_table[i];

		if (fl->f.state != FLOW_STATE_ACTIVE)
			continue;
		switch (fl->f.type) {
		case FLOW_TYPE_TCP:
			fast |= tcp_timer(e, &fl->tcp);
			break;
		case FLOW_TYPE_UDP:
			udp_timer(e, &fl->udp);
			break;
		case FLOW_TYPE_ICMP:
			icmp_timer(e, &fl->icmp);
			break;
		case FLOW_TYPE_DNS:
			dns_timer(e, &fl->dns);
			break;
		default:
			ASSERT(0);
		}
	}
	return fast;
}

void flow_kill_all(struct engine *e, enum event_end end)
{
	uint32_t i;

	for (i = 0; i < flow_hiwater; i++) {
		struct flow_common *f = &flow_table[i].f;

		if (f->state == FLOW_STATE_NEW || f->state == FLOW_STATE_ACTIVE)
			flow_kill(f, end);
	}
	flow_sweep(e);
}

bool flow_tcp_unfinished(void)
{
	uint32_t i;

	for (i = 0; i < flow_hiwater; i++) {
		union flow *fl = &flow_table[i];

		if (fl->f.state == FLOW_STATE_ACTIVE &&
		    fl->f.type == FLOW_TYPE_TCP && tcp_unfinished(&fl->tcp))
			return true;
	}
	return false;
}

void flow_event(const struct flow_common *f, struct event *ev,
		enum event_kind kind, enum event_proto proto)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->flow_id = f->id;
	ev->proto = proto;
	ev->remote = f->remote;
	ev->remote_port = f->remote_port;
}

void flow_close_datagram(const struct engine *e, struct flow_common *f,
			 enum event_proto proto)
{
	if (f->sock >= 0) {
		close(f->sock);
		f->sock = -1;
	}
	if (events_wanted()) {
		struct event ev;

		flow_event(f, &ev, EVENT_FLOW_END, proto);
		ev.bytes_sent = f->bytes_from_child;
		ev.bytes_received = f->bytes_to_child;
		ev.duration_ms = e->now_ms - f->start_ms;
		ev.end = (enum event_end)f->end;
		events_emit(&ev);
	}
}

/* flow_type_name() - the protocol word of debug lines */
static const char *flow_type_name(enum flow_type t)
{
	switch (t) {
	case FLOW_TYPE_TCP:
		return "tcp";
	case FLOW_TYPE_UDP:
		return "udp";
	case FLOW_TYPE_ICMP:
		return "icmp";
	case FLOW_TYPE_DNS:
		return "dns";
	default:
		return "?";
	}
}

void flow_dbg(const struct flow_common *f, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "childflow: flow %u %s: ", f->id,
		flow_type_name((enum flow_type)f->type));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
