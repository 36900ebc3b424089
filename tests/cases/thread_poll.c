/* SPDX-License-Identifier: MIT */
/* Threads blocked in poll(NULL, 0, 1300 ms) and ppoll(NULL, 0, 1.3 s) across the dump: both
 * return 0 (timeout, no EINTR) and not earlier than requested. */
#include "caselib.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

static volatile int entered;
static int ret[2] = { -2, -2 }, err[2];
static long long elapsed[2];

static void *poller(void *arg)
{
	long n = (long)arg;
	struct timespec ts = { 1, 300 * 1000 * 1000 };
	long long t0 = case_now_ms();

	__atomic_add_fetch(&entered, 1, __ATOMIC_SEQ_CST);
	ret[n] = n == 0 ? poll(NULL, 0, 1300) : ppoll(NULL, 0, &ts, NULL);
	err[n] = errno;
	elapsed[n] = case_now_ms() - t0;
	return NULL;
}

int main(void)
{
	pthread_t t[2];
	long i;

	case_init();
	case_block_term();
	for (i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, poller, (void *)i))
			case_fail("pthread_create");
	while (entered < 2)
		usleep(1000);
	usleep(20000);
	case_ready();
	case_wait();
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		if (ret[i] != 0)
			case_fail("%s returned %d errno %d", i ? "ppoll" : "poll", ret[i], err[i]);
		if (elapsed[i] < 1300)
			case_fail("%s returned after %lld ms", i ? "ppoll" : "poll", elapsed[i]);
	}
	case_pass();
}
