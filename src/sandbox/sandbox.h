/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * sandbox.h - the command tree: its namespaces, its tun0, its pid 1
 *
 * sandbox_spawn() clones pid 1 of the tree into new user (rootless only),
 * network, mount and PID namespaces, maps the caller's ids, sets up lo and
 * tun0 with the addresses and routes of DESIGN.md, prepares the mounts, and
 * hands tun0's descriptor back. The command is not started until the engine
 * calls sandbox_go(): nothing runs before the relay is ready.
 */
#ifndef CHILDFLOW_SANDBOX_H
#define CHILDFLOW_SANDBOX_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

/* Addresses of DESIGN.md, "Addresses seen by the child" */
#define SANDBOX_ADDR4	 "10.0.2.100"
#define SANDBOX_GW4	 "10.0.2.2"
#define SANDBOX_DNS4	 "10.0.2.3"
#define SANDBOX_ADDR6	 "fd00::100"
#define SANDBOX_GW6	 "fd00::2"
#define SANDBOX_DNS6	 "fd00::3"
#define SANDBOX_PREFIX4	 24
#define SANDBOX_PREFIX6	 64
#define SANDBOX_MTU	 65520
#define SANDBOX_TUN_NAME "tun0"
/* tun0 is opened with IFF_VNET_HDR: every packet read from or written to
 * its descriptor starts with a struct virtio_net_hdr of this size. Its
 * checksum offload is on (TUN_F_CSUM), so the tree's stack leaves the
 * TCP and UDP checksums of what it sends partial (VIRTIO_NET_HDR_F_NEEDS_CSUM)
 * instead of making a pass over every byte for a checksum that the engine,
 * which ends those segments, never reads. No segmentation offload: each
 * packet is at most the MTU.
 */
#define SANDBOX_VNET_HDR_LEN 10

struct sandbox {
	pid_t pid;  /* the tree's pid 1, as the host sees it */
	int pidfd;  /* readable when pid 1 has exited */
	int tun_fd; /* tun0 (IFF_TUN | IFF_NO_PI | IFF_VNET_HDR), O_NONBLOCK,
		     * O_CLOEXEC */
	int ctl_fd; /* private: the parent's end of the sync socket */
	bool started;
};

/* sandbox_spawn() - create the tree for @cfg (backend rootless-internal)
 * On failure prints one line with the cause and a hint ("user namespaces
 * are disabled: ...", "/dev/net/tun: Permission denied: ...") and returns
 * -1; nothing of the tree is left behind. The caller exits with 125.
 * Call it while childflow has one thread: pid 1 starts as a fork-like copy
 * of the caller. pid 1 dies with the calling thread (PR_SET_PDEATHSIG).
 * The command will get the caller's environment and stdio, SIGINT, SIGQUIT
 * and SIGHUP ignored if they are ignored now (nohup), every other signal
 * at its default and none blocked, whatever the caller does afterwards.
 * Rootful (--root) is refused here: that backend is not built yet.
 */
int sandbox_spawn(const struct config *cfg, struct sandbox *sb);

/* sandbox_go() - the engine is ready: pid 1 may start the command
 * Return: 0, or -1 (message printed) when pid 1 is gone.
 */
int sandbox_go(struct sandbox *sb);

/* sandbox_signal() - forward @sig to the command (SIGINT, SIGTERM, SIGHUP;
 * SIGQUIT, SIGUSR1 and SIGUSR2 are passed on too); @force kills the whole
 * tree (a second SIGINT). Before sandbox_go() there is no command yet, and
 * any signal kills the tree.
 * A signal the terminal generated (Ctrl-C, hang-up: si_code SI_KERNEL in
 * the signalfd_siginfo) went to the whole foreground process group, which
 * the command is in: do not forward that one, or the command gets it twice.
 */
void sandbox_signal(struct sandbox *sb, int sig, bool force);

/* sandbox_reap() - after pidfd became readable: collect pid 1 and return
 * the status childflow exits with: the command's exit status, 128+N when it
 * died of signal N, 126 when it could not be executed, 127 when it was not
 * found (pid 1 has printed the reason), 125 when the tree failed to set up.
 */
int sandbox_reap(struct sandbox *sb);

/* sandbox_close() - release descriptors; kills the tree if still running */
void sandbox_close(struct sandbox *sb);

#endif /* CHILDFLOW_SANDBOX_H */
