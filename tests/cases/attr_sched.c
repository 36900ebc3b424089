/* SPDX-License-Identifier: MIT */
/* Nice value and scheduling policy, which are per thread: main runs SCHED_BATCH at nice 7, a
 * second thread SCHED_IDLE at nice 12; getpriority()/sched_getscheduler() per tid identical after. */
#include "caselib.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

static volatile int go, started;
static pid_t ttid;

static void *worker(void *arg)
{
	struct sched_param sp = { 0 };

	ttid = gettid();
	if (sched_setscheduler(0, SCHED_IDLE, &sp) || setpriority(PRIO_PROCESS, 0, 12))
		ttid = -1;
	started = 1;
	while (!go)
		usleep(2000);
	return NULL;
}

int main(void)
{
	struct sched_param sp = { 0 };
	pthread_t t;

	case_init();
	case_block_term();
	if (sched_setscheduler(0, SCHED_BATCH, &sp) || setpriority(PRIO_PROCESS, 0, 7))
		case_fail("sched_setscheduler/setpriority");
	if (pthread_create(&t, NULL, worker, NULL))
		case_fail("pthread_create");
	while (!started)
		usleep(1000);
	CASE_CHECK(ttid > 0);
	case_ready();
	case_wait();
	CASE_CHECK(sched_getscheduler(0) == SCHED_BATCH);
	CASE_CHECK(getpriority(PRIO_PROCESS, 0) == 7);
	CASE_CHECK(sched_getscheduler(ttid) == SCHED_IDLE);
	CASE_CHECK(getpriority(PRIO_PROCESS, (id_t)ttid) == 12);
	go = 1;
	pthread_join(t, NULL);
	case_pass();
}
