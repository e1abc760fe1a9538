/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * sandbox.c - the command tree: spawn it, start it, signal it, collect it
 *
 * Theory of operation
 * -------------------
 * The tree is every process the command starts, in new user, network, mount
 * and PID namespaces. Its network namespace holds only lo and tun0, whose
 * other end is the descriptor handed to the engine: the tree has no route
 * that does not pass through childflow.
 *
 *   parent (host namespaces)                 pid 1 of the tree
 *   ------------------------                 -----------------
 *   read the host's resolv.conf,
 *   socketpair(SEQPACKET), clone3() ------>  PR_SET_PDEATHSIG, close fds,
 *   (new user and PID namespaces)            block signals
 *   write uid_map, gid_map (userns.c)        meanwhile, with the full
 *                                            capabilities of its userns:
 *                                            unshare() the network and
 *                                            mount namespaces; lo, tun0,
 *                                            addresses, routes (netns.c);
 *                                            /, /proc (mounts.c); wait
 *   send MAPPED  -------------------------> (now has its ids)
 *                                            ping_group_range (netns.c)
 *                                            resolv.conf, hosts, resolver
 *                                            sockets (mounts.c)
 *   receive READY + tun0 (SCM_RIGHTS) <----  send READY + tun0, wait
 *   ... the engine gets ready ...
 *   sandbox_go(): send GO ----------------> fork the command (pid1.c),
 *                                            forward signals, reap orphans
 *   pidfd readable <----------------------- the command exited: pid 1 exits
 *   sandbox_reap()                           with its status, which kills
 *                                            everything left in the tree
 *
 * Everything that can fail for a reason the user can fix fails in
 * sandbox_spawn(), before the command exists, with one line and a hint,
 * and leaves nothing behind: pid 1 prints its own errors and exits 125,
 * the parent reaps it. pid 1 dies with childflow (PR_SET_PDEATHSIG), and
 * the kernel kills every process of a PID namespace when its pid 1 exits,
 * so neither a crash of childflow nor a daemonising command leaves a
 * process running.
 *
 * Status: pid 1 exits with the status childflow must exit with (SPEC.md
 * §1): the command's exit status, 128+N when it died of signal N, 126 or
 * 127 when it could not be executed, 125 when the tree failed to set up.
 * Codes alias (a command may exit 130 by itself), but they alias in
 * childflow's own status just the same, so nothing is lost.
 *
 * Why clone3() and not fork() + unshare(): one process fewer, and a pidfd
 * from the start, so no pid reuse race anywhere. Why the network and mount
 * namespaces come from pid 1's unshare() and not from clone3(): making
 * them takes about a millisecond, which clone3() would spend before the
 * parent can start newuidmap and newgidmap; in pid 1 it overlaps with them.
 * Either way they belong to the tree's user namespace. The child of a raw
 * clone3() is a copy of the parent like a fork() child, but glibc does not
 * know about it (its cached thread id is the parent's): pid 1 calls no
 * threading functions and never raise()s, and the command it forks is
 * forked with glibc's fork(), which sets things right.
 */
#include "sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/sandbox_internal.h"
#include "util.h"

/* sandbox_init() - an empty, closed sandbox: what sandbox_close() accepts */
static void sandbox_init(struct sandbox *sb)
{
	sb->pid = 0;
	sb->pidfd = -1;
	sb->tun_fd = -1;
	sb->ctl_fd = -1;
	sb->started = false;
}

/* sandbox_pidfd_signal() - send @sig to pid 1 through its pidfd
 * Return: 0 or -errno (-ESRCH once pid 1 has exited).
 */
static int sandbox_pidfd_signal(const struct sandbox *sb, int sig)
{
	if (syscall(SYS_pidfd_send_signal, sb->pidfd, sig, NULL, 0) < 0)
		return -errno;
	return 0;
}

/* sandbox_clone() - clone3() pid 1 of the tree into its new namespaces,
 * filling @sb's pid and pidfd
 * Return: like fork() (0 in the child); -1 with errno set on failure.
 */
static pid_t sandbox_clone(struct sandbox *sb)
{
	struct clone_args args;

	memset(&args, 0, sizeof(args));
	/* The network and mount namespaces are pid 1's to make (pid1.c):
	 * creating them is most of what a clone3() with them costs, and pid 1
	 * makes them while newuidmap/newgidmap write the maps
	 */
	args.flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_PIDFD;
	args.pidfd = (uint64_t)(uintptr_t)&sb->pidfd;
	args.exit_signal = SIGCHLD;
	sb->pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	return sb->pid;
}

/* sandbox_recv_ready() - wait for pid 1's READY and take tun0 from it
 * Return: tun0's descriptor (O_CLOEXEC), or -1 when pid 1 went away (it
 * printed why) or sent something else.
 */
static int sandbox_recv_ready(int ctl)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct cmsghdr *cmsg;
	struct msghdr msg;
	struct iovec iov;
	ssize_t n;
	char byte = 0;
	int fd = -1;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = &byte;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);

	do {
		n = recvmsg(ctl, &msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;

	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level == SOL_SOCKET &&
		    cmsg->cmsg_type == SCM_RIGHTS &&
		    cmsg->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	}
	if (byte != SANDBOX_MSG_READY || (msg.msg_flags & MSG_CTRUNC)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* sandbox_send() - send one message byte to pid 1 (no SIGPIPE)
 * Return: 0, or -1 with errno set.
 */
static int sandbox_send(int ctl, char byte)
{
	ssize_t n;

	do {
		n = send(ctl, &byte, 1, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

/* sandbox_abort() - setup failed: make sure pid 1 is gone, reap it, and
 * say why unless pid 1 already did (it exits 125 after printing)
 */
static void sandbox_abort(struct sandbox *sb)
{
	int status = 0;

	if (sb->pid > 0) {
		sandbox_pidfd_signal(sb, SIGKILL);
		while (waitpid(sb->pid, &status, 0) < 0 && errno == EINTR)
			;
		sb->pid = 0;
	}
	sandbox_close(sb);
}

/* sandbox_wait_setup() - pid 1 went away during setup: reap it and report
 * what it did not report itself
 */
static void sandbox_wait_setup(struct sandbox *sb)
{
	int status = 0;
	pid_t r;

	/* Give pid 1 the chance to finish exiting with its own message */
	do {
		r = waitpid(sb->pid, &status, 0);
	} while (r < 0 && errno == EINTR);
	sb->pid = 0;
	if (r > 0 && WIFEXITED(status) && WEXITSTATUS(status) == EXIT_CHILDFLOW)
		return; /* pid 1 printed the cause */
	if (r > 0 && WIFSIGNALED(status))
		util_err(
			"the sandbox's pid 1 died of signal %d while setting up; nothing was run",
			WTERMSIG(status));
	else
		util_err(
			"the sandbox's pid 1 failed while setting up (status %d); nothing was run",
			r > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int sandbox_spawn(const struct config *cfg, struct sandbox *sb)
{
	struct sandbox_plan plan;
	int sv[2];
	int flags;

	sandbox_init(sb);
	if (cfg->backend == BACKEND_ROOTFUL) {
		util_err(
			"the rootful backend (--root) is not built yet: run without --root to use the rootless-internal backend");
		return -1;
	}

	memset(&plan, 0, sizeof(plan));
	plan.cfg = cfg;
	plan.uid = geteuid();
	plan.gid = getegid();
	plan.ipv6 = access("/proc/sys/net/ipv6", F_OK) == 0;
	/* The host's, read before the tree gets a mount namespace of its own */
	plan.resolv_conf = mounts_resolv_conf("/etc/resolv.conf");

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		util_err("socketpair: %s", strerror(errno));
		free(plan.resolv_conf);
		return -1;
	}

	/* Nothing buffered may be written twice, by both processes */
	fflush(stdout);
	fflush(stderr);

	if (sandbox_clone(sb) < 0) {
		int err = errno;

		sb->pid = 0;
		sb->pidfd = -1;
		close(sv[0]);
		close(sv[1]);
		free(plan.resolv_conf);
		userns_report_clone_error(err);
		return -1;
	}
	if (sb->pid == 0) {
		close(sv[0]);
		pid1_main(&plan, sv[1]);
	}

	close(sv[1]);
	free(plan.resolv_conf);
	sb->ctl_fd = sv[0];

	if (userns_map(sb->pid, sb->pidfd, plan.uid, plan.gid)) {
		struct pollfd p = {.fd = sb->pidfd, .events = POLLIN};

		/* pid 1 may have failed meanwhile: report that instead */
		if (poll(&p, 1, 0) > 0) {
			sandbox_wait_setup(sb);
			sandbox_close(sb);
		} else {
			sandbox_abort(sb);
		}
		return -1;
	}
	if (sandbox_send(sb->ctl_fd, SANDBOX_MSG_MAPPED)) {
		sandbox_wait_setup(sb);
		sandbox_close(sb);
		return -1;
	}

	sb->tun_fd = sandbox_recv_ready(sb->ctl_fd);
	if (sb->tun_fd < 0) {
		sandbox_wait_setup(sb);
		sandbox_close(sb);
		return -1;
	}
	flags = fcntl(sb->tun_fd, F_GETFL);
	if (flags < 0 || fcntl(sb->tun_fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		util_err("tun0: cannot make it non-blocking: %s",
			 strerror(errno));
		sandbox_abort(sb);
		return -1;
	}
	return 0;
}

int sandbox_go(struct sandbox *sb)
{
	if (sb->pid <= 0 || sb->ctl_fd < 0 ||
	    sandbox_send(sb->ctl_fd, SANDBOX_MSG_GO)) {
		util_err("the sandbox is gone: the command was not started");
		return -1;
	}
	sb->started = true;
	return 0;
}

void sandbox_signal(struct sandbox *sb, int sig, bool force)
{
	if (sb->pid <= 0 || sb->pidfd < 0)
		return;
	/* Before sandbox_go() there is no command to pass @sig to */
	if (force || !sb->started)
		sig = SIGKILL;
	sandbox_pidfd_signal(sb, sig);
}

int sandbox_reap(struct sandbox *sb)
{
	int status = 0;
	pid_t r;

	if (sb->pid <= 0)
		return EXIT_CHILDFLOW;
	do {
		r = waitpid(sb->pid, &status, 0);
	} while (r < 0 && errno == EINTR);
	sb->pid = 0;
	if (r < 0) {
		util_err("waiting for the sandbox: %s", strerror(errno));
		return EXIT_CHILDFLOW;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_CHILDFLOW;
}

void sandbox_close(struct sandbox *sb)
{
	if (sb->pid > 0) {
		if (sb->pidfd >= 0)
			sandbox_pidfd_signal(sb, SIGKILL);
		else
			kill(sb->pid, SIGKILL);
		while (waitpid(sb->pid, NULL, 0) < 0 && errno == EINTR)
			;
		sb->pid = 0;
	}
	if (sb->tun_fd >= 0)
		close(sb->tun_fd);
	if (sb->ctl_fd >= 0)
		close(sb->ctl_fd);
	if (sb->pidfd >= 0)
		close(sb->pidfd);
	sb->tun_fd = -1;
	sb->ctl_fd = -1;
	sb->pidfd = -1;
	sb->started = false;
}
