/* SPDX-License-Identifier: MIT */
/* Shared helpers of the state-checking cases: ready/wait/pass/fail protocol with the harness. */
#include "caselib.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_term(int sig)
{
	(void)sig;
	stop_requested = 1;
}

void case_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
}

void case_ready(void)
{
	printf("ready\n");
	fflush(stdout);
}

void case_wait(void)
{
	sigset_t mask, old;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sigdelset(&old, SIGTERM);
	while (!stop_requested)
		sigsuspend(&old);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
}

int case_stop_requested(void)
{
	return stop_requested;
}

void case_pass(void)
{
	printf("PASS\n");
	fflush(stdout);
	exit(0);
}

void case_fail(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}
