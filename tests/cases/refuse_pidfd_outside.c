/* SPDX-License-Identifier: MIT */
/* Refusal: a pidfd of a process outside the tree (the harness's reaper, our parent's ancestor)
 * cannot be rebuilt, so `ferry dump` must refuse naming that pid; the original is intact: not
 * traced, and the pidfd still names the same process. */
#include "caselib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	char path[64], buf[1024], want[32], *p;
	int fd;

	case_init();
	fd = syscall(SYS_pidfd_open, getppid(), 0);
	if (fd < 0)
		case_fail("pidfd_open");
	snprintf(want, sizeof(want), "\nPid:\t%d\n", getppid());
	case_ready();
	case_wait();
	CASE_CHECK(case_untraced());
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	CASE_CHECK(case_read_file(path, buf, sizeof(buf)) > 0 && (p = strstr(buf, want)) != NULL);
	case_pass();
}
