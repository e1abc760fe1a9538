/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * run.c - a run, from spawning the tree to its exit status
 *
 * main() calls run_command() for ACTION_RUN. The rootless backend spawns
 * the tree (sandbox.c) and hands it to the engine (loop.c), which starts
 * the command once it is ready and returns its status when the tree is
 * gone. The rootful backend is not built yet.
 */
#include "engine/run.h"

#include "engine/engine.h"
#include "sandbox/sandbox.h"
#include "util.h"
#include "version.h"

int run_command(const struct config *cfg)
{
	struct sandbox sb;
	int status;

	if (cfg->backend == BACKEND_ROOTFUL) {
		util_err(
			"the rootful backend is not built yet in childflow %s; nothing was run (drop --root to use the rootless backend)",
			CHILDFLOW_VERSION);
		return EXIT_CHILDFLOW;
	}
	if (sandbox_spawn(cfg, &sb))
		return EXIT_CHILDFLOW;
	status = engine_run(cfg, &sb);
	sandbox_close(&sb);
	return status;
}
