/* SPDX-License-Identifier: MIT */
/* Per-thread signal masks: four threads each block a different set (incl. RT signals); after
 * restore pthread_sigmask() in each thread and SigBlk in /proc/self/task/TID/status match. */
#include "caselib.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NT 4

static volatile int go, started;
static pid_t tids[NT];
static char sigblk[NT][32];
static int bad[NT];

static void make_set(long n, sigset_t *s)
{
	int sig;

	sigemptyset(s);
	sigaddset(s, SIGTERM); /* kept blocked everywhere but in main's case_wait() */
	for (sig = 1; sig < 65; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && (sig * (n + 3)) % (n + 2) == 0)
			sigaddset(s, sig);
}

static void *worker(void *arg)
{
	long n = (long)arg;
	sigset_t want, cur;

	make_set(n, &want);
	pthread_sigmask(SIG_SETMASK, &want, NULL);
	tids[n] = gettid();
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	while (!go)
		usleep(2000);
	pthread_sigmask(SIG_SETMASK, NULL, &cur);
	for (int sig = 1; sig < 65; sig++)
		if (sigismember(&want, sig) != sigismember(&cur, sig))
			bad[n] = sig;
	return NULL;
}

int main(void)
{
	pthread_t th[NT];
	char path[64], val[32];
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
	for (i = 0; i < NT; i++) {
		static char st[4096];
		char *p;

		snprintf(path, sizeof(path), "/proc/self/task/%d/status", tids[i]);
		if (case_read_file(path, st, sizeof(st)) < 0 || !(p = strstr(st, "SigBlk:")))
			case_fail("read %s", path);
		sscanf(p, "SigBlk: %31s", val);
		snprintf(sigblk[i], sizeof(sigblk[i]), "%s", val);
	}
	go = 1;
	for (i = 0; i < NT; i++) {
		sigset_t want;
		unsigned long long bits = 0;
		char exp[32];

		pthread_join(th[i], NULL);
		if (bad[i])
			case_fail("thread %ld: signal %d mask bit differs", i, bad[i]);
		make_set(i, &want);
		for (int sig = 1; sig < 65; sig++)
			if (sigismember(&want, sig))
				bits |= 1ULL << (sig - 1);
		snprintf(exp, sizeof(exp), "%016llx", bits);
		if (strcmp(exp, sigblk[i]))
			case_fail("thread %ld SigBlk %s != %s", i, sigblk[i], exp);
	}
	case_pass();
}
