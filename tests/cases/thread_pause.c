/* SPDX-License-Identifier: MIT */
/* Threads blocked in pause() and in sigsuspend() across the dump: after restore a signal sent to
 * each (SIGUSR1 / SIGUSR2) runs its handler in that thread and the call returns -1/EINTR. */
#include "caselib.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile int entered;
static volatile pid_t handled_in[65];
static int ret[2], err[2];
static pid_t tids[2];

static void handler(int sig)
{
	handled_in[sig] = gettid();
}

static void *pauser(void *arg)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	tids[0] = gettid();
	__atomic_add_fetch(&entered, 1, __ATOMIC_SEQ_CST);
	ret[0] = pause();
	err[0] = errno;
	return NULL;
}

static void *suspender(void *arg)
{
	sigset_t s, wait_mask;

	/* SIGUSR2 blocked except inside sigsuspend */
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &s, &wait_mask);
	sigdelset(&wait_mask, SIGUSR2);
	tids[1] = gettid();
	__atomic_add_fetch(&entered, 1, __ATOMIC_SEQ_CST);
	ret[1] = sigsuspend(&wait_mask);
	err[1] = errno;
	return NULL;
}

int main(void)
{
	struct sigaction sa;
	pthread_t a, b;
	sigset_t s;

	case_init();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	/* main blocks both so they can only land in their thread */
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGUSR2);
	sigaddset(&s, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	if (pthread_create(&a, NULL, pauser, NULL) || pthread_create(&b, NULL, suspender, NULL))
		case_fail("pthread_create");
	while (entered < 2)
		usleep(1000);
	usleep(20000);
	case_ready();
	case_wait();
	pthread_kill(a, SIGUSR1);
	pthread_kill(b, SIGUSR2);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	CASE_CHECK(ret[0] == -1 && err[0] == EINTR);
	CASE_CHECK(ret[1] == -1 && err[1] == EINTR);
	CASE_CHECK(handled_in[SIGUSR1] == tids[0]);
	CASE_CHECK(handled_in[SIGUSR2] == tids[1]);
	case_pass();
}
