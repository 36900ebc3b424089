/* SPDX-License-Identifier: MIT */
/* UNIX socketpairs of the three types with data queued in both directions: stream bytes (sent in
 * several writes), datagrams and seqpackets with their boundaries (including an empty one), one
 * stream pair half shut down (SHUT_WR on one end), options (SO_PASSCRED, SO_RCVBUF, SO_SNDBUF),
 * O_NONBLOCK on one end. After the restore everything is read back exactly, the shutdown state
 * is the same, and every pair still works both ways. A stream whose peer was closed keeps its
 * unread data, then reads EOF and gets EPIPE on write. */
#include "caselib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int sp[3][2], half[2], gone[2];
static const int types[3] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
static const char *const msgs[] = {"first", "", "third message", "4"};
#define NMSG 4

static void send_msgs(int fd, const char *tag)
{
	char buf[64];
	for (int i = 0; i < NMSG; i++) {
		int n = snprintf(buf, sizeof(buf), "%s%s", msgs[i][0] ? tag : "", msgs[i]);
		if (send(fd, buf, n, 0) != n)
			case_fail("send: %m");
	}
}

/* Messages come back one by one with their boundaries; stream: one concatenation. */
static void check_msgs(int fd, int type, const char *tag)
{
	char want[256] = "", buf[256], one[64];
	if (type == SOCK_STREAM) {
		for (int i = 0; i < NMSG; i++)
			if (msgs[i][0])
				strcat(strcat(want, tag), msgs[i]);
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n != (ssize_t)strlen(want) || memcmp(buf, want, n))
			case_fail("stream queue: got %zd bytes '%.*s', want '%s'", n,
				  (int)(n > 0 ? n : 0), buf, want);
	} else {
		for (int i = 0; i < NMSG; i++) {
			int l = snprintf(one, sizeof(one), "%s%s", msgs[i][0] ? tag : "", msgs[i]);
			ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n != l || memcmp(buf, one, l))
				case_fail("type %d message %d: got %zd bytes, want '%s'", type, i,
					  n, one);
		}
	}
	if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) != -1 || errno != EAGAIN)
		case_fail("type %d: more data than queued", type);
}

static void check_works(int a, int b)
{
	char buf[8];
	if (send(a, "ping", 4, 0) != 4 || recv(b, buf, sizeof(buf), 0) != 4 ||
	    memcmp(buf, "ping", 4))
		case_fail("pair broken a->b");
	if (send(b, "pong", 4, 0) != 4 || recv(a, buf, sizeof(buf), 0) != 4 ||
	    memcmp(buf, "pong", 4))
		case_fail("pair broken b->a");
}

int main(void)
{
	int one = 1, rcv = 65536, snd = 90000, v;
	socklen_t vl = sizeof(v);
	char buf[64];

	case_init();
	for (int t = 0; t < 3; t++) {
		if (socketpair(AF_UNIX, types[t], 0, sp[t]) < 0)
			case_fail("socketpair: %m");
		send_msgs(sp[t][0], "a>");
		send_msgs(sp[t][1], "b>");
	}
	if (setsockopt(sp[0][0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) ||
	    setsockopt(sp[1][1], SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)) ||
	    setsockopt(sp[2][0], SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd)) ||
	    fcntl(sp[1][0], F_SETFL, O_NONBLOCK) < 0)
		case_fail("options: %m");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, half) < 0 || send(half[0], "bye", 3, 0) != 3 ||
	    shutdown(half[0], SHUT_WR) < 0)
		case_fail("half pair: %m");
	/* a stream whose peer is closed: the data it sent, then EOF */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, gone) < 0 ||
	    send(gone[0], "last words", 10, 0) != 10)
		case_fail("gone pair: %m");
	close(gone[0]);
	case_ready();
	case_wait();

	for (int t = 0; t < 3; t++) {
		check_msgs(sp[t][1], types[t], "a>");
		check_msgs(sp[t][0], types[t], "b>");
		check_works(sp[t][0], sp[t][1]);
		CASE_CHECK(getsockopt(sp[t][0], SOL_SOCKET, SO_TYPE, &v, &vl) == 0 &&
			   v == types[t]);
	}
	CASE_CHECK(getsockopt(sp[0][0], SOL_SOCKET, SO_PASSCRED, &v, &vl) == 0 && v == 1);
	CASE_CHECK(getsockopt(sp[0][1], SOL_SOCKET, SO_PASSCRED, &v, &vl) == 0 && v == 0);
	CASE_CHECK(getsockopt(sp[1][1], SOL_SOCKET, SO_RCVBUF, &v, &vl) == 0 && v == 2 * rcv);
	CASE_CHECK(getsockopt(sp[2][0], SOL_SOCKET, SO_SNDBUF, &v, &vl) == 0 && v == 2 * snd);
	CASE_CHECK((fcntl(sp[1][0], F_GETFL) & O_NONBLOCK) &&
		   !(fcntl(sp[1][1], F_GETFL) & O_NONBLOCK));
	/* the half-closed pair: data then EOF on one side, EPIPE writing from the closed side */
	CASE_CHECK(recv(half[1], buf, sizeof(buf), 0) == 3 && !memcmp(buf, "bye", 3));
	CASE_CHECK(recv(half[1], buf, sizeof(buf), 0) == 0);
	CASE_CHECK(send(half[0], "x", 1, MSG_NOSIGNAL) == -1 && errno == EPIPE);
	CASE_CHECK(send(half[1], "back", 4, 0) == 4 && recv(half[0], buf, sizeof(buf), 0) == 4);
	CASE_CHECK(recv(gone[1], buf, sizeof(buf), 0) == 10 && !memcmp(buf, "last words", 10));
	CASE_CHECK(recv(gone[1], buf, sizeof(buf), 0) == 0);
	CASE_CHECK(send(gone[1], "x", 1, MSG_NOSIGNAL) == -1 && errno == EPIPE);
	case_pass();
}
