/* SPDX-License-Identifier: MIT */
/* Robust futex lists: each thread's get_robust_list() head and length are unchanged after restore,
 * and a thread that dies holding a robust mutex still makes the next locker get EOWNERDEAD. */
#include "caselib.h"

#include <errno.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NT 3

static volatile int go, started;
static pid_t tids[NT];
static void *heads[NT];
static size_t lens[NT];
static pthread_mutex_t rm;

static void *worker(void *arg)
{
	long n = (long)arg;

	syscall(SYS_get_robust_list, 0, &heads[n], &lens[n]);
	tids[n] = gettid();
	if (n == 0)
		pthread_mutex_lock(&rm); /* held across the dump, abandoned after restore */
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	while (!go)
		usleep(2000);
	return NULL; /* exits still owning rm when n == 0 */
}

int main(void)
{
	pthread_mutexattr_t ma;
	pthread_t th[NT];
	void *head, *mhead;
	size_t len, mlen;
	long i;

	case_init();
	case_block_term();
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&rm, &ma);
	syscall(SYS_get_robust_list, 0, &mhead, &mlen);
	CASE_CHECK(mhead != NULL && mlen > 0);
	for (i = 0; i < NT; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)i))
			case_fail("pthread_create");
	while (started < NT)
		usleep(1000);
	case_ready();
	case_wait();
	if (syscall(SYS_get_robust_list, 0, &head, &len) || head != mhead || len != mlen)
		case_fail("main robust list %p/%zu != %p/%zu", head, len, mhead, mlen);
	for (i = 0; i < NT; i++) {
		if (syscall(SYS_get_robust_list, tids[i], &head, &len))
			case_fail("get_robust_list(%d)", tids[i]);
		if (head != heads[i] || len != lens[i])
			case_fail("thread %ld robust list %p/%zu != %p/%zu", i, head, len, heads[i], lens[i]);
	}
	go = 1;
	for (i = 0; i < NT; i++)
		pthread_join(th[i], NULL);
	if (pthread_mutex_lock(&rm) != EOWNERDEAD)
		case_fail("robust mutex of a dead owner: no EOWNERDEAD");
	pthread_mutex_consistent(&rm);
	pthread_mutex_unlock(&rm);
	case_pass();
}
