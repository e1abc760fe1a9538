/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_doctor.c - --doctor: the parsers of the files it reads, the verdict
 * of every check from hand-made facts, both output formats, and the test
 * root that doctor_gather() reads its files below
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <ftw.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctor.h"
#include "policy/cidr.h"
#include "util.h"

/* ---- helpers ---- */

/* A host where the rootless backend runs with nothing to say */
static void healthy(struct doctor_facts *f)
{
	int i;

	memset(f, 0, sizeof(*f));
	f->uid = f->euid = f->gid = 1000;
	snprintf(f->user, sizeof(f->user), "alice");
	f->groups[0] = 1000;
	f->n_groups = 1;
	f->cap_net_raw = false;
	snprintf(f->release, sizeof(f->release), "6.1.0-18-amd64");
	f->ns_present = 0xf;
	for (i = 0; i < DOCTOR_NS_COUNT; i++)
		f->max_ns[i] = 63000;
	f->userns_clone = -1;
	f->apparmor_restrict = -1;
	f->probe_stage = DOCTOR_PROBE_DONE;
	f->newuidmap =
		(struct doctor_helper){true, "/usr/bin/newuidmap", true, false};
	f->newgidmap =
		(struct doctor_helper){true, "/usr/bin/newgidmap", true, false};
	f->subuid_first = f->subgid_first = 100000;
	f->subuid_count = f->subgid_count = 65536;
	f->tun_mode = S_IFCHR | 0666;
	f->tun_major = 10;
	f->tun_minor = 200;
	snprintf(f->tun_owner, sizeof(f->tun_owner), "root");
	snprintf(f->tun_group, sizeof(f->tun_group), "root");
	f->ping_lo = 0;
	f->ping_hi = 2147483647;
	snprintf(f->ns[0].addr, sizeof(f->ns[0].addr), "192.0.2.53");
	f->n_ns = 1;
	f->nft_lib = true;
	f->nf_tables.state = DOCTOR_FEAT_PRESENT;
	f->nft_tproxy.state = DOCTOR_FEAT_PRESENT;
	f->tproxy4.state = DOCTOR_FEAT_PRESENT;
	f->tproxy6.state = DOCTOR_FEAT_MODULE;
	f->rule4_count = f->rule6_count = 3;
}

/* As root: what root needs is there, too */
static void healthy_root(struct doctor_facts *f)
{
	healthy(f);
	f->uid = f->euid = f->gid = 0;
	f->groups[0] = 0;
	snprintf(f->user, sizeof(f->user), "root");
	f->cap_net_raw = true;
}

static void rootless(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->backend = BACKEND_ROOTLESS;
}

static void rootful(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->backend = BACKEND_ROOTFUL;
}

/* find() - the check @key of @r; fails the test when there is none */
static const struct doctor_check *find(const struct doctor_report *r,
				       const char *key)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->checks[i].key, key))
			return &r->checks[i];
	fail_msg("no check %s", key);
	return &r->checks[0]; /* not reached: fail_msg() jumps out */
}

static bool has(const struct doctor_report *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->checks[i].key, key))
			return true;
	return false;
}

/* expect() - check @key has @status and @detail (and @hint) contain the
 * given fragments (NULL: not checked; "" for the hint: must be empty)
 */
static void expect(const struct doctor_report *r, const char *key,
		   enum doctor_status status, const char *detail,
		   const char *hint)
{
	const struct doctor_check *c = find(r, key);

	if (c->status != status)
		fail_msg("%s: status %s, wanted %s (%s)", key,
			 doctor_status_name(c->status),
			 doctor_status_name(status), c->detail);
	if (detail && !strstr(c->detail, detail))
		fail_msg("%s: detail \"%s\" lacks \"%s\"", key, c->detail,
			 detail);
	if (hint && !*hint && c->hint[0])
		fail_msg("%s: unexpected hint \"%s\"", key, c->hint);
	if (hint && *hint && !strstr(c->hint, hint))
		fail_msg("%s: hint \"%s\" lacks \"%s\"", key, c->hint, hint);
}

/* ---- parsers ---- */

static void test_parse_release(void **state)
{
	unsigned int a = 0, b = 0;

	(void)state;
	assert_int_equal(doctor_parse_release("6.1.0-18-amd64", &a, &b), 0);
	assert_int_equal(a, 6);
	assert_int_equal(b, 1);
	assert_int_equal(doctor_parse_release("5.3", &a, &b), 0);
	assert_int_equal(a, 5);
	assert_int_equal(b, 3);
	assert_int_equal(doctor_parse_release("6.18.44-fc-v509", &a, &b), 0);
	assert_int_equal(b, 18);
	assert_int_equal(doctor_parse_release("", &a, &b), -1);
	assert_int_equal(doctor_parse_release("6", &a, &b), -1);
	assert_int_equal(doctor_parse_release("v6.1", &a, &b), -1);
	assert_int_equal(doctor_parse_release("6.x", &a, &b), -1);
	assert_int_equal(doctor_parse_release(NULL, &a, &b), -1);
}

