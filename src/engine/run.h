/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * run.h - run the command of @cfg in its sandbox, relayed by the engine
 */
#ifndef CHILDFLOW_RUN_H
#define CHILDFLOW_RUN_H

#include "config.h"

/* run_command() - spawn the tree, relay its traffic until it exits
 * Return: the status childflow exits with (SPEC.md §1): the command's, or
 * 125 when childflow could not set up (one line printed).
 */
int run_command(const struct config *cfg);

#endif /* CHILDFLOW_RUN_H */
