/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * netns.c - the tree's network: lo, tun0, its addresses and routes
 *
 * Runs in pid 1 of the tree, which holds every capability of the tree's
 * user namespace, and so CAP_NET_ADMIN over its network namespace. tun0 is
 * created by opening /dev/net/tun here, so that the device belongs to this
 * namespace; its descriptor goes to the engine in the host namespace.
 *
 * The links, addresses and routes are set with rtnetlink (libmnl), in one
 * batch: the kernel handles the messages of one sendmsg() in order, so the
 * links are up before the addresses are added, and the addresses before
 * the routes that need them. Every message asks for an acknowledgement,
 * and the first failure is reported with what it was for and the
 * kernel's own explanation (extended acks).
 *
 * All of it needs only the capabilities pid 1 has from the start, not its
 * uid and gid maps: it runs while the parent writes them (newuidmap and
 * newgidmap take a few milliseconds). ping_group_range names a gid of the
 * tree, so it waits for the maps (netns_allow_ping()).
 *
 * The tree's TCP uses Reno on its hop to the engine (netns_tcp_hop()).
 *
 * IPv6: fd00::100/64 is added with IFA_F_NODAD, so it is usable at once,
 * and tun0 gets no link-local address (addr_gen_mode "none", set before
 * the link goes up): without one the kernel sends no router solicitations
 * to the engine, and there is nothing for it to announce.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
/* Before the kernel's headers, which then leave out what it defines */
#include <net/if.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "sandbox/sandbox_internal.h"
#include "util.h"

#define NETNS_MAX_REQ 8
/* MNL_SOCKET_BUFFER_SIZE depends on the page size: a fixed size instead */
#define NETNS_BUF_SIZE 8192

/* A batch of rtnetlink requests, each with what it is for */
struct netns_batch {
	struct mnl_nlmsg_batch *b;
	const char *what[NETNS_MAX_REQ]; /* indexed by sequence - seq0 */
	unsigned int seq0;
	unsigned int n;
	char buf[NETNS_BUF_SIZE];
};

/* netns_tun_open() - create tun0 (IFF_TUN | IFF_NO_PI | IFF_VNET_HDR, with
 * checksum offload: sandbox.h) in this namespace
 * Return: its descriptor (O_CLOEXEC), or -1 with one line printed.
 */
