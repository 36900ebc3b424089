/* SPDX-License-Identifier: MIT */
/* A TCP connection (IPv4 loopback; sock_tcp6.c: IPv6) to a peer process OUTSIDE the dumped tree
 * (double-forked, so it is re-parented to the harness's reaper), with megabytes in flight in both
 * directions at the dump: each side wrote until its socket would block and nobody reads. Also a
 * listening socket and socket options (NODELAY, KEEPALIVE + its parameters, REUSEADDR, LINGER).
 * After the restore both sides finish the exchange: every byte arrives in order (a position-keyed
 * pattern), no reset, then the peer sends its own verdict ('K') about what it received. */
#include "caselib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef FAMILY
#define FAMILY AF_INET
#endif
/* bytes each side sends; SOCK_TCP_BYTES overrides it (0: an idle connection, used to measure
 * the network lock's hold-back time for a small process, docs/resources-sockets.md) */
static uint32_t TOTAL = 16u << 20;

static uint8_t pattern(uint32_t pos, uint8_t seed)
{
	uint32_t x = pos * 2654435761u + seed;
	return (uint8_t)(x >> 13 ^ x >> 24);
}

struct side {
	int fd;
	uint8_t out_seed, in_seed;
	uint32_t sent, got;
	const char *err;
};

