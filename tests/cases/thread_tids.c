/* SPDX-License-Identifier: MIT */
/* Eight threads keep their TIDs: each compares gettid() after restore with the one it had, and
 * /proc/self/task lists exactly the same TIDs. */
#include "caselib.h"

#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define NT 8

static pid_t tid[NT + 1];
static volatile int go, started;
static int bad[NT];

static void *worker(void *arg)
{
	int i = (int)(long)arg;

	tid[i] = gettid();
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	while (!go)
		usleep(2000);
	bad[i] = gettid() != tid[i] || getpid() == gettid();
	return NULL;
}

static int in_task_list(pid_t t, int *count)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int found = 0;

	*count = 0;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			(*count)++;
			found |= atoi(e->d_name) == t;
		}
	if (d)
		closedir(d);
	return found;
}

int main(void)
{
	pthread_t th[NT];
	int i, n;

	case_init();
	case_block_term();
	tid[NT] = getpid();
	for (i = 0; i < NT; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)(long)i))
			case_fail("pthread_create");
	while (started < NT)
		usleep(1000);
	case_ready();
	case_wait();
	CASE_CHECK(gettid() == tid[NT] && getpid() == tid[NT]);
	for (i = 0; i <= NT; i++) {
		if (!in_task_list(tid[i], &n))
			case_fail("tid %d missing from /proc/self/task", tid[i]);
		CASE_CHECK(n == NT + 1);
	}
	go = 1;
	for (i = 0; i < NT; i++) {
		pthread_join(th[i], NULL);
		if (bad[i])
			case_fail("thread %d: tid changed", i);
	}
	case_pass();
}
