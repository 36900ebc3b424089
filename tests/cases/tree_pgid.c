/* SPDX-License-Identifier: MIT */
/* Process groups inside one session: child A leads its own group, child B joined A's group, child
 * C stayed in main's group; getpgid()/getsid() of all (seen from main and from inside) identical. */
#include "caselib.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int *shm; /* [0] go, [1..3] own pgid seen inside after restore */

static void child(int i)
{
	while (!shm[0])
		usleep(1000);
	shm[i] = getpgid(0) == getpgrp() && getsid(0) == getsid(getppid()) ? getpgrp() : -1;
	_exit(0);
}

int main(void)
{
	pid_t a, b, c, me = getpid();
	pid_t want[3];
	int i, st;
	long long t0;

	case_init();
	shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		case_fail("mmap");
	if ((a = fork()) == 0) {
		setpgid(0, 0);
		child(1);
	}
	setpgid(a, a); /* both sides, so it is done before either goes on */
	if ((b = fork()) == 0) {
		setpgid(0, a);
		child(2);
	}
	setpgid(b, a);
	if ((c = fork()) == 0)
		child(3);
	want[0] = a;
	want[1] = a;
	want[2] = getpgrp();
	case_ready();
	case_wait();
	CASE_CHECK(getpgrp() == me && getsid(0) == me); /* harness starts us with setsid */
	CASE_CHECK(getpgid(a) == want[0] && getpgid(b) == want[1] && getpgid(c) == want[2]);
	CASE_CHECK(getsid(a) == me && getsid(b) == me && getsid(c) == me);
	shm[0] = 1;
	t0 = case_now_ms();
	while ((!shm[1] || !shm[2] || !shm[3]) && case_now_ms() - t0 < 2000)
		usleep(1000);
	for (i = 0; i < 3; i++) {
		if (shm[i + 1] != want[i]) {
			kill(a, SIGKILL);
			kill(b, SIGKILL);
			kill(c, SIGKILL);
			case_fail("child %d sees pgid %d, want %d", i, shm[i + 1], want[i]);
		}
	}
	while (wait(&st) > 0)
		;
	case_pass();
}
