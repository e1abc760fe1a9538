/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * userns.c - the tree's user namespace: its uid and gid maps, and what to
 * say when the kernel will not give us one
 *
 * The command must see the caller's own uid and gid (`id -u` inside is
 * `id -u` outside), so the caller's id is always mapped to itself. Three
 * layouts, best first:
 *
 *  - root: every id of childflow's own namespace, as itself (on a normal
 *    host "0 0 4294967295"): a root caller stays root, and files keep
 *    their owners;
 *  - a user with subordinate ids (/etc/subuid, /etc/subgid) when
 *    newuidmap/newgidmap are installed: the caller's id as itself, and the
 *    subordinate ids filling the inside ids from 0 up, around it, so that
 *    root, nobody and system users exist in the tree (package managers and
 *    nested containers work there as in rootless Podman);
 *  - anyone else: the caller's id only, with setgroups(2) denied as the
 *    kernel requires for an unprivileged gid_map.
 *
 * The helpers are run with argument vectors through posix_spawn(), never
 * through a shell, and are found in PATH like Podman and bubblewrap do.
 * When one fails, the next layout is used and a warning says why.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/sandbox_internal.h"
#include "util.h"

#define USERNS_MAX_RANGES 32

size_t userns_build_map(uint32_t id, const struct userns_range *sub,
			size_t n_sub, struct userns_extent *out, size_t max)
{
	uint64_t next = 0; /* the next free inside id */
	size_t n = 0, i;

	if (max < 1)
		return 0;
	out[n++] = (struct userns_extent){id, id, 1};

	for (i = 0; i < n_sub; i++) {
		uint64_t start = sub[i].start;
		uint64_t left = sub[i].count;

		if (start + left > UINT32_MAX)
			left = start < UINT32_MAX ? UINT32_MAX - start : 0;
		while (left > 0) {
			uint64_t chunk = left;

			/* The caller's outside id is mapped already */
			if (start == id) {
				start++;
				left--;
				continue;
			}
			if (start < id && start + chunk > id)
				chunk = id - start;
			/* ... and its inside id is taken */
			if (next == id)
				next++;
			if (next < id && next + chunk > id)
				chunk = id - next;
			if (next + chunk > UINT32_MAX)
				chunk = UINT32_MAX - next;
			if (chunk == 0)
				return n; /* the inside ids are all used */
			if (n == max)
				return 0;
			out[n++] = (struct userns_extent){(uint32_t)next,
							  (uint32_t)start,
							  (uint32_t)chunk};
			next += chunk;
			start += chunk;
			left -= chunk;
		}
	}
	return n;
}

/* userns_read_file() - read a small /proc or /etc file into @buf
 * Return: 0 (NUL-terminated), or -1 with errno set.
 */
static int userns_read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* userns_write_file() - write @text to a /proc file in one write(2)
 * Return: 0, or -1 with errno set.
 */
static int userns_write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd, err;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, text, len);
	err = errno;
	close(fd);
	if (n != (ssize_t)len) {
		errno = n < 0 ? err : EIO;
		return -1;
	}
	return 0;
}

