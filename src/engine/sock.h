/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * sock.h - host socket helpers shared by the protocols
 */
#ifndef CHILDFLOW_SOCK_H
#define CHILDFLOW_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <time.h> /* linux/errqueue.h needs struct timespec */

#include <linux/errqueue.h>

#include "policy/cidr.h"

/* sock_addr_fill() - @a:@port as a sockaddr in @ss
 * Return: its length
 */
socklen_t sock_addr_fill(struct sockaddr_storage *ss, const struct ipaddr *a,
			 uint16_t port);

/* sock_recvfrom() - one datagram from the non-blocking socket @s into
 * @buf (@len bytes), its source in @from and @port
 * Return: the datagram's length; -EAGAIN when none is queued; another
 * -errno when a pending error was reported instead (an old ICMP error,
 * sk_err): a datagram may still follow, so read on
 */
ssize_t sock_recvfrom(int s, void *buf, size_t len, struct ipaddr *from,
		      uint16_t *port);

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

/* struct sock_err - one ICMP error the host reported about our packet */
struct sock_err {
	struct sock_extended_err ee;
	struct ipaddr dst; /* where our packet was going */
	uint16_t dst_port;
	struct ipaddr offender; /* who reported it; family 0 when unknown */
	size_t len;		/* bytes of our packet's payload in @data */
};

/* sock_errqueue_read() - take one entry from the error queue of @fd
 * (IP_RECVERR / IPV6_RECVERR, family @family), copying what it quotes of
 * our packet's payload into @data (@size bytes)
 * Return: 1 with @err filled, 0 for an entry that is not an ICMP error of
 * @family (skip it), -1 when the queue is empty
 */
int sock_errqueue_read(int fd, int family, uint8_t *data, size_t size,
		       struct sock_err *err);

#endif /* CHILDFLOW_SOCK_H */
