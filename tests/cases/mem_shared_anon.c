/* SPDX-License-Identifier: MIT */
/* Shared anonymous memory between a parent and a forked child stays shared after restore: the
 * child writes, the parent sees it, and the other way round. */
#include "caselib.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define LEN (4 * 4096)

int main(void)
{
	volatile unsigned char *m;
	volatile int *flag;
	int i, st;
	pid_t c;
	long long t0;

	case_init();
	m = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		case_fail("mmap");
	flag = (volatile int *)(m + LEN - 64);
	for (i = 0; i < 3 * 4096; i++)
		m[i] = (unsigned char)(i * 5);
	c = fork();
	if (c == 0) {
		/* child: wait for the parent's go (flag 1), write, answer with flag 2 */
		while (*flag != 1)
			usleep(1000);
		for (i = 0; i < 4096; i++)
			m[8192 + i] = (unsigned char)(i ^ 0x3c);
		__atomic_store_n(flag, 2, __ATOMIC_SEQ_CST);
		while (*flag != 3)
			usleep(1000);
		if (m[100] != 0xee)
			_exit(3);
		_exit(0);
	}
	case_ready();
	case_wait();
	for (i = 0; i < 2 * 4096; i++)
		if (m[i] != (unsigned char)(i * 5)) {
			kill(c, SIGKILL);
			case_fail("byte %d", i);
		}
	__atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
	t0 = case_now_ms();
	while (*flag != 2 && case_now_ms() - t0 < 2000)
		usleep(1000);
	if (*flag != 2) {
		kill(c, SIGKILL);
		case_fail("child's write not seen: memory no longer shared");
	}
	for (i = 0; i < 4096; i++)
		if (m[8192 + i] != (unsigned char)(i ^ 0x3c))
			case_fail("child data byte %d", i);
	m[100] = 0xee;
	__atomic_store_n(flag, 3, __ATOMIC_SEQ_CST);
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		case_fail("child status %#x", st);
	case_pass();
}
