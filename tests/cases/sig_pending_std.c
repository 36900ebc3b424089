/* SPDX-License-Identifier: MIT */
/* Blocked, pending standard signals (process-wide via kill(), and a SIGCHLD from a child that
 * exited with status 3): after restore sigtimedwait returns each with the same si_signo, si_code,
 * si_pid, si_uid (and si_status for SIGCHLD), and /proc/self/status ShdPnd is unchanged. */
#include "caselib.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const int sigs[] = { SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD };

int main(void)
{
	char shd_before[32], shd_after[32];
	struct timespec zero = { 0, 0 };
	siginfo_t si;
	sigset_t set;
	pid_t child;
	unsigned i;

	case_init();
	sigemptyset(&set);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (i = 0; i < 4; i++)
		kill(getpid(), sigs[i]);
	child = fork();
	if (child == 0)
		_exit(3);
	/* wait until the SIGCHLD is pending, without reaping */
	while (sigpending(&set), !sigismember(&set, SIGCHLD))
		usleep(1000);
	case_status_field("ShdPnd", shd_before, sizeof(shd_before));
	case_ready();
	case_wait();
	case_status_field("ShdPnd", shd_after, sizeof(shd_after));
	if (strcmp(shd_before, shd_after))
		case_fail("ShdPnd %s != %s", shd_after, shd_before);
	sigemptyset(&set);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		/* standard signals come out lowest number first */
		memset(&si, 0, sizeof(si));
		if (sigtimedwait(&set, &si, &zero) < 0)
			case_fail("signal #%u lost", i);
		sigdelset(&set, si.si_signo);
		if (si.si_signo == SIGCHLD) {
			if (si.si_code != CLD_EXITED || si.si_pid != child || si.si_status != 3)
				case_fail("SIGCHLD info code %d pid %d status %d", si.si_code, si.si_pid, si.si_status);
		} else if (si.si_code != SI_USER || si.si_pid != getpid() || si.si_uid != getuid()) {
			case_fail("signal %d: code %d pid %d uid %d", si.si_signo, si.si_code, si.si_pid, si.si_uid);
		}
	}
	CASE_CHECK(sigtimedwait(&set, &si, &zero) < 0);
	CASE_CHECK(waitpid(child, NULL, 0) == child);
	case_pass();
}
