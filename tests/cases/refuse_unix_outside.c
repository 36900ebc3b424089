/* SPDX-License-Identifier: MIT */
/* Refusal: a UNIX stream socket connected to a process outside the dumped tree (a double-forked
 * peer in its own session). The dump must refuse naming that process's PID (refusal: in the
 * .desc); afterwards the original is intact: not traced, same fds, and the connection still
 * carries data both ways. */
#include "caselib.h"

#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	char buf[16];
	int sv[2];

	case_init();
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		case_fail("socketpair: %m");
	pid_t mid = fork();
	if (mid == 0) {
		if (fork() == 0) {
			/* the outside peer: echo until EOF, end itself after 60 s at most */
			setsid();
			alarm(60);
			close(sv[0]);
			ssize_t n;
			while ((n = recv(sv[1], buf, sizeof(buf), 0)) > 0)
				if (send(sv[1], buf, n, 0) != n)
					break;
			_exit(0);
		}
		_exit(0);
	}
	waitpid(mid, NULL, 0);
	close(sv[1]);
	case_ready_wait_same_fds();
	CASE_CHECK(case_untraced());
	if (send(sv[0], "echo", 4, 0) != 4 || recv(sv[0], buf, sizeof(buf), 0) != 4 ||
	    memcmp(buf, "echo", 4))
		case_fail("connection broken");
	case_pass();
}
