/* SPDX-License-Identifier: MIT */
/* Timer slack, which is per thread: main 123456 ns, a second thread 7777 ns; PR_GET_TIMERSLACK
 * in each and /proc/PID/timerslack_ns identical after restore. */
#include "caselib.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

static volatile int go, started;
static long tslack = -1;

static void *worker(void *arg)
{
	prctl(PR_SET_TIMERSLACK, 7777, 0, 0, 0);
	started = 1;
	while (!go)
		usleep(2000);
	tslack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	return NULL;
}

int main(void)
{
	pthread_t t;
	char buf[64];

	case_init();
	case_block_term();
	prctl(PR_SET_TIMERSLACK, 123456, 0, 0, 0);
	if (pthread_create(&t, NULL, worker, NULL))
		case_fail("pthread_create");
	while (!started)
		usleep(1000);
	case_ready();
	case_wait();
	CASE_CHECK(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) == 123456);
	CASE_CHECK(case_read_file("/proc/self/timerslack_ns", buf, sizeof(buf)) > 0 && atol(buf) == 123456);
	go = 1;
	pthread_join(t, NULL);
	if (tslack != 7777)
		case_fail("thread timer slack %ld", tslack);
	case_pass();
}