static void test_parse_numbers(void **state)
{
	long lo = -5, hi = -5;

	(void)state;
	assert_int_equal(doctor_parse_long("0\n"), 0);
	assert_int_equal(doctor_parse_long("63459\n"), 63459);
	assert_int_equal(doctor_parse_long(" 1"), 1);
	assert_int_equal(doctor_parse_long(""), -1);
	assert_int_equal(doctor_parse_long("-1\n"), -1);
	assert_int_equal(doctor_parse_long("1 2\n"), -1);
	assert_int_equal(doctor_parse_long(NULL), -1);

	assert_int_equal(doctor_parse_ping_range("1\t0\n", &lo, &hi), 0);
	assert_int_equal(lo, 1);
	assert_int_equal(hi, 0);
	assert_int_equal(doctor_parse_ping_range("0 2147483647\n", &lo, &hi),
			 0);
	assert_int_equal(lo, 0);
	assert_int_equal(hi, 2147483647);
	assert_int_equal(doctor_parse_ping_range("1\n", &lo, &hi), -1);
	assert_int_equal(doctor_parse_ping_range("a b\n", &lo, &hi), -1);
	assert_int_equal(doctor_parse_ping_range("1 2 3\n", &lo, &hi), -1);
}

static void test_subid_lookup(void **state)
{
	static const char text[] = "# comment\n"
				   "bob:100000:65536\n"
				   "alice:165536:65536\n"
				   "1000:300000:10\n"
				   "alice:garbage\n"
				   "alice:400000:0\n"
				   "alicex:500000:5\n"
				   "alice:231072:1000";
	unsigned long first = 7;

	(void)state;
	assert_int_equal(doctor_subid_lookup(text, "alice", 1000, &first),
			 65536 + 10 + 1000);
	assert_int_equal(first, 165536);
	assert_int_equal(doctor_subid_lookup(text, "bob", 1001, &first), 65536);
	assert_int_equal(first, 100000);
	assert_int_equal(doctor_subid_lookup(text, "carol", 1002, &first), 0);
	assert_int_equal(first, 0);
	/* no name: the uid alone */
	assert_int_equal(doctor_subid_lookup(text, "", 1000, &first), 10);
	assert_int_equal(doctor_subid_lookup("", "alice", 1000, &first), 0);
}

static void test_parse_resolv(void **state)
{
	static const char text[] = "# generated\n"
				   "search example.org\n"
				   "nameserver 127.0.0.53\n"
				   "nameserver\t192.0.2.1 # trailing\n"
				   " nameserver 192.0.2.9\n"
				   "nameserver not-an-ip\n"
				   "nameservers 192.0.2.8\n"
				   "nameserver fe80::1%eth0\n"
				   "nameserver ::1\n"
				   "options edns0\n";
	struct doctor_nameserver ns[8];
	size_t n;

	(void)state;
	n = doctor_parse_resolv(text, ns, 8);
	assert_int_equal(n, 4);
	assert_string_equal(ns[0].addr, "127.0.0.53");
	assert_true(ns[0].loopback);
	assert_string_equal(ns[1].addr, "192.0.2.1");
	assert_false(ns[1].loopback);
	assert_string_equal(ns[2].addr, "fe80::1%eth0");
	assert_false(ns[2].loopback);
	assert_string_equal(ns[3].addr, "::1");
	assert_true(ns[3].loopback);
	assert_int_equal(doctor_parse_resolv(text, ns, 2), 2);
	assert_int_equal(doctor_parse_resolv("search x\n", ns, 8), 0);
	assert_int_equal(doctor_parse_resolv("", ns, 8), 0);
}

static void test_module_lists(void **state)
{
	static const char modules[] =
		"nf_tables 303104 0 - Live 0x0000000000000000\n"
		"nft_tproxy 16384 0 - Live 0x0000000000000000\n";
	static const char dep[] =
		"kernel/net/netfilter/nf_tables.ko.xz: kernel/net/netfilter/nfnetlink.ko.xz\n"
		"kernel/net/ipv4/netfilter/nf_tproxy_ipv4.ko.zst:\n"
		"kernel/drivers/net/tun.ko:\n"
		"kernel/net/netfilter/nft-socket.ko:\n";
	static const char builtin[] = "kernel/net/netfilter/nfnetlink.ko\n";

	(void)state;
	assert_true(doctor_modules_has(modules, "nf_tables"));
	assert_true(doctor_modules_has(modules, "nft_tproxy"));
	assert_false(doctor_modules_has(modules, "nf_table"));
	assert_false(doctor_modules_has(modules, "nf_tproxy_ipv4"));

	assert_true(doctor_modlist_has(dep, "nf_tables"));
	assert_true(doctor_modlist_has(dep, "nf_tproxy_ipv4"));
	assert_true(doctor_modlist_has(dep, "tun"));
	assert_true(doctor_modlist_has(dep, "nft_socket")); /* '-' is '_' */
	assert_false(doctor_modlist_has(dep, "nfnetlink")); /* a dependency */
	assert_false(doctor_modlist_has(dep, "nf_tproxy_ipv6"));
	assert_true(doctor_modlist_has(builtin, "nfnetlink"));
	assert_false(doctor_modlist_has("", "tun"));
}

