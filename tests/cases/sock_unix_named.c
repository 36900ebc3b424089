/* SPDX-License-Identifier: MIT */
/* Named UNIX sockets: a stream listener bound to /tmp/ferry-case-unix.PID.sock (socket file mode
 * 0640) with one accepted connection holding data queued both ways and one pending connection
 * not yet accepted; an abstract dgram socket with two datagrams queued from an unnamed client
 * connected to it. After the restore: names (getsockname/getpeername), the file's mode, the
 * queued bytes and datagrams, the pending connection accepted now and working, the dgram client
 * still connected. */
#include "caselib.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static struct sockaddr_un path_addr, abs_addr;
static socklen_t path_len, abs_len;

static int name_is(int fd, int peer, const struct sockaddr_un *want, socklen_t wlen)
{
	struct sockaddr_un a;
	socklen_t l = sizeof(a);
	int r = peer ? getpeername(fd, (struct sockaddr *)&a, &l)
		     : getsockname(fd, (struct sockaddr *)&a, &l);
	return r == 0 && l == wlen && !memcmp(&a, want, wlen);
}

static void expect(int fd, const char *want)
{
	char buf[128];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n != (ssize_t)strlen(want) || memcmp(buf, want, n))
		case_fail("expected '%s', got %zd bytes", want, n);
}

int main(void)
{
	struct stat st;
	char buf[64];
	case_init();
	path_addr.sun_family = abs_addr.sun_family = AF_UNIX;
	snprintf(path_addr.sun_path, sizeof(path_addr.sun_path), "/tmp/ferry-case-unix.%d.sock",
		 getpid());
	path_len = offsetof(struct sockaddr_un, sun_path) + strlen(path_addr.sun_path) + 1;
	int an = snprintf(abs_addr.sun_path + 1, sizeof(abs_addr.sun_path) - 1,
			  "ferry-case-dgram.%d", getpid());
	abs_len = offsetof(struct sockaddr_un, sun_path) + 1 + an;

	int l = socket(AF_UNIX, SOCK_STREAM, 0), c1 = socket(AF_UNIX, SOCK_STREAM, 0);
	int c2 = socket(AF_UNIX, SOCK_STREAM, 0);
	int d = socket(AF_UNIX, SOCK_DGRAM, 0), u = socket(AF_UNIX, SOCK_DGRAM, 0);
	unlink(path_addr.sun_path);
	if (bind(l, (struct sockaddr *)&path_addr, path_len) || chmod(path_addr.sun_path, 0640) ||
	    listen(l, 5) || connect(c1, (struct sockaddr *)&path_addr, path_len))
		case_fail("listener: %m");
	int s1 = accept(l, NULL, NULL);
	if (s1 < 0 || connect(c2, (struct sockaddr *)&path_addr, path_len) ||
	    send(c1, "hello-from-client", 17, 0) != 17 ||
	    send(s1, "hello-from-server", 17, 0) != 17)
		case_fail("connections: %m");
	if (bind(d, (struct sockaddr *)&abs_addr, abs_len) ||
	    connect(u, (struct sockaddr *)&abs_addr, abs_len) || send(u, "dg-one", 6, 0) != 6 ||
	    send(u, "dg-two!", 7, 0) != 7)
		case_fail("dgram: %m");
	case_ready();
	case_wait();

	int ok = 1;
	CASE_CHECK(stat(path_addr.sun_path, &st) == 0 && S_ISSOCK(st.st_mode) &&
		   (st.st_mode & 07777) == 0640);
	CASE_CHECK(name_is(l, 0, &path_addr, path_len));
	CASE_CHECK(name_is(s1, 0, &path_addr, path_len));
	CASE_CHECK(name_is(c1, 1, &path_addr, path_len));
	CASE_CHECK(name_is(c2, 1, &path_addr, path_len));
	CASE_CHECK(name_is(d, 0, &abs_addr, abs_len));
	CASE_CHECK(name_is(u, 1, &abs_addr, abs_len));
	expect(s1, "hello-from-client");
	expect(c1, "hello-from-server");
	expect(d, "dg-one");
	expect(d, "dg-two!");
	CASE_CHECK(recv(d, buf, sizeof(buf), MSG_DONTWAIT) == -1 && errno == EAGAIN);
	/* the pending connection is accepted now, and works both ways */
	int s2 = accept(l, NULL, NULL);
	CASE_CHECK(s2 >= 0);
	CASE_CHECK(send(c2, "late", 4, 0) == 4);
	expect(s2, "late");
	CASE_CHECK(send(s2, "ack", 3, 0) == 3);
	expect(c2, "ack");
	CASE_CHECK(send(s1, "more", 4, 0) == 4);
	expect(c1, "more");
	CASE_CHECK(send(u, "dg-3", 4, 0) == 4);
	expect(d, "dg-3");
	/* a new client can connect by path */
	int c3 = socket(AF_UNIX, SOCK_STREAM, 0);
	ok = connect(c3, (struct sockaddr *)&path_addr, path_len) == 0;
	unlink(path_addr.sun_path);
	CASE_CHECK(ok);
	case_pass();
}
