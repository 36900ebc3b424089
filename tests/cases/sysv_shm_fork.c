/* SPDX-License-Identifier: MIT */
/* SysV shared memory shared by a parent and its child: a keyed one-page segment attached by the
 * parent before fork, so both map it at the same address (nattch 2). It is removed between dump
 * and restore (sysv_shm_fork.desc), so the restore recreates it and attaches it in both. After
 * restore the parent writes a request, the child answers through the segment, then exits 0. */
#include "caselib.h"

#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEY 0x46525942

struct area {
	volatile int child_ready, request, answer;
	char text[64];
};

int main(void)
{
	struct shmid_ds ds;
	int st;

	case_init();
	int id = shmget(KEY, 4096, IPC_CREAT | IPC_EXCL | 0600);
	if (id < 0)
		case_fail("shmget (left over from a crashed run? ipcrm -M 0x%x)", KEY);
	struct area *a = shmat(id, NULL, 0);
	if (a == (void *)-1)
		case_fail("shmat");
	pid_t c = fork();
	if (c == 0) {
		a->child_ready = 1;
		while (!a->request)
			usleep(1000);
		a->answer = a->request * 2 + (a->text[0] == 'p');
		_exit(0);
	}
	a->text[0] = 'p';
	while (!a->child_ready)
		usleep(1000);
	case_ready();
	case_wait();

	CASE_CHECK(shmget(KEY, 0, 0) == id);
	CASE_CHECK(shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_nattch == 2);
	a->request = 20;
	long long t0 = case_now_ms();
	while (!a->answer && case_now_ms() - t0 < 1500)
		usleep(1000);
	if (a->answer != 41)
		case_fail("the child answered %d, want 41", a->answer);
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
		case_fail("child status %#x", st);
	shmdt((void *)a);
	shmctl(id, IPC_RMID, NULL);
	case_pass();
}
