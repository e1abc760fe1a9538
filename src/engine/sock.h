/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * sock.h - host socket helpers shared by the protocols
 */
#ifndef CHILDFLOW_SOCK_H
#define CHILDFLOW_SOCK_H

#include <stdint.h>
#include <sys/socket.h>

#include "policy/cidr.h"

/* sock_addr_fill() - @a:@port as a sockaddr in @ss
 * Return: its length
 */
socklen_t sock_addr_fill(struct sockaddr_storage *ss, const struct ipaddr *a,
			 uint16_t port);

/* sock_addr_read() - a sockaddr back to @a and @port (an IPv4-mapped IPv6
 * address becomes IPv4); family 0 for anything else
 */
void sock_addr_read(const struct sockaddr_storage *ss, struct ipaddr *a,
		    uint16_t *port);

/* sock_set_ttl() - IP_TTL or IPV6_UNICAST_HOPS of @s
 * Return: 0, or -errno
 */
int sock_set_ttl(int s, int family, int ttl);

/* sock_set_recverr() - IP_RECVERR / IPV6_RECVERR on @s */
int sock_set_recverr(int s, int family);

#endif /* CHILDFLOW_SOCK_H */
