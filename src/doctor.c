/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * doctor.c - --doctor: host readiness checks for the selected backend
 *
 * Theory of operation
 *
 * The doctor answers one question before anyone hits a failure mid-run:
 * can the selected backend run on this host, as this user, and if not,
 * what exactly is missing and how is it fixed? It works in three steps,
 * kept apart so that the judgement can be tested without the host:
 *
 *   doctor_gather()    I/O only: reads sysctls, /etc files, the tun node,
 *                      module lists and the kernel's symbol table, and runs
 *                      a few probes; fills struct doctor_facts
 *   doctor_evaluate()  pure: facts + config -> one doctor_check per
 *                      question, each ok / warning / fatal with a detail
 *                      (what was found) and a hint (what to do)
 *   doctor_print_*()   text for people, JSON (json-c) for scripts
 *
 * A check is fatal when the backend cannot start without the thing it
 * checks, a warning when the backend runs but something will behave
 * differently (a single id mapping, ICMP echo failing, no IPv6, no wire
 * capture), and ok otherwise. The exit status follows: 1 with any fatal.
 *
 * The doctor never changes the host. Its probes are chosen to create
 * nothing that outlives them and to send no packet:
 *
 *  - the namespace probe forks a child that unshares the namespaces the
 *    backend uses (for rootless: user, network, mount, PID), maps its own
 *    uid and gid, sets lo up and creates a tun device in its new, empty
 *    network namespace, all of which vanish when the child exits; the
 *    host's network is never touched;
 *  - "is there an IPv6 route" and "is there a route to the resolver" are
 *    UDP connect()s, which only consult the routing table;
 *  - ping sockets are tested by opening one (nothing is sent);
 *  - policy routing is checked by dumping the rules (what `ip rule show`
 *    does), nftables and TPROXY from module lists, the kernel config and
 *    /proc/kallsyms, never by loading a module or adding a table;
 *  - /dev/net/tun is opened without TUNSETIFF in the host namespace, which
 *    creates no device (the kernel may autoload the tun module for it, as
 *    for any tun user).
 *
 * For tests, the files the doctor reads are looked up below the folder in
 * $CHILDFLOW_DOCTOR_ROOT when it is set (doctor.h); the unit tests drive
 * doctor_evaluate() with hand-made facts.
 */
#include "doctor.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/fib_rules.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util.h"

/* The oldest kernel childflow runs on: clone3() with CLONE_PIDFD */
#define DOCTOR_MIN_MAJOR 5
#define DOCTOR_MIN_MINOR 3

/* Where "is there a route to the IPv6 internet" is asked: a global
 * (documentation) address; a UDP connect() to it sends nothing.
 */
#define DOCTOR_IPV6_PROBE "2001:db8::1"

#define DOCTOR_TUN_MAJOR 10
#define DOCTOR_TUN_MINOR 200

#define DOCTOR_SLURP_MAX	(16u << 20)
#define DOCTOR_PROBE_TIMEOUT_MS 5000

static const char *const doctor_ns_name[DOCTOR_NS_COUNT] = {
	"user",
	"net",
	"mnt",
	"pid",
};

static const char *const doctor_ns_config[DOCTOR_NS_COUNT] = {
	"CONFIG_USER_NS",
	"CONFIG_NET_NS",
	"CONFIG_NAMESPACES",
	"CONFIG_PID_NS",
};

/* ------------------------------------------------------------------ */
/* Building checks                                                      */
/* ------------------------------------------------------------------ */

/* doctor_add() - append a check @key / @label to @r, ok and empty */
static struct doctor_check *doctor_add(struct doctor_report *r, const char *key,
				       const char *label)
{
	struct doctor_check *c;

	ASSERT(r->n < DOCTOR_MAX_CHECKS);
	c = &r->checks[r->n++];
	memset(c, 0, sizeof(*c));
	c->key = key;
	c->label = label;
	c->status = DOCTOR_OK;
	return c;
}

/* doctor_vcat() - append formatted text to @buf (of size @len), truncating */
__attribute__((format(printf, 3, 0))) static void
doctor_vcat(char *buf, size_t len, const char *fmt, va_list ap)
{
	size_t used = strnlen(buf, len);

	if (used + 1 >= len)
		return;
	vsnprintf(buf + used, len - used, fmt, ap);
}

