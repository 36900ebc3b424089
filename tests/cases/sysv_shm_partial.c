/* SPDX-License-Identifier: MIT */
/* Refusal: a SysV shared memory attachment of which one page was unmapped (shmat maps a segment
 * whole, so a partial attachment cannot be re-made). `ferry dump` must refuse naming the pid,
 * the range and the segment; afterwards the original is intact: not traced, the rest of the
 * attachment still holds its data, and nattch is still 1. */
#include "caselib.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>

int main(void)
{
	struct shmid_ds ds;

	case_init();
	int id = shmget(IPC_PRIVATE, 3 * 4096, IPC_CREAT | 0600);
	if (id < 0)
		case_fail("shmget");
	char *p = shmat(id, NULL, 0);
	if (p == (void *)-1 || shmctl(id, IPC_RMID, NULL))
		case_fail("shmat");
	memset(p, 'x', 3 * 4096);
	if (munmap(p + 2 * 4096, 4096))
		case_fail("munmap");
	case_ready();
	case_wait();
	CASE_CHECK(case_untraced());
	CASE_CHECK(p[0] == 'x' && p[2 * 4096 - 1] == 'x');
	CASE_CHECK(shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_nattch == 1);
	case_pass();
}