static int send_some(struct side *s)
{
	uint8_t buf[65536];
	uint32_t n = TOTAL - s->sent < sizeof(buf) ? TOTAL - s->sent : sizeof(buf);
	for (uint32_t i = 0; i < n; i++)
		buf[i] = pattern(s->sent + i, s->out_seed);
	ssize_t w = send(s->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (w < 0)
		return errno == EAGAIN ? 0 : -errno;
	s->sent += w;
	return (int)w;
}

static int recv_some(struct side *s, uint32_t limit)
{
	uint8_t buf[65536];
	uint32_t n = limit - s->got < sizeof(buf) ? limit - s->got : sizeof(buf);
	ssize_t r = recv(s->fd, buf, n, MSG_DONTWAIT);
	if (r < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (r == 0)
		return -EPIPE;
	for (ssize_t i = 0; i < r; i++)
		if (buf[i] != pattern(s->got + i, s->in_seed)) {
			s->err = "byte mismatch";
			return -EILSEQ;
		}
	s->got += r;
	return (int)r;
}

/* Send everything and receive TOTAL bytes; errors are -errno. */
static int exchange(struct side *s)
{
	while (s->sent < TOTAL || s->got < TOTAL) {
		struct pollfd p = {
			s->fd, (s->got < TOTAL ? POLLIN : 0) | (s->sent < TOTAL ? POLLOUT : 0), 0};
		if (poll(&p, 1, 20000) <= 0)
			return -ETIMEDOUT;
		int r = 0;
		if (s->sent < TOTAL && (p.revents & (POLLOUT | POLLERR)))
			r = send_some(s);
		if (r >= 0 && s->got < TOTAL && (p.revents & (POLLIN | POLLERR | POLLHUP)))
			r = recv_some(s, TOTAL);
		if (r < 0)
			return r;
	}
	return 0;
}

static void fill(struct side *s)
{
	while (send_some(s) > 0)
		;
}

static volatile sig_atomic_t go;
static void on_usr1(int s)
{
	(void)s;
	go = 1;
}

/* The peer, outside the tree: fill, wait for SIGUSR1, exchange, verdict. */
static void peer_main(struct sockaddr_storage *a, socklen_t alen, int report)
{
	struct side s = {.out_seed = 2, .in_seed = 1};
	sigset_t m, old;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigprocmask(SIG_BLOCK, &m, &old);
	signal(SIGUSR1, on_usr1);
	/* Its own session: a live session id equal to the case's pid would keep that pid taken
	 * (the restore needs it). The harness cannot find it then: it ends itself in 60 s. */
	setsid();
	alarm(60);
	/* nothing of the tree's: its listener must not stay open out here */
	for (int fd = 3; fd < 1024; fd++)
		if (fd != report)
			close(fd);
	s.fd = socket(FAMILY, SOCK_STREAM, 0);
	if (s.fd < 0 || connect(s.fd, (struct sockaddr *)a, alen) < 0)
		_exit(1);
	fill(&s);
	pid_t me = getpid();
	if (write(report, &me, sizeof(me)) != sizeof(me))
		_exit(1);
	close(report);
	while (!go)
		sigsuspend(&old);
	int r = exchange(&s);
	char c = 0;
	if (r == 0 && recv(s.fd, &c, 1, 0) == 0) /* EOF after exactly TOTAL bytes */
		r = send(s.fd, "K", 1, 0) == 1 ? 0 : -errno;
	else if (r == 0)
		r = -EPROTO;
	if (r < 0) {
		fprintf(stderr, "peer: %s (sent %u got %u) %s\n", strerror(-r), s.sent, s.got,
			s.err ? s.err : "");
		send(s.fd, "F", 1, MSG_NOSIGNAL);
	}
	_exit(r < 0);
}

int main(void)
{
	struct sockaddr_storage a = {.ss_family = FAMILY};
	socklen_t alen =
		FAMILY == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	struct side s = {.out_seed = 1, .in_seed = 2};
	int one = 1, idle = 77, intvl = 11, cnt = 5, v;
	struct linger lg = {1, 3};
	socklen_t vl = sizeof(v);
	int pp[2];
	pid_t peer;

	case_init();
	if (getenv("SOCK_TCP_BYTES"))
		TOTAL = strtoul(getenv("SOCK_TCP_BYTES"), NULL, 0);
	if (FAMILY == AF_INET)
		((struct sockaddr_in *)&a)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&a)->sin6_addr = in6addr_loopback;
	int l = socket(FAMILY, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (struct sockaddr *)&a, alen) || listen(l, 7) ||
	    getsockname(l, (struct sockaddr *)&a, &alen) || pipe(pp))
		case_fail("listener setup: %m");
	pid_t mid = fork();
	if (mid == 0) {
		close(pp[0]);
		if (fork() == 0)
			peer_main(&a, alen, pp[1]);
		_exit(0);
	}
	waitpid(mid, NULL, 0);
	close(pp[1]);
	s.fd = accept(l, NULL, NULL);
	if (s.fd < 0)
		case_fail("accept: %m");
	if (setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
	    setsockopt(s.fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) ||
	    setsockopt(s.fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) ||
	    setsockopt(s.fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) ||
	    setsockopt(s.fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) ||
	    setsockopt(s.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
		case_fail("setsockopt: %m");
	fill(&s);
	if (read(pp[0], &peer, sizeof(peer)) != sizeof(peer))
		case_fail("peer did not start");
	close(pp[0]);
	fill(&s);
	printf("in flight: sent %u bytes before the dump\n", s.sent);
	case_ready();
	case_wait();

	/* options and the listener survived */
	CASE_CHECK(getsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &v, &vl) == 0 && v == 1);
	CASE_CHECK(getsockopt(s.fd, SOL_SOCKET, SO_KEEPALIVE, &v, &vl) == 0 && v == 1);
	CASE_CHECK(getsockopt(s.fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &vl) == 0 && v == idle);
	CASE_CHECK(getsockopt(s.fd, IPPROTO_TCP, TCP_KEEPINTVL, &v, &vl) == 0 && v == intvl);
	CASE_CHECK(getsockopt(s.fd, IPPROTO_TCP, TCP_KEEPCNT, &v, &vl) == 0 && v == cnt);
	CASE_CHECK(getsockopt(l, SOL_SOCKET, SO_REUSEADDR, &v, &vl) == 0 && v == 1);
	CASE_CHECK(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) == 0 && v == 1);
	vl = sizeof(lg);
	CASE_CHECK(getsockopt(s.fd, SOL_SOCKET, SO_LINGER, &lg, &vl) == 0 && lg.l_onoff == 1 &&
		   lg.l_linger == 3);
	struct sockaddr_storage now;
	socklen_t nl = sizeof(now);
	CASE_CHECK(getsockname(l, (struct sockaddr *)&now, &nl) == 0 && nl == alen &&
		   !memcmp(&now, &a, alen));

	if (kill(peer, SIGUSR1) < 0)
		case_fail("peer gone: %m");
	int r = exchange(&s);
	if (r < 0)
		case_fail("exchange: %s (sent %u got %u) %s", strerror(-r), s.sent, s.got,
			  s.err ? s.err : "");
	shutdown(s.fd, SHUT_WR);
	char verdict = 0;
	if (recv(s.fd, &verdict, 1, 0) != 1 || verdict != 'K')
		case_fail("peer's verdict: '%c' (%m)", verdict);
	case_pass();
}
