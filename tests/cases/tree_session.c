/* SPDX-License-Identifier: MIT */
/* Sessions: a child that called setsid() (new session and group leader) with a grandchild in its
 * session but its own process group; getsid()/getpgid() of everyone identical after restore. */
#include "caselib.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int *shm; /* [0] go [1] grandchild pid [2] child ok [3] grandchild ok */

int main(void)
{
	pid_t c, me = getpid();
	int st;
	long long t0;

	case_init();
	shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		case_fail("mmap");
	if ((c = fork()) == 0) {
		pid_t self = getpid(), g;

		if (setsid() != self)
			_exit(1);
		if ((g = fork()) == 0) {
			setpgid(0, 0);
			while (!shm[0])
				usleep(1000);
			shm[3] = getsid(0) == self && getpgrp() == getpid() && getppid() == self ? 1 : 2;
			_exit(0);
		}
		setpgid(g, g);
		shm[1] = g;
		while (!shm[0])
			usleep(1000);
		shm[2] = getsid(0) == self && getpgrp() == self ? 1 : 2;
		waitpid(g, &st, 0);
		_exit(0);
	}
	while (!shm[1])
		usleep(1000);
	case_ready();
	case_wait();
	CASE_CHECK(getsid(0) == me);
	if (getsid(c) != c || getpgid(c) != c)
		case_fail("child sid %d pgid %d, want %d", getsid(c), getpgid(c), c);
	if (getsid(shm[1]) != c || getpgid(shm[1]) != shm[1])
		case_fail("grandchild sid %d pgid %d", getsid(shm[1]), getpgid(shm[1]));
	shm[0] = 1;
	t0 = case_now_ms();
	while ((!shm[2] || !shm[3]) && case_now_ms() - t0 < 2000)
		usleep(1000);
	if (shm[2] != 1 || shm[3] != 1) {
		kill(c, SIGKILL);
		kill(shm[1], SIGKILL);
		case_fail("inside checks: child %d grandchild %d", shm[2], shm[3]);
	}
	CASE_CHECK(waitpid(c, &st, 0) == c && st == 0);
	case_pass();
}
