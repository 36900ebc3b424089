/* SPDX-License-Identifier: MIT */
/* A FIFO (mkfifo) opened by path: the parent holds a non-blocking read end and a non-blocking write
 * end of a FIFO resized to 128 KiB holding 100000 unread bytes; a child holds a blocking write
 * end. After restore: same flags and size, every byte in order, the child's write arrives, and the
 * reader sees EOF once both writers closed. A second FIFO opened O_RDWR stays empty and usable. */
#include "caselib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 100000

static char path[64], path2[64];

static void bail(const char *m)
{
	unlink(path);
	unlink(path2);
	case_fail("%s", m);
}

int main(void)
{
	static unsigned char b[N + 16];
	int r, w, rw, go[2], st, got = 0;
	ssize_t n;
	char c;
	pid_t kid;

	case_init();
	snprintf(path, sizeof(path), "/tmp/ferry-case-fifo.%d", getpid());
	snprintf(path2, sizeof(path2), "/tmp/ferry-case-fifo.%d.2", getpid());
	if (mkfifo(path, 0600) || mkfifo(path2, 0600))
		bail("mkfifo");
	r = open(path, O_RDONLY | O_NONBLOCK);
	w = open(path, O_WRONLY | O_NONBLOCK);
	rw = open(path2, O_RDWR);
	if (r < 0 || w < 0 || rw < 0 || pipe(go) || fcntl(w, F_SETPIPE_SZ, 131072) != 131072)
		bail("open");
	for (int i = 0; i < N; i++)
		b[i] = (unsigned char)(i ^ (i >> 8));
	if (write(w, b, N) != N)
		bail("write");
	if ((kid = fork()) == 0) {
		int cw = open(path, O_WRONLY);
		close(r);
		close(w);
		if (cw < 0 || read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(write(cw, "k", 1) == 1 ? 0 : 3);
	}
	usleep(100000); /* let the child open its end */
	case_ready();
	case_wait();
	if ((fcntl(r, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) != (O_RDONLY | O_NONBLOCK) ||
	    (fcntl(w, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) != (O_WRONLY | O_NONBLOCK) ||
	    (fcntl(rw, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) != O_RDWR)
		bail("flags changed");
	if (fcntl(r, F_GETPIPE_SZ) != 131072)
		bail("FIFO size changed");
	memset(b, 0, sizeof(b));
	while ((n = read(r, b + got, sizeof(b) - got)) > 0)
		got += n;
	if (got != N || errno != EAGAIN)
		bail("wrong number of unread bytes");
	for (int i = 0; i < N; i++)
		if (b[i] != (unsigned char)(i ^ (i >> 8)))
			bail("a byte changed");
	if (write(rw, "q", 1) != 1 || read(rw, &c, 1) != 1 || c != 'q')
		bail("second FIFO unusable");
	if (write(go[1], "g", 1) != 1)
		bail("go");
	if (waitpid(kid, &st, 0) != kid || st)
		bail("child failed");
	if (read(r, &c, 1) != 1 || c != 'k')
		bail("child's byte missing");
	close(w);
	if (read(r, &c, 1) != 0)
		bail("no EOF after every writer closed");
	unlink(path);
	unlink(path2);
	case_pass();
}
