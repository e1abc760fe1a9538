/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * sandbox_internal.h - what the files of src/sandbox/ share; include it from
 * src/sandbox/ only (and from the sandbox's test driver, tests/tools/)
 *
 * sandbox.c (the parent side) computes a struct sandbox_plan before the
 * clone; pid1.c (pid 1 of the tree) receives a copy of it with the rest of
 * the parent's memory and follows it with netns.c and mounts.c.
 */
#ifndef CHILDFLOW_SANDBOX_INTERNAL_H
#define CHILDFLOW_SANDBOX_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "config.h"

/* One byte on the sync socket (SOCK_SEQPACKET), parent <-> pid 1 */
enum sandbox_msg {
	SANDBOX_MSG_MAPPED = 'M', /* parent: uid_map and gid_map are written */
	SANDBOX_MSG_READY = 'R',  /* pid 1: set up; carries tun0 (SCM_RIGHTS) */
	SANDBOX_MSG_GO = 'G',	  /* parent: the engine is ready, start */
};

/* What pid 1 needs, all computed by the parent in the host namespaces */
struct sandbox_plan {
	const struct config *cfg;
	uid_t uid;	   /* the caller's euid: the same number inside */
	gid_t gid;	   /* the caller's egid: the same number inside */
	bool ipv6;	   /* the kernel has IPv6: give tun0 its IPv6 side */
	char *resolv_conf; /* the tree's /etc/resolv.conf, generated */
};

/* pid1.c */

/* pid1_main() - pid 1 of the tree, right after clone3(): never returns
 * @ctl is pid 1's end of the sync socket. Exits 125 (message printed)
 * when the setup fails, else with the command's status (see pid1.c).
 */
void pid1_main(const struct sandbox_plan *plan, int ctl)
	__attribute__((noreturn));

/* userns.c */

/* One line of a uid_map or gid_map: @count ids from @inside map to @outside */
struct userns_extent {
	uint32_t inside;
	uint32_t outside;
	uint32_t count;
};

/* A subordinate range of /etc/subuid or /etc/subgid */
struct userns_range {
	uint32_t start;
	uint32_t count;
};

#define USERNS_MAX_EXTENTS 64

/* userns_map() - write the uid and gid maps of the tree whose pid 1 is @pid
 * (@pidfd). Root: every id of childflow's own namespace, as itself.
 * Others: their own id as itself, plus their subordinate ranges through
 * newuidmap and newgidmap when they have some, else only their own id
 * (setgroups denied).
 * Return: 0, or -1 with one line printed; nothing is printed when pid 1
 * has exited meanwhile (it printed why).
 */
int userns_map(pid_t pid, int pidfd, uid_t uid, gid_t gid);

/* userns_build_map() - lay out the caller's @id and its subordinate @sub
 * ranges inside the namespace: @id maps to itself, the subordinate ids fill
 * the inside ids from 0 up, around @id. Outside ids equal to @id are left
 * out of the subordinate ranges, so that no outside id is mapped twice.
 * Return: the number of extents written to @out (at most @max); 0 when
 * @n_sub ranges do not fit.
 */
size_t userns_build_map(uint32_t id, const struct userns_range *sub,
			size_t n_sub, struct userns_extent *out, size_t max);

/* userns_report_clone_error() - print why clone3() refused the namespaces
 * (@err is its errno), with what to do about it
 */
void userns_report_clone_error(int err);

/* userns_eperm_hint() - a hint for an EPERM met inside the new namespaces:
 * names AppArmor's restriction when it is on, else ""
 */
const char *userns_eperm_hint(void);

/* netns.c */

/* netns_setup() - in pid 1, before the maps are written: lo up, tun0
 * created and configured, default routes
 * Return: tun0's descriptor, or -1 with one line printed.
 */
int netns_setup(const struct sandbox_plan *plan);

/* netns_allow_ping() - in pid 1, once mapped: let @gid open ICMP ping
 * sockets in the tree (ping_group_range; root: every usual gid, as systemd
 * sets it on hosts)
 * Return: 0, or -1 with one line printed.
 */
int netns_allow_ping(gid_t gid);

/* mounts.c */

/* mounts_resolv_conf() - the tree's resolv.conf for the host's @path
 * (read in the parent, before the clone). Never fails: a missing or
 * unreadable host file only means no search/domain/options lines.
 */
char *mounts_resolv_conf(const char *path);

/* mounts_resolv_render() - the tree's resolv.conf, keeping the search,
 * domain and options lines of @host (NULL: none). Returns a new string.
 */
char *mounts_resolv_render(FILE *host);

/* mounts_proc() - in pid 1, before the maps are written: private
 * propagation, and a fresh /proc
 * Return: 0, or -1 with one line printed.
 */
int mounts_proc(void);

/* mounts_files() - in pid 1, once mapped (the files it creates need an
 * owner the tree knows): the generated resolv.conf, --hosts-file, the
 * resolver sockets hidden
 * Return: 0, or -1 with one line printed.
 */
int mounts_files(const struct sandbox_plan *plan);

#endif /* CHILDFLOW_SANDBOX_INTERNAL_H */
