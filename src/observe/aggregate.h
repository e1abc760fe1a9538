/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * aggregate.h - the one aggregation of flow events behind --report and
 * --summary
 *
 * Both consumers turn what they read into the same normalised record,
 * struct agg_event, and hand it to agg_add(): --report from the lines of a
 * saved flow log (report.c), --summary from the engine's live events. The
 * aggregate is then read by the renderers through agg_rank() and the
 * counters below. Memory is bounded: every distinct key costs one unit of a
 * fixed budget, and keys beyond it are counted in @overflow, never stored.
 *
 * Who may include it: observe/ and main.c.
 */
#ifndef CHILDFLOW_AGGREGATE_H
#define CHILDFLOW_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Default budget of distinct keys over all tables of one aggregate */
#define AGG_MAX_KEYS 100000

/* Longest key kept, in bytes; longer values are cut at a UTF-8 boundary */
#define AGG_KEY_MAX 255

/* Longest runtime_failure detail kept (the first one of each reason) */
#define AGG_DETAIL_MAX 512

/* Key used in count tables for a field that was null or missing */
#define AGG_NONE "(none)"

/* The events of the flow log (SPEC.md §3); anything else is AGG_UNKNOWN */
enum agg_kind {
	AGG_DNS_QUERY,
	AGG_DNS_ANSWER,
	AGG_CONNECT_ATTEMPT,
	AGG_CONNECT_RESULT,
	AGG_POLICY_VIOLATION,
	AGG_FLOW_END,
	AGG_RUNTIME_FAILURE,
	AGG_UNKNOWN,
};
#define AGG_KINDS (AGG_UNKNOWN + 1)

/* struct agg_event - one event, normalised
 *
 * Strings are borrowed for the duration of agg_add() (which copies what it
 * keeps) and NULL when the event had no value. Integers are -1 when unknown.
 * Which fields an event sets is said in docs/flow-log.md; agg_event_init()
 * gives the "nothing known" record to fill in.
 */
struct agg_event {
	enum agg_kind kind;
	const char *name;	    /* the event name; needed for AGG_UNKNOWN */
	const char *schema_version; /* as JSON text ("1"), NULL if missing */
	int64_t flow_id;
	const char *protocol;

	/* the remote end: "ip:port" / "[v6]:port" (remote_addr, or remote of
	 * a policy_violation), its ip, its port
	 */
	const char *remote_addr;
	const char *remote_ip;
	int32_t remote_port;
	int via_proxy; /* 1, 0, -1 unknown */

	/* connect_result */
	const char *status; /* "ok", "error" */
	const char *error;  /* stable code: "refused", "timeout", ... */
	const char *error_detail;
	const char *sni, *http_host; /* connects, when seen */

	/* policy_violation */
	const char *reason_code, *control, *matched_cidr, *matched_domain;
	const char *reason;

	/* dns_query / dns_answer */
	const char *qname, *qtype, *mode;
	const char *const *answer_ips;
	size_t n_answer_ips;

	/* runtime_failure (reason_code above) */
	const char *phase, *detail;

	/* flow_end */
	int64_t bytes_sent, bytes_received, duration_ms;
	const char *end; /* "close", "reset", "timeout", "sandbox_exit" */
};

struct agg;

/* struct agg_entry - one key of a table and what is known of it */
struct agg_entry {
	struct agg_entry *next; /* hash chain */
	uint64_t hash;
	uint64_t count; /* the rank: highest first */
	uint64_t sub;	/* second rank key, where a table has one */
	void *data;	/* per-table record, or NULL */
	char key[];
};

/* struct agg_table - string keys to entries, chained hashing */
struct agg_table {
	struct agg_entry **buckets;
	size_t n_buckets, n_entries;
	struct agg *owner; /* whose hash key, and budget unless @cap */
	size_t cap;	   /* 0: spend the owner's budget; else own limit */
	void (*free_data)(void *data);
};

