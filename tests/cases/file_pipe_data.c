/* SPDX-License-Identifier: MIT */
/* Pipes inside the tree: unread bytes (10000 in a non-blocking pipe, a full 64 KiB pipe, a full
 * pipe resized to 1 MiB with F_SETPIPE_SZ) come back byte for byte with the same size and flags;
 * a child blocked in read() on one pipe resumes and reads bytes the parent queued on another; a
 * write end held by parent and child stays shared, and the reader sees EOF once both close it
 * (so ferry left no stray end behind). fd numbers are unchanged. */
#include "caselib.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define BIG (1 << 20)

static unsigned char pat(int i, int seed)
{
	return (unsigned char)(i * 7 + seed + (i >> 9));
}

static void fill(int fd, int n, int seed)
{
	static unsigned char b[BIG];
	for (int i = 0; i < n; i++)
		b[i] = pat(i, seed);
	if (write(fd, b, n) != n)
		case_fail("filling a pipe with %d bytes: %s", n, strerror(errno));
}

/* Read exactly n pattern bytes from a non-blocking read end, then nothing more. */
static void drain(int fd, int n, int seed, const char *what)
{
	static unsigned char b[BIG + 16];
	int got = 0, avail = -1;
	ssize_t r;
	if (ioctl(fd, FIONREAD, &avail) || avail != n)
		case_fail("%s: FIONREAD %d, want %d", what, avail, n);
	while ((r = read(fd, b + got, sizeof(b) - got)) > 0)
		got += r;
	if (got != n || errno != EAGAIN)
		case_fail("%s: read %d bytes (want %d), then %s", what, got, n, strerror(errno));
	for (int i = 0; i < n; i++)
		if (b[i] != pat(i, seed))
			case_fail("%s: byte %d is %u, want %u", what, i, b[i], pat(i, seed));
}

static void check_flags(int fd, int want, const char *what)
{
	int fl = fcntl(fd, F_GETFL);
	if ((fl & (O_ACCMODE | O_NONBLOCK)) != want)
		case_fail("%s: flags 0%o, want 0%o", what, fl & (O_ACCMODE | O_NONBLOCK), want);
}

int main(void)
{
	int a[2], full[2], big[2], go[2], data[2], shared[2], st;
	char fds_before[512], fds_after[512], c;
	pid_t kid;

	case_init();
	if (pipe2(a, O_NONBLOCK) || pipe2(full, O_NONBLOCK) || pipe2(big, O_NONBLOCK) || pipe(go) ||
	    pipe(data) || pipe(shared))
		case_fail("pipe");
	fill(a[1], 10000, 1);
	while (write(full[1], "z", 1) == 1)
		;
	if (fcntl(big[0], F_SETPIPE_SZ, BIG) != BIG)
		case_fail("F_SETPIPE_SZ");
	fill(big[1], BIG, 3);
	fill(data[1], 5000, 4);
	if ((kid = fork()) == 0) { /* blocked in read(go) at the dump, then checks data */
		static unsigned char b[5000];
		int got = 0;
		ssize_t r;
		close(go[1]);
		close(data[1]);
		close(shared[0]);
		if (read(go[0], &c, 1) != 1 || c != 'g')
			_exit(2);
		while (got < 5000 && (r = read(data[0], b + got, 5000 - got)) > 0)
			got += r;
		for (int i = 0; i < 5000; i++)
			if (got != 5000 || b[i] != pat(i, 4))
				_exit(3);
		_exit(write(shared[1], "k", 1) == 1 ? 0 : 4);
	}
	close(go[0]);
	close(data[0]);
	case_fd_list(fds_before, sizeof(fds_before));
	case_ready();
	case_wait();
	case_fd_list(fds_after, sizeof(fds_after));
	if (strcmp(fds_before, fds_after))
		case_fail("fds were '%s', now '%s'", fds_before, fds_after);
	check_flags(a[0], O_RDONLY | O_NONBLOCK, "pipe a read end");
	check_flags(a[1], O_WRONLY | O_NONBLOCK, "pipe a write end");
	check_flags(go[1], O_WRONLY, "pipe go write end");
	CASE_CHECK(fcntl(a[0], F_GETPIPE_SZ) == 65536 && fcntl(full[1], F_GETPIPE_SZ) == 65536);
	CASE_CHECK(fcntl(big[1], F_GETPIPE_SZ) == BIG);
	CASE_CHECK(write(full[1], "z", 1) == -1 && errno == EAGAIN); /* still full */
	CASE_CHECK(write(big[1], "z", 1) == -1 && errno == EAGAIN);
	drain(a[0], 10000, 1, "pipe a");
	drain(big[0], BIG, 3, "1 MiB pipe");
	{
		static char z[65536 + 16];
		int got = 0, n;
		while ((n = read(full[0], z + got, sizeof(z) - got)) > 0)
			got += n;
		if (got != 65536 || memchr(z, 0, got))
			case_fail("full pipe gave %d bytes, want 65536 'z'", got);
	}
	CASE_CHECK(write(go[1], "g", 1) == 1);
	close(shared[1]); /* the child's copy is now the only writer */
	CASE_CHECK(read(shared[0], &c, 1) == 1 && c == 'k');
	if (waitpid(kid, &st, 0) != kid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		case_fail("child status %#x", st);
	CASE_CHECK(read(shared[0], &c, 1) == 0); /* EOF: no writer left anywhere */
	case_pass();
}
