/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_kernel.c - the kernel behaviour the TCP translation relies on,
 * proven on a TCP connection over the test's own loopback
 *
 * tcp.c keeps host data in the socket until the tree acknowledges it: it
 * reads with MSG_PEEK from the offset SO_PEEK_OFF remembers, discards
 * acknowledged bytes with recv(MSG_TRUNC) (which must move the peek offset
 * back by as much), and rewinds by setting SO_PEEK_OFF to 0. If a kernel
 * ever behaves otherwise, this test says so before data goes wrong.
 * Kernels before 6.9 have no SO_PEEK_OFF for TCP: the engine then peeks
 * into a discard buffer, and the peek-offset cases are skipped here.
 *
 * dns.c serves DNS over TCP on the far end of a loopback TCP pair, and
 * relies on: a non-blocking connect() over loopback being accepted at once
 * (dns_tcp_pair() accepts right after it), and SO_RCVLOWAT keeping epoll
 * quiet until a whole message is there (but not past EOF).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* pair() - a connected TCP pair over 127.0.0.1: @a sends, @b receives */
static void pair(int *a, int *b)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(l >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&sa, &sl), 0);
	*a = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(*a, (struct sockaddr *)&sa, sizeof(sa)), 0);
	*b = accept(l, NULL, NULL);
	assert_true(*b >= 0);
	close(l);
}

/* fill() - send 0, 1, 2, ... 199 and wait until all of it has arrived */
static void fill(int a, int b)
{
	uint8_t buf[200];
	int i, avail = 0;

	for (i = 0; i < 200; i++)
		buf[i] = (uint8_t)i;
	assert_int_equal(send(a, buf, sizeof(buf), 0), 200);
	for (i = 0; i < 1000 && avail < 200; i++) {
		uint8_t peek[200];
		ssize_t n =
			recv(b, peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT);

		avail = n > 0 ? (int)n : 0;
		if (avail < 200)
			usleep(1000);
	}
	assert_int_equal(avail, 200);
}

static void test_msg_trunc_discards(void **state)
{
	uint8_t buf[16];
	int a, b;

	(void)state;
	pair(&a, &b);
	fill(a, b);
	/* MSG_TRUNC on TCP drops bytes without copying them */
	assert_int_equal(recv(b, NULL, 50, MSG_TRUNC), 50);
	assert_int_equal(recv(b, buf, 1, 0), 1);
	assert_int_equal(buf[0], 50);
	close(a);
	close(b);
}

static void test_peek_offset(void **state)
{
	int a, b, off = 0;
	uint8_t buf[16];
	socklen_t sl = sizeof(off);

	(void)state;
	pair(&a, &b);
	fill(a, b); /* its peeks must come before SO_PEEK_OFF is on */
	if (setsockopt(b, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off))) {
		assert_true(errno == EOPNOTSUPP || errno == EINVAL);
		close(a);
		close(b);
		skip();
	}
	/* successive peeks go on where the last one stopped */
	assert_int_equal(recv(b, buf, 10, MSG_PEEK), 10);
	assert_int_equal(buf[0], 0);
	assert_int_equal(recv(b, buf, 10, MSG_PEEK), 10);
	assert_int_equal(buf[0], 10);
	/* discarding acknowledged bytes moves the offset back as much */
	assert_int_equal(recv(b, NULL, 5, MSG_TRUNC), 5);
	assert_int_equal(getsockopt(b, SOL_SOCKET, SO_PEEK_OFF, &off, &sl), 0);
	assert_int_equal(off, 15);
	assert_int_equal(recv(b, buf, 1, MSG_PEEK), 1);
	assert_int_equal(buf[0], 20);
	/* discarding more than was peeked leaves the offset at 0 */
	assert_int_equal(recv(b, NULL, 30, MSG_TRUNC), 30);
	assert_int_equal(getsockopt(b, SOL_SOCKET, SO_PEEK_OFF, &off, &sl), 0);
	assert_int_equal(off, 0);
	/* a rewind: offset 0 peeks the head again */
	assert_int_equal(recv(b, buf, 4, MSG_PEEK), 4);
	assert_int_equal(buf[0], 35);
	off = 0;
	assert_int_equal(
		setsockopt(b, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)), 0);
	assert_int_equal(recv(b, buf, 1, MSG_PEEK), 1);
	assert_int_equal(buf[0], 35);
	/* EOF shows as 0 only once every byte was peeked */
	shutdown(a, SHUT_WR);
	usleep(20000);
	off = 165;
	assert_int_equal(
		setsockopt(b, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)), 0);
	assert_int_equal(recv(b, buf, 16, MSG_PEEK | MSG_DONTWAIT), 0);
	close(a);
	close(b);
}

/* test_loopback_pair_at_once() - a non-blocking loopback connect() is
 * in the listener's accept queue when connect() returns
 */
static void test_loopback_pair_at_once(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	int l, c, a, i;

	(void)state;
	for (i = 0; i < 100; i++) {
		l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		assert_true(l >= 0);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = 0;
		assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)),
				 0);
		assert_int_equal(listen(l, 8), 0);
		sl = sizeof(sa);
		assert_int_equal(getsockname(l, (struct sockaddr *)&sa, &sl),
				 0);
		c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		assert_true(c >= 0);
		assert_true(connect(c, (struct sockaddr *)&sa, sizeof(sa)) ==
				    0 ||
			    errno == EINPROGRESS);
		a = accept4(l, NULL, NULL, SOCK_NONBLOCK);
		assert_true(a >= 0);
		assert_int_equal(send(c, "x", 1, MSG_DONTWAIT), 1);
		close(a);
		close(c);
		close(l);
	}
}

/* test_rcvlowat_epoll() - EPOLLIN waits for SO_RCVLOWAT bytes, and comes
 * at EOF whatever is there
 */
static void test_rcvlowat_epoll(void **state)
{
	struct epoll_event ev = {.events = EPOLLIN}, out;
	int a, b, ep, lowat = 10;

	(void)state;
	pair(&a, &b);
	ep = epoll_create1(0);
	assert_true(ep >= 0);
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev), 0);
	assert_int_equal(
		setsockopt(b, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat)),
		0);
	assert_int_equal(send(a, "12345", 5, 0), 5);
	usleep(20000);
	assert_int_equal(epoll_wait(ep, &out, 1, 0), 0);
	assert_int_equal(send(a, "67890", 5, 0), 5);
	assert_int_equal(epoll_wait(ep, &out, 1, 1000), 1);
	lowat = 20;
	assert_int_equal(
		setsockopt(b, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat)),
		0);
	assert_int_equal(epoll_wait(ep, &out, 1, 0), 0);
	shutdown(a, SHUT_WR);
	assert_int_equal(epoll_wait(ep, &out, 1, 1000), 1);
	assert_true(out.events & EPOLLIN);
	close(ep);
	close(a);
	close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msg_trunc_discards),
		cmocka_unit_test(test_peek_offset),
		cmocka_unit_test(test_loopback_pair_at_once),
		cmocka_unit_test(test_rcvlowat_epoll),
	};

	return cmocka_run_group_tests_name("kernel", tests, NULL, NULL);
}
