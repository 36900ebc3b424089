/* SPDX-License-Identifier: MIT */
/* Threads inside a child process: the child runs 3 extra threads; after restore each thread checks
 * its TID and the child's pid, the child joins them and exits 0. */
#include "caselib.h"

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define NT 3

static volatile int *shm; /* [0] go, [1] started, [2..] results */
static pid_t tids[NT];

static void *worker(void *arg)
{
	long i = (long)arg;
	pid_t pid = getpid();

	tids[i] = gettid();
	__atomic_add_fetch(&shm[1], 1, __ATOMIC_SEQ_CST);
	while (!shm[0])
		usleep(1000);
	shm[2 + i] = gettid() == tids[i] && getpid() == pid ? 1 : 2;
	return NULL;
}

int main(void)
{
	pid_t c;
	int st;

	case_init();
	shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		case_fail("mmap");
	if ((c = fork()) == 0) {
		pthread_t th[NT];
		long i;

		for (i = 0; i < NT; i++)
			if (pthread_create(&th[i], NULL, worker, (void *)i))
				_exit(3);
		for (i = 0; i < NT; i++)
			pthread_join(th[i], NULL);
		for (i = 0; i < NT; i++)
			if (shm[2 + i] != 1)
				_exit(4);
		_exit(0);
	}
	while (shm[1] < NT)
		usleep(1000);
	case_ready();
	case_wait();
	shm[0] = 1;
	if (waitpid(c, &st, 0) != c)
		case_fail("waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		case_fail("child status %#x (results %d %d %d)", st, shm[2], shm[3], shm[4]);
	case_pass();
}
