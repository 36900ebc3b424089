/* SPDX-License-Identifier: MIT */
/* Interval timers: ITIMER_REAL (1.5 s, interval 0.5 s), ITIMER_VIRTUAL (0.2 s CPU, interval 0.1 s)
 * and ITIMER_PROF (0.25 s CPU, interval 0.15 s). After restore each remaining value is > 0 and <=
 * what it was before, intervals are unchanged, and all three signals still fire. */
#include "caselib.h"

#include <signal.h>
#include <string.h>
#include <sys/time.h>

static volatile int fired[3];
static const int which[3] = { ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF };
static const int sigs[3] = { SIGALRM, SIGVTALRM, SIGPROF };

static void on_sig(int sig)
{
	for (int i = 0; i < 3; i++)
		if (sig == sigs[i])
			fired[i]++;
}

static long us(const struct timeval *tv)
{
	return tv->tv_sec * 1000000L + tv->tv_usec;
}

int main(void)
{
	struct itimerval set[3] = { { { 0, 500000 }, { 1, 500000 } },
				    { { 0, 100000 }, { 0, 200000 } },
				    { { 0, 150000 }, { 0, 250000 } } },
			 before[3], now;
	struct sigaction sa;
	long long t0;
	int i;

	case_init();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < 3; i++) {
		sigaction(sigs[i], &sa, NULL);
		if (setitimer(which[i], &set[i], NULL))
			case_fail("setitimer %d", i);
	}
	for (i = 0; i < 3; i++)
		getitimer(which[i], &before[i]);
	case_ready();
	case_wait();
	for (i = 0; i < 3; i++) {
		getitimer(which[i], &now);
		if (us(&now.it_interval) != us(&set[i].it_interval))
			case_fail("timer %d interval %ld us", i, us(&now.it_interval));
		/* REAL may have fired already if dump+restore took long; then it restarted from the
		 * interval. VIRTUAL/PROF only count CPU time, which we did not use; but the kernel
		 * adds one tick to every setitimer() of a CPU timer (set_cpu_itimer: "+= TICK_NSEC"),
		 * so a restorer that cannot learn HZ may add a tick per restore: allow 20 ms. */
		long slack = which[i] == ITIMER_REAL ? 0 : 20000;

		if (fired[i] == 0 &&
		    (us(&now.it_value) <= 0 || us(&now.it_value) > us(&before[i].it_value) + slack))
			case_fail("timer %d remaining %ld us, before %ld us", i, us(&now.it_value),
				  us(&before[i].it_value));
	}
	/* burn CPU until all three fired (REAL needs at most 1.5 s of wall time) */
	t0 = case_now_ms();
	while ((!fired[0] || !fired[1] || !fired[2]) && case_now_ms() - t0 < 3000)
		;
	if (!fired[0] || !fired[1] || !fired[2])
		case_fail("fired: real %d virtual %d prof %d", fired[0], fired[1], fired[2]);
	case_pass();
}
