/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * sock.c - host socket helpers shared by the protocols
 */
#include "engine/sock.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

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
