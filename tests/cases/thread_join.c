/* SPDX-License-Identifier: MIT */
/* pthread_join after restore: it relies on each thread's clear_child_tid (the kernel zeroes the
 * tid word and wakes the futex at exit). Threads exit at staggered times after restore; main joins
 * them all (with a timeout, so a lost wake-up fails instead of hanging) and gets their results. */
#include "caselib.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#define NT 5

static volatile int go, started;

static void *worker(void *arg)
{
	long n = (long)arg;

	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	while (!go)
		usleep(2000);
	usleep((useconds_t)(n * 30000));
	return (void *)(n * 11 + 1);
}

int main(void)
{
	pthread_t th[NT];
	struct timespec dl;
	void *ret;
	long i;

	case_init();
	case_block_term();
	for (i = 0; i < NT; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)i))
			case_fail("pthread_create");
	while (started < NT)
		usleep(1000);
	case_ready();
	case_wait();
	go = 1;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 3;
	/* join in reverse order: most joins wait for a thread that exits later */
	for (i = NT - 1; i >= 0; i--) {
		int e = pthread_timedjoin_np(th[i], &ret, &dl);

		if (e)
			case_fail("join thread %ld: error %d (clear_child_tid lost?)", i, e);
		if (ret != (void *)(i * 11 + 1))
			case_fail("thread %ld returned %p", i, ret);
	}
	case_pass();
}
