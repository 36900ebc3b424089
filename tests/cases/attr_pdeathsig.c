/* SPDX-License-Identifier: MIT */
/* Parent-death signal: main has PR_SET_PDEATHSIG SIGUSR2, a forked child SIGRTMIN+1; after restore
 * both report the same PR_GET_PDEATHSIG (the child through shared memory). */
#include "caselib.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	volatile int *shm;
	int sig = 0, st;
	pid_t c;
	long long t0;

	case_init();
	shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED || prctl(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0))
		case_fail("setup");
	c = fork();
	if (c == 0) {
		int s = 0;

		prctl(PR_SET_PDEATHSIG, SIGRTMIN + 1, 0, 0, 0);
		shm[0] = 1;
		while (shm[1] == 0)
			usleep(1000);
		prctl(PR_GET_PDEATHSIG, &s, 0, 0, 0);
		shm[2] = s;
		_exit(0);
	}
	while (!shm[0])
		usleep(1000);
	case_ready();
	case_wait();
	shm[1] = 1;
	t0 = case_now_ms();
	while (!shm[2] && case_now_ms() - t0 < 2000)
		usleep(1000);
	if (waitpid(c, &st, 0) != c)
		case_fail("waitpid");
	prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
	if (sig != SIGUSR2)
		case_fail("main pdeathsig %d", sig);
	if (shm[2] != SIGRTMIN + 1)
		case_fail("child pdeathsig %d", shm[2]);
	case_pass();
}