static void doctor_cat(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* doctor_cat() - append formatted text to @buf of size @len */
static void doctor_cat(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	doctor_vcat(buf, len, fmt, ap);
	va_end(ap);
}

static void doctor_set(struct doctor_check *c, enum doctor_status s,
		       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* doctor_set() - give @c its status @s and its detail */
static void doctor_set(struct doctor_check *c, enum doctor_status s,
		       const char *fmt, ...)
{
	va_list ap;

	c->status = s;
	c->detail[0] = '\0';
	va_start(ap, fmt);
	doctor_vcat(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

static void doctor_hint(struct doctor_check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* doctor_hint() - give @c its hint: what to do about it */
static void doctor_hint(struct doctor_check *c, const char *fmt, ...)
{
	va_list ap;

	c->hint[0] = '\0';
	va_start(ap, fmt);
	doctor_vcat(c->hint, sizeof(c->hint), fmt, ap);
	va_end(ap);
}

const char *doctor_status_name(enum doctor_status s)
{
	switch (s) {
	case DOCTOR_OK:
		return "ok";
	case DOCTOR_WARNING:
		return "warning";
	case DOCTOR_FATAL:
		return "fatal";
	}
	return "?";
}

/* doctor_who() - "cftest" or "uid 1000", for messages */
static const char *doctor_who(const struct doctor_facts *f, char *buf,
			      size_t len)
{
	if (f->user[0])
		snprintf(buf, len, "%s", f->user);
	else
		snprintf(buf, len, "uid %lu", f->uid);
	return buf;
}

/* doctor_in_groups() - is @gid the caller's egid or a supplementary group? */
static bool doctor_in_groups(const struct doctor_facts *f, unsigned long gid)
{
	size_t i;

	for (i = 0; i < f->n_groups; i++)
		if (f->groups[i] == gid)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* Parsers (pure)                                                       */
/* ------------------------------------------------------------------ */

int doctor_parse_release(const char *release, unsigned int *major,
			 unsigned int *minor)
{
	unsigned long a, b;
	char *end;

	if (!release || *release < '0' || *release > '9')
		return -1;
	errno = 0;
	a = strtoul(release, &end, 10);
	if (errno || *end != '.' || end[1] < '0' || end[1] > '9')
		return -1;
	b = strtoul(end + 1, &end, 10);
	if (errno || a > 1000 || b > 1000)
		return -1;
	*major = (unsigned int)a;
	*minor = (unsigned int)b;
	return 0;
}

/* doctor_number() - parse a decimal at @p (no sign), moving @p past it.
 * Return: the number, or -1 when there is none or it is too large.
 */
static long doctor_number(const char **p)
{
	unsigned long v;
	char *end;

	if (**p < '0' || **p > '9')
		return -1;
	errno = 0;
	v = strtoul(*p, &end, 10);
	if (errno || v > 0x7fffffffUL * 2 + 1)
		return -1;
	*p = end;
	return (long)v;
}

long doctor_parse_long(const char *text)
{
	const char *p = text;
	long v;

	if (!p)
		return -1;
	while (*p == ' ' || *p == '\t')
		p++;
	v = doctor_number(&p);
	if (v < 0)
		return -1;
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	return *p ? -1 : v;
}

int doctor_parse_ping_range(const char *text, long *lo, long *hi)
{
	const char *p = text;
	long a, b;

	if (!p)
		return -1;
	a = doctor_number(&p);
	if (a < 0 || (*p != ' ' && *p != '\t'))
		return -1;
	while (*p == ' ' || *p == '\t')
		p++;
	b = doctor_number(&p);
	if (b < 0)
		return -1;
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (*p)
		return -1;
	*lo = a;
	*hi = b;
	return 0;
}

unsigned long doctor_subid_lookup(const char *text, const char *name,
				  unsigned long id, unsigned long *first)
{
	unsigned long total = 0;
	char idbuf[24];
	const char *line;

	*first = 0;
	snprintf(idbuf, sizeof(idbuf), "%lu", id);
	for (line = text; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		const char *colon = memchr(line, ':', len);
		const char *p;
		long start, count;
		size_t nlen;

		if (!colon || *line == '#')
			goto next;
		nlen = (size_t)(colon - line);
		if (!((name && *name && strlen(name) == nlen &&
		       !memcmp(line, name, nlen)) ||
		      (strlen(idbuf) == nlen && !memcmp(line, idbuf, nlen))))
			goto next;
		p = colon + 1;
		start = doctor_number(&p);
		if (start < 0 || *p != ':')
			goto next;
		p++;
		count = doctor_number(&p);
		if (count <= 0 || p != line + len)
			goto next;
		if (!total)
			*first = (unsigned long)start;
		total += (unsigned long)count;
	next:
		line = eol ? eol + 1 : NULL;
	}
	return total;
}

/* doctor_is_loopback() - is the numeric address @addr on host loopback?
 * Return: 1 yes, 0 no, -1 not an address
 */
static int doctor_is_loopback(const char *addr)
{
	char host[DOCTOR_ADDR_MAX];
	struct in6_addr a6;
	struct in_addr a4;
	char *pct;

	snprintf(host, sizeof(host), "%s", addr);
	pct = strchr(host, '%');
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (pct)
		*pct = '\0';
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return -1;
}

size_t doctor_parse_resolv(const char *text, struct doctor_nameserver *ns,
			   size_t max)
{
	static const char kw[] = "nameserver";
	const char *line;
	size_t n = 0;

	for (line = text; line && *line && n < max;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		const char *p = line + sizeof(kw) - 1, *end = line + len;
		size_t alen;
		int lb;

		/* glibc: the keyword at the start of the line, then blanks */
		if (len <= sizeof(kw) - 1 ||
		    memcmp(line, kw, sizeof(kw) - 1) != 0 ||
		    (*p != ' ' && *p != '\t'))
			goto next;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		alen = 0;
		while (p + alen < end && p[alen] != ' ' && p[alen] != '\t' &&
		       p[alen] != '\r')
			alen++;
		if (!alen || alen >= DOCTOR_ADDR_MAX)
			goto next;
		memset(&ns[n], 0, sizeof(ns[n]));
		memcpy(ns[n].addr, p, alen);
		ns[n].addr[alen] = '\0';
		lb = doctor_is_loopback(ns[n].addr);
		if (lb < 0)
			goto next; /* glibc ignores what is not an address */
		ns[n].loopback = lb;
		n++;
	next:
		line = eol ? eol + 1 : NULL;
	}
	return n;
}

bool doctor_modules_has(const char *text, const char *name)
{
	size_t nlen = strlen(name);
	const char *line;

	for (line = text; line && *line;) {
		const char *eol = strchr(line, '\n');

		if (!strncmp(line, name, nlen) && line[nlen] == ' ')
			return true;
		line = eol ? eol + 1 : NULL;
	}
	return false;
}

/* doctor_modname_eq() - module names compare with '-' and '_' alike */
static bool doctor_modname_eq(const char *a, size_t alen, const char *b)
{
	size_t i;

	if (strlen(b) != alen)
		return false;
	for (i = 0; i < alen; i++) {
		char x = a[i] == '-' ? '_' : a[i];
		char y = b[i] == '-' ? '_' : b[i];

		if (x != y)
			return false;
	}
	return true;
}

bool doctor_modlist_has(const char *text, const char *name)
{
	const char *line;

	for (line = text; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		const char *colon = memchr(line, ':', len);
		const char *end = colon ? colon : line + len;
		const char *base = end, *ko;

		while (base > line && base[-1] != '/')
			base--;
		/* name.ko, name.ko.xz, name.ko.zst, name.ko.gz */
		for (ko = base; ko + 3 <= end; ko++)
			if (!memcmp(ko, ".ko", 3) &&
			    (ko + 3 == end || ko[3] == '.'))
				break;
		if (ko + 3 <= end && doctor_modname_eq(base, ko - base, name))
			return true;
		line = eol ? eol + 1 : NULL;
	}
	return false;
}

char doctor_kconfig_value(const char *text, const char *sym)
{
	size_t slen = strlen(sym);
	const char *line;

	for (line = text; line && *line;) {
		const char *eol = strchr(line, '\n');

		if (!strncmp(line, sym, slen) && line[slen] == '=') {
			char v = line[slen + 1];

			return v == 'y' || v == 'm' ? v : 'n';
		}
		if (!strncmp(line, "# ", 2) && !strncmp(line + 2, sym, slen) &&
		    !strncmp(line + 2 + slen, " is not set", 11))
			return 'n';
		line = eol ? eol + 1 : NULL;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Evaluation (pure): one function per check                            */
/* ------------------------------------------------------------------ */

/* doctor_eval_kernel() - the running kernel is new enough */
static void doctor_eval_kernel(const struct doctor_facts *f,
			       struct doctor_report *r)
{
	struct doctor_check *c = doctor_add(r, "kernel", "kernel");
	unsigned int major, minor;

	if (doctor_parse_release(f->release, &major, &minor)) {
		doctor_set(c, DOCTOR_WARNING,
			   "cannot tell the version of kernel \"%s\"",
			   f->release);
		doctor_hint(c, "childflow needs Linux %d.%d or later",
			    DOCTOR_MIN_MAJOR, DOCTOR_MIN_MINOR);
	} else if (major < DOCTOR_MIN_MAJOR ||
		   (major == DOCTOR_MIN_MAJOR && minor < DOCTOR_MIN_MINOR)) {
		doctor_set(
			c, DOCTOR_FATAL,
			"Linux %s is older than %d.%d: childflow starts the tree with clone3() and follows it with a pidfd",
			f->release, DOCTOR_MIN_MAJOR, DOCTOR_MIN_MINOR);
		doctor_hint(c, "run childflow on Linux %d.%d or later",
			    DOCTOR_MIN_MAJOR, DOCTOR_MIN_MINOR);
	} else {
		doctor_set(c, DOCTOR_OK, "Linux %s (%d.%d or later is needed)",
			   f->release, DOCTOR_MIN_MAJOR, DOCTOR_MIN_MINOR);
	}
}

/* doctor_ns_needed() - the namespace kinds @cfg's backend creates */
static unsigned int doctor_ns_needed(const struct config *cfg)
{
	unsigned int m =
		1u << DOCTOR_NS_NET | 1u << DOCTOR_NS_MNT | 1u << DOCTOR_NS_PID;

	if (cfg->backend == BACKEND_ROOTLESS)
		m |= 1u << DOCTOR_NS_USER;
	return m;
}

/* doctor_ns_list() - "user,net,mnt,pid" for the bits of @mask */
static const char *doctor_ns_list(unsigned int mask, char *buf, size_t len)
{
	int i;

	buf[0] = '\0';
	for (i = 0; i < DOCTOR_NS_COUNT; i++)
		if (mask & 1u << i)
			doctor_cat(buf, len, "%s%s", buf[0] ? "," : "",
				   doctor_ns_name[i]);
	return buf;
}

/* doctor_eval_ns() - the kernel has the namespace kinds the backend uses */
static void doctor_eval_ns(const struct config *cfg,
			   const struct doctor_facts *f,
			   struct doctor_report *r)
{
	struct doctor_check *c =
		doctor_add(r, "namespace_handles", "namespaces");
	unsigned int need = doctor_ns_needed(cfg);
	unsigned int missing = need & ~f->ns_present;
	char list[64], cfgs[128] = "";
	int i;

	if (!missing) {
		doctor_set(c, DOCTOR_OK, "/proc/self/ns/{%s} exist",
			   doctor_ns_list(need, list, sizeof(list)));
		return;
	}
	for (i = 0; i < DOCTOR_NS_COUNT; i++)
		if (missing & 1u << i)
			doctor_cat(cfgs, sizeof(cfgs), "%s%s",
				   cfgs[0] ? ", " : "", doctor_ns_config[i]);
	doctor_set(
		c, DOCTOR_FATAL,
		"missing /proc/self/ns/{%s}: the kernel cannot create these namespaces",
		doctor_ns_list(missing, list, sizeof(list)));
	doctor_hint(c, "a kernel built with %s is needed (and /proc mounted)",
		    cfgs);
}

/* doctor_eval_limits() - no user.max_*_namespaces the backend needs is 0 */
static void doctor_eval_limits(const struct config *cfg,
			       const struct doctor_facts *f,
			       struct doctor_report *r)
{
	struct doctor_check *c =
		doctor_add(r, "namespace_limits", "namespace limits");
	unsigned int need = doctor_ns_needed(cfg);
	char ok[256] = "", zero[128] = "", fix[256] = "";
	int i, unknown = 0;

	for (i = 0; i < DOCTOR_NS_COUNT; i++) {
		if (!(need & 1u << i))
			continue;
		if (f->max_ns[i] < 0) {
			unknown++;
		} else if (f->max_ns[i] == 0) {
			doctor_cat(zero, sizeof(zero),
				   "%suser.max_%s_namespaces",
				   zero[0] ? ", " : "", doctor_ns_name[i]);
			doctor_cat(fix, sizeof(fix),
				   "%ssysctl -w user.max_%s_namespaces=15000",
				   fix[0] ? "; " : "", doctor_ns_name[i]);
		} else {
			doctor_cat(ok, sizeof(ok), "%smax_%s_namespaces %ld",
				   ok[0] ? ", " : "", doctor_ns_name[i],
				   f->max_ns[i]);
		}
	}
	if (zero[0]) {
		doctor_set(c, DOCTOR_FATAL,
			   "%s is 0: no such namespace can be created", zero);
		doctor_hint(
			c,
			"as root: %s (and remove the setting that makes it 0 from /etc/sysctl.conf or /etc/sysctl.d/)",
			fix);
	} else if (unknown) {
		doctor_set(c, DOCTOR_WARNING,
			   "cannot read /proc/sys/user/max_*_namespaces%s%s",
			   ok[0] ? "; " : "", ok);
		doctor_hint(
			c,
			"the namespace probe below tells whether namespaces can be created");
	} else {
		doctor_set(c, DOCTOR_OK, "%s (/proc/sys/user)", ok);
	}
}

/* doctor_eval_userns_clone() - Debian's kernel.unprivileged_userns_clone */
static void doctor_eval_userns_clone(const struct doctor_facts *f,
				     struct doctor_report *r)
{
	struct doctor_check *c = doctor_add(r, "unprivileged_user_namespaces",
					    "unprivileged user namespaces");

	if (f->userns_clone < 0)
		doctor_set(
			c, DOCTOR_OK,
			"kernel.unprivileged_userns_clone does not exist here (only Debian-patched kernels have it): nothing to check");
	else if (f->userns_clone > 0)
		doctor_set(c, DOCTOR_OK,
			   "kernel.unprivileged_userns_clone is %ld",
			   f->userns_clone);
	else if (f->euid == 0)
		doctor_set(
			c, DOCTOR_OK,
			"kernel.unprivileged_userns_clone is 0, which does not restrict root");
	else {
		doctor_set(
			c, DOCTOR_FATAL,
			"kernel.unprivileged_userns_clone is 0: users other than root cannot create user namespaces");
		doctor_hint(
			c,
			"as root: sysctl -w kernel.unprivileged_userns_clone=1 (keep it in /etc/sysctl.d/), or run childflow as root");
	}
}

/* doctor_probe_ns_ok() - did the probe get past the namespace steps? */
static bool doctor_probe_ns_ok(const struct doctor_facts *f)
{
	return f->probe_stage >= DOCTOR_PROBE_TUN_OPEN;
}

/* doctor_eval_apparmor() - Ubuntu's AppArmor user-namespace restriction */
static void doctor_eval_apparmor(const struct doctor_facts *f,
				 struct doctor_report *r)
{
	struct doctor_check *c = doctor_add(r, "apparmor_userns_policy",
					    "AppArmor user namespaces");

	if (f->apparmor_restrict < 0) {
		doctor_set(
			c, DOCTOR_OK,
			"kernel.apparmor_restrict_unprivileged_userns does not exist here: AppArmor does not restrict user namespaces");
	} else if (f->apparmor_restrict == 0) {
		doctor_set(c, DOCTOR_OK,
			   "kernel.apparmor_restrict_unprivileged_userns is 0");
	} else if (f->euid == 0) {
		doctor_set(
			c, DOCTOR_OK,
			"kernel.apparmor_restrict_unprivileged_userns is %ld, which does not restrict root",
			f->apparmor_restrict);
	} else if (doctor_probe_ns_ok(f)) {
		doctor_set(
			c, DOCTOR_OK,
			"kernel.apparmor_restrict_unprivileged_userns is %ld, but this process may use user namespaces (the probe below succeeded)",
			f->apparmor_restrict);
	} else {
		doctor_set(
			c, DOCTOR_FATAL,
			"kernel.apparmor_restrict_unprivileged_userns is %ld: AppArmor gives unconfined users' new user namespaces no capabilities",
			f->apparmor_restrict);
		doctor_hint(
			c,
			"as root: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or give childflow an AppArmor profile that allows `userns,`");
	}
}

/* doctor_probe_step() - what the probe was doing at @stage */
static const char *doctor_probe_step(enum doctor_probe_stage stage)
{
	switch (stage) {
	case DOCTOR_PROBE_FORK:
		return "fork()";
	case DOCTOR_PROBE_UNSHARE:
		return "unshare()";
	case DOCTOR_PROBE_SETGROUPS:
		return "writing \"deny\" to /proc/self/setgroups";
	case DOCTOR_PROBE_UID_MAP:
		return "writing /proc/self/uid_map";
	case DOCTOR_PROBE_GID_MAP:
		return "writing /proc/self/gid_map";
	case DOCTOR_PROBE_LO_UP:
		return "setting lo up";
	case DOCTOR_PROBE_TUN_OPEN:
		return "opening /dev/net/tun";
	case DOCTOR_PROBE_TUN_CREATE:
		return "creating a tun device (TUNSETIFF)";
	case DOCTOR_PROBE_NOT_RUN:
	case DOCTOR_PROBE_DONE:
		break;
	}
	return "the probe";
}

/* doctor_probe_hint() - the likeliest fix for a failed rootless probe */
static void doctor_probe_hint(const struct doctor_facts *f,
			      struct doctor_check *c)
{
	if (f->max_ns[DOCTOR_NS_USER] == 0)
		doctor_hint(
			c, "as root: sysctl -w user.max_user_namespaces=15000");
	else if (f->userns_clone == 0 && f->euid != 0)
		doctor_hint(
			c,
			"as root: sysctl -w kernel.unprivileged_userns_clone=1");
	else if (f->apparmor_restrict > 0 && f->euid != 0)
		doctor_hint(
			c,
			"as root: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or give childflow an AppArmor profile that allows `userns,`");
	else if (f->probe_errno == ENOSPC)
		doctor_hint(
			c,
			"a namespace limit is reached: raise user.max_user_namespaces, or end other sandboxes");
	else if (f->probe_errno == EPERM || f->probe_errno == EACCES)
		doctor_hint(
			c,
			"something forbids user namespaces here: a container's seccomp policy, a chroot, or a security module; run childflow on the host, or as root with --root");
	else if (f->probe_errno == EINVAL)
		doctor_hint(
			c,
			"the kernel lacks user namespace support (CONFIG_USER_NS)");
	else
		doctor_hint(
			c,
			"check the kernel's user namespace settings (see the checks above)");
}

/* doctor_eval_probe() - the namespaces can really be created and used */
static void doctor_eval_probe(const struct config *cfg,
			      const struct doctor_facts *f,
			      struct doctor_report *r)
{
	struct doctor_check *c =
		doctor_add(r, "namespace_probe", "namespace probe");
	bool rootless = cfg->backend == BACKEND_ROOTLESS;
	const char *kinds = rootless ? "user, network, mount and PID"
				     : "network, mount and PID";

	if (f->probe_stage == DOCTOR_PROBE_NOT_RUN) {
		doctor_set(
			c, DOCTOR_WARNING,
			"not tried: creating %s namespaces for the rootful backend needs root",
			kinds);
		doctor_hint(c, "run --doctor --root as root");
		return;
	}
	if (doctor_probe_ns_ok(f)) {
		if (rootless)
			doctor_set(
				c, DOCTOR_OK,
				"a child process created %s namespaces, mapped uid %lu and gid %lu as themselves and set lo up",
				kinds, f->euid, f->gid);
		else
			doctor_set(
				c, DOCTOR_OK,
				"a child process created %s namespaces and set lo up",
				kinds);
		return;
	}
	if (f->probe_stage == DOCTOR_PROBE_UNSHARE)
		doctor_set(c, DOCTOR_FATAL,
			   "creating %s namespaces failed: unshare(): %s",
			   kinds, strerror(f->probe_errno));
	else if (f->probe_stage == DOCTOR_PROBE_LO_UP)
		doctor_set(
			c, DOCTOR_FATAL,
			"%s namespaces were created, but setting lo up in them failed: %s%s",
			kinds, strerror(f->probe_errno),
			rootless
				? " (the new user namespace has no CAP_NET_ADMIN)"
				: "");
	else if (!f->probe_errno)
		doctor_set(c, DOCTOR_FATAL,
			   "the probe process died or hung before it reported");
	else
		doctor_set(c, DOCTOR_FATAL, "%s failed: %s",
			   doctor_probe_step(f->probe_stage),
			   strerror(f->probe_errno));
	if (rootless)
		doctor_probe_hint(f, c);
	else
		doctor_hint(
			c,
			"something forbids new namespaces here (a container's seccomp policy or a security module): run childflow on the host");
}

/* doctor_helper_text() - "/usr/bin/newuidmap (setuid root)" */
static const char *doctor_helper_text(const struct doctor_helper *h, char *buf,
				      size_t len)
{
	snprintf(buf, len, "%s (%s)", h->path,
		 h->setuid_root ? "setuid root"
		 : h->file_caps ? "file capabilities"
				: "not privileged");
	return buf;
}

/* doctor_eval_uidmap() - newuidmap/newgidmap can map subordinate ids */
static void doctor_eval_uidmap(const struct doctor_facts *f,
			       struct doctor_report *r)
{
	struct doctor_check *c =
		doctor_add(r, "uidmap_helpers", "uid/gid map helpers");
	const struct doctor_helper *h[2] = {&f->newuidmap, &f->newgidmap};
	static const char *const name[2] = {"newuidmap", "newgidmap"};
	char a[300], b[300];
	int i;

	if (f->euid == 0) {
		doctor_set(c, DOCTOR_OK,
			   "not needed: root writes its own uid and gid maps");
		return;
	}
	for (i = 0; i < 2; i++) {
		if (!h[i]->found) {
			doctor_set(
				c, DOCTOR_WARNING,
				"%s is not in PATH: the tree maps only your own uid and gid (a single mapping)",
				name[i]);
			doctor_hint(
				c,
				"install newuidmap and newgidmap (Debian: apt-get install uidmap) so that root and system users exist inside the tree");
			return;
		}
		if (!h[i]->setuid_root && !h[i]->file_caps) {
			doctor_set(
				c, DOCTOR_WARNING,
				"%s is neither setuid root nor has file capabilities, so it cannot map subordinate ids: the tree maps only your own uid and gid",
				h[i]->path);
			doctor_hint(
				c,
				"as root: chmod u+s %s (or reinstall the uidmap package)",
				h[i]->path);
			return;
		}
	}
	doctor_set(c, DOCTOR_OK, "%s and %s",
		   doctor_helper_text(h[0], a, sizeof(a)),
		   doctor_helper_text(h[1], b, sizeof(b)));
}

/* doctor_eval_subids() - the caller has subordinate uids and gids */
static void doctor_eval_subids(const struct doctor_facts *f,
			       struct doctor_report *r)
{
	struct doctor_check *c =
		doctor_add(r, "subuid_subgid_entries", "subordinate ids");
	char who[80], missing[160] = "";

	if (f->euid == 0) {
		doctor_set(
			c, DOCTOR_OK,
			"not needed: root maps every id of its own namespace");
		return;
	}
	doctor_who(f, who, sizeof(who));
	if (!f->subuid_count) {
		if (f->subuid_errno && f->subuid_errno != ENOENT)
			doctor_cat(missing, sizeof(missing),
				   "cannot read /etc/subuid (%s)",
				   strerror(f->subuid_errno));
		else
			doctor_cat(missing, sizeof(missing),
				   "no subordinate uids in /etc/subuid");
	}
	if (!f->subgid_count) {
		if (f->subgid_errno && f->subgid_errno != ENOENT)
			doctor_cat(missing, sizeof(missing),
				   "%scannot read /etc/subgid (%s)",
				   missing[0] ? ", " : "",
				   strerror(f->subgid_errno));
		else
			doctor_cat(missing, sizeof(missing),
				   "%sno subordinate gids in /etc/subgid",
				   missing[0] ? ", " : "");
	}
	if (missing[0]) {
		doctor_set(
			c, DOCTOR_WARNING,
			"%s: %s; the tree maps only your own uid and gid (a single mapping), so root and system users do not exist inside",
			who, missing);
		doctor_hint(
			c,
			"as root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 %s (a range no other user has)",
			f->user[0] ? f->user : who);
		return;
	}
	doctor_set(
		c, DOCTOR_OK,
		"%s: %lu subordinate uids from %lu, %lu subordinate gids from %lu%s",
		who, f->subuid_count, f->subuid_first, f->subgid_count,
		f->subgid_first,
		f->newuidmap.found && f->newgidmap.found
			? ""
			: " (unused without newuidmap and newgidmap)");
}

/* doctor_tun_mode_allows() - do @f's tun mode bits let the caller open it
 * for reading and writing?
 */
static bool doctor_tun_mode_allows(const struct doctor_facts *f)
{
	unsigned int m = f->tun_mode;

	if (f->euid == 0)
		return true;
	if (f->euid == f->tun_uid)
		return (m & 0600) == 0600;
	if (doctor_in_groups(f, f->tun_gid))
		return (m & 0060) == 0060;
	return (m & 0006) == 0006;
}

static const char doctor_tun_fix[] =
	"most distributions use 0666; as root: chmod 0666 /dev/net/tun (or a udev rule: KERNEL==\"tun\", MODE=\"0666\")";

/* doctor_eval_tun() - /dev/net/tun is the tun device and the caller can
 * open it; a tun device can be created in a new network namespace
 */
static void doctor_eval_tun(const struct doctor_facts *f,
			    struct doctor_report *r)
{
	struct doctor_check *c =
		doctor_add(r, "tun_tap_device", "/dev/net/tun");
	unsigned int perm = f->tun_mode & 07777;

	if (f->tun_stat_errno == ENOENT) {
		doctor_set(c, DOCTOR_FATAL, "/dev/net/tun does not exist");
		doctor_hint(
			c,
			"as root: modprobe tun; if the node is still missing: mknod -m 0666 /dev/net/tun c 10 200");
		return;
	}
	if (f->tun_stat_errno) {
		doctor_set(c, DOCTOR_FATAL, "cannot look at /dev/net/tun: %s",
			   strerror(f->tun_stat_errno));
		return;
	}
	if (!S_ISCHR(f->tun_mode) || f->tun_major != DOCTOR_TUN_MAJOR ||
	    f->tun_minor != DOCTOR_TUN_MINOR) {
		if (S_ISCHR(f->tun_mode))
			doctor_set(
				c, DOCTOR_FATAL,
				"/dev/net/tun is character device %u:%u, not the tun device (10:200)",
				f->tun_major, f->tun_minor);
		else
			doctor_set(c, DOCTOR_FATAL,
				   "/dev/net/tun is not a character device");
		doctor_hint(
			c,
			"as root: rm /dev/net/tun && mknod -m 0666 /dev/net/tun c 10 200");
		return;
	}
	if (f->tun_open_errno == EACCES || f->tun_open_errno == EPERM) {
		if (!doctor_tun_mode_allows(f)) {
			doctor_set(
				c, DOCTOR_FATAL,
				"/dev/net/tun is mode %04o (owner %s): this user cannot open it",
				perm, f->tun_owner);
			if ((perm & 0060) == 0060 && f->tun_gid != 0)
				doctor_hint(
					c,
					"as root: add this user to group %s (then log in again); or: %s",
					f->tun_group, doctor_tun_fix);
			else
				doctor_hint(c, "%s", doctor_tun_fix);
		} else {
			doctor_set(
				c, DOCTOR_FATAL,
				"/dev/net/tun is mode %04o (owner %s), but opening it failed: %s (a device cgroup, a nodev mount or a security module denies it)",
				perm, f->tun_owner,
				strerror(f->tun_open_errno));
			doctor_hint(
				c,
				"in a container: give it /dev/net/tun (e.g. --device /dev/net/tun); otherwise check the security module's log");
		}
		return;
	}
	if (f->tun_open_errno == ENODEV || f->tun_open_errno == ENXIO) {
		doctor_set(
			c, DOCTOR_FATAL,
			"/dev/net/tun exists but the tun driver is missing: %s",
			strerror(f->tun_open_errno));
		doctor_hint(
			c,
			"as root: modprobe tun (the kernel needs CONFIG_TUN)");
		return;
	}
	if (f->tun_open_errno) {
		doctor_set(c, DOCTOR_FATAL, "opening /dev/net/tun failed: %s",
			   strerror(f->tun_open_errno));
		return;
	}
	if (f->probe_stage == DOCTOR_PROBE_TUN_OPEN ||
	    f->probe_stage == DOCTOR_PROBE_TUN_CREATE) {
		doctor_set(
			c, DOCTOR_FATAL,
			"/dev/net/tun opens, but %s in a new network namespace failed: %s",
			doctor_probe_step(f->probe_stage),
			strerror(f->probe_errno));
		doctor_hint(
			c,
			"a security module or a container policy may forbid tun devices; check its log");
		return;
	}
	doctor_set(
		c, DOCTOR_OK,
		"/dev/net/tun (char 10:200, mode %04o, owner %s) opens for this user%s",
		perm, f->tun_owner,
		f->probe_stage == DOCTOR_PROBE_DONE
			? ", and a tun device can be created in a new network namespace"
			: " (creating a device was not tried: the namespace probe failed)");
}

/* doctor_eval_ping() - how the engine can send the tree's ICMP echo */
static void doctor_eval_ping(const struct doctor_facts *f,
			     struct doctor_report *r)
{
	struct doctor_check *c = doctor_add(r, "ping_sockets", "ping sockets");
	bool known = f->ping_lo >= 0 && f->ping_hi >= 0;
	char range[80];
	size_t i;

	if (known)
		snprintf(range, sizeof(range), "\"%ld %ld\"%s", f->ping_lo,
			 f->ping_hi,
			 f->ping_lo > f->ping_hi ? " (closed)" : "");
	else
		snprintf(range, sizeof(range), "unknown");

	for (i = 0; known && i < f->n_groups; i++) {
		if ((long)f->groups[i] >= f->ping_lo &&
		    (long)f->groups[i] <= f->ping_hi) {
			doctor_set(
				c, DOCTOR_OK,
				"gid %lu is inside net.ipv4.ping_group_range %s: the engine sends the tree's ICMP echo through ping sockets",
				f->groups[i], range);
			return;
		}
	}
	if (f->ping_socket_errno == 0) {
		doctor_set(
			c, DOCTOR_OK,
			"ICMP ping sockets open for this user (net.ipv4.ping_group_range %s): the engine sends the tree's ICMP echo through them",
			range);
		return;
	}
	if (f->cap_net_raw) {
		doctor_set(
			c, DOCTOR_OK,
			"net.ipv4.ping_group_range is %s and leaves out gid %lu, but this process has CAP_NET_RAW: the engine sends ICMP echo through raw sockets",
			range, f->gid);
		return;
	}
	doctor_set(
		c, DOCTOR_WARNING,
		"net.ipv4.ping_group_range is %s and leaves out gid %lu: the engine runs in the host namespace, where it can open no ping socket, and it has no CAP_NET_RAW for a raw one, so ping and traceroute -I in the tree fail visibly (ICMP admin-prohibited); TCP and UDP are not affected (inside the tree childflow opens the range itself)",
		range, f->gid);
	doctor_hint(
		c,
		"as root: sysctl -w net.ipv4.ping_group_range=\"0 2147483647\" (the systemd default; keep it in /etc/sysctl.d/), or a range that includes gid %lu",
		f->gid);
}

/* doctor_eval_capture() - CAP_NET_RAW for -C wire-egress */
static void doctor_eval_capture(const struct config *cfg,
				const struct doctor_facts *f,
				struct doctor_report *r)
{
	struct doctor_check *c =
		doctor_add(r, "af_packet_capture", "packet capture");
	bool wire = cfg->capture && cfg->capture_point == CAPTURE_WIRE_EGRESS;

	if (f->cap_net_raw) {
		doctor_set(
			c, DOCTOR_OK,
			"CAP_NET_RAW: every capture view works, -C wire-egress included");
	} else if (wire) {
		doctor_set(
			c, DOCTOR_FATAL,
			"-C wire-egress needs CAP_NET_RAW, which this process does not have: the run would be refused");
		doctor_hint(
			c,
			"run childflow as root for a wire capture, or use -C child, egress or both");
	} else {
		doctor_set(
			c, DOCTOR_WARNING,
			"no CAP_NET_RAW: -C wire-egress would be refused; -C child, egress and both work");
		doctor_hint(
			c,
			"nothing to do unless you need -C wire-egress, which needs root");
	}
}

/* doctor_eval_ipv6() - is there a route to the IPv6 internet? */
static void doctor_eval_ipv6(const struct doctor_facts *f,
			     struct doctor_report *r)
{
	struct doctor_check *c = doctor_add(r, "ipv6_route", "IPv6");

	if (f->ipv6_socket_errno) {
		doctor_set(
			c, DOCTOR_WARNING,
			"IPv6 is disabled in this kernel (%s): AAAA answered empty, IPv6 connects fail at once",
			strerror(f->ipv6_socket_errno));
		doctor_hint(
			c,
			"nothing to do on an IPv4-only host: programs in the tree fall back to IPv4 at once");
	} else if (f->ipv6_connect_errno == ENETUNREACH) {
		doctor_set(
			c, DOCTOR_WARNING,
			"no IPv6 route: AAAA answered empty, IPv6 connects fail at once");
		doctor_hint(
			c,
			"nothing to do on an IPv4-only host: programs in the tree fall back to IPv4 at once");
	} else if (f->ipv6_connect_errno) {
		doctor_set(
			c, DOCTOR_WARNING,
			"no IPv6 route (%s): AAAA answered empty, IPv6 connects fail at once",
			strerror(f->ipv6_connect_errno));
		doctor_hint(
			c,
			"nothing to do on an IPv4-only host: programs in the tree fall back to IPv4 at once");
	} else {
		doctor_set(
			c, DOCTOR_OK,
			"the host has a route to global IPv6 addresses (asked for %s; nothing was sent)",
			DOCTOR_IPV6_PROBE);
	}
}

/* doctor_ip_loopback() - is @a on host loopback? */
static bool doctor_ip_loopback(const struct ipaddr *a)
{
	if (a->family == AF_INET)
		return (ntohl(a->v4.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&a->v6);
}

/* doctor_eval_resolver() - where the tree's DNS will be forwarded */
static void doctor_eval_resolver(const struct config *cfg,
				 const struct doctor_facts *f,
				 struct doctor_report *r)
{
	struct doctor_check *c = doctor_add(r, "resolver", "resolver");
	char list[400] = "", noroute[300] = "", stub[80] = "", ip[64];
	size_t i, n_noroute = 0;

	if (cfg->has_dns) {
		ip_format(&cfg->dns, ip, sizeof(ip));
		if (f->dns_route_errno) {
			doctor_set(
				c, DOCTOR_WARNING,
				"--dns %s: the host has no route to it (%s), so the tree's DNS will fail",
				ip, strerror(f->dns_route_errno));
			doctor_hint(
				c,
				"check the address, or the host's routes (ip route get %s)",
				ip);
		} else {
			doctor_set(
				c, DOCTOR_OK,
				"--dns %s: all DNS of the tree goes to it%s",
				ip,
				doctor_ip_loopback(&cfg->dns)
					? " (on host loopback, which the engine reaches from the host namespace)"
					: "");
		}
		return;
	}
	if (f->resolv_errno) {
		doctor_set(c, DOCTOR_WARNING,
			   "cannot read /etc/resolv.conf: %s",
			   strerror(f->resolv_errno));
		doctor_hint(c, "name a resolver with --dns IP");
		return;
	}
	if (!f->n_ns) {
		doctor_set(
			c, DOCTOR_WARNING,
			"/etc/resolv.conf names no nameserver: the engine has nowhere to forward the tree's DNS");
		doctor_hint(c, "name a resolver with --dns IP");
		return;
	}
	for (i = 0; i < f->n_ns; i++) {
		doctor_cat(list, sizeof(list), "%s%s", i ? ", " : "",
			   f->ns[i].addr);
		if (f->ns[i].loopback && !stub[0])
			snprintf(stub, sizeof(stub), "%s", f->ns[i].addr);
		if (f->ns[i].route_errno) {
			doctor_cat(noroute, sizeof(noroute), "%s%s (%s)",
				   n_noroute ? ", " : "", f->ns[i].addr,
				   strerror(f->ns[i].route_errno));
			n_noroute++;
		}
	}
	if (n_noroute) {
		doctor_set(
			c, DOCTOR_WARNING,
			"nameservers from /etc/resolv.conf: %s; no route to %s%s",
			list, noroute,
			n_noroute == f->n_ns ? ": the tree's DNS will fail"
					     : "");
		doctor_hint(c, "name a reachable resolver with --dns IP");
		return;
	}
	if (stub[0])
		doctor_set(
			c, DOCTOR_OK,
			"nameservers from /etc/resolv.conf: %s; %s is on host loopback (a local stub resolver), which is fine: the engine runs in the host namespace and reaches it, while the tree is told the engine's address",
			list, stub);
	else
		doctor_set(c, DOCTOR_OK,
			   "nameservers from /etc/resolv.conf: %s", list);
}

/* doctor_eval_root() - the rootful backend runs as root */
static void doctor_eval_root(const struct doctor_facts *f,
			     struct doctor_report *r)
{
	struct doctor_check *c = doctor_add(r, "root_privileges", "root");

	if (f->euid == 0) {
		doctor_set(c, DOCTOR_OK, "running as root (euid 0)");
		return;
	}
	doctor_set(c, DOCTOR_FATAL,
		   "the rootful backend needs root; this is uid %lu (euid %lu)",
		   f->uid, f->euid);
	doctor_hint(
		c,
		"run it as root (e.g. sudo childflow --root ...), or leave out --root to use the rootless backend");
}

/* doctor_feature_cat() - append "; nft_tproxy: built in (...)" to @buf */
static void doctor_feature_cat(char *buf, size_t len, const char *name,
			       const struct doctor_feature *ft)
{
	doctor_cat(buf, len, "%s%s: %s", buf[0] ? "; " : "", name,
		   ft->how[0] ? ft->how : "unknown");
}

/* doctor_eval_nftables() - libnftables loads and the kernel has nf_tables */
static void doctor_eval_nftables(const struct doctor_facts *f,
				 struct doctor_report *r)
{
	struct doctor_check *c = doctor_add(r, "nftables", "nftables");
	char how[200] = "";

	doctor_feature_cat(how, sizeof(how), "nf_tables", &f->nf_tables);
	if (!f->nft_lib) {
		doctor_set(c, DOCTOR_FATAL,
			   "libnftables.so.1 cannot be loaded: %s",
			   f->nft_lib_error[0] ? f->nft_lib_error
					       : "not found");
		doctor_hint(
			c, "install it (Debian: apt-get install libnftables1)");
		return;
	}
	switch (f->nf_tables.state) {
	case DOCTOR_FEAT_ABSENT:
		doctor_set(
			c, DOCTOR_FATAL,
			"libnftables loads, but the kernel has no nf_tables (%s)",
			how);
		doctor_hint(
			c,
			"a kernel with CONFIG_NF_TABLES and CONFIG_NF_TABLES_INET is needed");
		break;
	case DOCTOR_FEAT_UNKNOWN:
		doctor_set(
			c, DOCTOR_WARNING,
			"libnftables loads; whether the kernel has nf_tables could not be told (%s)",
			how);
		doctor_hint(
			c,
			"as root, `nft list tables` tells (it changes nothing)");
		break;
	case DOCTOR_FEAT_MODULE:
	case DOCTOR_FEAT_PRESENT:
		doctor_set(c, DOCTOR_OK, "libnftables loads; %s", how);
		break;
	}
}

/* doctor_eval_tproxy() - the kernel can hand the tree's flows to the engine */
static void doctor_eval_tproxy(const struct doctor_facts *f,
			       struct doctor_report *r)
{
	struct doctor_check *c = doctor_add(r, "tproxy", "TPROXY");
	char how[480] = "";

	doctor_feature_cat(how, sizeof(how), "nft_tproxy", &f->nft_tproxy);
	doctor_feature_cat(how, sizeof(how), "nf_tproxy_ipv4", &f->tproxy4);
	doctor_feature_cat(how, sizeof(how), "nf_tproxy_ipv6", &f->tproxy6);
	if (f->nft_tproxy.state == DOCTOR_FEAT_ABSENT ||
	    f->tproxy4.state == DOCTOR_FEAT_ABSENT) {
		doctor_set(c, DOCTOR_FATAL,
			   "the kernel has no nftables TPROXY (%s)", how);
		doctor_hint(
			c,
			"a kernel with CONFIG_NFT_TPROXY and CONFIG_NF_TPROXY_IPV4 (and _IPV6) is needed");
	} else if (f->nft_tproxy.state == DOCTOR_FEAT_UNKNOWN ||
		   f->tproxy4.state == DOCTOR_FEAT_UNKNOWN ||
		   f->tproxy6.state == DOCTOR_FEAT_UNKNOWN) {
		doctor_set(c, DOCTOR_WARNING,
			   "TPROXY support could not be told (%s)", how);
		doctor_hint(
			c,
			"the kernel needs CONFIG_NFT_TPROXY, CONFIG_NF_TPROXY_IPV4 and CONFIG_NF_TPROXY_IPV6; the first rootful run tells");
	} else if (f->tproxy6.state == DOCTOR_FEAT_ABSENT) {
		doctor_set(
			c, DOCTOR_WARNING,
			"no IPv6 TPROXY (%s): the tree's IPv6 TCP and UDP cannot be relayed",
			how);
		doctor_hint(
			c,
			"a kernel with CONFIG_NF_TPROXY_IPV6 relays IPv6 too");
	} else {
		doctor_set(c, DOCTOR_OK, "%s", how);
	}
}

/* doctor_eval_rules() - policy routing: the rule that delivers the tree's
 * packets to the engine's transparent sockets
 */
static void doctor_eval_rules(const struct doctor_facts *f,
			      struct doctor_report *r)
{
	struct doctor_check *c =
		doctor_add(r, "policy_routing", "policy routing");

	if (f->rule4_errno == EOPNOTSUPP || f->rule4_errno == EAFNOSUPPORT) {
		doctor_set(
			c, DOCTOR_FATAL,
			"the kernel has no IPv4 policy routing (listing rules: %s)",
			strerror(f->rule4_errno));
		doctor_hint(
			c,
			"a kernel with CONFIG_IP_MULTIPLE_TABLES (and CONFIG_IPV6_MULTIPLE_TABLES) is needed");
	} else if (f->rule4_errno) {
		doctor_set(c, DOCTOR_WARNING, "cannot list the IPv4 rules: %s",
			   strerror(f->rule4_errno));
		doctor_hint(
			c,
			"`ip rule show` should work; the first rootful run tells");
	} else if (f->rule6_errno) {
		doctor_set(
			c, DOCTOR_WARNING,
			"IPv4 policy routing works (%u rules), IPv6 does not (%s): the tree's IPv6 cannot be relayed",
			f->rule4_count, strerror(f->rule6_errno));
		doctor_hint(
			c,
			"a kernel with CONFIG_IPV6_MULTIPLE_TABLES relays IPv6 too");
	} else {
		doctor_set(
			c, DOCTOR_OK,
			"ip rule works for IPv4 (%u rules) and IPv6 (%u rules)",
			f->rule4_count, f->rule6_count);
	}
}

/* doctor_eval_iface() - the --iface device exists */
static void doctor_eval_iface(const struct config *cfg,
			      const struct doctor_facts *f,
			      struct doctor_report *r)
{
	struct doctor_check *c = doctor_add(r, "iface", "--iface");

	if (!f->iface_errno) {
		doctor_set(c, DOCTOR_OK, "--iface %s exists (index %u)",
			   cfg->iface, f->iface_index);
		return;
	}
	doctor_set(c, DOCTOR_FATAL, "--iface %s: %s", cfg->iface,
		   f->iface_errno == ENODEV ? "no such network interface"
					    : strerror(f->iface_errno));
	doctor_hint(c, "`ip link` lists the interfaces of this host");
}

void doctor_evaluate(const struct config *cfg, const struct doctor_facts *f,
		     struct doctor_report *r)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->backend = config_backend_name(cfg->backend);
	r->uid = f->uid;
	r->euid = f->euid;

	doctor_eval_kernel(f, r);
	doctor_eval_ns(cfg, f, r);
	doctor_eval_limits(cfg, f, r);
	if (cfg->backend == BACKEND_ROOTLESS) {
		doctor_eval_userns_clone(f, r);
		doctor_eval_apparmor(f, r);
		doctor_eval_probe(cfg, f, r);
		doctor_eval_uidmap(f, r);
		doctor_eval_subids(f, r);
		doctor_eval_tun(f, r);
	} else {
		doctor_eval_root(f, r);
		doctor_eval_probe(cfg, f, r);
		doctor_eval_nftables(f, r);
		doctor_eval_tproxy(f, r);
		doctor_eval_rules(f, r);
		if (cfg->iface)
			doctor_eval_iface(cfg, f, r);
	}
	doctor_eval_ping(f, r);
	doctor_eval_capture(cfg, f, r);
	doctor_eval_ipv6(f, r);
	doctor_eval_resolver(cfg, f, r);

	r->status = DOCTOR_OK;
	for (i = 0; i < r->n; i++) {
		if (r->checks[i].status == DOCTOR_FATAL)
			r->n_fatal++;
		else if (r->checks[i].status == DOCTOR_WARNING)
			r->n_warning++;
		if (r->checks[i].status > r->status)
			r->status = r->checks[i].status;
	}
}

/* ------------------------------------------------------------------ */
/* Gathering (I/O)                                                      */
/* ------------------------------------------------------------------ */

/* doctor_path() - @path below the test root @root */
static const char *doctor_path(const char *root, const char *path, char *buf,
			       size_t len)
{
	snprintf(buf, len, "%s%s", root, path);
	return buf;
}

/* doctor_slurp() - the whole of @root@path as a NUL-terminated string
 * (proc files included, whose size stat() does not tell)
 * Return: a new string, or NULL with the errno in @err
 */
static char *doctor_slurp(const char *root, const char *path, int *err)
{
	size_t len = 0, cap = 4096;
	char full[PATH_MAX];
	char *buf;
	int fd;

	fd = open(doctor_path(root, path, full, sizeof(full)),
		  O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = errno;
		return NULL;
	}
	buf = xmalloc(cap);
	for (;;) {
		ssize_t n;

		if (cap - len < 2) {
			if (cap >= DOCTOR_SLURP_MAX)
				break;
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*err = errno;
			close(fd);
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*err = 0;
	return buf;
}

/* doctor_read_long() - a number from a sysctl-like file, or -1 */
static long doctor_read_long(const char *root, const char *path)
{
	int err;
	char *s = doctor_slurp(root, path, &err);
	long v = doctor_parse_long(s);

	free(s);
	return v;
}

/* doctor_gather_who() - uid, gid, groups, name, CAP_NET_RAW */
static void doctor_gather_who(struct doctor_facts *f)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	gid_t groups[DOCTOR_MAX_GROUPS - 1];
	const struct passwd *pw;
	int n, i;

	f->uid = getuid();
	f->euid = geteuid();
	f->gid = getegid();
	pw = getpwuid(getuid());
	if (pw)
		snprintf(f->user, sizeof(f->user), "%s", pw->pw_name);
	f->groups[f->n_groups++] = f->gid;
	n = getgroups((int)ARRAY_SIZE(groups), groups);
	for (i = 0; i < n; i++)
		f->groups[f->n_groups++] = groups[i];

	memset(data, 0, sizeof(data));
	if (!syscall(SYS_capget, &hdr, data))
		f->cap_net_raw = data[CAP_NET_RAW / 32].effective &
				 (1u << (CAP_NET_RAW % 32));
}

/* doctor_gather_kernel() - release, namespace handles, sysctls */
static void doctor_gather_kernel(const char *root, struct doctor_facts *f)
{
	struct utsname u;
	char path[64], full[PATH_MAX];
	struct stat st;
	int i;

	if (!uname(&u))
		snprintf(f->release, sizeof(f->release), "%s", u.release);
	for (i = 0; i < DOCTOR_NS_COUNT; i++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s",
			 doctor_ns_name[i]);
		if (!lstat(doctor_path(root, path, full, sizeof(full)), &st))
			f->ns_present |= 1u << i;
		snprintf(path, sizeof(path), "/proc/sys/user/max_%s_namespaces",
			 doctor_ns_name[i]);
		f->max_ns[i] = doctor_read_long(root, path);
	}
	f->userns_clone = doctor_read_long(
		root, "/proc/sys/kernel/unprivileged_userns_clone");
	f->apparmor_restrict = doctor_read_long(
		root, "/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
}

struct doctor_probe_msg {
	int stage; /* enum doctor_probe_stage */
	int err;
};

/* doctor_write_file() - write @text to @path. Return: 0 or errno */
static int doctor_write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (write(fd, text, len) != (ssize_t)len)
		err = errno ? errno : EIO;
	close(fd);
	return err;
}

/* doctor_probe_child() - in the forked child: make the namespaces, map
 * ids, set lo up and (rootless) create a tun device; report the step that
 * failed on @fd and exit. Uses only async-signal-safe calls.
 */
static void __attribute__((noreturn))
doctor_probe_child(int fd, int flags, const char *uid_map, const char *gid_map,
		   const char *tun_path)
{
	struct doctor_probe_msg m = {DOCTOR_PROBE_DONE, 0};
	struct ifreq ifr;
	int s, t;

	if (unshare(flags)) {
		m = (struct doctor_probe_msg){DOCTOR_PROBE_UNSHARE, errno};
		goto out;
	}
	if (flags & CLONE_NEWUSER) {
		m.err = doctor_write_file("/proc/self/setgroups", "deny");
		if (m.err && m.err != ENOENT) {
			m.stage = DOCTOR_PROBE_SETGROUPS;
			goto out;
		}
		m.err = doctor_write_file("/proc/self/uid_map", uid_map);
		if (m.err) {
			m.stage = DOCTOR_PROBE_UID_MAP;
			goto out;
		}
		m.err = doctor_write_file("/proc/self/gid_map", gid_map);
		if (m.err) {
			m.stage = DOCTOR_PROBE_GID_MAP;
			goto out;
		}
	}

	/* lo of the new, empty network namespace */
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		m = (struct doctor_probe_msg){DOCTOR_PROBE_LO_UP, errno};
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		m = (struct doctor_probe_msg){DOCTOR_PROBE_LO_UP, errno};
		goto out;
	}

	if (tun_path) {
		t = open(tun_path, O_RDWR | O_CLOEXEC);
		if (t < 0) {
			m = (struct doctor_probe_msg){DOCTOR_PROBE_TUN_OPEN,
						      errno};
			goto out;
		}
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
		if (ioctl(t, TUNSETIFF, &ifr) < 0) {
			m = (struct doctor_probe_msg){DOCTOR_PROBE_TUN_CREATE,
						      errno};
			goto out;
		}
	}
	m.err = 0;
out:
	if (write(fd, &m, sizeof(m)) != (ssize_t)sizeof(m))
		_exit(1);
	_exit(0);
}

/* doctor_gather_probe() - fork a child that tries the backend's namespaces
 * (doctor_probe_child()) and record how far it got. The child's
 * namespaces, lo and tun device disappear when it exits.
 */
static void doctor_gather_probe(const struct config *cfg, const char *root,
				struct doctor_facts *f)
{
	bool rootless = cfg->backend == BACKEND_ROOTLESS;
	struct doctor_probe_msg m = {DOCTOR_PROBE_FORK, 0};
	char uid_map[64], gid_map[64], tun[PATH_MAX];
	struct pollfd pfd;
	int fds[2], flags;
	pid_t pid;

	f->probe_stage = DOCTOR_PROBE_NOT_RUN;
	if (!rootless && f->euid != 0)
		return;
	flags = CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID;
	if (rootless)
		flags |= CLONE_NEWUSER;
	snprintf(uid_map, sizeof(uid_map), "%lu %lu 1", f->euid, f->euid);
	snprintf(gid_map, sizeof(gid_map), "%lu %lu 1", f->gid, f->gid);
	doctor_path(root, "/dev/net/tun", tun, sizeof(tun));

	f->probe_stage = DOCTOR_PROBE_FORK;
	if (pipe2(fds, O_CLOEXEC)) {
		f->probe_errno = errno;
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		f->probe_errno = errno;
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		doctor_probe_child(fds[1], flags, uid_map, gid_map,
				   rootless ? tun : NULL);
	}
	close(fds[1]);
	pfd = (struct pollfd){.fd = fds[0], .events = POLLIN};
	if (poll(&pfd, 1, DOCTOR_PROBE_TIMEOUT_MS) == 1 &&
	    read(fds[0], &m, sizeof(m)) == (ssize_t)sizeof(m)) {
		f->probe_stage = (enum doctor_probe_stage)m.stage;
		f->probe_errno = m.err;
	} else {
		kill(pid, SIGKILL); /* our own child, stuck or gone */
		f->probe_errno = 0;
	}
	close(fds[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* doctor_find_helper() - @name in PATH, like posix_spawnp() finds it */
static void doctor_find_helper(const char *root, const char *name,
			       struct doctor_helper *h)
{
	const char *path = getenv("PATH");
	const char *p, *end;
	char full[PATH_MAX];
	struct stat st;

	if (!path || !*path)
		path = "/bin:/usr/bin";
	for (p = path; *p; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		if (end == p || *p != '/')
			continue;
		snprintf(h->path, sizeof(h->path), "%.*s/%s", (int)(end - p), p,
			 name);
		doctor_path(root, h->path, full, sizeof(full));
		if (stat(full, &st) || !S_ISREG(st.st_mode) ||
		    !(st.st_mode & 0111))
			continue;
		h->found = true;
		h->setuid_root = (st.st_mode & S_ISUID) && st.st_uid == 0;
		h->file_caps =
			getxattr(full, "security.capability", NULL, 0) > 0;
		return;
	}
	h->path[0] = '\0';
}

/* doctor_gather_subids() - the caller's ranges in /etc/subuid, /etc/subgid */
static void doctor_gather_subids(const char *root, struct doctor_facts *f)
{
	char *s;

	s = doctor_slurp(root, "/etc/subuid", &f->subuid_errno);
	if (s)
		f->subuid_count = doctor_subid_lookup(s, f->user, f->uid,
						      &f->subuid_first);
	free(s);
	s = doctor_slurp(root, "/etc/subgid", &f->subgid_errno);
	if (s)
		f->subgid_count = doctor_subid_lookup(s, f->user, f->gid,
						      &f->subgid_first);
	free(s);
}

/* doctor_gather_tun() - the node, its owner, and whether it opens */
static void doctor_gather_tun(const char *root, struct doctor_facts *f)
{
	char full[PATH_MAX];
	const struct passwd *pw;
	const struct group *gr;
	struct stat st;
	int fd;

	doctor_path(root, "/dev/net/tun", full, sizeof(full));
	if (stat(full, &st)) {
		f->tun_stat_errno = errno;
		return;
	}
	f->tun_mode = st.st_mode;
	f->tun_major = major(st.st_rdev);
	f->tun_minor = minor(st.st_rdev);
	f->tun_uid = st.st_uid;
	f->tun_gid = st.st_gid;
	pw = getpwuid(st.st_uid);
	if (pw)
		snprintf(f->tun_owner, sizeof(f->tun_owner), "%s", pw->pw_name);
	else
		snprintf(f->tun_owner, sizeof(f->tun_owner), "%lu",
			 (unsigned long)st.st_uid);
	gr = getgrgid(st.st_gid);
	if (gr)
		snprintf(f->tun_group, sizeof(f->tun_group), "%s", gr->gr_name);
	else
		snprintf(f->tun_group, sizeof(f->tun_group), "%lu",
			 (unsigned long)st.st_gid);
	/* Without TUNSETIFF this creates no device */
	fd = open(full, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		f->tun_open_errno = errno;
	else
		close(fd);
}

/* doctor_route_errno() - would the host route a UDP datagram to @sa?
 * connect() on a UDP socket only looks the route up; nothing is sent.
 * Return: 0 or the errno
 */
static int doctor_route_errno(const struct sockaddr *sa, socklen_t len)
{
	int s, err = 0;

	s = socket(sa->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return errno;
	if (connect(s, sa, len))
		err = errno;
	close(s);
	return err;
}

/* doctor_route_to() - doctor_route_errno() for numeric address text */
static int doctor_route_to(const char *addr)
{
	struct addrinfo hints = {
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
		.ai_socktype = SOCK_DGRAM,
	};
	struct addrinfo *ai;
	int err;

	if (getaddrinfo(addr, "53", &hints, &ai))
		return EINVAL;
	err = doctor_route_errno(ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return err;
}

/* doctor_gather_net() - ping sockets, IPv6 route, resolvers */
static void doctor_gather_net(const struct config *cfg, const char *root,
			      struct doctor_facts *f)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6,
				  .sin6_port = htons(53)};
	char *s;
	size_t i;
	int fd, err;

	s = doctor_slurp(root, "/proc/sys/net/ipv4/ping_group_range", &err);
	if (!s || doctor_parse_ping_range(s, &f->ping_lo, &f->ping_hi))
		f->ping_lo = f->ping_hi = -1;
	free(s);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd < 0)
		f->ping_socket_errno = errno;
	else
		close(fd);

	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		f->ipv6_socket_errno = errno;
	} else {
		close(fd);
		inet_pton(AF_INET6, DOCTOR_IPV6_PROBE, &s6.sin6_addr);
		f->ipv6_connect_errno =
			doctor_route_errno((struct sockaddr *)&s6, sizeof(s6));
	}

	if (cfg->has_dns) {
		char ip[64];

		ip_format(&cfg->dns, ip, sizeof(ip));
		f->dns_route_errno = doctor_route_to(ip);
	}
	s = doctor_slurp(root, "/etc/resolv.conf", &f->resolv_errno);
	if (s)
		f->n_ns = doctor_parse_resolv(s, f->ns, DOCTOR_MAX_NAMESERVERS);
	free(s);
	for (i = 0; i < f->n_ns; i++)
		f->ns[i].route_errno = doctor_route_to(f->ns[i].addr);
}

/* What tells whether the kernel has a feature, gathered once */
struct doctor_kinfo {
	char *modules; /* /proc/modules; NULL: no module support or unreadable */
	int modules_errno;
	char *builtin, *dep; /* /lib/modules/<release>/modules.{builtin,dep} */
	char *kconfig;	     /* /boot/config-<release> */
	char kconfig_path[128];
	bool kallsyms_ok; /* /proc/kallsyms read, with symbols */
};

/* A feature: module name, kernel config symbol, a symbol of its code */
struct doctor_kfeature {
	const char *module, *config, *symbol;
	bool in_kallsyms;
};

/* doctor_kallsyms() - which of @ft's symbols /proc/kallsyms lists (it
 * lists built-in code and loaded modules; names are readable by everyone)
 * Return: true when the file was read and had symbols
 */
static bool doctor_kallsyms(const char *root, struct doctor_kfeature *ft,
			    size_t n)
{
	char full[PATH_MAX], *line = NULL;
	size_t cap = 0, i, lines = 0;
	FILE *fp;

	fp = fopen(doctor_path(root, "/proc/kallsyms", full, sizeof(full)),
		   "re");
	if (!fp)
		return false;
	while (getline(&line, &cap, fp) > 0) {
		/* "ffffffff81f62750 T nft_do_chain\t[nf_tables]" */
		char *name = strchr(line, ' ');
		size_t len;

		if (!name || !(name = strchr(name + 1, ' ')))
			continue;
		name++;
		len = strcspn(name, " \t\n");
		lines++;
		for (i = 0; i < n; i++)
			if (strlen(ft[i].symbol) == len &&
			    !memcmp(name, ft[i].symbol, len))
				ft[i].in_kallsyms = true;
	}
	free(line);
	fclose(fp);
	return lines > 0;
}

/* doctor_feature_decide() - what @ki and @ft say about one feature, the
 * strongest evidence first
 */
static void doctor_feature_decide(const char *root,
				  const struct doctor_kinfo *ki,
				  const struct doctor_kfeature *ft,
				  struct doctor_feature *out)
{
	char path[128], full[PATH_MAX];
	struct stat st;
	char v;

	snprintf(path, sizeof(path), "/sys/module/%s", ft->module);
	if (ki->modules && doctor_modules_has(ki->modules, ft->module)) {
		out->state = DOCTOR_FEAT_PRESENT;
		snprintf(out->how, sizeof(out->how), "module loaded");
	} else if (!stat(doctor_path(root, path, full, sizeof(full)), &st)) {
		out->state = DOCTOR_FEAT_PRESENT;
		snprintf(out->how, sizeof(out->how), "loaded or built in (%s)",
			 path);
	} else if (ki->builtin && doctor_modlist_has(ki->builtin, ft->module)) {
		out->state = DOCTOR_FEAT_PRESENT;
		snprintf(out->how, sizeof(out->how),
			 "built in (modules.builtin)");
	} else if (ft->in_kallsyms) {
		out->state = DOCTOR_FEAT_PRESENT;
		snprintf(out->how, sizeof(out->how),
			 "built in or loaded (%s in /proc/kallsyms)",
			 ft->symbol);
	} else if (ki->dep && doctor_modlist_has(ki->dep, ft->module)) {
		out->state = DOCTOR_FEAT_MODULE;
		snprintf(out->how, sizeof(out->how),
			 "a module, loaded on first use (modules.dep)");
	} else if (ki->kconfig &&
		   (v = doctor_kconfig_value(ki->kconfig, ft->config))) {
		out->state = v == 'y'	? DOCTOR_FEAT_PRESENT
			     : v == 'm' ? DOCTOR_FEAT_MODULE
					: DOCTOR_FEAT_ABSENT;
		if (v == 'n')
			snprintf(out->how, sizeof(out->how),
				 "%s is not set (%s)", ft->config,
				 ki->kconfig_path);
		else
			snprintf(out->how, sizeof(out->how), "%s=%c (%s)",
				 ft->config, v, ki->kconfig_path);
	} else if (ki->kallsyms_ok && ki->modules_errno == ENOENT) {
		out->state = DOCTOR_FEAT_ABSENT;
		snprintf(
			out->how, sizeof(out->how),
			"not built in (no %s in /proc/kallsyms), and the kernel loads no modules",
			ft->symbol);
	} else if (ki->kallsyms_ok && ki->dep) {
		out->state = DOCTOR_FEAT_ABSENT;
		snprintf(out->how, sizeof(out->how),
			 "neither built in nor in modules.dep");
	} else {
		out->state = DOCTOR_FEAT_UNKNOWN;
		snprintf(
			out->how, sizeof(out->how),
			"unknown: no module list, kernel config or symbol table says");
	}
}

/* doctor_nlmsg_next() - NLMSG_NEXT() without its cast through char *, which
 * clang's -Wcast-align flags: netlink messages are NLMSG_ALIGNTO-aligned
 */
static const struct nlmsghdr *doctor_nlmsg_next(const struct nlmsghdr *nh,
						size_t *left)
{
	size_t step = NLMSG_ALIGN(nh->nlmsg_len);

	*left = step < *left ? *left - step : 0;
	return (const struct nlmsghdr *)(const void *)((const unsigned char *)
							       nh +
						       step);
}

/* doctor_rule_dump() - count the policy-routing rules of @family, as
 * `ip rule show` lists them (a read-only netlink dump)
 * Return: 0 or the errno
 */
static int doctor_rule_dump(int family, unsigned int *count)
{
	struct {
		struct nlmsghdr nh;
		struct fib_rule_hdr frh;
	} req;
	struct timeval tv = {.tv_sec = 2};
	unsigned int buf[8192];
	int s, err = 0;
	bool done = false;

	*count = 0;
	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		return errno;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = RTM_GETRULE;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = 1;
	req.frh.family = (unsigned char)family;
	if (send(s, &req, sizeof(req), 0) < 0) {
		err = errno;
		goto out;
	}
	while (!done) {
		ssize_t n = recv(s, buf, sizeof(buf), 0);
		const struct nlmsghdr *nh = (const struct nlmsghdr *)buf;
		size_t left;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			break;
		}
		left = (size_t)n;
		for (; NLMSG_OK(nh, left); nh = doctor_nlmsg_next(nh, &left)) {
			if (nh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nh);

				err = e->error ? -e->error : 0;
				done = true;
				break;
			}
			if (nh->nlmsg_type == RTM_NEWRULE)
				(*count)++;
		}
	}
out:
	close(s);
	return err;
}

/* doctor_gather_rootful() - libnftables, nf_tables, TPROXY, policy
 * routing, --iface
 */
static void doctor_gather_rootful(const struct config *cfg, const char *root,
				  struct doctor_facts *f)
{
	struct doctor_kfeature ft[] = {
		{"nf_tables", "CONFIG_NF_TABLES", "nft_do_chain", false},
		{"nft_tproxy", "CONFIG_NFT_TPROXY", "nft_tproxy_eval", false},
		{"nf_tproxy_ipv4", "CONFIG_NF_TPROXY_IPV4", "nf_tproxy_laddr4",
		 false},
		{"nf_tproxy_ipv6", "CONFIG_NF_TPROXY_IPV6", "nf_tproxy_laddr6",
		 false},
	};
	struct doctor_feature *out[] = {&f->nf_tables, &f->nft_tproxy,
					&f->tproxy4, &f->tproxy6};
	struct doctor_kinfo ki;
	char path[160];
	void *lib;
	size_t i;
	int err;

	lib = dlopen("libnftables.so.1", RTLD_LAZY | RTLD_LOCAL);
	if (lib) {
		f->nft_lib = true;
		dlclose(lib);
	} else {
		const char *e = dlerror();

		snprintf(f->nft_lib_error, sizeof(f->nft_lib_error), "%s",
			 e ? e : "not found");
	}

	memset(&ki, 0, sizeof(ki));
	ki.modules = doctor_slurp(root, "/proc/modules", &ki.modules_errno);
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.builtin",
		 f->release);
	ki.builtin = doctor_slurp(root, path, &err);
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep", f->release);
	ki.dep = doctor_slurp(root, path, &err);
	snprintf(ki.kconfig_path, sizeof(ki.kconfig_path), "/boot/config-%s",
		 f->release);
	ki.kconfig = doctor_slurp(root, ki.kconfig_path, &err);
	ki.kallsyms_ok = doctor_kallsyms(root, ft, ARRAY_SIZE(ft));
	for (i = 0; i < ARRAY_SIZE(ft); i++)
		doctor_feature_decide(root, &ki, &ft[i], out[i]);
	free(ki.modules);
	free(ki.builtin);
	free(ki.dep);
	free(ki.kconfig);

	f->rule4_errno = doctor_rule_dump(AF_INET, &f->rule4_count);
	f->rule6_errno = doctor_rule_dump(AF_INET6, &f->rule6_count);

	if (cfg->iface) {
		f->iface_index = if_nametoindex(cfg->iface);
		f->iface_errno = f->iface_index ? 0 : errno;
	}
}

void doctor_gather(const struct config *cfg, const char *root,
		   struct doctor_facts *f)
{
	memset(f, 0, sizeof(*f));
	doctor_gather_who(f);
	doctor_gather_kernel(root, f);
	doctor_gather_probe(cfg, root, f);
	if (cfg->backend == BACKEND_ROOTLESS) {
		doctor_find_helper(root, "newuidmap", &f->newuidmap);
		doctor_find_helper(root, "newgidmap", &f->newgidmap);
		doctor_gather_subids(root, f);
		doctor_gather_tun(root, f);
	} else {
		doctor_gather_rootful(cfg, root, f);
	}
	doctor_gather_net(cfg, root, f);
}

/* ------------------------------------------------------------------ */
/* Output                                                               */
/* ------------------------------------------------------------------ */

int doctor_print_text(const struct doctor_report *r, FILE *out)
{
	int width = 0;
	size_t i;

	for (i = 0; i < r->n; i++)
		if ((int)strlen(r->checks[i].label) > width)
			width = (int)strlen(r->checks[i].label);

	fprintf(out, "childflow --doctor: backend %s, uid %lu, euid %lu\n\n",
		r->backend, r->uid, r->euid);
	for (i = 0; i < r->n; i++) {
		const struct doctor_check *c = &r->checks[i];

		fprintf(out, "%-8s %-*s  %s\n", doctor_status_name(c->status),
			width, c->label, c->detail);
		if (c->hint[0])
			fprintf(out, "%-8s %-*s  hint: %s\n", "", width, "",
				c->hint);
	}
	fputc('\n', out);
	if (r->status == DOCTOR_FATAL)
		fprintf(out,
			"fatal: the %s backend cannot run here (%zu fatal, %zu warning%s)\n",
			r->backend, r->n_fatal, r->n_warning,
			r->n_warning == 1 ? "" : "s");
	else if (r->status == DOCTOR_WARNING)
		fprintf(out,
			"warning: the %s backend can run here, with %zu warning%s\n",
			r->backend, r->n_warning, r->n_warning == 1 ? "" : "s");
	else
		fprintf(out, "ok: the %s backend can run here\n", r->backend);
	return fflush(out) || ferror(out) ? -1 : 0;
}

int doctor_print_json(const struct doctor_report *r, FILE *out)
{
	json_object *root = json_object_new_object();
	json_object *checks = json_object_new_array();
	size_t i;
	int ret;

	json_object_object_add(root, "backend",
			       json_object_new_string(r->backend));
	json_object_object_add(root, "uid",
			       json_object_new_int64((int64_t)r->uid));
	json_object_object_add(root, "euid",
			       json_object_new_int64((int64_t)r->euid));
	json_object_object_add(
		root, "status",
		json_object_new_string(doctor_status_name(r->status)));
	for (i = 0; i < r->n; i++) {
		const struct doctor_check *c = &r->checks[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "key",
				       json_object_new_string(c->key));
		json_object_object_add(o, "label",
				       json_object_new_string(c->label));
		json_object_object_add(
			o, "status",
			json_object_new_string(doctor_status_name(c->status)));
		json_object_object_add(o, "detail",
				       json_object_new_string(c->detail));
		json_object_object_add(
			o, "hint",
			c->hint[0] ? json_object_new_string(c->hint) : NULL);
		json_object_array_add(checks, o);
	}
	json_object_object_add(root, "checks", checks);
	fprintf(out, "%s\n",
		json_object_to_json_string_ext(
			root, JSON_C_TO_STRING_PRETTY |
				      JSON_C_TO_STRING_SPACED |
				      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	ret = fflush(out) || ferror(out) ? -1 : 0;
	return ret;
}

int doctor_main(const struct config *cfg)
{
	const char *root = getenv(DOCTOR_ROOT_ENV);
	struct doctor_facts *f = xcalloc(1, sizeof(*f));
	struct doctor_report *r = xcalloc(1, sizeof(*r));
	int status, err;

	doctor_gather(cfg, root ? root : "", f);
	doctor_evaluate(cfg, f, r);
	if (cfg->doctor_format == FORMAT_JSON)
		err = doctor_print_json(r, stdout);
	else
		err = doctor_print_text(r, stdout);
	status = r->status == DOCTOR_FATAL ? 1 : 0;
	free(f);
	free(r);
	if (err) {
		util_err("--doctor: writing the report failed: %s",
			 strerror(errno));
		return EXIT_CHILDFLOW;
	}
	return status;
}
