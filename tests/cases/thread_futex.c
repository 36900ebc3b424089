/* SPDX-License-Identifier: MIT */
/* Threads blocked in futex waits across the dump: one in pthread_cond_wait, one in a raw
 * FUTEX_WAIT on a private word; after restore main wakes both and they see the new values. */
#include "caselib.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int value, seen_cond = -1, waiting;
static volatile int word, seen_word = -1;

static void *cond_waiter(void *arg)
{
	pthread_mutex_lock(&mu);
	waiting++;
	while (value == 0)
		pthread_cond_wait(&cv, &mu);
	seen_cond = value;
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void *futex_waiter(void *arg)
{
	__atomic_add_fetch(&waiting, 1, __ATOMIC_SEQ_CST);
	while (word == 0)
		syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	seen_word = word;
	return NULL;
}

int main(void)
{
	pthread_t a, b;

	case_init();
	case_block_term();
	if (pthread_create(&a, NULL, cond_waiter, NULL) || pthread_create(&b, NULL, futex_waiter, NULL))
		case_fail("pthread_create");
	while (__atomic_load_n(&waiting, __ATOMIC_SEQ_CST) < 2)
		usleep(1000);
	usleep(20000);
	case_ready();
	case_wait();
	pthread_mutex_lock(&mu);
	value = 77;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	word = 55;
	syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	CASE_CHECK(seen_cond == 77);
	CASE_CHECK(seen_word == 55);
	case_pass();
}
