/* SPDX-License-Identifier: MIT */
/* Queued real-time signals, process-wide: five SIGRTMIN+2 and three SIGRTMIN+7 with distinct
 * sigqueue() values, plus a standard one; after restore sigwaitinfo returns them all with the same
 * si_signo, si_code, si_value, si_pid, in order (lower signal first, FIFO within one signal). */
#include "caselib.h"

#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct ev {
	int sig, code, val;
};

int main(void)
{
	struct ev want[10], *w = want;
	struct timespec zero = { 0, 0 };
	siginfo_t si;
	sigset_t set;
	int i, n;

	case_init();
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 2);
	sigaddset(&set, SIGRTMIN + 7);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* queued in an interleaved order */
	for (i = 0; i < 5; i++) {
		union sigval v = { .sival_int = 1000 + i * 3 };

		if (sigqueue(getpid(), SIGRTMIN + 7 - (i % 2) * 5, v))
			case_fail("sigqueue");
	}
	for (i = 0; i < 3; i++) {
		union sigval v = { .sival_int = -50 - i };

		sigqueue(getpid(), SIGRTMIN + 2, v);
	}
	kill(getpid(), SIGQUIT);
	*w++ = (struct ev){ SIGQUIT, SI_USER, 0 };
	for (i = 1; i < 5; i += 2)
		*w++ = (struct ev){ SIGRTMIN + 2, SI_QUEUE, 1000 + i * 3 };
	for (i = 0; i < 3; i++)
		*w++ = (struct ev){ SIGRTMIN + 2, SI_QUEUE, -50 - i };
	for (i = 0; i < 5; i += 2)
		*w++ = (struct ev){ SIGRTMIN + 7, SI_QUEUE, 1000 + i * 3 };
	n = (int)(w - want);
	case_ready();
	case_wait();
	for (i = 0; i < n; i++) {
		memset(&si, 0, sizeof(si));
		if (sigtimedwait(&set, &si, &zero) < 0)
			case_fail("event %d (signal %d value %d) lost", i, want[i].sig, want[i].val);
		if (si.si_signo != want[i].sig || si.si_code != want[i].code || si.si_pid != getpid() ||
		    si.si_uid != getuid() || (want[i].code == SI_QUEUE && si.si_value.sival_int != want[i].val))
			case_fail("event %d: got signal %d code %d value %d pid %d, want %d/%d/%d", i,
				  si.si_signo, si.si_code, si.si_value.sival_int, si.si_pid, want[i].sig,
				  want[i].code, want[i].val);
	}
	CASE_CHECK(sigtimedwait(&set, &si, &zero) < 0);
	case_pass();
}
