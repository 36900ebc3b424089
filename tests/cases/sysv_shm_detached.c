/* SPDX-License-Identifier: MIT */
/* SysV shared memory the tree created but no longer has attached: a keyed 5000-byte segment
 * (mode 0620) filled and detached again. It is removed between dump and restore
 * (sysv_shm_detached.desc), so the restore must recreate it from the image (it is in scope
 * because its creator is in the tree) with the same id, key, mode, size and contents, and
 * leave it unattached. */
#include "caselib.h"

#include <stddef.h>
#include <sys/shm.h>

#define KEY  0x46525943
#define SIZE 5000

int main(void)
{
	struct shmid_ds ds;

	case_init();
	int id = shmget(KEY, SIZE, IPC_CREAT | IPC_EXCL | 0620);
	if (id < 0)
		case_fail("shmget (left over from a crashed run? ipcrm -M 0x%x)", KEY);
	unsigned char *p = shmat(id, NULL, 0);
	if (p == (void *)-1)
		case_fail("shmat");
	for (int i = 0; i < SIZE; i++)
		p[i] = (unsigned char)(i ^ 0x5a);
	shmdt(p);
	case_ready();
	case_wait();

	CASE_CHECK(shmget(KEY, 0, 0) == id);
	CASE_CHECK(shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_nattch == 0);
	CASE_CHECK(ds.shm_segsz == SIZE && (ds.shm_perm.mode & 0777) == 0620);
	p = shmat(id, NULL, SHM_RDONLY);
	CASE_CHECK(p != (void *)-1);
	for (int i = 0; i < SIZE; i++)
		if (p[i] != (unsigned char)(i ^ 0x5a))
			case_fail("byte %d is %d", i, p[i]);
	shmdt(p);
	shmctl(id, IPC_RMID, NULL);
	case_pass();
}
