/* SPDX-License-Identifier: MIT */
/* fd flags and file status flags: fds with every combination of FD_CLOEXEC, O_NONBLOCK, O_APPEND
 * and O_NOATIME (set at open or later with fcntl) give identical F_GETFD/F_GETFL after restore. */
#include "caselib.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#define N 16

int main(void)
{
	char path[64];
	int fd[N], getfd[N], getfl[N], i;

	case_init();
	snprintf(path, sizeof(path), "/tmp/ferry-case-fdflags.%d", getpid());
	for (i = 0; i < N; i++) {
		int fl = (i & 1 ? O_CLOEXEC : 0) | (i & 2 ? O_APPEND : 0) | (i & 8 ? O_NOATIME : 0);

		fd[i] = open(path, (i % 3 == 0 ? O_RDONLY : O_RDWR) | O_CREAT | fl, 0600);
		if (fd[i] < 0) {
			unlink(path);
			case_fail("open %d", i);
		}
		if (i & 4) /* O_NONBLOCK set afterwards */
			fcntl(fd[i], F_SETFL, fcntl(fd[i], F_GETFL) | O_NONBLOCK);
		if (i == 5) /* and FD_CLOEXEC cleared afterwards */
			fcntl(fd[i], F_SETFD, 0);
		getfd[i] = fcntl(fd[i], F_GETFD);
		getfl[i] = fcntl(fd[i], F_GETFL);
	}
	case_ready();
	case_wait();
	unlink(path);
	for (i = 0; i < N; i++) {
		if (fcntl(fd[i], F_GETFD) != getfd[i])
			case_fail("fd %d: F_GETFD %#x != %#x", fd[i], fcntl(fd[i], F_GETFD), getfd[i]);
		if (fcntl(fd[i], F_GETFL) != getfl[i])
			case_fail("fd %d: F_GETFL %#x != %#x", fd[i], fcntl(fd[i], F_GETFL), getfl[i]);
	}
	case_pass();
}
