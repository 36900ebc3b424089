/* SPDX-License-Identifier: MIT */
/* reaper CMD [ARG...]: run CMD as a child subreaper and reap everything that gets re-parented to
 * us, so orphans of dumped/killed trees never linger as zombies holding their PIDs (PID 1 on the
 * test machines reaps late; KERNEL-FACTS.md "Environment quirks"). Exits with CMD's status. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t forward_sig;

static void on_sig(int sig)
{
	forward_sig = sig;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	int status, ret = 127;
	pid_t cmd, p;

	if (argc < 2) {
		fprintf(stderr, "usage: reaper CMD [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) {
		perror("reaper: PR_SET_CHILD_SUBREAPER");
		return 1;
	}
	cmd = fork();
	if (cmd < 0) {
		perror("reaper: fork");
		return 1;
	}
	if (cmd == 0) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "reaper: exec %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	/* pass SIGINT/SIGTERM/SIGHUP on to the command so ^C stops the harness, not just us */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	for (;;) {
		p = waitpid(-1, &status, 0);
		if (p < 0 && errno == EINTR) {
			if (forward_sig)
				kill(cmd, forward_sig);
			forward_sig = 0;
			continue;
		}
		if (p < 0)
			break; /* ECHILD: the command and every adopted orphan are gone */
		if (p == cmd) {
			ret = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			/* don't wait for orphans still running (that would hang a harness on a leaked
			 * process): reap what is already dead and leave */
			while (waitpid(-1, &status, WNOHANG) > 0)
				;
			break;
		}
	}
	return ret;
}
