/* SPDX-License-Identifier: MIT */
/* Thread names: four threads named with pthread_setname_np (one of the maximal 15 characters);
 * after restore /proc/self/task/TID/comm and pthread_getname_np give the same names. */
#include "caselib.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NT 4

static const char *names[NT] = { "worker-zero", "w1", "fifteen-chars-x", "net io#3" };
static pid_t tids[NT];
static volatile int go, started;

static void *worker(void *arg)
{
	tids[(long)arg] = gettid();
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	while (!go)
		usleep(2000);
	return NULL;
}

int main(void)
{
	pthread_t th[NT];
	char path[64], buf[64];
	long i;

	case_init();
	case_block_term();
	for (i = 0; i < NT; i++) {
		if (pthread_create(&th[i], NULL, worker, (void *)i) ||
		    pthread_setname_np(th[i], names[i]))
			case_fail("create/setname");
	}
	while (started < NT)
		usleep(1000);
	case_ready();
	case_wait();
	for (i = 0; i < NT; i++) {
		snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tids[i]);
		if (case_read_file(path, buf, sizeof(buf)) < 0)
			case_fail("read %s", path);
		buf[strcspn(buf, "\n")] = 0;
		if (strcmp(buf, names[i]))
			case_fail("thread %ld comm '%s' != '%s'", i, buf, names[i]);
		if (pthread_getname_np(th[i], buf, sizeof(buf)) || strcmp(buf, names[i]))
			case_fail("pthread_getname_np %ld '%s'", i, buf);
	}
	go = 1;
	for (i = 0; i < NT; i++)
		pthread_join(th[i], NULL);
	case_pass();
}
