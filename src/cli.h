/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * cli.h - the command line: option table, --help, argv to settings
 */
#ifndef CHILDFLOW_CLI_H
#define CHILDFLOW_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "settings.h"

struct cli {
	enum config_action action; /* the first of dump, doctor, report, run */
	struct settings settings;  /* profile(s) merged with the command line */
	char *report_file;	   /* --report FILE */
	char *profile;		   /* --profile FILE, as given */
	bool has_command;	   /* a command was given on the command line */
};

/* cli_parse() - parse @argv, load the profile it names, merge
 * -h/--help and -V/--version set the action and stop parsing there.
 * Return: 0, or -1 with one line in @err (usage error: exit status 2).
 */
int cli_parse(int argc, char *const *argv, struct cli *out, char *err,
	      size_t errlen);

void cli_free(struct cli *c);

/* cli_help() - the --help text */
void cli_help(FILE *out);

#endif /* CHILDFLOW_CLI_H */