static int netns_tun_open(void)
{
	struct ifreq ifr;
	int fd;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		if (err == EACCES || err == EPERM)
			util_err(
				"/dev/net/tun: %s: this user may not open the tun device; most distributions make it usable by everyone (`chmod 0666 /dev/net/tun` as root), or run childflow as root%s",
				strerror(err),
				err == EPERM ? userns_eperm_hint() : "");
		else if (err == ENOENT || err == ENODEV || err == ENXIO)
			util_err(
				"/dev/net/tun: %s: the tun driver is missing; load it with `modprobe tun` (and create the node with `mknod /dev/net/tun c 10 200` if needed)",
				strerror(err));
		else
			util_err("/dev/net/tun: %s", strerror(err));
		return -1;
	}

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", SANDBOX_TUN_NAME);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int err = errno;

		util_err("creating %s (TUNSETIFF): %s%s", SANDBOX_TUN_NAME,
			 strerror(err),
			 err == EPERM ? userns_eperm_hint() : "");
		close(fd);
		return -1;
	}
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)TUN_F_CSUM) < 0) {
		util_err("%s: TUNSETOFFLOAD: %s", SANDBOX_TUN_NAME,
			 strerror(errno));
		close(fd);
		return -1;
	}
	/* Closing the last descriptor of a non-persistent tun unregisters
	 * the device then and there, which waits for RCU callbacks
	 * (rcu_barrier(): 10-30 ms), and would add that to every run of
	 * childflow. A persistent tun0 is deleted by the kernel's
	 * asynchronous clean-up of its network namespace instead, once the
	 * tree and the engine are gone: nothing outlives the namespace.
	 */
	if (ioctl(fd, TUNSETPERSIST, 1) < 0) {
		util_err("%s: TUNSETPERSIST: %s", SANDBOX_TUN_NAME,
			 strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* netns_put() - start the next request of @nb: type @type, @flags added to
 * NLM_F_REQUEST | NLM_F_ACK, described by @what in error messages
 */
static struct nlmsghdr *netns_put(struct netns_batch *nb, uint16_t type,
				  uint16_t flags, const char *what)
{
	struct nlmsghdr *nlh;

	ASSERT(nb->n < NETNS_MAX_REQ);
	nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(nb->b));
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = nb->seq0 + nb->n;
	nb->what[nb->n++] = what;
	return nlh;
}

/* netns_next() - close the request just built */
static void netns_next(struct netns_batch *nb)
{
	/* The batch buffer is far larger than NETNS_MAX_REQ small requests */
	ASSERT(mnl_nlmsg_batch_next(nb->b));
}

/* tun0's transmit queue: the tree's stack queues there what the engine has
 * not read yet. The default of 500 packets dropped segments under 1,000
 * concurrent connections (spurious retransmissions, ~40 s for a transfer
 * that takes 8 s with this queue); the tree's TCP is paced by the windows
 * the engine advertises, so a deep queue costs no latency in steady state.
 */
#define NETNS_TUN_TXQLEN 16384

/* netns_link() - set @flags (within @change) on link @ifindex, and its
 * @mtu (and tun0's queue length) unless 0; @no_ll: no IPv6 link-local
 * address on it
 */
static void netns_link(struct netns_batch *nb, int ifindex, unsigned flags,
		       unsigned change, unsigned mtu, bool no_ll,
		       const char *what)
{
	struct nlmsghdr *nlh = netns_put(nb, RTM_NEWLINK, 0, what);
	struct ifinfomsg *ifi;

	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = flags;
	ifi->ifi_change = change;
	if (mtu) {
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
		mnl_attr_put_u32(nlh, IFLA_TXQLEN, NETNS_TUN_TXQLEN);
	}
	if (no_ll) {
		struct nlattr *spec, *inet6;

		spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
		inet6 = mnl_attr_nest_start(nlh, AF_INET6);
		mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE,
				IN6_ADDR_GEN_MODE_NONE);
		mnl_attr_nest_end(nlh, inet6);
		mnl_attr_nest_end(nlh, spec);
	}
	netns_next(nb);
}

/* netns_addr() - add @addr/@prefix (family @af) to link @ifindex */
static void netns_addr(struct netns_batch *nb, int af, int ifindex,
		       const char *addr, unsigned prefix, const char *what)
{
	struct nlmsghdr *nlh =
		netns_put(nb, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, what);
	unsigned char bin[16];
	size_t len = af == AF_INET ? 4 : 16;
	struct ifaddrmsg *ifa;

	ASSERT(inet_pton(af, addr, bin) == 1);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (unsigned char)af;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)ifindex;
	if (af == AF_INET6) {
		ifa->ifa_flags = IFA_F_NODAD;
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	}
	mnl_attr_put(nlh, IFA_LOCAL, len, bin);
	mnl_attr_put(nlh, IFA_ADDRESS, len, bin);
	netns_next(nb);
}

/* netns_default_route() - add the default route of family @af via @gw on
 * link @ifindex
 */
static void netns_default_route(struct netns_batch *nb, int af, int ifindex,
				const char *gw, const char *what)
{
	struct nlmsghdr *nlh =
		netns_put(nb, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, what);
	unsigned char bin[16];
	struct rtmsg *rtm;

	ASSERT(inet_pton(af, gw, bin) == 1);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)af;
	rtm->rtm_dst_len = 0;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_GATEWAY, af == AF_INET ? 4 : 16, bin);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	netns_next(nb);
}

