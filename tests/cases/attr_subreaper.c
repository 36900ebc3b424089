/* SPDX-License-Identifier: MIT */
/* Child-subreaper flag: PR_GET_CHILD_SUBREAPER is 1 after restore, and it still works: an orphaned
 * grandchild created after restore is re-parented to us and we reap it. */
#include "caselib.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	volatile int *shm;
	int flag = 0, st;
	pid_t c, g;
	long long t0;

	case_init();
	shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED || prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
		case_fail("setup");
	case_ready();
	case_wait();
	prctl(PR_GET_CHILD_SUBREAPER, &flag, 0, 0, 0);
	if (flag != 1)
		case_fail("subreaper flag %d", flag);
	c = fork();
	if (c == 0) {
		if (fork() == 0) {
			while (getppid() != (pid_t)shm[1])
				usleep(1000); /* wait to be orphaned */
			shm[0] = 1;
			_exit(9);
		}
		_exit(0);
	}
	shm[1] = getpid();
	waitpid(c, &st, 0);
	t0 = case_now_ms();
	while (!shm[0] && case_now_ms() - t0 < 2000)
		usleep(1000);
	if (!shm[0])
		case_fail("orphan was not re-parented to us");
	g = wait(&st);
	if (g <= 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 9)
		case_fail("reaping the orphan: %d status %#x", g, st);
	case_pass();
}
