/* SPDX-License-Identifier: MIT */
/* pidfd: the parent holds a non-blocking pidfd of itself, a pidfd of a running child and one of a
 * zombie child (exit status 7); the running child holds a pidfd of its parent. After restore each
 * pidfd names the same pid with the same flags (fdinfo, F_GETFL), the zombie's pidfd is readable
 * and waitid(P_PIDFD) reaps it with status 7, and the child checks its pidfd of the parent. */
#include "caselib.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int pidfd_open(pid_t pid, unsigned flags)
{
	return syscall(SYS_pidfd_open, pid, flags);
}

static int pid_of(int fd)
{
	char path[64], buf[1024], *p;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (case_read_file(path, buf, sizeof(buf)) <= 0 || !(p = strstr(buf, "\nPid:")))
		return -2;
	return atoi(p + 5);
}

int main(void)
{
	int self, kidfd, zfd, go[2], st;
	siginfo_t si;
	pid_t kid, z;

	case_init();
	if (pipe(go))
		case_fail("pipe");
	if ((z = fork()) == 0)
		_exit(7);
	if ((kid = fork()) == 0) {
		char c;
		int pfd = pidfd_open(getppid(), 0);
		if (pfd < 0 || read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(pid_of(pfd) == getppid() ? 0 : 3);
	}
	self = pidfd_open(getpid(), O_NONBLOCK);
	kidfd = pidfd_open(kid, 0);
	zfd = pidfd_open(z, 0);
	if (self < 0 || kidfd < 0 || zfd < 0 || waitid(P_PID, z, &si, WEXITED | WNOWAIT))
		case_fail("pidfd_open");
	case_ready();
	case_wait();
	if (pid_of(self) != getpid() || pid_of(kidfd) != kid || pid_of(zfd) != z)
		case_fail("pidfds now name %d %d %d, want %d %d %d", pid_of(self), pid_of(kidfd),
			  pid_of(zfd), getpid(), kid, z);
	CASE_CHECK(fcntl(self, F_GETFL) & O_NONBLOCK);
	CASE_CHECK(!(fcntl(kidfd, F_GETFL) & O_NONBLOCK));
	struct pollfd pz = {zfd, POLLIN, 0};
	CASE_CHECK(poll(&pz, 1, 1000) == 1 && (pz.revents & POLLIN));
	memset(&si, 0, sizeof(si));
	if (waitid(P_PIDFD, zfd, &si, WEXITED) || si.si_pid != z || si.si_status != 7)
		case_fail("zombie via pidfd: pid %d status %d", si.si_pid, si.si_status);
	CASE_CHECK(write(go[1], "g", 1) == 1);
	memset(&si, 0, sizeof(si));
	if (waitid(P_PIDFD, kidfd, &si, WEXITED) || si.si_pid != kid || si.si_status != 0)
		case_fail("child via pidfd: pid %d status %d", si.si_pid, si.si_status);
	(void)st;
	case_pass();
}
