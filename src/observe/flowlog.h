/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * flowlog.h - --flow-log FILE: the engine's events as JSON Lines
 *
 * run_command() opens the log before anything runs (flowlog_open()),
 * registers flowlog_sink() with events_add_sink(), and closes it after the
 * tree is gone. docs/flow-log.md is the schema; SPEC.md §3 the contract.
 *
 * flowlog_record_fill() is the one translation of an engine event into a
 * flow-log record. The summary uses it too, so that what --summary counts
 * is exactly what --report would count from the saved log.
 *
 * Who may include it: observe/ and the run wiring (engine/run.c, main.c).
 */
#ifndef CHILDFLOW_FLOWLOG_H
#define CHILDFLOW_FLOWLOG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "engine/dnsmsg.h"
#include "observe/aggregate.h"
#include "observe/events.h"

/* Longest free text kept from an event (error_detail, detail), in bytes;
 * longer text is cut at a UTF-8 character boundary
 */
#define FLOWLOG_TEXT_MAX 1024

/* Longest short code kept (error, phase, reason_code) */
#define FLOWLOG_CODE_MAX 64

/* What replaces a proxy password wherever event text holds one */
#define FLOWLOG_REDACTED "***"

/* "[v6]:65535", or under --proxy-dns "name:65535" (a name is at most
 * 253 bytes)
 */
#define FLOWLOG_ADDR_MAX (253 + sizeof(":65535"))

/* struct flowlog_record - one event as the flow log spells it
 *
 * @ev holds the fields of the line the way report.c reads them back
 * (agg_event: NULL for a JSON null, -1 for an unknown integer); the DNS
 * server and answer size, which --report does not read, are beside it.
 * Every pointer points into the record itself or to static text, so the
 * record stays valid after the event is gone.
 */
struct flowlog_record {
	struct agg_event ev;
	uint64_t ts_ms; /* the event's time, Unix ms */

	/* dns_query / dns_answer: the resolver the tree asked */
	const char *server, *server_ip;
	int32_t server_port; /* -1: null */
	int64_t dns_bytes;   /* dns_answer "bytes" */

	/* storage behind the pointers */
	char addr[FLOWLOG_ADDR_MAX];
	char ip[INET6_ADDRSTRLEN];
	char cidr[INET6_ADDRSTRLEN + 4];
	char qname[DNSMSG_NAME_MAX + 1];
	char matched_domain[DNSMSG_NAME_MAX + 1];
	char reason[DNSMSG_NAME_MAX + 64];
	char error[FLOWLOG_CODE_MAX];
	char phase[FLOWLOG_CODE_MAX];
	char reason_code[FLOWLOG_CODE_MAX];
	char error_detail[FLOWLOG_TEXT_MAX];
	char detail[FLOWLOG_TEXT_MAX];
	char ips[DNSMSG_MAX_IPS][INET6_ADDRSTRLEN];
	const char *ip_list[DNSMSG_MAX_IPS];
};

/* struct flowlog - an open flow log (fd -1: none was asked for) */
struct flowlog {
	int fd;
	char *path;		  /* for messages */
	const struct config *cfg; /* the passwords to keep out of the log */
	char *buf;		  /* the line being built */
	size_t len, cap;
	uint64_t last_ts_ms; /* ts_ms never goes backwards */
	uint64_t lines;	     /* lines written */
	int write_errno;     /* first write error, 0 when none */
};

/* flowlog_open() - create or truncate cfg->flow_log (mode 0644 less the
 * umask, O_CLOEXEC); without --flow-log, @fl is a log that writes nothing
 * Call before anything of the run starts: a path that cannot be written
 * must stop the run (status 125) before the command exists.
 * Return: 0, or -1 with one line in @err ("--flow-log: cannot create
 * 'x.jsonl': Permission denied")
 */
int flowlog_open(const struct config *cfg, struct flowlog *fl, char *err,
		 size_t errlen);

/* flowlog_record_fill() - translate @ev into @r; text of the event that
 * holds a proxy password of @cfg (may be NULL) has it replaced by
 * FLOWLOG_REDACTED
 * Return: true, or false when @ev makes no line (the start of a UDP or
 * ICMP flow: only TCP starts are connect_attempt events)
 */
bool flowlog_record_fill(const struct event *ev, const struct config *cfg,
			 struct flowlog_record *r);

/* flowlog_utf8_len() - the length of the well-formed UTF-8 sequence at
 * @s (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF); reads
 * no byte past the first one that breaks the sequence, so never past a NUL
 * Return: 1 to 4, or 0 when @s does not start a well-formed sequence
 */
size_t flowlog_utf8_len(const unsigned char *s);

/* flowlog_sink() - events_sink_fn writing @ev to the flow log @ctx */
void flowlog_sink(const struct event *ev, void *ctx);

/* flowlog_runtime_failure() - log a runtime_failure that happened outside
 * the engine (@phase "cli_validate", "preflight", "child_bootstrap" or
 * "run"). Once the sinks are registered, events_emit() of an
 * EVENT_RUNTIME_FAILURE reaches the summary as well; use this where no
 * event machinery runs.
 */
void flowlog_runtime_failure(struct flowlog *fl, const char *phase,
			     const char *reason_code, const char *detail);

/* flowlog_failed() - did a write fail (already said once on stderr)? */
bool flowlog_failed(const struct flowlog *fl);

/* flowlog_close() - close the log and release @fl
 * Return: 0, or -1 when a write or the close failed (said on stderr)
 */
int flowlog_close(struct flowlog *fl);

#endif /* CHILDFLOW_FLOWLOG_H */
