/* SPDX-License-Identifier: MIT */
/* A process's own view of its PIDs, which must match whatever namespace it is restored into
 * (also under `ferry restore --pidns`, tests/pidns/check.sh): getpid(), gettid() of a second
 * thread, a child's pid (waitpid), and /proc agreeing with them (/proc/self, /proc/self/stat,
 * /proc/self/task, the last NSpid field), all identical to before the dump. */
#include "caselib.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int go, started;
static pid_t ttid, ttid_after;

static void *worker(void *arg)
{
	ttid = gettid();
	started = 1;
	while (!go)
		usleep(2000);
	ttid_after = gettid();
	return NULL;
}

/* The last number of "NSpid:" in /proc/self/status: the pid in the innermost namespace. */
static long innermost_nspid(void)
{
	char v[128];
	if (case_status_field("NSpid", v, sizeof(v)) < 0)
		return -1;
	char *last = strrchr(v, '\t') ? strrchr(v, '\t') + 1 : v;
	if (strrchr(last, ' '))
		last = strrchr(last, ' ') + 1;
	return atol(last);
}

static void check_proc_view(pid_t pid)
{
	char buf[256], path[64];
	long n = readlink("/proc/self", buf, sizeof(buf) - 1);
	CASE_CHECK(n > 0);
	buf[n] = 0;
	CASE_CHECK(atol(buf) == pid);
	CASE_CHECK(case_read_file("/proc/self/stat", buf, sizeof(buf)) > 0 && atol(buf) == pid);
	CASE_CHECK(innermost_nspid() == pid);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, ttid);
	CASE_CHECK(case_read_file(path, buf, sizeof(buf)) > 0);
}

int main(void)
{
	pthread_t t;
	pid_t me, kid;
	int st;

	case_init();
	case_block_term();
	me = getpid();
	kid = fork();
	if (kid == 0)
		for (;;)
			pause(); /* until the parent's SIGUSR1; waitpid() then names its pid */
	if (kid < 0 || pthread_create(&t, NULL, worker, NULL))
		case_fail("fork/pthread_create");
	while (!started)
		usleep(1000);
	check_proc_view(me);
	case_ready();
	case_wait();
	CASE_CHECK(getpid() == me);
	check_proc_view(me);
	go = 1;
	pthread_join(t, NULL);
	CASE_CHECK(ttid_after == ttid);
	CASE_CHECK(kill(kid, SIGUSR1) == 0);
	CASE_CHECK(waitpid(kid, &st, 0) == kid);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGUSR1)
		case_fail("child status %#x", st);
	case_pass();
}
