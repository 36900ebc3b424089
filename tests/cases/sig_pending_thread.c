/* SPDX-License-Identifier: MIT */
/* Per-thread pending signals: a thread with everything blocked gets SIGUSR1 by tgkill and three
 * SIGRTMIN+4 by pthread_sigqueue (values 7, 8, 9); main gets SIGUSR2 by tgkill. After restore each
 * thread's sigtimedwait returns exactly its own, with si_code, si_value, si_pid, in order. */
#include "caselib.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile int go, ready_;
static int tkill_code; /* what this kernel puts in si_code for tgkill(), measured before the dump */
static pid_t ttid;
static char bad[128];

static int take(const sigset_t *set, int sig, int code, int val)
{
	struct timespec zero = { 0, 0 };
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (sigtimedwait(set, &si, &zero) < 0)
		return -1;
	if (si.si_signo != sig || si.si_code != code || si.si_pid != getpid() ||
	    (code == SI_QUEUE && si.si_value.sival_int != val))
		return si.si_signo;
	return 0;
}

static void *worker(void *arg)
{
	sigset_t all;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	ttid = gettid();
	ready_ = 1;
	while (!go)
		usleep(2000);
	if ((r = take(&all, SIGUSR1, tkill_code, 0)))
		snprintf(bad, sizeof(bad), "thread SIGUSR1: %d", r);
	for (int v = 7; v < 10 && !bad[0]; v++)
		if ((r = take(&all, SIGRTMIN + 4, SI_QUEUE, v)))
			snprintf(bad, sizeof(bad), "thread RT value %d: %d", v, r);
	if (!bad[0] && take(&all, 0, 0, 0) != -1)
		snprintf(bad, sizeof(bad), "thread has an extra signal");
	return NULL;
}

int main(void)
{
	pthread_t t;
	sigset_t set;
	int r;

	case_init();
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGRTMIN + 4);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&t, NULL, worker, NULL))
		case_fail("pthread_create");
	while (!ready_)
		usleep(1000);
	{
		struct timespec zero = { 0, 0 };
		siginfo_t si;

		syscall(SYS_tgkill, getpid(), gettid(), SIGUSR2);
		if (sigtimedwait(&set, &si, &zero) != SIGUSR2)
			case_fail("calibration");
		tkill_code = si.si_code;
	}
	syscall(SYS_tgkill, getpid(), ttid, SIGUSR1);
	for (int v = 7; v < 10; v++)
		pthread_sigqueue(t, SIGRTMIN + 4, (union sigval){ .sival_int = v });
	syscall(SYS_tgkill, getpid(), getpid(), SIGUSR2);
	case_ready();
	case_wait();
	sigdelset(&set, SIGTERM);
	if ((r = take(&set, SIGUSR2, tkill_code, 0)))
		case_fail("main SIGUSR2: %d", r);
	if (take(&set, 0, 0, 0) != -1)
		case_fail("main got a signal that was the thread's");
	go = 1;
	pthread_join(t, NULL);
	if (bad[0])
		case_fail("%s", bad);
	case_pass();
}
