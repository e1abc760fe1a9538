/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * main.c - parse, validate, dispatch
 *
 * childflow does one of four things, chosen in this order: --dump-profile,
 * --doctor, --report, or run a command. The configuration is parsed and
 * validated in full before any of them starts, so a usage error never
 * leaves anything half done.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "config.h"
#include "doctor.h"
#include "observe/report.h"
#include "engine/run.h"
#include "util.h"
#include "version.h"

int main(int argc, char **argv)
{
	struct config cfg;
	struct cli cli;
	char err[1024];
	int status;

	if (cli_parse(argc, argv, &cli, err, sizeof(err))) {
		util_err("%s", err);
		cli_free(&cli);
		return EXIT_USAGE;
	}
	if (cli.action == ACTION_HELP) {
		cli_help(stdout);
		cli_free(&cli);
		return 0;
	}
	if (cli.action == ACTION_VERSION) {
		printf("childflow %s\n", CHILDFLOW_VERSION);
		cli_free(&cli);
		return 0;
	}

	if (config_build(&cli.settings, cli.action, cli.report_file,
			 getenv("CHILDFLOW_PROXY_PASSWORD"), cli.has_command,
			 &cfg, err, sizeof(err))) {
		util_err("%s", err);
		cli_free(&cli);
		return EXIT_USAGE;
	}
	/* The command inherits the caller's environment, but not the proxy
	 * password that was given to childflow alone
	 */
	unsetenv("CHILDFLOW_PROXY_PASSWORD");

	switch (cfg.action) {
	case ACTION_DUMP_PROFILE:
		settings_dump(&cli.settings, stdout);
		status = fflush(stdout) ? EXIT_CHILDFLOW : 0;
		break;
	case ACTION_DOCTOR:
		status = doctor_main(&cfg);
		break;
	case ACTION_REPORT:
		status = report_main(&cfg);
		break;
	case ACTION_RUN:
		status = run_command(&cfg);
		break;
	default:
		ASSERT(0);
	}

	config_free(&cfg);
	cli_free(&cli);
	return status;
}
