/* SPDX-License-Identifier: MIT */
/* A memfd mapped MAP_SHARED by a parent and a forked child (the fd is closed in both, only the
 * mappings keep it): contents survive and the mapping is still shared after restore. */
#include "caselib.h"

#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define LEN (16 * 4096)

int main(void)
{
	volatile unsigned char *m;
	volatile int *flag;
	int fd, i, st;
	pid_t c;
	long long t0;

	case_init();
	fd = memfd_create("ferry-case", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, LEN))
		case_fail("memfd");
	m = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		case_fail("mmap");
	flag = (volatile int *)m;
	for (i = 4096; i < LEN; i += 3)
		m[i] = (unsigned char)(i >> 3);
	c = fork();
	if (c == 0) {
		while (*flag != 1)
			usleep(1000);
		memset((void *)(m + 64), 0x42, 64);
		__atomic_store_n(flag, 2, __ATOMIC_SEQ_CST);
		_exit(0);
	}
	case_ready();
	case_wait();
	for (i = 4096; i < LEN; i += 3)
		if (m[i] != (unsigned char)(i >> 3)) {
			kill(c, SIGKILL);
			case_fail("byte %d", i);
		}
	__atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
	t0 = case_now_ms();
	while (*flag != 2 && case_now_ms() - t0 < 2000)
		usleep(1000);
	if (*flag != 2) {
		kill(c, SIGKILL);
		case_fail("child's write not seen: memfd mapping no longer shared");
	}
	for (i = 64; i < 128; i++)
		CASE_CHECK(m[i] == 0x42);
	if (waitpid(c, &st, 0) != c || st != 0)
		case_fail("child status %#x", st);
	case_pass();
}
