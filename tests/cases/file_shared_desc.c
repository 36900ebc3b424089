/* SPDX-License-Identifier: MIT */
/* One open file description shared by dup()'d fds (3 numbers) and by a forked child: after restore
 * a read through one fd moves the offset seen by all of them and by the child, while a separate
 * open() of the same file keeps its own offset. */
#include "caselib.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static char path[64];

static void bail(const char *m)
{
	unlink(path);
	case_fail("%s", m);
}

int main(void)
{
	volatile int *shm;
	char buf[4096];
	int a, b, c = 77, sep, st;
	pid_t kid;

	case_init();
	snprintf(path, sizeof(path), "/tmp/ferry-case-shdesc.%d", getpid());
	for (int i = 0; i < 4096; i++)
		buf[i] = (char)i;
	a = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (a < 0 || write(a, buf, 4096) != 4096)
		bail("create");
	lseek(a, 10, SEEK_SET);
	b = dup(a);
	if (dup2(a, c) != c)
		bail("dup2");
	sep = open(path, O_RDONLY);
	lseek(sep, 300, SEEK_SET);
	shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if ((kid = fork()) == 0) {
		while (!shm[0])
			usleep(1000);
		/* parent moved the shared offset to 20; we read 5 more */
		shm[1] = (int)lseek(a, 0, SEEK_CUR);
		if (read(b, buf, 5) != 5)
			_exit(2);
		shm[2] = 1;
		_exit(0);
	}
	case_ready();
	case_wait();
	if (lseek(a, 0, SEEK_CUR) != 10 || lseek(b, 0, SEEK_CUR) != 10 || lseek(c, 0, SEEK_CUR) != 10) {
		kill(kid, SIGKILL);
		bail("offsets changed");
	}
	if (read(a, buf, 10) != 10 || lseek(b, 0, SEEK_CUR) != 20 || lseek(c, 0, SEEK_CUR) != 20) {
		kill(kid, SIGKILL);
		bail("dup()'d fds no longer share the file description");
	}
	shm[0] = 1;
	if (waitpid(kid, &st, 0) != kid || st != 0 || shm[1] != 20)
		bail("child does not share the offset");
	if (lseek(a, 0, SEEK_CUR) != 25)
		bail("child's read did not move our offset");
	if (lseek(sep, 0, SEEK_CUR) != 300)
		bail("separately opened fd lost its own offset");
	unlink(path);
	case_pass();
}