static void test_kconfig(void **state)
{
	static const char text[] = "CONFIG_NF_TABLES=m\n"
				   "CONFIG_NF_TABLES_INET=y\n"
				   "# CONFIG_NFT_TPROXY is not set\n"
				   "CONFIG_NF_TPROXY_IPV4=y\n";

	(void)state;
	assert_int_equal(doctor_kconfig_value(text, "CONFIG_NF_TABLES"), 'm');
	assert_int_equal(doctor_kconfig_value(text, "CONFIG_NF_TABLES_INET"),
			 'y');
	assert_int_equal(doctor_kconfig_value(text, "CONFIG_NFT_TPROXY"), 'n');
	assert_int_equal(doctor_kconfig_value(text, "CONFIG_NF_TPROXY_IPV6"),
			 0);
	assert_int_equal(doctor_kconfig_value(text, "CONFIG_NF_TPROXY"), 0);
}

/* ---- evaluation: the rootless backend ---- */

static const char *const rootless_keys[] = {
	"kernel",
	"namespace_handles",
	"namespace_limits",
	"unprivileged_user_namespaces",
	"apparmor_userns_policy",
	"namespace_probe",
	"uidmap_helpers",
	"subuid_subgid_entries",
	"tun_tap_device",
	"ping_sockets",
	"af_packet_capture",
	"ipv6_route",
	"resolver",
};

static void test_rootless_healthy(void **state)
{
	struct doctor_facts f;
	struct doctor_report r;
	struct config cfg;
	size_t i;

	(void)state;
	rootless(&cfg);
	healthy(&f);
	doctor_evaluate(&cfg, &f, &r);
	assert_string_equal(r.backend, "rootless-internal");
	assert_int_equal(r.uid, 1000);
	assert_int_equal(r.n, ARRAY_SIZE(rootless_keys));
	for (i = 0; i < r.n; i++) {
		assert_string_equal(r.checks[i].key, rootless_keys[i]);
		assert_non_null(r.checks[i].label);
		assert_true(r.checks[i].detail[0]);
	}
	/* Without CAP_NET_RAW, -C wire-egress is the only warning */
	assert_int_equal(r.status, DOCTOR_WARNING);
	assert_int_equal(r.n_fatal, 0);
	assert_int_equal(r.n_warning, 1);
	expect(&r, "af_packet_capture", DOCTOR_WARNING, "wire-egress",
	       "wire-egress");
	expect(&r, "tun_tap_device", DOCTOR_OK, "mode 0666", "");
	expect(&r, "namespace_probe", DOCTOR_OK, "mapped uid 1000", "");
	expect(&r, "subuid_subgid_entries", DOCTOR_OK,
	       "65536 subordinate uids from 100000", "");

	healthy_root(&f);
	doctor_evaluate(&cfg, &f, &r);
	assert_int_equal(r.status, DOCTOR_OK);
	assert_int_equal(r.n_warning, 0);
	expect(&r, "uidmap_helpers", DOCTOR_OK, "not needed", "");
	expect(&r, "subuid_subgid_entries", DOCTOR_OK, "not needed", "");
	assert_false(has(&r, "root_privileges"));
	assert_false(has(&r, "nftables"));
}

static void test_kernel(void **state)
{
	struct doctor_facts f;
	struct doctor_report r;
	struct config cfg;

	(void)state;
	rootless(&cfg);
	healthy(&f);
	snprintf(f.release, sizeof(f.release), "5.2.21");
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "kernel", DOCTOR_FATAL, "older than 5.3", "5.3 or later");
	assert_int_equal(r.status, DOCTOR_FATAL);
	snprintf(f.release, sizeof(f.release), "4.19.0");
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "kernel", DOCTOR_FATAL, NULL, NULL);
	snprintf(f.release, sizeof(f.release), "5.3.0");
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "kernel", DOCTOR_OK, "Linux 5.3.0", "");
	snprintf(f.release, sizeof(f.release), "weird");
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "kernel", DOCTOR_WARNING, "weird", "5.3");
}

static void test_namespaces(void **state)
{
	struct doctor_facts f;
	struct doctor_report r;
	struct config cfg;

	(void)state;
	rootless(&cfg);
	healthy(&f);
	f.ns_present &= ~(1u << DOCTOR_NS_USER);
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "namespace_handles", DOCTOR_FATAL, "/proc/self/ns/{user}",
	       "CONFIG_USER_NS");
	/* rootful does not need a user namespace */
	rootful(&cfg);
	healthy_root(&f);
	f.ns_present &= ~(1u << DOCTOR_NS_USER);
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "namespace_handles", DOCTOR_OK, "{net,mnt,pid}", "");
	f.ns_present = 0;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "namespace_handles", DOCTOR_FATAL, "{net,mnt,pid}",
	       "CONFIG_NET_NS, CONFIG_NAMESPACES, CONFIG_PID_NS");
}

