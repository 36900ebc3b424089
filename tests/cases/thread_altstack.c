/* SPDX-License-Identifier: MIT */
/* sigaltstack per thread: each thread (and main) has its own alternate stack of a different size;
 * after restore sigaltstack() reports the same one, and an SA_ONSTACK handler runs on it. */
#include "caselib.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NT 3

static volatile int go, started;
static int bad[NT + 1];
static __thread char *volatile handler_sp;

static void on_usr1(int sig)
{
	handler_sp = __builtin_frame_address(0);
}

static int setup(long n, stack_t *ss)
{
	ss->ss_size = (size_t)(64 + n * 16) * 1024;
	ss->ss_sp = malloc(ss->ss_size);
	ss->ss_flags = 0;
	return sigaltstack(ss, NULL);
}

static int check(const stack_t *want)
{
	stack_t cur;

	if (sigaltstack(NULL, &cur) || cur.ss_sp != want->ss_sp || cur.ss_size != want->ss_size ||
	    cur.ss_flags != 0)
		return 1;
	handler_sp = NULL;
	pthread_kill(pthread_self(), SIGUSR1);
	if (!handler_sp || handler_sp < (char *)want->ss_sp ||
	    handler_sp >= (char *)want->ss_sp + want->ss_size)
		return 2;
	return 0;
}

static void *worker(void *arg)
{
	long n = (long)arg;
	stack_t ss;

	if (setup(n, &ss))
		bad[n] = 3;
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	while (!go)
		usleep(2000);
	if (!bad[n])
		bad[n] = check(&ss);
	free(ss.ss_sp);
	return NULL;
}

int main(void)
{
	pthread_t th[NT];
	struct sigaction sa;
	stack_t ss;
	long i;

	case_init();
	case_block_term();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	if (setup(NT, &ss))
		case_fail("sigaltstack");
	for (i = 0; i < NT; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)i))
			case_fail("pthread_create");
	while (started < NT)
		usleep(1000);
	case_ready();
	case_wait();
	if ((bad[NT] = check(&ss)))
		case_fail("main thread altstack check %d", bad[NT]);
	go = 1;
	for (i = 0; i < NT; i++) {
		pthread_join(th[i], NULL);
		if (bad[i])
			case_fail("thread %ld altstack check %d", i, bad[i]);
	}
	case_pass();
}
