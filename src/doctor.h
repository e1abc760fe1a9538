/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * doctor.h - --doctor: is this host ready for the selected backend?
 *
 * main() calls doctor_main() and exits with its status. Everything below
 * doctor_main() is the module's inside, declared here only so that
 * tests/unit/test_doctor.c can drive the pure parts: the parsers of the
 * files the doctor reads, and doctor_evaluate(), which turns a set of
 * gathered facts into the list of checks without any I/O.
 */
#ifndef CHILDFLOW_DOCTOR_H
#define CHILDFLOW_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "config.h"

/* doctor_main() - diagnose the host for cfg->backend and print every check
 * on stdout in cfg->doctor_format. Changes nothing on the host.
 * Return: 0 when the backend can run (no fatal check), 1 when something it
 * needs is missing, EXIT_CHILDFLOW when the output cannot be written.
 */
int doctor_main(const struct config *cfg);

/* Test hook: when set, every file the doctor reads to gather facts
 * (sysctls under /proc/sys, /etc/subuid, /etc/resolv.conf, /dev/net/tun,
 * /proc/modules, /sys/module, /lib/modules, /boot, the helpers in PATH) is
 * read below this folder instead of /. Live probes (uname, unshare, sockets,
 * capabilities) are not affected. Meant for tests only.
 */
#define DOCTOR_ROOT_ENV "CHILDFLOW_DOCTOR_ROOT"

/* ---- inside the module, for the unit tests ---- */

enum doctor_status {
	DOCTOR_OK,
	DOCTOR_WARNING,
	DOCTOR_FATAL,
};

#define DOCTOR_TEXT_MAX	  640
#define DOCTOR_MAX_CHECKS 24

struct doctor_check {
	const char *key;   /* stable, snake_case */
	const char *label; /* for people */
	enum doctor_status status;
	char detail[DOCTOR_TEXT_MAX];
	char hint[DOCTOR_TEXT_MAX]; /* "" when there is nothing to do */
};

struct doctor_report {
	const char *backend; /* config_backend_name() */
	unsigned long uid, euid;
	enum doctor_status status; /* the worst of the checks */
	size_t n_fatal, n_warning;
	struct doctor_check checks[DOCTOR_MAX_CHECKS];
	size_t n;
};

/* Namespace kinds, as bits of doctor_facts.ns_present */
enum doctor_ns {
	DOCTOR_NS_USER,
	DOCTOR_NS_NET,
	DOCTOR_NS_MNT,
	DOCTOR_NS_PID,
	DOCTOR_NS_COUNT,
};

/* How far the namespace probe got: the step that failed, or DONE */
enum doctor_probe_stage {
	DOCTOR_PROBE_NOT_RUN,
	DOCTOR_PROBE_FORK,
	DOCTOR_PROBE_UNSHARE,
	DOCTOR_PROBE_SETGROUPS,
	DOCTOR_PROBE_UID_MAP,
	DOCTOR_PROBE_GID_MAP,
	DOCTOR_PROBE_LO_UP,
	DOCTOR_PROBE_TUN_OPEN,
	DOCTOR_PROBE_TUN_CREATE,
	DOCTOR_PROBE_DONE,
};

/* What is known about one kernel feature (a module or built-in code) */
enum doctor_feature_state {
	DOCTOR_FEAT_UNKNOWN,
	DOCTOR_FEAT_ABSENT,
	DOCTOR_FEAT_MODULE,  /* available as a module, loaded on first use */
	DOCTOR_FEAT_PRESENT, /* built in, or a module already loaded */
};

struct doctor_feature {
	enum doctor_feature_state state;
	char how[160]; /* the evidence, e.g. "built in (/proc/kallsyms)" */
};

struct doctor_helper {
	bool found;
	char path[256];
	bool setuid_root;
	bool file_caps;
};

#define DOCTOR_MAX_GROUPS      256
#define DOCTOR_MAX_NAMESERVERS 8
#define DOCTOR_ADDR_MAX	       64

struct doctor_nameserver {
	char addr[DOCTOR_ADDR_MAX]; /* as written, with any %scope */
	bool loopback;
	int route_errno; /* 0: the host has a route to it */
};

/* Everything doctor_gather() learns; errno-like fields are 0 for success
 * and a positive errno value otherwise. Numbers read from files are -1
 * when the file does not exist or does not parse.
 */
struct doctor_facts {
	/* who asks */
	unsigned long uid, euid, gid;
	char user[64];				 /* the name of uid, or "" */
	unsigned long groups[DOCTOR_MAX_GROUPS]; /* egid and supplementary */
	size_t n_groups;
	bool cap_net_raw; /* in the effective set */