static void test_limits(void **state)
{
	struct doctor_facts f;
	struct doctor_report r;
	struct config cfg;

	(void)state;
	rootless(&cfg);
	healthy(&f);
	expect((doctor_evaluate(&cfg, &f, &r), &r), "namespace_limits",
	       DOCTOR_OK, "max_user_namespaces 63000", "");
	f.max_ns[DOCTOR_NS_USER] = 0;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "namespace_limits", DOCTOR_FATAL,
	       "user.max_user_namespaces is 0",
	       "sysctl -w user.max_user_namespaces=15000");
	/* rootful ignores the user limit */
	rootful(&cfg);
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "namespace_limits", DOCTOR_OK, NULL, "");
	f.max_ns[DOCTOR_NS_NET] = 0;
	f.max_ns[DOCTOR_NS_PID] = 0;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "namespace_limits", DOCTOR_FATAL,
	       "user.max_net_namespaces, user.max_pid_namespaces is 0",
	       "user.max_pid_namespaces=15000");
	rootless(&cfg);
	healthy(&f);
	f.max_ns[DOCTOR_NS_MNT] = -1;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "namespace_limits", DOCTOR_WARNING, "cannot read", "probe");
}

static void test_userns_switches(void **state)
{
	struct doctor_facts f;
	struct doctor_report r;
	struct config cfg;

	(void)state;
	rootless(&cfg);
	healthy(&f);
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "unprivileged_user_namespaces", DOCTOR_OK, "does not exist",
	       "");
	expect(&r, "apparmor_userns_policy", DOCTOR_OK, "does not exist", "");

	/* Debian's switch off, and the probe failing because of it */
	f.userns_clone = 0;
	f.probe_stage = DOCTOR_PROBE_UNSHARE;
	f.probe_errno = EPERM;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "unprivileged_user_namespaces", DOCTOR_FATAL, "is 0",
	       "sysctl -w kernel.unprivileged_userns_clone=1");
	expect(&r, "namespace_probe", DOCTOR_FATAL,
	       "unshare(): Operation not permitted",
	       "kernel.unprivileged_userns_clone=1");
	/* root is not bound by it */
	healthy_root(&f);
	f.userns_clone = 0;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "unprivileged_user_namespaces", DOCTOR_OK, "root", "");

	/* Ubuntu's AppArmor restriction: namespaces without capabilities */
	healthy(&f);
	f.apparmor_restrict = 1;
	f.probe_stage = DOCTOR_PROBE_LO_UP;
	f.probe_errno = EPERM;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "apparmor_userns_policy", DOCTOR_FATAL, "is 1",
	       "apparmor_restrict_unprivileged_userns=0");
	expect(&r, "namespace_probe", DOCTOR_FATAL, "setting lo up",
	       "AppArmor");
	/* ... unless this program is allowed */
	f.probe_stage = DOCTOR_PROBE_DONE;
	f.probe_errno = 0;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "apparmor_userns_policy", DOCTOR_OK, "probe below succeeded",
	       "");
	f.apparmor_restrict = 0;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "apparmor_userns_policy", DOCTOR_OK, "is 0", "");
}

static void test_probe(void **state)
{
	struct doctor_facts f;
	struct doctor_report r;
	struct config cfg;

	(void)state;
	rootless(&cfg);
	healthy(&f);
	f.probe_stage = DOCTOR_PROBE_UNSHARE;
	f.probe_errno = EPERM;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "namespace_probe", DOCTOR_FATAL,
	       "creating user, network, mount and PID namespaces failed",
	       "seccomp");
	f.max_ns[DOCTOR_NS_USER] = 0;
	f.probe_errno = ENOSPC;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "namespace_probe", DOCTOR_FATAL, NULL,
	       "user.max_user_namespaces=15000");
	healthy(&f);
	f.probe_stage = DOCTOR_PROBE_UID_MAP;
	f.probe_errno = EPERM;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "namespace_probe", DOCTOR_FATAL,
	       "writing /proc/self/uid_map failed", NULL);
	f.probe_stage = DOCTOR_PROBE_FORK;
	f.probe_errno = 0;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "namespace_probe", DOCTOR_FATAL, "died", NULL);
	/* a tun failure is the tun check's, not the probe's */
	f.probe_stage = DOCTOR_PROBE_TUN_CREATE;
	f.probe_errno = EPERM;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "namespace_probe", DOCTOR_OK, NULL, "");
	expect(&r, "tun_tap_device", DOCTOR_FATAL, "TUNSETIFF", "security");
}

