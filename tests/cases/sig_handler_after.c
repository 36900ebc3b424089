/* SPDX-License-Identifier: MIT */
/* Handlers run after restore for signals sent after restore: an SA_SIGINFO handler gets the
 * sigqueue() value and sender pid, a plain handler interrupts a sleep with EINTR (no SA_RESTART),
 * and a handler blocked during another (sa_mask) is delivered afterwards. */
#include "caselib.h"

#include <errno.h>
#include <signal.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

static volatile int got_val, got_pid, order[4], norder, alarmed;

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	got_val = si->si_value.sival_int;
	got_pid = si->si_pid;
	order[norder++] = sig;
	raise(SIGUSR2); /* blocked by sa_mask: runs after this handler returns */
	order[norder++] = -sig;
}

static void on_usr2(int sig)
{
	order[norder++] = sig;
}

static void on_alrm(int sig)
{
	alarmed = 1;
}

int main(void)
{
	struct sigaction sa;
	struct timespec ts = { 5, 0 };

	case_init();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_rt;
	sa.sa_flags = SA_SIGINFO;
	sigaddset(&sa.sa_mask, SIGUSR2);
	sigaction(SIGRTMIN + 1, &sa, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_handler = on_alrm;
	sigaction(SIGALRM, &sa, NULL);
	case_ready();
	case_wait();
	sigqueue(getpid(), SIGRTMIN + 1, (union sigval){ .sival_int = 4242 });
	CASE_CHECK(got_val == 4242 && got_pid == getpid());
	CASE_CHECK(norder == 3 && order[0] == SIGRTMIN + 1 && order[1] == -(SIGRTMIN + 1) &&
		   order[2] == SIGUSR2);
	alarm(1);
	if (nanosleep(&ts, NULL) != -1 || errno != EINTR || !alarmed)
		case_fail("SIGALRM did not interrupt nanosleep");
	case_pass();
}