/* struct agg_target - one remote address (table @targets, by remote_addr) */
struct agg_target {
	char *ip;			  /* for the DNS-name correlation */
	uint64_t connect_attempts;	  /* connect_attempt events */
	uint64_t connect_ok;		  /* connect_result ok */
	uint64_t connect_errors;	  /* connect_result error */
	uint64_t denied;		  /* policy_violation events */
	uint64_t ended;			  /* flow_end events */
	uint64_t bytes_sent;		  /* tree -> remote, from flow_end */
	uint64_t bytes_received;	  /* remote -> tree */
	struct agg_table host_names;	  /* sni / http_host seen on connects */
	struct agg_table matched_domains; /* denials: matched_domain */
};

/* struct agg_dns_name - one qname (table @dns_names; count: queries, sub:
 * answers)
 */
struct agg_dns_name {
	struct agg_table answer_ips; /* ip -> times answered */
};

/* struct agg - everything counted; read it, change it only by agg_add() */
struct agg {
	size_t max_keys, n_keys; /* key budget and what is spent */
	uint64_t overflow;	 /* keys not stored: budget spent */
	uint64_t hash_key[2];	 /* random SipHash key of this aggregate */

	uint64_t total; /* events added */
	struct agg_table schema_versions;
	uint64_t kinds[AGG_KINDS];  /* by kind; [AGG_UNKNOWN] is "unknown" */
	struct agg_table events;    /* by event name, unknown ones too */
	struct agg_table protocols; /* events by protocol field */

	uint64_t via_proxy, direct; /* connect_attempt via_proxy true/false */
	uint64_t resolver; /* not direct: DNS over TCP to childflow's own
			    * resolver (SANDBOX_DNS4/6 port 53), answered
			    * on the host
			    */

	struct agg_table deny_reasons, deny_controls;
	struct agg_table deny_cidrs;   /* matched_cidr */
	struct agg_table deny_domains; /* matched_domain; data: targets */

	uint64_t connect_ok, connect_errors;
	struct agg_table errors; /* connect_result error code */

	/* runtime_failure: data of a reason is its first detail (a string) */
	struct agg_table failure_reasons, failure_phases;

	struct agg_table targets;   /* remote_addr -> struct agg_target */
	struct agg_table dns_names; /* qname -> struct agg_dns_name */
	struct agg_table dns_modes, dns_qtypes;
	struct agg_table ip_names; /* answer ip -> table qname -> count */

	uint64_t bytes_sent, bytes_received, duration_ms;
	struct agg_table end_reasons; /* flow_end end */

	/* flow ids seen on a connect_attempt or a denial, so a flow counts
	 * once per target: its own cap, outside the key budget
	 */
	struct agg_table open_flows;
	uint64_t open_flows_overflow;
};

/* agg_init() - an empty aggregate spending at most @max_keys distinct keys
 * (0: AGG_MAX_KEYS)
 */
void agg_init(struct agg *a, size_t max_keys);

/* agg_free() - release everything @a holds; agg_init() it to use it again */
void agg_free(struct agg *a);

/* agg_event_init() - @ev with nothing known: NULLs, -1s, AGG_UNKNOWN */
void agg_event_init(struct agg_event *ev);

/* agg_add() - count one event. Never fails: what does not fit the budget
 * is counted in a->overflow.
 */
void agg_add(struct agg *a, const struct agg_event *ev);

/* agg_kind_from_name() - the kind of event @name (NULL: AGG_UNKNOWN) */
enum agg_kind agg_kind_from_name(const char *name);

/* agg_kind_name() - "dns_query", ... "unknown" */
const char *agg_kind_name(enum agg_kind k);

/* agg_find() - the entry of @key in @t, or NULL */
struct agg_entry *agg_find(const struct agg_table *t, const char *key);

/* agg_count() - the count of @key in @t, 0 when absent */
uint64_t agg_count(const struct agg_table *t, const char *key);

/* agg_rank() - the entries of @t ranked: count, then sub, highest first,
 * then key in byte order. The array is the caller's to free().
 * Return: the number of entries (and *@out NULL when 0)
 */
size_t agg_rank(const struct agg_table *t, struct agg_entry ***out);

/* agg_target_names() - the DNS names whose answers held the ip of @target
 * (an entry of a->targets), as a table of qname -> times, or NULL
 */
const struct agg_table *agg_target_names(const struct agg *a,
					 const struct agg_entry *target);

#endif /* CHILDFLOW_AGGREGATE_H */