static void test_uidmap_and_subids(void **state)
{
	struct doctor_facts f;
	struct doctor_report r;
	struct config cfg;

	(void)state;
	rootless(&cfg);
	healthy(&f);
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "uidmap_helpers", DOCTOR_OK,
	       "/usr/bin/newuidmap (setuid root)", "");
	f.newgidmap.found = false;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "uidmap_helpers", DOCTOR_WARNING, "newgidmap is not in PATH",
	       "apt-get install uidmap");
	expect(&r, "subuid_subgid_entries", DOCTOR_OK,
	       "unused without newuidmap", "");
	healthy(&f);
	f.newuidmap.setuid_root = false;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "uidmap_helpers", DOCTOR_WARNING,
	       "neither setuid root nor has file capabilities",
	       "chmod u+s /usr/bin/newuidmap");
	f.newuidmap.file_caps = true;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "uidmap_helpers", DOCTOR_OK, "file capabilities", "");

	healthy(&f);
	f.subuid_count = 0;
	f.subgid_count = 0;
	f.subgid_errno = ENOENT;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "subuid_subgid_entries", DOCTOR_WARNING,
	       "alice: no subordinate uids in /etc/subuid, no subordinate gids in /etc/subgid; the tree maps only your own uid and gid (a single mapping)",
	       "usermod --add-subuids 100000-165535 --add-subgids 100000-165535 alice");
	f.user[0] = '\0';
	f.subgid_count = 10;
	f.subuid_errno = EACCES;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "subuid_subgid_entries", DOCTOR_WARNING,
	       "uid 1000: cannot read /etc/subuid (Permission denied)",
	       "uid 1000");
	assert_int_equal(r.status, DOCTOR_WARNING);
}

static void test_tun(void **state)
{
	struct doctor_facts f;
	struct doctor_report r;
	struct config cfg;

	(void)state;
	rootless(&cfg);

	/* This machine's node: 0600 root, opened by a user */
	healthy(&f);
	f.tun_mode = S_IFCHR | 0600;
	f.tun_open_errno = EACCES;
	f.probe_stage = DOCTOR_PROBE_TUN_OPEN;
	f.probe_errno = EACCES;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "tun_tap_device", DOCTOR_FATAL,
	       "/dev/net/tun is mode 0600 (owner root): this user cannot open it",
	       "most distributions use 0666; as root: chmod 0666 /dev/net/tun (or a udev rule: KERNEL==\"tun\", MODE=\"0666\")");
	assert_int_equal(r.status, DOCTOR_FATAL);
	expect(&r, "namespace_probe", DOCTOR_OK, NULL, "");

	/* ... and by root */
	healthy_root(&f);
	f.tun_mode = S_IFCHR | 0600;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "tun_tap_device", DOCTOR_OK, "mode 0600, owner root", "");
	assert_int_equal(r.status, DOCTOR_OK);

	/* group access: the hint names the group */
	healthy(&f);
	f.tun_mode = S_IFCHR | 0660;
	f.tun_gid = 108;
	snprintf(f.tun_group, sizeof(f.tun_group), "netdev");
	f.tun_open_errno = EACCES;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "tun_tap_device", DOCTOR_FATAL, "mode 0660",
	       "add this user to group netdev");
	/* in the group, the mode allows it: something else denies */
	f.groups[f.n_groups++] = 108;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "tun_tap_device", DOCTOR_FATAL, "device cgroup",
	       "container");

	healthy(&f);
	f.tun_stat_errno = ENOENT;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "tun_tap_device", DOCTOR_FATAL, "does not exist",
	       "modprobe tun");
	healthy(&f);
	f.tun_mode = S_IFREG | 0666;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "tun_tap_device", DOCTOR_FATAL, "not a character device",
	       "mknod");
	healthy(&f);
	f.tun_minor = 201;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "tun_tap_device", DOCTOR_FATAL, "10:201", "c 10 200");
	healthy(&f);
	f.tun_open_errno = ENODEV;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "tun_tap_device", DOCTOR_FATAL, "tun driver is missing",
	       "CONFIG_TUN");
	/* the probe did not get as far as the tun */
	healthy(&f);
	f.probe_stage = DOCTOR_PROBE_UNSHARE;
	f.probe_errno = EPERM;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "tun_tap_device", DOCTOR_OK, "not tried", "");
}

static void test_ping(void **state)
{
	struct doctor_facts f;
	struct doctor_report r;
	struct config cfg;

	(void)state;
	rootless(&cfg);
	healthy(&f);
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "ping_sockets", DOCTOR_OK,
	       "gid 1000 is inside net.ipv4.ping_group_range \"0 2147483647\"",
	       "");
	/* closed, as on this machine: warning, explained */
	f.ping_lo = 1;
	f.ping_hi = 0;
	f.ping_socket_errno = EACCES;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "ping_sockets", DOCTOR_WARNING,
	       "\"1 0\" (closed) and leaves out gid 1000: the engine runs in the host namespace",
	       "sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"");
	assert_non_null(
		strstr(find(&r, "ping_sockets")->detail, "CAP_NET_RAW"));
	assert_int_equal(r.n_fatal, 0);
	/* a supplementary group inside the range is enough */
	f.ping_lo = 2000;
	f.ping_hi = 2000;
	f.groups[f.n_groups++] = 2000;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "ping_sockets", DOCTOR_OK, "gid 2000", "");
	/* root: raw sockets */
	healthy_root(&f);
	f.ping_lo = 1;
	f.ping_hi = 0;
	f.ping_socket_errno = EACCES;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "ping_sockets", DOCTOR_OK, "raw sockets", "");
	/* the range could not be read, but the socket opened */
	healthy(&f);
	f.ping_lo = f.ping_hi = -1;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "ping_sockets", DOCTOR_OK, "ping sockets open", "");
}

