/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * summary.h - --summary: what the run did, on stderr after it; and the
 * denial count behind --fail-on-leak
 *
 * run_command() initialises a struct summary, registers summary_sink()
 * with events_add_sink() (with --summary or --fail-on-leak), and after the
 * tree is gone applies summary_leak_status() and prints summary_print().
 * The aggregate parts are those of --report (docs/report.md, "The
 * summary"): same aggregation, same renderers.
 *
 * Who may include it: observe/ and the run wiring (engine/run.c, main.c).
 */
#ifndef CHILDFLOW_SUMMARY_H
#define CHILDFLOW_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "observe/aggregate.h"
#include "observe/events.h"

/* struct summary - the run's events, counted */
struct summary {
	const struct config *cfg;
	bool aggregate;	  /* --summary: keep the whole aggregate */
	struct agg agg;	  /* valid when @aggregate */
	uint64_t denials; /* policy_violation events, always counted */
};

/* summary_init() - an empty summary for the run of @cfg; without
 * cfg->summary it only counts denials (for --fail-on-leak)
 */
void summary_init(struct summary *s, const struct config *cfg);

/* summary_sink() - events_sink_fn counting @ev into the summary @ctx; the
 * same translation as the flow log (flowlog_record_fill()), so the counts
 * are those --report gives for the saved flow log
 */
void summary_sink(const struct event *ev, void *ctx);

/* summary_denials() - how many flows (and DNS queries) policy denied */
uint64_t summary_denials(const struct summary *s);

/* summary_leak_status() - --fail-on-leak: the status to exit with, given
 * the command's @status. With --fail-on-leak, something denied and
 * @status 0, prints one warning naming --fail-on-leak and returns 1;
 * otherwise returns @status.
 */
int summary_leak_status(const struct config *cfg, const struct summary *s,
			int status);

/* summary_print() - write the summary of the run to @out (stderr) in
 * cfg->summary_format: the run (backend, command, active controls,
 * outputs, @exit_status), then the aggregate as report_print() and
 * report_json() render it. @s must have been initialised with --summary.
 * Return: 0, or -1 when @out failed
 */
int summary_print(const struct config *cfg, struct summary *s, int exit_status,
		  FILE *out);

/* summary_free() - release what @s holds */
void summary_free(struct summary *s);

#endif /* CHILDFLOW_SUMMARY_H */
