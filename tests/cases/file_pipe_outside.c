/* SPDX-License-Identifier: MIT */
/* Pipes to a process outside the tree (a daemonised helper): the tree holds the read end of x
 * (helper writes) and the write end of y (helper reads). 3000 bytes the helper wrote before the
 * dump are read after restore exactly once (the restore reattaches to the helper's pipe, the bytes
 * never left the kernel, nothing is injected twice); then the helper answers "go" on y with 2000
 * more bytes and a report of how many EOFs it read on y while the tree was gone (logged). The
 * helper also holds the write end of a FIFO the tree reads: its 1000 unread bytes stay in the
 * kernel while the helper keeps the FIFO open and must be read exactly once after restore. */
#include "caselib.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned char pat(int i, int seed)
{
	return (unsigned char)(i * 13 + seed);
}

static void put(int fd, int n, int seed)
{
	unsigned char b[4096];
	for (int i = 0; i < n; i++)
		b[i] = pat(i, seed);
	if (write(fd, b, n) != n)
		_exit(5);
}

static char fifo[64];

static void __attribute__((noreturn)) helper(int xw, int yr)
{
	int eofs = 0, fw = open(fifo, O_WRONLY);
	char c, report[32];
	if (fw < 0)
		_exit(8);
	put(fw, 1000, 3);
	put(xw, 3000, 1);
	for (;;) {
		ssize_t r = read(yr, &c, 1);
		if (r == 1 && c == 'g')
			break;
		if (r != 0 || ++eofs > 4000) /* 20 s without a writer: give up */
			_exit(6);
		usleep(5000);
	}
	put(xw, 2000, 2);
	int n = snprintf(report, sizeof(report), "eof=%d\n", eofs);
	_exit(write(xw, report, n) == n ? 0 : 7);
}

static void get(int fd, unsigned char *b, int n)
{
	int got = 0;
	ssize_t r;
	while (got < n && (r = read(fd, b + got, n - got)) > 0)
		got += r;
	if (got != n)
		case_fail("read %d of %d bytes from the helper", got, n);
}

int main(void)
{
	int x[2], y[2], pp[2], st, fr;
	unsigned char b[3000];
	char report[32] = {0};
	pid_t helper_pid = 0, mid;

	case_init();
	snprintf(fifo, sizeof(fifo), "/tmp/ferry-case-ofifo.%d", getpid());
	if (pipe(x) || pipe(y) || pipe(pp) || mkfifo(fifo, 0600) ||
	    (fr = open(fifo, O_RDONLY | O_NONBLOCK)) < 0)
		case_fail("pipe");
	if ((mid = fork()) == 0) {
		pid_t h = fork();
		if (h == 0) {
			/* its own session: a process left in the root's session or group keeps the
			 * root's pid in use (as a sid/pgid), and the restore needs that pid */
			setsid();
			close(x[0]);
			close(y[1]);
			close(pp[0]);
			close(pp[1]);
			helper(x[1], y[0]);
		}
		_exit(write(pp[1], &h, sizeof(h)) == sizeof(h) ? 0 : 1);
	}
	if (waitpid(mid, &st, 0) != mid || st ||
	    read(pp[0], &helper_pid, sizeof(helper_pid)) != sizeof(helper_pid))
		case_fail("starting the helper");
	close(pp[0]);
	close(pp[1]);
	close(x[1]);
	close(y[0]);
	case_ready();
	case_wait();
	if (kill(helper_pid, 0))
		case_fail("helper %d is gone", helper_pid);
	CASE_CHECK((fcntl(x[0], F_GETFL) & (O_ACCMODE | O_NONBLOCK)) == O_RDONLY);
	CASE_CHECK((fcntl(y[1], F_GETFL) & (O_ACCMODE | O_NONBLOCK)) == O_WRONLY);
	get(x[0], b, 3000);
	for (int i = 0; i < 3000; i++)
		if (b[i] != pat(i, 1))
			case_fail("first bytes: byte %d changed", i);
	if (read(fr, b, sizeof(b)) != 1000 || read(fr, b + 1000, 1) != -1 || errno != EAGAIN)
		case_fail("the FIFO does not hold exactly the helper's 1000 bytes");
	for (int i = 0; i < 1000; i++)
		if (b[i] != pat(i, 3))
			case_fail("FIFO byte %d changed", i);
	CASE_CHECK(write(y[1], "g", 1) == 1);
	get(x[0], b, 2000);
	for (int i = 0; i < 2000; i++)
		if (b[i] != pat(i, 2))
			case_fail("bytes after go: byte %d changed (bytes injected twice?)", i);
	for (int i = 0; i < (int)sizeof(report) - 1 && read(x[0], report + i, 1) == 1; i++)
		if (report[i] == '\n')
			break;
	if (strncmp(report, "eof=", 4))
		case_fail("helper report '%s'", report);
	printf("helper saw %s", report);
	CASE_CHECK(read(x[0], b, 1) == 0); /* helper exited: EOF */
	unlink(fifo);
	case_pass();
}