static void test_capture(void **state)
{
	struct doctor_facts f;
	struct doctor_report r;
	struct config cfg;
	char path[] = "/tmp/x.pcapng";

	(void)state;
	rootless(&cfg);
	healthy(&f);
	cfg.capture = path;
	cfg.capture_point = CAPTURE_WIRE_EGRESS;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "af_packet_capture", DOCTOR_FATAL, "would be refused",
	       "-C child, egress or both");
	cfg.capture_point = CAPTURE_BOTH;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "af_packet_capture", DOCTOR_WARNING, NULL, NULL);
	f.cap_net_raw = true;
	cfg.capture_point = CAPTURE_WIRE_EGRESS;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "af_packet_capture", DOCTOR_OK, "CAP_NET_RAW", "");
}

static void test_ipv6(void **state)
{
	struct doctor_facts f;
	struct doctor_report r;
	struct config cfg;

	(void)state;
	rootless(&cfg);
	healthy(&f);
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "ipv6_route", DOCTOR_OK, "nothing was sent", "");
	f.ipv6_connect_errno = ENETUNREACH;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "ipv6_route", DOCTOR_WARNING,
	       "no IPv6 route: AAAA answered empty, IPv6 connects fail at once",
	       "fall back to IPv4");
	f.ipv6_connect_errno = 0;
	f.ipv6_socket_errno = EAFNOSUPPORT;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "ipv6_route", DOCTOR_WARNING, "disabled", "IPv4");
}

static void test_resolver(void **state)
{
	struct doctor_facts f;
	struct doctor_report r;
	struct config cfg;

	(void)state;
	rootless(&cfg);
	healthy(&f);
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "resolver", DOCTOR_OK,
	       "nameservers from /etc/resolv.conf: 192.0.2.53", "");
	/* a loopback stub is fine: the engine is in the host namespace */
	snprintf(f.ns[1].addr, sizeof(f.ns[1].addr), "127.0.0.53");
	f.ns[1].loopback = true;
	f.n_ns = 2;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "resolver", DOCTOR_OK,
	       "192.0.2.53, 127.0.0.53; 127.0.0.53 is on host loopback", "");
	/* one without a route */
	f.ns[0].route_errno = ENETUNREACH;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "resolver", DOCTOR_WARNING, "no route to 192.0.2.53",
	       "--dns");
	/* none at all */
	f.n_ns = 0;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "resolver", DOCTOR_WARNING, "names no nameserver",
	       "--dns IP");
	f.resolv_errno = ENOENT;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "resolver", DOCTOR_WARNING,
	       "cannot read /etc/resolv.conf: No such file", "--dns IP");
	/* --dns wins over resolv.conf */
	assert_int_equal(ip_parse("203.0.113.53", &cfg.dns, NULL, 0), 0);
	cfg.has_dns = true;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "resolver", DOCTOR_OK,
	       "--dns 203.0.113.53: all DNS of the tree goes to it", "");
	f.dns_route_errno = ENETUNREACH;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "resolver", DOCTOR_WARNING, "no route to it",
	       "ip route get 203.0.113.53");
	assert_int_equal(ip_parse("::1", &cfg.dns, NULL, 0), 0);
	f.dns_route_errno = 0;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "resolver", DOCTOR_OK, "host loopback", "");
}

/* ---- evaluation: the rootful backend ---- */

static void test_rootful(void **state)
{
	static const char *const keys[] = {
		"kernel",	    "namespace_handles",
		"namespace_limits", "root_privileges",
		"namespace_probe",  "nftables",
		"tproxy",	    "policy_routing",
		"ping_sockets",	    "af_packet_capture",
		"ipv6_route",	    "resolver",
	};
	struct doctor_facts f;
	struct doctor_report r;
	struct config cfg;
	size_t i;

	(void)state;
	rootful(&cfg);
	healthy_root(&f);
	doctor_evaluate(&cfg, &f, &r);
	assert_string_equal(r.backend, "rootful");
	assert_int_equal(r.n, ARRAY_SIZE(keys));
	for (i = 0; i < r.n; i++)
		assert_string_equal(r.checks[i].key, keys[i]);
	assert_int_equal(r.status, DOCTOR_OK);
	expect(&r, "root_privileges", DOCTOR_OK, "euid 0", "");
	expect(&r, "namespace_probe", DOCTOR_OK, "network, mount and PID", "");
	expect(&r, "tproxy", DOCTOR_OK, "nf_tproxy_ipv6", "");
	expect(&r, "policy_routing", DOCTOR_OK, "IPv4 (3 rules)", "");
	assert_false(has(&r, "tun_tap_device"));
	assert_false(has(&r, "iface"));

	/* not root: fatal, and the probe is not tried */
	healthy(&f);
	f.probe_stage = DOCTOR_PROBE_NOT_RUN;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "root_privileges", DOCTOR_FATAL,
	       "needs root; this is uid 1000", "leave out --root");
	expect(&r, "namespace_probe", DOCTOR_WARNING, "not tried", "as root");
	assert_int_equal(r.status, DOCTOR_FATAL);
}

