/* SPDX-License-Identifier: MIT */
/* SysV shared memory: one keyed, locked 10000-byte segment (mode 0640) attached twice, read-write
 * and read-only, with a known pattern. The segment is removed between dump and restore (see
 * sysv_shm_twice.desc), so the restore must recreate it with the same id, key, mode, size, lock
 * and contents, and re-attach it at both addresses as real SysV attachments (nattch 2, maps
 * lines "/SYSV..." with the shmid as inode, rw-s and r--s); a write through the read-write
 * attachment must show through the read-only one. */
#include "caselib.h"

#include <stdio.h>
#include <string.h>
#include <sys/shm.h>

#define KEY  0x46525941
#define SIZE 10000

static unsigned char *rw, *ro;
static int id;

/* The maps line of the attachment at p: perms and inode. */
static void maps_line(const void *p, const char *perms)
{
	char buf[65536], want[64];
	CASE_CHECK(case_read_file("/proc/self/maps", buf, sizeof(buf)) > 0);
	snprintf(want, sizeof(want), "%lx-", (unsigned long)p);
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, want, strlen(want)))
			continue;
		unsigned long start, end, off, ino;
		char pm[8], dev[16], path[64];
		if (sscanf(l, "%lx-%lx %7s %lx %15s %lu %63s", &start, &end, pm, &off, dev, &ino,
			   path) != 7)
			case_fail("bad maps line at %p", p);
		if (strcmp(pm, perms) || (int)ino != id || strncmp(path, "/SYSV46525941", 13) ||
		    end - start != 12288)
			case_fail("attachment at %p: %s ino %lu %s, want %s ino %d /SYSV46525941",
				  p, pm, ino, path, perms, id);
		return;
	}
	case_fail("no mapping at %p", p);
}

int main(void)
{
	struct shmid_ds ds;

	case_init();
	id = shmget(KEY, SIZE, IPC_CREAT | IPC_EXCL | 0640);
	if (id < 0)
		case_fail("shmget (left over from a crashed run? ipcrm -M 0x%x)", KEY);
	rw = shmat(id, NULL, 0);
	ro = shmat(id, NULL, SHM_RDONLY);
	if (rw == (void *)-1 || ro == (void *)-1)
		case_fail("shmat");
	if (shmctl(id, SHM_LOCK, NULL))
		case_fail("SHM_LOCK");
	for (int i = 0; i < SIZE; i++)
		rw[i] = (unsigned char)(i * 13 + 5);
	case_ready();
	case_wait();

	CASE_CHECK(shmget(KEY, 0, 0) == id);
	CASE_CHECK(shmctl(id, IPC_STAT, &ds) == 0);
	CASE_CHECK(ds.shm_segsz == SIZE && (ds.shm_perm.mode & 0777) == 0640);
	CASE_CHECK(ds.shm_perm.__key == KEY && ds.shm_nattch == 2);
	CASE_CHECK(ds.shm_perm.mode & SHM_LOCKED);
	for (int i = 0; i < SIZE; i++)
		if (ro[i] != (unsigned char)(i * 13 + 5))
			case_fail("byte %d is %d", i, ro[i]);
	maps_line(rw, "rw-s");
	maps_line(ro, "r--s");
	rw[4321] = 0xab;
	CASE_CHECK(ro[4321] == 0xab);
	shmdt(rw);
	shmdt(ro);
	shmctl(id, IPC_RMID, NULL);
	case_pass();
}
