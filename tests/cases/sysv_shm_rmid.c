/* SPDX-License-Identifier: MIT */
/* SysV shared memory marked for removal while attached: a private 3-page segment with a pattern
 * is attached and then IPC_RMID'd. The kill after the dump destroys it, so the restore must
 * recreate it with the same id, re-attach it and mark it for removal again: IPC_STAT by id
 * still works, SHM_DEST is set, the key is IPC_PRIVATE, nattch is 1 and the contents are kept. */
#include "caselib.h"

#include <stddef.h>
#include <sys/shm.h>

#define SIZE (3 * 4096)

int main(void)
{
	struct shmid_ds ds;

	case_init();
	int id = shmget(IPC_PRIVATE, SIZE, IPC_CREAT | 0604);
	if (id < 0)
		case_fail("shmget");
	unsigned int *p = shmat(id, NULL, 0);
	if (p == (void *)-1)
		case_fail("shmat");
	for (unsigned int i = 0; i < SIZE / 4; i++)
		p[i] = i * 2654435761u;
	if (shmctl(id, IPC_RMID, NULL))
		case_fail("IPC_RMID");
	case_ready();
	case_wait();

	CASE_CHECK(shmctl(id, IPC_STAT, &ds) == 0);
	CASE_CHECK(ds.shm_perm.mode & SHM_DEST);
	CASE_CHECK((ds.shm_perm.mode & 0777) == 0604 && ds.shm_segsz == SIZE);
	CASE_CHECK(ds.shm_perm.__key == IPC_PRIVATE && ds.shm_nattch == 1);
	for (unsigned int i = 0; i < SIZE / 4; i++)
		if (p[i] != i * 2654435761u)
			case_fail("word %u is %#x", i, p[i]);
	shmdt(p);
	case_pass();
}