static void test_rootful_kernel(void **state)
{
	struct doctor_facts f;
	struct doctor_report r;
	struct config cfg;
	char eth[] = "eth9";

	(void)state;
	rootful(&cfg);
	healthy_root(&f);
	f.nft_lib = false;
	snprintf(f.nft_lib_error, sizeof(f.nft_lib_error), "no such file");
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "nftables", DOCTOR_FATAL,
	       "libnftables.so.1 cannot be loaded: no such file",
	       "libnftables1");
	healthy_root(&f);
	f.nf_tables.state = DOCTOR_FEAT_ABSENT;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "nftables", DOCTOR_FATAL, "no nf_tables",
	       "CONFIG_NF_TABLES");
	f.nf_tables.state = DOCTOR_FEAT_UNKNOWN;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "nftables", DOCTOR_WARNING, "could not be told",
	       "nft list tables");
	f.nf_tables.state = DOCTOR_FEAT_MODULE;
	snprintf(f.nf_tables.how, sizeof(f.nf_tables.how), "a module");
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "nftables", DOCTOR_OK, "nf_tables: a module", "");

	healthy_root(&f);
	f.nft_tproxy.state = DOCTOR_FEAT_UNKNOWN;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "tproxy", DOCTOR_WARNING, "could not be told",
	       "CONFIG_NFT_TPROXY");
	f.tproxy4.state = DOCTOR_FEAT_ABSENT;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "tproxy", DOCTOR_FATAL, "no nftables TPROXY", NULL);
	healthy_root(&f);
	f.tproxy6.state = DOCTOR_FEAT_ABSENT;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "tproxy", DOCTOR_WARNING, "no IPv6 TPROXY", NULL);

	healthy_root(&f);
	f.rule4_errno = EOPNOTSUPP;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "policy_routing", DOCTOR_FATAL, "no IPv4 policy routing",
	       "CONFIG_IP_MULTIPLE_TABLES");
	f.rule4_errno = 0;
	f.rule6_errno = EAFNOSUPPORT;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "policy_routing", DOCTOR_WARNING, "IPv6 does not", NULL);

	healthy_root(&f);
	cfg.iface = eth;
	f.iface_errno = ENODEV;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "iface", DOCTOR_FATAL, "--iface eth9: no such network",
	       "ip link");
	f.iface_errno = 0;
	f.iface_index = 4;
	doctor_evaluate(&cfg, &f, &r);
	expect(&r, "iface", DOCTOR_OK, "index 4", "");
}

/* ---- output ---- */

/* render() - @r printed by @print into a new string */
static char *render(int (*print)(const struct doctor_report *, FILE *),
		    const struct doctor_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	assert_int_equal(print(r, fp), 0);
	fclose(fp);
	return buf;
}

static void test_print_json(void **state)
{
	struct doctor_facts f;
	struct doctor_report r;
	struct config cfg;
	json_object *o, *v, *checks;
	char *s;
	size_t i;

	(void)state;
	rootless(&cfg);
	healthy(&f);
	f.tun_mode = S_IFCHR | 0600;
	f.tun_open_errno = EACCES;
	doctor_evaluate(&cfg, &f, &r);
	s = render(doctor_print_json, &r);
	o = json_tokener_parse(s);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "backend", &v));
	assert_string_equal(json_object_get_string(v), "rootless-internal");
	assert_true(json_object_object_get_ex(o, "uid", &v));
	assert_int_equal(json_object_get_int64(v), 1000);
	assert_true(json_object_object_get_ex(o, "euid", &v));
	assert_int_equal(json_object_get_int64(v), 1000);
	assert_true(json_object_object_get_ex(o, "status", &v));
	assert_string_equal(json_object_get_string(v), "fatal");
	assert_true(json_object_object_get_ex(o, "checks", &checks));
	assert_int_equal(json_object_array_length(checks), r.n);
	for (i = 0; i < r.n; i++) {
		json_object *c = json_object_array_get_idx(checks, i);

		assert_true(json_object_object_get_ex(c, "key", &v));
		assert_string_equal(json_object_get_string(v), r.checks[i].key);
		assert_true(json_object_object_get_ex(c, "label", &v));
		assert_true(json_object_object_get_ex(c, "status", &v));
		assert_string_equal(json_object_get_string(v),
				    doctor_status_name(r.checks[i].status));
		assert_true(json_object_object_get_ex(c, "detail", &v));
		assert_string_equal(json_object_get_string(v),
				    r.checks[i].detail);
		/* present, null when there is no hint */
		assert_true(json_object_object_get_ex(c, "hint", &v));
		if (r.checks[i].hint[0])
			assert_string_equal(json_object_get_string(v),
					    r.checks[i].hint);
		else
			assert_null(v);
	}
	/* the udev rule's quotes survive escaping */
	assert_non_null(strstr(s, "KERNEL==\\\"tun\\\""));
	assert_non_null(strstr(s, "/dev/net/tun")); /* no \/ escapes */
	json_object_put(o);
	free(s);
}

