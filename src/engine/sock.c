/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * sock.c - host socket helpers shared by the protocols
 */
#include "engine/sock.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

socklen_t sock_addr_fill(struct sockaddr_storage *ss, const struct ipaddr *a,
			 uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sa = (struct sockaddr_in *)ss;

		sa->sin_family = AF_INET;
		sa->sin_port = htons(port);
		sa->sin_addr = a->v4;
		return sizeof(*sa);
	} else {
		struct sockaddr_in6 *sa = (struct sockaddr_in6 *)ss;

		sa->sin6_family = AF_INET6;
		sa->sin6_port = htons(port);
		sa->sin6_addr = a->v6;
		return sizeof(*sa);
	}
}

void sock_addr_read(const struct sockaddr_storage *ss, struct ipaddr *a,
		    uint16_t *port)
{
	memset(a, 0, sizeof(*a));
	*port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sa = (const struct sockaddr_in *)ss;

		a->family = AF_INET;
		a->v4 = sa->sin_addr;
		*port = ntohs(sa->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sa = (const struct sockaddr_in6 *)ss;

		*port = ntohs(sa->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&sa->sin6_addr)) {
			a->family = AF_INET;
			memcpy(&a->v4, &sa->sin6_addr.s6_addr[12], 4);
		} else {
			a->family = AF_INET6;
			a->v6 = sa->sin6_addr;
		}
	}
}

int sock_set_ttl(int s, int family, int ttl)
{
	int r;

	if (family == AF_INET)
		r = setsockopt(s, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	else
		r = setsockopt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl,
			       sizeof(ttl));
	return r < 0 ? -errno : 0;
}

int sock_set_recverr(int s, int family)
{
	int one = 1, r;

	if (family == AF_INET)
		r = setsockopt(s, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	else
		r = setsockopt(s, IPPROTO_IPV6, IPV6_RECVERR, &one,
			       sizeof(one));
	return r < 0 ? -errno : 0;
}

/* NOLINTNEXTLINE(readability-non-const-parameter): recvmsg() writes @data through the iovec */
int sock_errqueue_read(int fd, int family, uint8_t *data, size_t size,
		       struct sock_err *err)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct sock_extended_err) +
				    sizeof(struct sockaddr_in6))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {data, size};
	struct sockaddr_storage dst_ss, off_ss;
	struct msghdr mh = {.msg_name = &dst_ss,
			    .msg_namelen = sizeof(dst_ss),
			    .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf)};
	const struct sock_extended_err *ee = NULL;
	struct cmsghdr *c;
	uint16_t unused;
	ssize_t n;

	n = recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);
	if (n < 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
		    (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR))
			ee = (const struct sock_extended_err *)(void *)
				CMSG_DATA(c);
	}
	if (!ee || (ee->ee_origin != SO_EE_ORIGIN_ICMP &&
		    ee->ee_origin != SO_EE_ORIGIN_ICMP6))
		return 0;
	sock_addr_read(&dst_ss, &err->dst, &err->dst_port);
	memset(&off_ss, 0, sizeof(off_ss));
	memcpy(&off_ss, SO_EE_OFFENDER(ee),
	       family == AF_INET ? sizeof(struct sockaddr_in)
				 : sizeof(struct sockaddr_in6));
	sock_addr_read(&off_ss, &err->offender, &unused);
	if (err->dst.family != family)
		return 0;
	err->ee = *ee;
	err->len = (size_t)n;
	return 1;
}

ssize_t sock_recvfrom(int s, void *buf, size_t len, struct ipaddr *from,
		      uint16_t *port)
{
	struct sockaddr_storage ss = {.ss_family = AF_UNSPEC};
	socklen_t sl = sizeof(ss);
	ssize_t n = recvfrom(s, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss,
			     &sl);

	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	sock_addr_read(&ss, from, port);
	return n;
}
