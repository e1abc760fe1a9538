/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * pid1.c - pid 1 of the tree: set the tree up, then be its small init
 *
 * pid 1 starts right after clone3() in the new user and PID namespaces, as
 * a copy of childflow, and makes the tree's network and mount namespaces
 * itself. It first lets go of everything of childflow's it must not
 * hold (descriptors other than stdio and its end of the sync socket), and
 * asks to die with childflow (PR_SET_PDEATHSIG). It holds every capability
 * of its user namespace from the start, but no ids until the parent has
 * written its uid and gid maps: it sets up the network (netns.c) and
 * mounts /proc (mounts.c) meanwhile, then waits for the maps, opens ping
 * sockets to its gid and puts the tree's files in place (mounts.c), hands
 * tun0 over, and forks the command's process, which does all it can
 * before its exec and waits (a fork is no longer on the way from GO to
 * the command: the engine finishes its set-up meanwhile). Then pid 1
 * waits for GO.
 *
 * On GO it lets the command exec and stays behind as its init:
 *
 *  - the command is exec'd with execvp() semantics: a PATH search, and a
 *    script without "#!" run by /bin/sh. When the exec fails, the command
 *    process reports errno on a close-on-exec pipe, and pid 1 prints
 *    "childflow: NAME: command not found" (status 127) or
 *    "childflow: NAME: <reason>" (126), as shells do;
 *  - it gets the caller's uid, gid and environment, stdio only (every other
 *    descriptor is closed on exec), an empty signal mask, default signal
 *    dispositions (SIGINT, SIGQUIT and SIGHUP stay ignored when childflow
 *    was started with them ignored, as nohup and background jobs do), and
 *    no capabilities unless the caller is root;
 *  - SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to pid 1
 *    (by sandbox_signal()) are passed on to the command. Those that the
 *    terminal sent (si_code SI_KERNEL: Ctrl-C, a hang-up) are not: the
 *    terminal sends them to the whole foreground process group, which the
 *    command is in already, and a second copy would make "press Ctrl-C
 *    again to quit" programs quit;
 *  - every orphan of the tree is reaped;
 *  - when the command exits, pid 1 exits with its status (128+N for a
 *    signal N), and the kernel kills whatever is left in the namespace.
 *
 * pid 1 of a PID namespace gets no signal it has not asked for; pid 1
 * keeps them blocked and reads them from a signalfd, which the kernel
 * counts as asking (a blocked signal is never discarded).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/sandbox_internal.h"
#include "util.h"

/* The signals pid 1 passes on to the command */
static const int pid1_forwarded[] = {SIGINT,  SIGTERM, SIGHUP,
				     SIGQUIT, SIGUSR1, SIGUSR2};

/* The signals that stay ignored for the command when they were for us */
static const int pid1_keep_ignored[] = {SIGINT, SIGQUIT, SIGHUP};

/* pid1_close_fds() - close every descriptor but stdio and @keep
 * Return: @keep, moved to 3 or above if it was below.
 */
static int pid1_close_fds(int keep)
{
	if (keep < 3) {
		int moved = fcntl(keep, F_DUPFD_CLOEXEC, 3);

		if (moved < 0) {
			util_err("sandbox: cannot keep its control socket: %s",
				 strerror(errno));
			_exit(EXIT_CHILDFLOW);
		}
		close(keep);
		keep = moved;
	}
	if (keep > 3)
		close_range(3, (unsigned)keep - 1, 0);
	close_range((unsigned)keep + 1, ~0U, 0);
	return keep;
}

/* pid1_unshare() - the tree's own network and mount namespaces, owned by
 * its user namespace (sandbox.c says why they are made here)
 * Return: 0, or -1 with one line printed.
 */
static int pid1_unshare(void)
{
	if (!unshare(CLONE_NEWNET | CLONE_NEWNS))
		return 0;
	if (errno == EINVAL)
		util_err(
			"cannot create the tree's namespaces: this kernel lacks network or mount namespaces (CONFIG_NET_NS)");
	else
		util_err(
			"cannot create the tree's network and mount namespaces: %s",
			strerror(errno));
	return -1;
}

/* pid1_recv() - wait for one message byte from the parent
 * Return: the byte, or -1 when the parent closed its end (or is gone).
 */
static int pid1_recv(int ctl)
{
	char byte;
	ssize_t n;

	do {
		n = recv(ctl, &byte, 1, 0);
	} while (n < 0 && errno == EINTR);
	return n == 1 ? byte : -1;
}