static void test_print_text(void **state)
{
	struct doctor_facts f;
	struct doctor_report r;
	struct config cfg;
	char *s;

	(void)state;
	rootless(&cfg);
	healthy(&f);
	f.tun_mode = S_IFCHR | 0600;
	f.tun_open_errno = EACCES;
	doctor_evaluate(&cfg, &f, &r);
	s = render(doctor_print_text, &r);
	assert_non_null(strstr(
		s,
		"childflow --doctor: backend rootless-internal, uid 1000, euid 1000\n"));
	assert_non_null(strstr(s, "\nfatal    /dev/net/tun"));
	assert_non_null(strstr(s, "this user cannot open it\n"));
	assert_non_null(strstr(s, "  hint: most distributions use 0666"));
	assert_non_null(strstr(s, "\nok       kernel"));
	assert_non_null(strstr(
		s,
		"\nfatal: the rootless-internal backend cannot run here (1 fatal, 1 warning)\n"));
	free(s);

	healthy_root(&f);
	doctor_evaluate(&cfg, &f, &r);
	s = render(doctor_print_text, &r);
	assert_non_null(strstr(
		s, "\nok: the rootless-internal backend can run here\n"));
	assert_null(strstr(s, "hint:"));
	free(s);

	healthy(&f);
	doctor_evaluate(&cfg, &f, &r);
	s = render(doctor_print_text, &r);
	assert_non_null(strstr(
		s,
		"\nwarning: the rootless-internal backend can run here, with 1 warning\n"));
	free(s);
}

/* ---- gathering below a test root ---- */

static void put(const char *root, const char *path, const char *text)
{
	char full[512], *slash;
	FILE *fp;

	snprintf(full, sizeof(full), "%s%s", root, path);
	for (slash = strchr(full + strlen(root) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(full, 0755);
		*slash = '/';
	}
	fp = fopen(full, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* rm_one() - nftw() callback removing one entry, deepest first */
static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void test_gather_root(void **state)
{
	char root[] = "/tmp/test_doctor.XXXXXX";
	struct doctor_facts f;
	struct config cfg;
	char line[200];

	(void)state;
	assert_non_null(mkdtemp(root));
	put(root, "/proc/sys/user/max_user_namespaces", "0\n");
	put(root, "/proc/sys/user/max_net_namespaces", "77\n");
	put(root, "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
	    "1\n");
	put(root, "/proc/sys/net/ipv4/ping_group_range", "5\t9\n");
	put(root, "/proc/self/ns/net", "");
	put(root, "/etc/resolv.conf", "nameserver 127.0.0.53\n");
	rootless(&cfg);
	doctor_gather(&cfg, root, &f);
	snprintf(line, sizeof(line), "%lu:200000:4242\n", f.uid);
	put(root, "/etc/subuid", line);
	doctor_gather(&cfg, root, &f);

	assert_int_equal(f.max_ns[DOCTOR_NS_USER], 0);
	assert_int_equal(f.max_ns[DOCTOR_NS_NET], 77);
	assert_int_equal(f.max_ns[DOCTOR_NS_MNT], -1);
	assert_int_equal(f.userns_clone, -1);
	assert_int_equal(f.apparmor_restrict, 1);
	assert_int_equal(f.ns_present, 1u << DOCTOR_NS_NET);
	assert_int_equal(f.ping_lo, 5);
	assert_int_equal(f.ping_hi, 9);
	assert_int_equal(f.n_ns, 1);
	assert_string_equal(f.ns[0].addr, "127.0.0.53");
	assert_true(f.ns[0].loopback);
	assert_int_equal(f.ns[0].route_errno, 0);
	assert_int_equal(f.subuid_count, 4242);
	assert_int_equal(f.subuid_first, 200000);
	assert_int_equal(f.subgid_errno, ENOENT);
	assert_int_equal(f.tun_stat_errno, ENOENT);
	assert_true(f.release[0]);
	/* the probe ran (whatever it found), and reported a step */
	assert_int_not_equal(f.probe_stage, DOCTOR_PROBE_NOT_RUN);

	assert_int_equal(nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_release),
		cmocka_unit_test(test_parse_numbers),
		cmocka_unit_test(test_subid_lookup),
		cmocka_unit_test(test_parse_resolv),
		cmocka_unit_test(test_module_lists),
		cmocka_unit_test(test_kconfig),
		cmocka_unit_test(test_rootless_healthy),
		cmocka_unit_test(test_kernel),
		cmocka_unit_test(test_namespaces),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_userns_switches),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_uidmap_and_subids),
		cmocka_unit_test(test_tun),
		cmocka_unit_test(test_ping),
		cmocka_unit_test(test_capture),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_resolver),
		cmocka_unit_test(test_rootful),
		cmocka_unit_test(test_rootful_kernel),
		cmocka_unit_test(test_print_json),
		cmocka_unit_test(test_print_text),
		cmocka_unit_test(test_gather_root),
	};

	return cmocka_run_group_tests_name("doctor", tests, NULL, NULL);
}
