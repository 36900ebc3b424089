/* SPDX-License-Identifier: MIT */
/* Zombies: one child exited with status 7, another was killed by SIGUSR1; neither is reaped
 * before the dump. After restore both are still zombies (state Z) and waitpid returns status 7
 * and "killed by SIGUSR1". */
#include "caselib.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char state_of(pid_t p)
{
	char path[64], buf[512], *s;

	snprintf(path, sizeof(path), "/proc/%d/stat", p);
	if (case_read_file(path, buf, sizeof(buf)) <= 0 || !(s = strrchr(buf, ')')))
		return '?';
	return s[2];
}

int main(void)
{
	pid_t a, b;
	siginfo_t si;
	int st;

	case_init();
	if ((a = fork()) == 0)
		_exit(7);
	if ((b = fork()) == 0) {
		pause();
		_exit(1);
	}
	kill(b, SIGUSR1);
	/* wait until both are zombies, without reaping them */
	if (waitid(P_PID, a, &si, WEXITED | WNOWAIT) || waitid(P_PID, b, &si, WEXITED | WNOWAIT))
		case_fail("waitid");
	case_ready();
	case_wait();
	if (state_of(a) != 'Z' || state_of(b) != 'Z')
		case_fail("states %c %c, want zombies", state_of(a), state_of(b));
	if (waitpid(a, &st, 0) != a || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
		case_fail("zombie a: status %#x", st);
	if (waitpid(b, &st, 0) != b || !WIFSIGNALED(st) || WTERMSIG(st) != SIGUSR1)
		case_fail("zombie b: status %#x", st);
	case_pass();
}
