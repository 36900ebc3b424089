/* SPDX-License-Identifier: MIT */
/* A process tree: main with 3 children, child 0 with a grandchild. After restore every process
 * checks its own pid and getppid() against the values from before, reports through shared memory,
 * and exits with its own status, which its parent checks. */
#include "caselib.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define NP 4 /* slots 0-2 children, 3 grandchild */

struct slot {
	volatile pid_t pid, ppid;
	volatile int ready, result;
};

static struct slot *s;
static volatile int *go;

static int member(int i)
{
	s[i].pid = getpid();
	s[i].ppid = getppid();
	s[i].ready = 1;
	while (!*go)
		usleep(1000);
	s[i].result = getpid() == s[i].pid && getppid() == s[i].ppid ? 1 : 2;
	return 10 + i;
}

int main(void)
{
	pid_t kids[3];
	int i, st;
	long long t0;

	case_init();
	s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		case_fail("mmap");
	go = (volatile int *)(s + NP);
	for (i = 0; i < 3; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			if (i == 0) {
				pid_t g = fork();

				if (g == 0)
					_exit(member(3));
				st = member(0);
				if (waitpid(g, &st, 0) != g || !WIFEXITED(st) || WEXITSTATUS(st) != 13)
					_exit(99);
				_exit(10);
			}
			_exit(member(i));
		}
	}
	for (i = 0; i < NP; i++)
		while (!s[i].ready)
			usleep(1000);
	CASE_CHECK(s[3].ppid == kids[0]);
	case_ready();
	case_wait();
	*go = 1;
	t0 = case_now_ms();
	for (i = 0; i < NP; i++)
		while (!s[i].result && case_now_ms() - t0 < 2000)
			usleep(1000);
	for (i = 0; i < NP; i++)
		if (s[i].result != 1) {
			for (int k = 0; k < 3; k++)
				kill(kids[k], SIGKILL);
			case_fail("process %d (pid %d): pid/ppid check %d", i, s[i].pid, s[i].result);
		}
	for (i = 0; i < 3; i++) {
		if (waitpid(kids[i], &st, 0) != kids[i])
			case_fail("waitpid child %d", i);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 10 + i)
			case_fail("child %d status %#x", i, st);
	}
	case_pass();
}