/* pid1_send_ready() - send READY with tun0's descriptor @tun
 * Return: 0, or -1 when the parent is gone.
 */
static int pid1_send_ready(int ctl, int tun)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte = SANDBOX_MSG_READY;
	struct cmsghdr *cmsg;
	struct msghdr msg;
	struct iovec iov;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	memset(&u, 0, sizeof(u));
	iov.iov_base = &byte;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &tun, sizeof(int));

	do {
		n = sendmsg(ctl, &msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

/* pid1_drop_caps() - the command of a non-root caller keeps no capability
 * of the tree's user namespace. exec() as a non-root uid would clear them
 * anyway; this says so in the code, and covers the ambient set.
 * Return: 0, or -1 with errno set.
 */
static int pid1_drop_caps(void)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	    errno != EINVAL)
		return -1;
	return (int)syscall(SYS_capset, &hdr, data);
}

/* pid1_in_path() - is there a file named @name in a folder of PATH?
 * execvp() fails with EACCES when a folder of PATH cannot be searched,
 * even when no folder holds @name; a shell says "command not found"
 * then, and so do we.
 */
static bool pid1_in_path(const char *name)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	bool found = false;
	struct stat st;

	/* glibc's execvp() searches its default for an unset PATH */
	copy = xstrdup(path ? path : "/bin:/usr/bin");
	for (dir = strtok_r(copy, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char *full = xasprintf("%s/%s", dir, name);

		found = stat(full, &st) == 0;
		free(full);
	}
	free(copy);
	return found;
}

/* pid1_exec() - in the command's process: clean up what pid 1 set, wait
 * for the byte pid 1 writes on @gofd once the engine is ready (EOF: pid 1
 * gave up), and exec the command; on failure write errno to @errfd and
 * exit 127
 */
__attribute__((noreturn)) static void pid1_exec(const struct sandbox_plan *plan,
						int errfd, int gofd,
						const bool *ignored)
{
	char **argv = plan->cfg->command;
	struct sigaction sa;
	sigset_t none;
	int sig, err;

	memset(&sa, 0, sizeof(sa));
	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		sa.sa_handler = ignored[sig] ? SIG_IGN : SIG_DFL;
		sigaction(sig, &sa, NULL); /* glibc's own signals: EINVAL */
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* Only stdio survives the exec; @errfd is close-on-exec already */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC)) {
		int fd;

		for (fd = 3; fd < 65536; fd++)
			if (fd != errfd)
				close(fd);
	}

	if (plan->uid != 0 && pid1_drop_caps()) {
		util_err("cannot drop the command's capabilities: %s",
			 strerror(errno));
		_exit(EXIT_CHILDFLOW);
	}

	{
		char go;
		ssize_t n;

		do {
			n = read(gofd, &go, 1);
		} while (n < 0 && errno == EINTR);
		if (n != 1)
			_exit(EXIT_CHILDFLOW);
	}
	execvp(argv[0], argv);
	err = errno;
	if (err == EACCES && !strchr(argv[0], '/') && !pid1_in_path(argv[0]))
		err = ENOENT;
	if (write(errfd, &err, sizeof(err)) < 0)
		_exit(EXIT_CHILDFLOW);
	_exit(EXIT_NOT_FOUND);
}

/* pid1_exec_error() - say why the command could not be executed
 * Return: the status: 127 when it was not found, else 126.
 */
static int pid1_exec_error(const char *name, int err)
{
	if (err == ENOENT && !strchr(name, '/')) {
		util_err("%s: command not found", name);
		return EXIT_NOT_FOUND;
	}
	util_err("%s: %s", name, strerror(err));
	return err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
}

/* The command's process, forked before the engine is ready */
struct pid1_cmd {
	pid_t pid;
	int sfd;   /* signalfd of the signals pid 1 keeps blocked */
	int errfd; /* reads the exec's errno, or EOF once it succeeded */
	int gofd;  /* one byte here lets the command exec */
};

/* pid1_fork() - fork the command's process, which does all it can before
 * waiting to exec (pid1_exec()): while the engine finishes its own set-up,
 * so that GO costs no fork
 * Return: 0, or -1 with one line printed.
 */