/* netns_ack_msg_cb() - pick the kernel's text out of an extended ack */
static int netns_ack_msg_cb(const struct nlattr *attr, void *data)
{
	const char **msg = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		*msg = mnl_attr_get_str(attr);
	return MNL_CB_OK;
}

/* netns_ack() - one acknowledgement @nlh of a request of @nb
 * Return: 0 for success, 1 for a failure (reported), -1 for a message that
 * is not an acknowledgement of ours.
 */
static int netns_ack(const struct netns_batch *nb, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e;
	const char *kmsg = NULL;
	unsigned int i;

	if (nlh->nlmsg_type != NLMSG_ERROR ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return -1;
	i = nlh->nlmsg_seq - nb->seq0;
	if (i >= nb->n)
		return -1;
	e = mnl_nlmsg_get_payload(nlh);
	if (e->error == 0)
		return 0;

	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		size_t off = sizeof(*e);

		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		if (mnl_nlmsg_size(off) <= nlh->nlmsg_len)
			mnl_attr_parse(nlh, (unsigned int)off, netns_ack_msg_cb,
				       &kmsg);
	}
	util_err("%s: %s%s%s%s", nb->what[i], strerror(-e->error),
		 kmsg ? " (kernel: " : "", kmsg ? kmsg : "", kmsg ? ")" : "");
	return 1;
}

/* netns_batch_run() - send every request of @nb and check every ack
 * Return: 0, or -1 with the first failure printed.
 */
static int netns_batch_run(struct netns_batch *nb)
{
	char buf[NETNS_BUF_SIZE];
	unsigned int acks = 0, portid, one = 1;
	struct mnl_socket *nl;
	int failed = 0;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl) {
		util_err("netlink: %s", strerror(errno));
		return -1;
	}
	/* Best effort: the kernel's reason for a failure, without echoing
	 * back our request
	 */
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		util_err("netlink: bind: %s", strerror(errno));
		mnl_socket_close(nl);
		return -1;
	}
	portid = mnl_socket_get_portid(nl);

	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(nb->b),
			      mnl_nlmsg_batch_size(nb->b)) < 0) {
		util_err("netlink: send: %s", strerror(errno));
		mnl_socket_close(nl);
		return -1;
	}

	while (acks < nb->n) {
		const struct nlmsghdr *nlh;
		ssize_t len = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		int left;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			util_err("netlink: receive: %s", strerror(errno));
			failed = 1;
			break;
		}
		left = (int)len;
		for (nlh = (const struct nlmsghdr *)buf;
		     mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			int r;

			if (nlh->nlmsg_pid != portid)
				continue;
			r = netns_ack(nb, nlh);
			if (r < 0)
				continue;
			acks++;
			/* Report the first failure only: the rest follow */
			if (r > 0 && !failed)
				failed = 1;
		}
	}
	mnl_socket_close(nl);
	return failed ? -1 : 0;
}

