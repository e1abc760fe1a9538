/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * sandbox_run - run a command in childflow's sandbox, without the engine
 *
 *   sandbox_run [DRIVER OPTIONS] [CHILDFLOW OPTIONS] [--] COMMAND [ARG...]
 *   sandbox_run --sb-idmap ID START:COUNT...
 *   sandbox_run --sb-resolv FILE
 *
 * The first form does what childflow will do around its engine: build the
 * configuration from childflow's own options (cli_parse(), config_build()),
 * sandbox_spawn(), sandbox_go(), then wait on the tree's pidfd while
 * passing SIGINT, SIGTERM and SIGHUP on (a second SIGINT kills the tree),
 * and exit with sandbox_reap()'s status. Nothing answers on tun0: the tree
 * has its network, but no way out of it. Driver options:
 *
 *   --sb-print-tun   print what arrived as tun0 (TUNGETIFF, descriptor flags)
 *   --sb-tun-log     print a line per packet the tree sends to tun0
 *   --sb-bench N     run the command N times, print the mean time of
 *                    spawn + go + the command + reap
 *   --sb-pidfile F   write the driver's pid to F once the command is started
 *
 * The other two forms print what the sandbox's pure helpers make of their
 * input, for the end-to-end tests: the uid/gid map for an id and its
 * subordinate ranges, and the tree's resolv.conf for a host file.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "sandbox/sandbox.h"
#include "sandbox/sandbox_internal.h"
#include "util.h"

struct sandbox_run_opts {
	bool print_tun;
	bool tun_log;
	long bench;
	const char *pidfile;
};

/* sandbox_run_idmap() - --sb-idmap ID START:COUNT... */
static int sandbox_run_idmap(int argc, char **argv)
{
	struct userns_range sub[32];
	struct userns_extent map[USERNS_MAX_EXTENTS];
	size_t n_sub = 0, n, i;
	unsigned long id;
	int a;

	if (argc < 1)
		return EXIT_USAGE;
	id = strtoul(argv[0], NULL, 10);
	for (a = 1; a < argc && n_sub < ARRAY_SIZE(sub); a++) {
		unsigned long s, c;
		char *end;

		s = strtoul(argv[a], &end, 10);
		if (*end != ':')
			return EXIT_USAGE;
		c = strtoul(end + 1, &end, 10);
		if (*end)
			return EXIT_USAGE;
		sub[n_sub++] = (struct userns_range){(uint32_t)s, (uint32_t)c};
	}
	n = userns_build_map((uint32_t)id, sub, n_sub, map, ARRAY_SIZE(map));
	for (i = 0; i < n; i++)
		printf("%u %u %u\n", map[i].inside, map[i].outside,
		       map[i].count);
	return n ? 0 : 1;
}

/* sandbox_run_resolv() - --sb-resolv FILE */
static int sandbox_run_resolv(const char *path)
{
	char *text = mounts_resolv_conf(path);

	fputs(text, stdout);
	free(text);
	return 0;
}

/* sandbox_run_print_tun() - what arrived as the tree's tun0 */
static void sandbox_run_print_tun(int fd)
{
	struct ifreq ifr;
	int fl, fdfl;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
		fprintf(stderr, "tun: TUNGETIFF: %s\n", strerror(errno));
		return;
	}
	fl = fcntl(fd, F_GETFL);
	fdfl = fcntl(fd, F_GETFD);
	fprintf(stderr,
		"tun: name=%s tun=%d no_pi=%d vnet_hdr=%d nonblock=%d cloexec=%d\n",
		ifr.ifr_name, !!(ifr.ifr_flags & IFF_TUN),
		!!(ifr.ifr_flags & IFF_NO_PI), !!(ifr.ifr_flags & IFF_VNET_HDR),
		!!(fl & O_NONBLOCK), !!(fdfl & FD_CLOEXEC));
}

/* sandbox_run_tun_log() - print a line for each packet waiting on @fd
 * (after its virtio_net_hdr: sandbox.h)
 */
static void sandbox_run_tun_log(int fd)
{
	unsigned char buf[SANDBOX_VNET_HDR_LEN + 65536];
	const unsigned char *pkt = buf + SANDBOX_VNET_HDR_LEN;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > SANDBOX_VNET_HDR_LEN) {
		n -= SANDBOX_VNET_HDR_LEN;
		if ((pkt[0] >> 4) == 6 && n >= 40)
			fprintf(stderr, "tun: ipv6 len=%zd next=%u%s%u\n", n,
				pkt[6], pkt[6] == 58 ? " icmp6-type=" : " ",
				pkt[6] == 58 && n > 40 ? pkt[40] : 0);
		else if ((pkt[0] >> 4) == 4 && n >= 20)
			fprintf(stderr,
				"tun: ipv4 len=%zd proto=%u dst=%u.%u.%u.%u\n",
				n, pkt[9], pkt[16], pkt[17], pkt[18], pkt[19]);
		else
			fprintf(stderr, "tun: len=%zd ?\n", n);
	}
}

/* sandbox_run_wait() - wait for the tree, passing signals on
 * Return: the status to exit with.
 */
