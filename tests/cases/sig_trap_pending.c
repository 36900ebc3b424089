/* SPDX-License-Identifier: MIT */
/* A blocked, pending SIGTRAP sent by the process itself survives: ferry's batched remote syscalls
 * stop at an int3 and unblock SIGTRAP while they run, so a pending one must neither be taken for
 * the batch's own nor be lost. After restore sigtimedwait returns it with si_code SI_USER and our
 * pid, and its handler is the one installed. */
#include "caselib.h"

#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void on_trap(int sig)
{
	(void)sig;
}

int main(void)
{
	struct timespec zero = {0, 0};
	struct sigaction sa, cur;
	siginfo_t si;
	sigset_t set;

	case_init();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_trap;
	sigaction(SIGTRAP, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGTRAP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	kill(getpid(), SIGTRAP);
	case_ready();
	case_wait();
	if (sigaction(SIGTRAP, NULL, &cur) || cur.sa_handler != on_trap)
		case_fail("SIGTRAP handler changed");
	memset(&si, 0, sizeof(si));
	if (sigtimedwait(&set, &si, &zero) != SIGTRAP)
		case_fail("pending SIGTRAP lost");
	if (si.si_code != SI_USER || si.si_pid != getpid())
		case_fail("SIGTRAP info code %d pid %d", si.si_code, si.si_pid);
	CASE_CHECK(sigtimedwait(&set, &si, &zero) < 0);
	case_pass();
}
