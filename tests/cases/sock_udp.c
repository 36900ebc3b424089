/* SPDX-License-Identifier: MIT */
/* UDP sockets: an IPv4 server bound to 127.0.0.1 (SO_REUSEADDR, SO_RCVBUF, IP_TOS) with two
 * datagrams queued at the dump, an IPv4 client connected to it, an IPv6 socket bound to ::1 and
 * connected to the IPv4-unrelated port of another IPv6 socket, an unbound socket. After the
 * restore: addresses, connections and options are the same; the queued datagrams were dropped
 * (the documented rule: see docs/resources-sockets.md); traffic flows both ways on both
 * families, and replies reach the client's restored port. */
#include "caselib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int same_name(int fd, int peer, const void *want, socklen_t wl)
{
	struct sockaddr_storage a;
	socklen_t l = sizeof(a);
	int r = peer ? getpeername(fd, (struct sockaddr *)&a, &l)
		     : getsockname(fd, (struct sockaddr *)&a, &l);
	return r == 0 && l == wl && !memcmp(&a, want, wl);
}

static void roundtrip(int a, int b)
{
	char buf[32];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	if (send(a, "req", 3, 0) != 3)
		case_fail("send: %m");
	if (recvfrom(b, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl) != 3 ||
	    memcmp(buf, "req", 3))
		case_fail("request lost");
	if (sendto(b, "rep", 3, 0, (struct sockaddr *)&from, fl) != 3 ||
	    recv(a, buf, sizeof(buf), 0) != 3 || memcmp(buf, "rep", 3))
		case_fail("reply lost");
}

int main(void)
{
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct sockaddr_in c4n;
	struct sockaddr_in6 a6n, b6n;
	socklen_t l4 = sizeof(s4), l6 = sizeof(s6);
	int one = 1, rcv = 50000, tos = IPTOS_LOWDELAY, v;
	socklen_t vl = sizeof(v);
	char buf[16];

	case_init();
	int srv = socket(AF_INET, SOCK_DGRAM, 0), cli = socket(AF_INET, SOCK_DGRAM, 0);
	int a6 = socket(AF_INET6, SOCK_DGRAM, 0), b6 = socket(AF_INET6, SOCK_DGRAM, 0);
	int unb = socket(AF_INET, SOCK_DGRAM, 0);
	if (setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(srv, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)) ||
	    setsockopt(cli, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) ||
	    bind(srv, (struct sockaddr *)&s4, l4) ||
	    getsockname(srv, (struct sockaddr *)&s4, &l4) ||
	    connect(cli, (struct sockaddr *)&s4, l4))
		case_fail("ipv4 setup: %m");
	if (bind(b6, (struct sockaddr *)&s6, l6) || getsockname(b6, (struct sockaddr *)&s6, &l6) ||
	    connect(a6, (struct sockaddr *)&s6, l6))
		case_fail("ipv6 setup: %m");
	socklen_t l = sizeof(c4n);
	getsockname(cli, (struct sockaddr *)&c4n, &l);
	l = sizeof(a6n);
	getsockname(a6, (struct sockaddr *)&a6n, &l);
	l = sizeof(b6n);
	getsockname(b6, (struct sockaddr *)&b6n, &l);
	if (send(cli, "queued-1", 8, 0) != 8 || send(cli, "queued-2", 8, 0) != 8)
		case_fail("queue: %m");
	usleep(10000);
	case_ready();
	case_wait();

	CASE_CHECK(same_name(srv, 0, &s4, sizeof(s4)));
	CASE_CHECK(same_name(cli, 0, &c4n, sizeof(c4n)));
	CASE_CHECK(same_name(cli, 1, &s4, sizeof(s4)));
	CASE_CHECK(same_name(a6, 0, &a6n, sizeof(a6n)));
	CASE_CHECK(same_name(a6, 1, &b6n, sizeof(b6n)));
	CASE_CHECK(same_name(b6, 0, &b6n, sizeof(b6n)));
	CASE_CHECK(getsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &v, &vl) == 0 && v == 1);
	CASE_CHECK(getsockopt(srv, SOL_SOCKET, SO_RCVBUF, &v, &vl) == 0 && v == 2 * rcv);
	CASE_CHECK(getsockopt(cli, IPPROTO_IP, IP_TOS, &v, &vl) == 0 && v == tos);
	CASE_CHECK(getsockopt(unb, SOL_SOCKET, SO_TYPE, &v, &vl) == 0 && v == SOCK_DGRAM);
	/* queued datagrams: dropped at the dump (MODE=none keeps them: then they are read here) */
	while (recv(srv, buf, sizeof(buf), MSG_DONTWAIT) == 8 && !memcmp(buf, "queued-", 7))
		;
	CASE_CHECK(recv(srv, buf, sizeof(buf), MSG_DONTWAIT) == -1 && errno == EAGAIN);
	roundtrip(cli, srv);
	roundtrip(a6, b6);
	case_pass();
}