static int pid1_fork(const struct sandbox_plan *plan, const sigset_t *blocked,
		     const bool *ignored, struct pid1_cmd *c)
{
	int ep[2], gp[2];

	c->sfd = signalfd(-1, blocked, SFD_CLOEXEC);
	if (c->sfd < 0 || pipe2(ep, O_CLOEXEC)) {
		util_err("sandbox: cannot start the command: %s",
			 strerror(errno));
		return -1;
	}
	if (pipe2(gp, O_CLOEXEC)) {
		util_err("sandbox: cannot start the command: %s",
			 strerror(errno));
		return -1;
	}
	c->pid = fork();
	if (c->pid < 0) {
		util_err("sandbox: cannot start the command: fork: %s",
			 strerror(errno));
		return -1;
	}
	if (c->pid == 0) {
		close(ep[0]);
		close(gp[1]);
		pid1_exec(plan, ep[1], gp[0], ignored);
	}
	close(ep[1]);
	close(gp[0]);
	c->errfd = ep[0];
	c->gofd = gp[1];
	return 0;
}

/* pid1_run() - let the command forked by pid1_fork() exec, and be its
 * init until it exits
 * Return: the status pid 1 exits with.
 */
static int pid1_run(const struct sandbox_plan *plan, struct pid1_cmd *c)
{
	int sfd = c->sfd, err = 0, status = EXIT_CHILDFLOW;
	bool exec_failed;
	pid_t cmd = c->pid;
	ssize_t n;
	char go = SANDBOX_MSG_GO;

	/* Let it exec. If it is gone already (a Ctrl-C while it waited),
	 * the write fails, and its status below says how it ended.
	 */
	signal(SIGPIPE, SIG_IGN);
	(void)!write(c->gofd, &go, 1);
	close(c->gofd);

	/* EOF: the exec succeeded (the pipe closed with it) */
	do {
		n = read(c->errfd, &err, sizeof(err));
	} while (n < 0 && errno == EINTR);
	close(c->errfd);
	exec_failed = n == (ssize_t)sizeof(err);
	if (exec_failed)
		status = pid1_exec_error(plan->cfg->command[0], err);

	for (;;) {
		struct signalfd_siginfo si;
		int ws;
		pid_t p;

		n = read(sfd, &si, sizeof(si));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(si)) {
			util_err("sandbox: signalfd: %s",
				 n < 0 ? strerror(errno) : "short read");
			return EXIT_CHILDFLOW;
		}
		if (si.ssi_signo != SIGCHLD) {
			if (si.ssi_code != SI_KERNEL && !exec_failed)
				kill(cmd, (int)si.ssi_signo);
			continue;
		}
		/* Signals merge: reap everything that has exited */
		while ((p = waitpid(-1, &ws, WNOHANG)) > 0) {
			if (p != cmd)
				continue; /* an orphan of the tree */
			if (exec_failed)
				return status;
			if (WIFEXITED(ws))
				return WEXITSTATUS(ws);
			return 128 + WTERMSIG(ws);
		}
	}
}

void pid1_main(const struct sandbox_plan *plan, int ctl)
{
	struct pid1_cmd cmd;
	bool ignored[NSIG];
	struct sigaction old;
	sigset_t blocked;
	size_t i;
	int tun;

	/* If childflow is gone already, the first recv() sees EOF */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	ctl = pid1_close_fds(ctl);

	memset(ignored, 0, sizeof(ignored));
	for (i = 0; i < ARRAY_SIZE(pid1_keep_ignored); i++) {
		int sig = pid1_keep_ignored[i];

		if (!sigaction(sig, NULL, &old) && old.sa_handler == SIG_IGN)
			ignored[sig] = true;
	}
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGCHLD);
	for (i = 0; i < ARRAY_SIZE(pid1_forwarded); i++)
		sigaddset(&blocked, pid1_forwarded[i]);
	sigprocmask(SIG_BLOCK, &blocked, NULL);

	/* What needs only capabilities, while the parent writes the maps */
	if (pid1_unshare())
		_exit(EXIT_CHILDFLOW);
	tun = netns_setup(plan);
	if (tun < 0 || mounts_proc())
		_exit(EXIT_CHILDFLOW);

	if (pid1_recv(ctl) != SANDBOX_MSG_MAPPED)
		_exit(EXIT_CHILDFLOW);
	if (netns_allow_ping(plan->gid) || mounts_files(plan))
		_exit(EXIT_CHILDFLOW);
	if (pid1_send_ready(ctl, tun))
		_exit(EXIT_CHILDFLOW);
	close(tun);

	/* While the engine sets up: without GO, pid 1 exits, and the
	 * waiting process dies with its PID namespace
	 */
	if (pid1_fork(plan, &blocked, ignored, &cmd))
		_exit(EXIT_CHILDFLOW);
	if (pid1_recv(ctl) != SANDBOX_MSG_GO)
		_exit(EXIT_CHILDFLOW);
	_exit(pid1_run(plan, &cmd));
}
