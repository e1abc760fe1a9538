/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * run.c - a run, from its outputs to the command's exit status
 *
 * main() calls run_command() for ACTION_RUN. In order (STYLE.md §10):
 * open the outputs, so that a flow log that cannot be written stops the
 * run before anything exists; register the event sinks (flow log,
 * summary, the name map domain rules need); load --hosts-file into the
 * name map; spawn the tree (sandbox.c) and hand it to the engine (loop.c),
 * which starts the command once it is ready and returns its status when
 * the tree is gone; then --fail-on-leak and --summary. The rootful backend
 * is not built yet.
 */
#include "engine/run.h"

#include <stdio.h>

#include "engine/engine.h"
#include "observe/events.h"
#include "observe/flowlog.h"
#include "observe/summary.h"
#include "policy/namemap.h"
#include "sandbox/sandbox.h"
#include "util.h"
#include "version.h"

/* run_namemap_sink() - feed every relayed DNS answer to the name map
 * (--proxy-dns answers name pool addresses, which the pool itself maps)
 */
static void run_namemap_sink(const struct event *ev, void *ctx)
{
	if (ev->kind == EVENT_DNS_ANSWER && ev->answer &&
	    ev->dns_mode == EVENT_DNS_RELAYED)
		namemap_add_answer(ctx, ev->answer);
}

/* run_unbuilt() - a control the user asked for that this version cannot
 * apply yet: the run must be refused rather than go ahead without it
 * Return: 0, or -1 with the reason in @err
 */
static int run_unbuilt(const struct config *cfg, char *err, size_t errlen)
{
	const char *what = NULL;

	if (cfg->capture)
		what = "--capture (pcapng capture)";
	if (!what)
		return 0;
	snprintf(
		err, errlen,
		"%s is not built yet in childflow %s; nothing was run rather than run without it",
		what, CHILDFLOW_VERSION);
	return -1;
}

int run_command(const struct config *cfg)
{
	struct namemap names;
	struct summary sum;
	struct flowlog fl;
	struct sandbox sb;
	char err[512];
	int status;

	if (flowlog_open(cfg, &fl, err, sizeof(err))) {
		util_err("%s", err);
		return EXIT_CHILDFLOW;
	}
	summary_init(&sum, cfg);
	namemap_init(&names, 0);
	events_init();
	if (cfg->flow_log)
		events_add_sink(flowlog_sink, &fl);
	if (cfg->summary || cfg->fail_on_leak)
		events_add_sink(summary_sink, &sum);
	events_add_sink(run_namemap_sink, &names);

	if (cfg->hosts_file &&
	    namemap_load_hosts(&names, cfg->hosts_file, err, sizeof(err)) < 0) {
		util_err("--hosts-file: %s", err);
		events_failure("preflight", "hosts_file_unreadable", err);
		status = EXIT_CHILDFLOW;
	} else if (run_unbuilt(cfg, err, sizeof(err))) {
		/* Fail closed: never run with less control than asked for */
		util_err("%s", err);
		events_failure("preflight", "control_unavailable", err);
		status = EXIT_CHILDFLOW;
	} else if (cfg->backend == BACKEND_ROOTFUL) {
		util_err(
			"the rootful backend is not built yet in childflow %s; nothing was run (drop --root to use the rootless backend)",
			CHILDFLOW_VERSION);
		events_failure(
			"preflight", "backend_unavailable",
			"the rootful backend is not built yet; drop --root to use the rootless backend");
		status = EXIT_CHILDFLOW;
	} else if (sandbox_spawn(cfg, &sb)) {
		events_failure(
			"child_bootstrap", "sandbox_setup_failed",
			"the command tree could not be set up (the reason is on stderr; childflow --doctor checks the host)");
		status = EXIT_CHILDFLOW;
	} else {
		status = engine_run(cfg, &sb, &names);
		sandbox_close(&sb);
	}

	status = summary_leak_status(cfg, &sum, status);
	if (cfg->summary && summary_print(cfg, &sum, status, stderr))
		util_err("--summary: cannot write the summary");
	summary_free(&sum);
	flowlog_close(&fl);
	namemap_free(&names);
	return status;
}