int netns_allow_ping(gid_t gid)
{
	const char *path = "/proc/sys/net/ipv4/ping_group_range";
	char text[48];
	ssize_t n;
	size_t len;
	int fd;

	if (gid == 0)
		snprintf(text, sizeof(text), "0 2147483647\n");
	else
		snprintf(text, sizeof(text), "%u %u\n", gid, gid);
	len = strlen(text);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		util_err("%s: %s", path, strerror(errno));
		return -1;
	}
	n = write(fd, text, len);
	if (n != (ssize_t)len) {
		util_err("%s: cannot allow gid %u: %s", path, gid,
			 n < 0 ? strerror(errno) : "short write");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* netns_ipv6_on() - make sure IPv6 is not disabled on @ifname: a host
 * that disables it by default (net.ipv6.conf.default.disable_ipv6, with
 * net.core.devconf_inherit_init_net) would otherwise refuse tun0's IPv6
 * address. The tree's IPv6 is the engine's business, not the host's.
 * Return: 0, or -1 with one line printed.
 */
static int netns_ipv6_on(const char *ifname)
{
	char path[64], c = '0';
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 ifname);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		util_err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (read(fd, &c, 1) == 1 && c != '0' && pwrite(fd, "0", 1, 0) != 1) {
		util_err("%s: cannot enable IPv6: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* netns_tcp_hop() - the congestion control of the tree's TCP: Reno.
 * A TCP connection of the tree crosses one hop of its own, tun0 to the
 * engine: no queue but tun0's, no loss but the engine's drops, and flow
 * control by the window the engine advertises (the host socket's free
 * buffer). Congestion control for the path beyond is the host socket's,
 * with the host's own algorithm. A pacing one like BBR (a common host
 * default, which a new namespace inherits) only spaces out the tree's
 * segments on that hop: in the lab an upload moved 13 Gbit/s under BBR
 * and 20 under Reno. Reno is the one algorithm a namespace other than
 * the host's may always choose; a program may still set its own
 * (TCP_CONGESTION). A failure changes only speed, so it is ignored.
 */
static void netns_tcp_hop(void)
{
	static const char reno[] = "reno";
	int fd = open("/proc/sys/net/ipv4/tcp_congestion_control",
		      O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	/* on failure the inherited algorithm stays: slower, still right */
	(void)!write(fd, reno, sizeof(reno) - 1);
	close(fd);
}

int netns_setup(const struct sandbox_plan *plan)
{
	static const char what_tun_up[] = "setting " SANDBOX_TUN_NAME " up";
	struct netns_batch nb;
	int tun, ifindex;

	tun = netns_tun_open();
	if (tun < 0)
		return -1;
	ifindex = (int)if_nametoindex(SANDBOX_TUN_NAME);
	if (ifindex <= 0) {
		util_err("%s: cannot find its index: %s", SANDBOX_TUN_NAME,
			 strerror(errno));
		close(tun);
		return -1;
	}

	if (plan->ipv6 &&
	    (netns_ipv6_on("lo") || netns_ipv6_on(SANDBOX_TUN_NAME))) {
		close(tun);
		return -1;
	}

	memset(&nb, 0, sizeof(nb));
	/* Half the buffer: a message may be written past the limit */
	nb.b = mnl_nlmsg_batch_start(nb.buf, sizeof(nb.buf) / 2);
	if (!nb.b) {
		util_err("netlink: out of memory");
		close(tun);
		return -1;
	}
	nb.seq0 = (unsigned int)time(NULL);

	/* lo is always index 1 in a new network namespace */
	netns_link(&nb, 1, IFF_UP, IFF_UP, 0, false, "setting lo up");
	netns_link(&nb, ifindex, 0, 0, SANDBOX_MTU, plan->ipv6,
		   "setting the MTU of " SANDBOX_TUN_NAME " to 65520");
	netns_link(&nb, ifindex, IFF_UP, IFF_UP, 0, false, what_tun_up);
	netns_addr(&nb, AF_INET, ifindex, SANDBOX_ADDR4, SANDBOX_PREFIX4,
		   "adding " SANDBOX_ADDR4 "/24 to " SANDBOX_TUN_NAME);
	if (plan->ipv6)
		netns_addr(&nb, AF_INET6, ifindex, SANDBOX_ADDR6,
			   SANDBOX_PREFIX6,
			   "adding " SANDBOX_ADDR6 "/64 to " SANDBOX_TUN_NAME);
	netns_default_route(&nb, AF_INET, ifindex, SANDBOX_GW4,
			    "adding the default route via " SANDBOX_GW4);
	if (plan->ipv6)
		netns_default_route(
			&nb, AF_INET6, ifindex, SANDBOX_GW6,
			"adding the default route via " SANDBOX_GW6);

	if (netns_batch_run(&nb)) {
		mnl_nlmsg_batch_stop(nb.b);
		close(tun);
		return -1;
	}
	mnl_nlmsg_batch_stop(nb.b);
	netns_tcp_hop();
	return tun;
}
