/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * engine.h - the rootless engine: one thread, one epoll loop, relaying the
 * tree's packets on tun0 to host sockets (DESIGN.md, "The rootless engine")
 */
#ifndef CHILDFLOW_ENGINE_H
#define CHILDFLOW_ENGINE_H

#include "config.h"
#include "policy/namemap.h"
#include "sandbox/sandbox.h"

/* engine_run() - relay for the tree @sb until its pid 1 exits
 * Sets up everything it needs (epoll, signalfd for SIGINT/SIGTERM/SIGHUP,
 * the upstream resolvers, timers), calls sandbox_go() once ready, forwards
 * signals with sandbox_signal(), and when the tree is gone closes every flow
 * and returns sandbox_reap()'s status.
 * @names ties addresses to the names that resolved to them, for domain
 * rules; the caller fills it from DNS events and --hosts-file (may be NULL).
 * Return: the status childflow exits with; 125 when the engine could not
 * start (message printed, the tree killed).
 */
int engine_run(const struct config *cfg, struct sandbox *sb,
	       struct namemap *names);

#endif /* CHILDFLOW_ENGINE_H */