static int sandbox_run_wait(struct sandbox *sb, int sfd,
			    const struct sandbox_run_opts *o)
{
	struct pollfd pfd[3];
	int sigints = 0;

	pfd[0] = (struct pollfd){.fd = sb->pidfd, .events = POLLIN};
	pfd[1] = (struct pollfd){.fd = sfd, .events = POLLIN};
	pfd[2] = (struct pollfd){.fd = o->tun_log ? sb->tun_fd : -1,
				 .events = POLLIN};
	for (;;) {
		struct signalfd_siginfo si;

		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("sandbox_run: poll");
			sandbox_signal(sb, SIGKILL, true);
			break;
		}
		if (pfd[2].revents & POLLIN)
			sandbox_run_tun_log(sb->tun_fd);
		if (pfd[0].revents & POLLIN)
			break;
		if (!(pfd[1].revents & POLLIN) ||
		    read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			continue;
		/* A second SIGINT, whoever sent it, kills the tree */
		if (si.ssi_signo == SIGINT && ++sigints > 1) {
			sandbox_signal(sb, SIGINT, true);
			continue;
		}
		/* The terminal sent it to the whole foreground process
		 * group, the command included: no second copy
		 */
		if (si.ssi_code == SI_KERNEL)
			continue;
		sandbox_signal(sb, (int)si.ssi_signo, false);
	}
	if (o->tun_log)
		sandbox_run_tun_log(sb->tun_fd);
	return sandbox_reap(sb);
}

/* sandbox_run_now() - CLOCK_MONOTONIC in seconds */
static double sandbox_run_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* sandbox_run_once() - spawn, go, wait, reap: one run of the command;
 * adds the time sandbox_spawn() took to @spawn_time
 */
static int sandbox_run_once(const struct config *cfg, int sfd,
			    const struct sandbox_run_opts *o,
			    double *spawn_time)
{
	double t0 = sandbox_run_now();
	struct sandbox sb;
	int status;

	if (sandbox_spawn(cfg, &sb))
		return EXIT_CHILDFLOW;
	*spawn_time += sandbox_run_now() - t0;
	if (o->print_tun)
		sandbox_run_print_tun(sb.tun_fd);
	if (sandbox_go(&sb)) {
		sandbox_close(&sb);
		return EXIT_CHILDFLOW;
	}
	if (o->pidfile) {
		FILE *f = fopen(o->pidfile, "we");

		if (f) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		}
	}
	status = sandbox_run_wait(&sb, sfd, o);
	sandbox_close(&sb);
	return status;
}

int main(int argc, char **argv)
{
	struct sandbox_run_opts o = {false, false, 0, NULL};
	struct config cfg;
	struct cli cli;
	char err[1024];
	sigset_t sigs;
	int a = 1, sfd, status = 0;
	double spawn = 0;
	long i;

	if (argc > 1 && !strcmp(argv[1], "--sb-idmap"))
		return sandbox_run_idmap(argc - 2, argv + 2);
	if (argc == 3 && !strcmp(argv[1], "--sb-resolv"))
		return sandbox_run_resolv(argv[2]);
	for (; a < argc && !strncmp(argv[a], "--sb-", 5); a++) {
		if (!strcmp(argv[a], "--sb-print-tun")) {
			o.print_tun = true;
		} else if (!strcmp(argv[a], "--sb-tun-log")) {
			o.tun_log = true;
		} else if (!strcmp(argv[a], "--sb-bench") && a + 1 < argc) {
			o.bench = strtol(argv[++a], NULL, 10);
		} else if (!strcmp(argv[a], "--sb-pidfile") && a + 1 < argc) {
			o.pidfile = argv[++a];
		} else {
			fprintf(stderr, "sandbox_run: unknown option %s\n",
				argv[a]);
			return EXIT_USAGE;
		}
	}
	/* cli_parse() skips argv[0]: give it the word before the options */
	if (cli_parse(argc - a + 1, argv + a - 1, &cli, err, sizeof(err))) {
		util_err("%s", err);
		cli_free(&cli);
		return EXIT_USAGE;
	}
	if (config_build(&cli.settings, cli.action, cli.report_file, NULL,
			 cli.has_command, &cfg, err, sizeof(err))) {
		util_err("%s", err);
		cli_free(&cli);
		return EXIT_USAGE;
	}
	if (cfg.action != ACTION_RUN) {
		fprintf(stderr, "sandbox_run: give it a command to run\n");
		config_free(&cfg);
		cli_free(&cli);
		return EXIT_USAGE;
	}

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		perror("sandbox_run: signalfd");
		return EXIT_CHILDFLOW;
	}

	if (o.bench > 0) {
		double t0 = sandbox_run_now(), t;

		for (i = 0; i < o.bench && status == 0; i++)
			status = sandbox_run_once(&cfg, sfd, &o, &spawn);
		t = sandbox_run_now() - t0;
		fprintf(stderr,
			"sandbox_run: %ld runs, mean %.3f ms, of which sandbox_spawn() %.3f ms\n",
			i, 1000.0 * t / (double)i, 1000.0 * spawn / (double)i);
	} else {
		status = sandbox_run_once(&cfg, sfd, &o, &spawn);
	}

	close(sfd);
	config_free(&cfg);
	cli_free(&cli);
	return status;
}