/* userns_sysctl() - the number in /proc/sys/@name, or -1 when unreadable */
static long userns_sysctl(const char *name)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	if (userns_read_file(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

/* userns_tree_gone() - has pid 1 (@pidfd) exited? It sets up its network
 * while the maps are written, and exits 125 after printing why when that
 * fails: a map that fails then is no news, and is not reported. An exiting
 * pid 1 becomes readable at once; a live one costs a short wait, on the
 * failure path only.
 */
static bool userns_tree_gone(int pidfd)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	return poll(&p, 1, 50) > 0;
}

/* userns_subids() - the subordinate ranges of user @name (or uid @id) in
 * @path (/etc/subuid or /etc/subgid), at most @max of them
 * Return: how many were found (0 when none, or the file is unreadable).
 */
static size_t userns_subids(const char *path, const char *name, uint32_t id,
			    struct userns_range *out, size_t max)
{
	char idstr[16], *line = NULL;
	size_t cap = 0, n = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return 0;
	snprintf(idstr, sizeof(idstr), "%u", id);
	while (n < max && getline(&line, &cap, f) > 0) {
		char *owner, *start, *count, *end, *save = NULL;
		unsigned long s, c;

		owner = strtok_r(line, ":\n", &save);
		start = strtok_r(NULL, ":\n", &save);
		count = strtok_r(NULL, ":\n", &save);
		if (!owner || !start || !count || owner[0] == '#')
			continue;
		if (strcmp(owner, idstr) != 0 &&
		    (!name || strcmp(owner, name) != 0))
			continue;
		errno = 0;
		s = strtoul(start, &end, 10);
		if (errno || *end || s > UINT32_MAX)
			continue;
		c = strtoul(count, &end, 10);
		if (errno || *end || c == 0 || c > UINT32_MAX)
			continue;
		out[n++] = (struct userns_range){(uint32_t)s, (uint32_t)c};
	}
	free(line);
	fclose(f);
	return n;
}

/* A newuidmap or newgidmap running for the tree */
struct userns_helper {
	const char *name;
	pid_t pid; /* 0: not started */
	int errfd; /* its stderr */
};

/* userns_helper_start() - start @h->name (found at @path) for @pid with
 * @map, without waiting for it: newuidmap and newgidmap run side by side.
 * By its path, not through posix_spawnp(): posix_spawn() returns only
 * once the child has exec'd, and a PATH search there costs a failed
 * execve() per folder before the helper's, twice on the start-up's
 * critical path (about 0.3 ms each with a ten-folder PATH). Not fork():
 * under load a forked child waits for a CPU, while posix_spawn()'s child
 * runs in its parent's place (perf trace, 8 runs each on a loaded
 * machine: maps written 4.7 ms after exec with posix_spawn(), 5.3 ms
 * and outliers of 10-16 ms with fork()).
 * Return: 0, or -1 with a warning printed.
 */
static int userns_helper_start(struct userns_helper *h, const char *path,
			       pid_t pid, const struct userns_extent *map,
			       size_t n)
{
	char *argv[2 + 3 * USERNS_MAX_EXTENTS + 1];
	char args[3 * USERNS_MAX_EXTENTS + 1][16];
	posix_spawn_file_actions_t fa;
	size_t i, a = 0;
	int pipefd[2], rc;

	argv[a++] = (char *)h->name;
	snprintf(args[0], sizeof(args[0]), "%d", (int)pid);
	argv[a++] = args[0];
	for (i = 0; i < n; i++) {
		snprintf(args[1 + 3 * i], 16, "%u", map[i].inside);
		snprintf(args[2 + 3 * i], 16, "%u", map[i].outside);
		snprintf(args[3 + 3 * i], 16, "%u", map[i].count);
		argv[a++] = args[1 + 3 * i];
		argv[a++] = args[2 + 3 * i];
		argv[a++] = args[3 + 3 * i];
	}
	argv[a] = NULL;

	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
	rc = posix_spawn(&h->pid, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc) {
		close(pipefd[0]);
		h->pid = 0;
		util_err("warning: %s: %s; mapping only your own id", h->name,
			 strerror(rc));
		return -1;
	}
	h->errfd = pipefd[0];
	return 0;
}

/* userns_helper_finish() - wait for a started helper @h
 * Return: 0 when it succeeded, else -1 with a warning printed that names
 * its own complaint (the first line it wrote on stderr), unless the tree
 * (@pidfd) is gone.
 */
static int userns_helper_finish(struct userns_helper *h, int pidfd)
{
	char msg[256] = "";
	size_t len = 0;
	int status = 0;
	ssize_t r;

	while (len < sizeof(msg) - 1) {
		r = read(h->errfd, msg + len, sizeof(msg) - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	msg[len] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	close(h->errfd);
	while (waitpid(h->pid, &status, 0) < 0 && errno == EINTR)
		;
	h->pid = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (userns_tree_gone(pidfd))
		return -1;
	util_err("warning: %s failed (%s); mapping only your own id", h->name,
		 msg[0] ? msg : "no message");
	return -1;
}

/* userns_helper_find() - the first executable file named @helper in PATH
 * Return: its path (to free), or NULL when there is none.
 */
static char *userns_helper_find(const char *helper)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, *found = NULL;

	copy = xstrdup(path && *path ? path : "/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char *full = xasprintf("%s/%s", dir, helper);

		if (access(full, X_OK) == 0)
			found = full;
		else
			free(full);
	}
	free(copy);
	return found;
}

/* userns_write_identity() - root: map every id of our own namespace (the
 * first column of /proc/self/{uid,gid}_map) to itself in @what of @pid
 * Return: 0, or -1 with errno set.
 */
static int userns_write_identity(pid_t pid, const char *what)
{
	char path[64], own[1024], map[1024];
	size_t len = 0;
	char *line, *save = NULL;

	snprintf(path, sizeof(path), "/proc/self/%s", what);
	if (userns_read_file(path, own, sizeof(own)))
		return -1;
	for (line = strtok_r(own, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long first, count;
		char *end;
		int w;

		/* "first lower count": we keep first, as itself */
		errno = 0;
		first = strtoul(line, &end, 10);
		strtoul(end, &end, 10);
		count = strtoul(end, &end, 10);
		if (errno || count == 0)
			continue;
		w = snprintf(map + len, sizeof(map) - len, "%lu %lu %lu\n",
			     first, first, count);
		if (w < 0 || (size_t)w >= sizeof(map) - len) {
			errno = E2BIG;
			return -1;
		}
		len += (size_t)w;
	}
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	return userns_write_file(path, map);
}

/* userns_write_single() - map only @id to itself in @what (uid_map or
 * gid_map) of @pid; for gid_map, setgroups is denied first as the kernel
 * requires of an unprivileged writer
 * Return: 0, or -1 with one line printed (unless the tree, @pidfd, is gone).
 */
static int userns_write_single(pid_t pid, int pidfd, const char *what,
			       unsigned id)
{
	char path[64], map[48];
	int err;

	if (!strcmp(what, "gid_map")) {
		snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
		/* Absent before Linux 3.19, when there was nothing to deny */
		if (userns_write_file(path, "deny") && errno != ENOENT) {
			err = errno;
			if (!userns_tree_gone(pidfd))
				util_err(
					"cannot deny setgroups in the tree's user namespace: %s",
					strerror(err));
			return -1;
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	snprintf(map, sizeof(map), "%u %u 1\n", id, id);
	if (userns_write_file(path, map)) {
		err = errno;
		if (!userns_tree_gone(pidfd))
			util_err(
				"cannot write the tree's %s (\"%u %u 1\"): %s%s",
				what, id, id, strerror(err),
				userns_eperm_hint());
		return -1;
	}
	return 0;
}

/* userns_map_sub() - start @h->name to map @id and its subordinate ranges
 * of @subfile, when there are some and the helper is installed
 * Return: 0 when started, -1 when the caller must fall back.
 */
static int userns_map_sub(struct userns_helper *h, pid_t pid,
			  const char *subfile, const char *name, uint32_t id)
{
	struct userns_range ranges[USERNS_MAX_RANGES];
	struct userns_extent map[USERNS_MAX_EXTENTS];
	size_t n_ranges, n_map;
	char *path;
	int rc;

	n_ranges = userns_subids(subfile, name, id, ranges, USERNS_MAX_RANGES);
	if (n_ranges == 0)
		return -1;
	n_map = userns_build_map(id, ranges, n_ranges, map, USERNS_MAX_EXTENTS);
	if (n_map < 2)
		return -1;
	path = userns_helper_find(h->name);
	if (!path)
		return -1;
	rc = userns_helper_start(h, path, pid, map, n_map);
	free(path);
	return rc;
}

int userns_map(pid_t pid, int pidfd, uid_t uid, gid_t gid)
{
	struct userns_helper uh = {"newuidmap", 0, -1};
	struct userns_helper gh = {"newgidmap", 0, -1};
	char pwbuf[1024], *name = NULL;
	struct passwd pw, *pwp = NULL;
	bool uid_ok, gid_ok;

	if (uid == 0) {
		/* root without CAP_SETUID (in a container): map what we can */
		if (userns_write_identity(pid, "uid_map") &&
		    userns_write_single(pid, pidfd, "uid_map", uid))
			return -1;
		if (userns_write_identity(pid, "gid_map") &&
		    userns_write_single(pid, pidfd, "gid_map", gid))
			return -1;
		return 0;
	}

	if (!getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &pwp) && pwp)
		name = pw.pw_name;
	uid_ok = !userns_map_sub(&uh, pid, "/etc/subuid", name, uid);
	gid_ok = !userns_map_sub(&gh, pid, "/etc/subgid", name, gid);
	if (uid_ok)
		uid_ok = !userns_helper_finish(&uh, pidfd);
	if (gid_ok)
		gid_ok = !userns_helper_finish(&gh, pidfd);
	if (!uid_ok && userns_write_single(pid, pidfd, "uid_map", uid))
		return -1;
	if (!gid_ok && userns_write_single(pid, pidfd, "gid_map", gid))
		return -1;
	return 0;
}

const char *userns_eperm_hint(void)
{
	if (userns_sysctl("kernel/apparmor_restrict_unprivileged_userns") > 0)
		return " (AppArmor restricts unprivileged user namespaces: kernel.apparmor_restrict_unprivileged_userns = 1; give childflow an AppArmor profile that allows `userns,`, or set the sysctl to 0)";
	return "";
}

void userns_report_clone_error(int err)
{
	long v;

	switch (err) {
	case EPERM:
	case EACCES:
		if (userns_sysctl("kernel/unprivileged_userns_clone") == 0) {
			util_err(
				"cannot create a user namespace: unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0); enable them with `sysctl -w kernel.unprivileged_userns_clone=1`, or run as root");
			return;
		}
		if (userns_sysctl(
			    "kernel/apparmor_restrict_unprivileged_userns") >
		    0) {
			util_err(
				"cannot create a user namespace: AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1); give childflow an AppArmor profile that allows `userns,`, or set the sysctl to 0");
			return;
		}
		util_err(
			"cannot create a user namespace: %s; a container's seccomp policy or a security module may forbid them (try `childflow --doctor`)",
			strerror(err));
		return;
	case ENOSPC:
	case EUSERS:
		v = userns_sysctl("user/max_user_namespaces");
		if (v == 0)
			util_err(
				"cannot create a user namespace: they are disabled (user.max_user_namespaces = 0); enable them with `sysctl -w user.max_user_namespaces=15000`");
		else
			util_err(
				"cannot create a user namespace: the limit of user.max_user_namespaces (%ld) is reached; raise it with sysctl, or end other sandboxes",
				v);
		return;
	case EINVAL:
		util_err(
			"cannot create the tree's namespaces: this kernel lacks user, network, mount or PID namespaces (CONFIG_USER_NS, CONFIG_NET_NS, CONFIG_PID_NS)");
		return;
	case ENOSYS:
		util_err(
			"cannot create the tree's namespaces: clone3() is missing; childflow needs Linux 5.3 or later");
		return;
	default:
		util_err("cannot create the tree's namespaces: %s",
			 strerror(err));
	}
}
