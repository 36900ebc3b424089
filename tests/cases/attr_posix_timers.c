/* SPDX-License-Identifier: MIT */
/* POSIX timers: one on CLOCK_MONOTONIC (SIGRTMIN+2, value 111, 1.2 s then every 0.3 s) and one on
 * CLOCK_REALTIME (SIGUSR1, value 222, one-shot 0.9 s). After restore the same timer ids work,
 * /proc/self/timers is identical, the remaining times are sane, and both fire with their si_value. */
#include "caselib.h"

#include <signal.h>
#include <string.h>
#include <time.h>

static char tbefore[4096], tnow[4096];

static long long ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000LL + t->tv_nsec;
}

int main(void)
{
	struct itimerspec set[2] = { { { 0, 300000000 }, { 1, 200000000 } }, { { 0, 0 }, { 0, 900000000 } } },
			  before[2], now;
	struct sigevent sev[2];
	struct timespec to = { 3, 0 };
	timer_t id[2];
	sigset_t set_;
	siginfo_t si;
	int i, got[2] = { 0, 0 };

	case_init();
	sigemptyset(&set_);
	sigaddset(&set_, SIGRTMIN + 2);
	sigaddset(&set_, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set_, NULL);
	memset(sev, 0, sizeof(sev));
	sev[0].sigev_notify = sev[1].sigev_notify = SIGEV_SIGNAL;
	sev[0].sigev_signo = SIGRTMIN + 2;
	sev[0].sigev_value.sival_int = 111;
	sev[1].sigev_signo = SIGUSR1;
	sev[1].sigev_value.sival_int = 222;
	if (timer_create(CLOCK_MONOTONIC, &sev[0], &id[0]) || timer_create(CLOCK_REALTIME, &sev[1], &id[1]))
		case_fail("timer_create");
	for (i = 0; i < 2; i++)
		timer_settime(id[i], 0, &set[i], NULL);
	for (i = 0; i < 2; i++)
		timer_gettime(id[i], &before[i]);
	case_read_file("/proc/self/timers", tbefore, sizeof(tbefore));
	case_ready();
	case_wait();
	case_read_file("/proc/self/timers", tnow, sizeof(tnow));
	if (strcmp(tbefore, tnow))
		case_fail("/proc/self/timers:\n%s--- before:\n%s", tnow, tbefore);
	for (i = 0; i < 2; i++) {
		if (timer_gettime(id[i], &now))
			case_fail("timer %d (id %ld) gone", i, (long)(size_t)id[i]);
		if (ns(&now.it_interval) != ns(&set[i].it_interval))
			case_fail("timer %d interval changed", i);
		if (ns(&now.it_value) > ns(&before[i].it_value))
			case_fail("timer %d remaining grew: %lld > %lld ns", i, ns(&now.it_value),
				  ns(&before[i].it_value));
	}
	while (!got[0] || !got[1]) {
		if (sigtimedwait(&set_, &si, &to) < 0)
			case_fail("timer signals: monotonic %d realtime %d", got[0], got[1]);
		i = si.si_signo == SIGUSR1;
		if (si.si_code != SI_TIMER || si.si_value.sival_int != (i ? 222 : 111))
			case_fail("signal %d code %d value %d", si.si_signo, si.si_code, si.si_value.sival_int);
		got[i]++;
	}
	for (i = 0; i < 2; i++)
		timer_delete(id[i]);
	case_pass();
}
