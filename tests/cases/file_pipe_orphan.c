/* SPDX-License-Identifier: MIT */
/* A pipe whose outside writer is gone by the restore: a daemonised helper (outside the tree)
 * writes 500 bytes into pipe x, read by the tree, and exits as soon as it sees the tree's end of
 * pipe y close (the dump kills the tree, or the case closes y itself when no dump happened). The
 * restore cannot reattach to the helper's pipe, so it builds a new one with the saved bytes and
 * only the tree's read end: the tree reads exactly the 499 bytes it had not read yet, then EOF. */
#include "caselib.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	int x[2], y[2], st;
	unsigned char b[1024];
	pid_t mid;
	ssize_t n, got = 0;

	case_init();
	if (pipe(x) || pipe(y))
		case_fail("pipe");
	if ((mid = fork()) == 0) {
		if (fork() == 0) {
			setsid(); /* outside the tree and its session */
			close(x[0]);
			close(y[1]);
			for (int i = 0; i < 500; i++)
				b[i] = (unsigned char)(i * 3 + 1);
			if (write(x[1], b, 500) != 500)
				_exit(1);
			while (read(y[0], b, 1) > 0)
				;
			_exit(0); /* the tree's end of y closed: leave */
		}
		_exit(0);
	}
	if (waitpid(mid, &st, 0) != mid || st)
		case_fail("helper");
	close(x[1]);
	close(y[0]);
	if (read(x[0], b, 1) != 1 || b[0] != 1) /* the helper has written */
		case_fail("helper wrote nothing");
	case_ready();
	case_wait();
	close(y[1]); /* without a dump, this sends the helper away */
	while ((n = read(x[0], b + got, sizeof(b) - got)) > 0)
		got += n;
	if (n != 0 || got != 499)
		case_fail("read %zd bytes then %zd (%s), want 499 then EOF", got, n,
			  strerror(errno));
	for (int i = 0; i < 499; i++)
		if (b[i] != (unsigned char)((i + 1) * 3 + 1))
			case_fail("byte %d changed", i + 1);
	case_pass();
}