	/* kernel */
	char release[65];
	unsigned int ns_present; /* bits of enum doctor_ns */
	long max_ns[DOCTOR_NS_COUNT];
	long userns_clone;	/* kernel.unprivileged_userns_clone */
	long apparmor_restrict; /* ..apparmor_restrict_unprivileged_userns */

	/* the namespace probe (a forked child that unshares) */
	enum doctor_probe_stage probe_stage;
	int probe_errno;

	/* rootless id mapping */
	struct doctor_helper newuidmap, newgidmap;
	int subuid_errno, subgid_errno; /* reading the files */
	unsigned long subuid_first, subuid_count;
	unsigned long subgid_first, subgid_count;

	/* /dev/net/tun */
	int tun_stat_errno;
	unsigned int tun_mode; /* st_mode */
	unsigned int tun_major, tun_minor;
	unsigned long tun_uid, tun_gid;
	char tun_owner[64], tun_group[64]; /* names, or numbers */
	int tun_open_errno;

	/* ICMP */
	long ping_lo, ping_hi; /* net.ipv4.ping_group_range, -1 unknown */
	int ping_socket_errno; /* opening an ICMP datagram socket */

	/* IPv6 */
	int ipv6_socket_errno, ipv6_connect_errno;

	/* DNS */
	int dns_route_errno; /* to --dns, when given */
	int resolv_errno;    /* reading /etc/resolv.conf */
	struct doctor_nameserver ns[DOCTOR_MAX_NAMESERVERS];
	size_t n_ns;

	/* rootful */
	bool nft_lib;
	char nft_lib_error[160];
	struct doctor_feature nf_tables, nft_tproxy, tproxy4, tproxy6;
	int rule4_errno, rule6_errno; /* dumping the policy-routing rules */
	unsigned int rule4_count, rule6_count;
	int iface_errno; /* --iface: 0 when the device exists */
	unsigned int iface_index;
};

/* doctor_evaluate() - turn @f into @r's checks for @cfg (backend, --dns,
 * --capture-point, --iface). Pure: reads nothing but its arguments.
 */
void doctor_evaluate(const struct config *cfg, const struct doctor_facts *f,
		     struct doctor_report *r);

/* doctor_gather() - learn @f for @cfg, reading files below @root ("" for
 * the real one). Creates nothing on the host.
 */
void doctor_gather(const struct config *cfg, const char *root,
		   struct doctor_facts *f);

/* doctor_print_text(), doctor_print_json() - write @r to @out
 * Return: 0, or -1 when writing failed
 */
int doctor_print_text(const struct doctor_report *r, FILE *out);
int doctor_print_json(const struct doctor_report *r, FILE *out);

const char *doctor_status_name(enum doctor_status s);

/* Parsers of the files the doctor reads (pure; @text is NUL-terminated) */

/* doctor_parse_release() - "6.1.0-18-amd64" -> 6, 1. Return: 0 or -1 */
int doctor_parse_release(const char *release, unsigned int *major,
			 unsigned int *minor);

/* doctor_parse_ping_range() - "1\t0\n" -> 1, 0. Return: 0 or -1 */
int doctor_parse_ping_range(const char *text, long *lo, long *hi);

/* doctor_parse_long() - one decimal number and optional blanks/newline.
 * Return: the number (>= 0), or -1
 */
long doctor_parse_long(const char *text);

/* doctor_subid_lookup() - add up the ranges of /etc/subuid-style @text that
 * belong to @name or to the number @id. @first is the start of the first.
 * Return: the number of subordinate ids (0 when none)
 */
unsigned long doctor_subid_lookup(const char *text, const char *name,
				  unsigned long id, unsigned long *first);

/* doctor_parse_resolv() - the nameserver lines of resolv.conf @text, as
 * glibc reads them (address validated, loopback classified; route_errno
 * left 0). Return: how many were stored in @ns (at most @max)
 */
size_t doctor_parse_resolv(const char *text, struct doctor_nameserver *ns,
			   size_t max);

/* doctor_modules_has() - does /proc/modules @text list module @name? */
bool doctor_modules_has(const char *text, const char *name);

/* doctor_modlist_has() - does modules.builtin/modules.dep @text name
 * module @name (".../name.ko", compressed or not; '-' and '_' alike)?
 */
bool doctor_modlist_has(const char *text, const char *name);

/* doctor_kconfig_value() - @sym ("CONFIG_NF_TABLES") in a kernel config:
 * 'y', 'm', 'n' (written "is not set"), or 0 when not mentioned
 */
char doctor_kconfig_value(const char *text, const char *sym);

#endif /* CHILDFLOW_DOCTOR_H */
