/* SPDX-License-Identifier: MIT */
/* Threads blocked in sleeps across the dump: nanosleep(1.2 s) and clock_nanosleep(TIMER_ABSTIME)
 * on CLOCK_MONOTONIC both return 0 (no EINTR) and not before the requested time. */
#include "caselib.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

static volatile int in_sleep;
static int rel_ret = -1, abs_ret = -1, rel_err, abs_err;
static long long rel_elapsed;
static struct timespec abs_target, abs_woke;

static void *rel_sleeper(void *arg)
{
	struct timespec req = { 1, 200 * 1000 * 1000 };
	long long t0 = case_now_ms();

	__atomic_add_fetch(&in_sleep, 1, __ATOMIC_SEQ_CST);
	rel_ret = nanosleep(&req, NULL);
	rel_err = errno;
	rel_elapsed = case_now_ms() - t0;
	return NULL;
}

static void *abs_sleeper(void *arg)
{
	__atomic_add_fetch(&in_sleep, 1, __ATOMIC_SEQ_CST);
	abs_ret = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs_target, NULL);
	abs_err = errno;
	clock_gettime(CLOCK_MONOTONIC, &abs_woke);
	return NULL;
}

int main(void)
{
	pthread_t a, b;

	case_init();
	case_block_term();
	clock_gettime(CLOCK_MONOTONIC, &abs_target);
	abs_target.tv_sec += 1;
	abs_target.tv_nsec = 300 * 1000 * 1000 + abs_target.tv_nsec / 2;
	if (pthread_create(&a, NULL, rel_sleeper, NULL) || pthread_create(&b, NULL, abs_sleeper, NULL))
		case_fail("pthread_create");
	while (in_sleep < 2)
		usleep(1000);
	usleep(20000); /* let both enter the syscall */
	case_ready();
	case_wait();
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	if (rel_ret != 0)
		case_fail("nanosleep returned %d errno %d", rel_ret, rel_err);
	if (rel_elapsed < 1200)
		case_fail("nanosleep returned early: %lld ms", rel_elapsed);
	if (abs_ret != 0)
		case_fail("clock_nanosleep returned %d", abs_ret);
	if (abs_woke.tv_sec < abs_target.tv_sec ||
	    (abs_woke.tv_sec == abs_target.tv_sec && abs_woke.tv_nsec < abs_target.tv_nsec))
		case_fail("clock_nanosleep woke before its deadline");
	(void)abs_err;
	case_pass();
}
