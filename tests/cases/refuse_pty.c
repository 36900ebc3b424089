/* SPDX-License-Identifier: MIT */
/* Refusal: a pseudo-terminal pair that is not the shell-job terminal. The process opens a master
 * (posix_openpt, /dev/ptmx) and its slave (/dev/pts/N); pty pairs are not restored, so `ferry
 * dump` must refuse naming the pid, the fd and the pseudo-terminal; afterwards the original is
 * intact: not traced, and bytes written to the slave still arrive at the master. Built with
 * SLAVE_FIRST (refuse_pty_slave.c), the slave is moved to fd 3 so it is the one refused. */
#include "caselib.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	char buf[16];

	case_init();
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m))
		case_fail("posix_openpt");
	int s = open(ptsname(m), O_RDWR | O_NOCTTY);
	if (s < 0)
		case_fail("open %s", ptsname(m));
#ifdef SLAVE_FIRST
	int t = dup(m); /* master to fd 5, slave to fd 3 */
	if (t != 5 || dup2(s, 3) != 3 || close(4))
		case_fail("moving the fds");
	m = 5;
	s = 3;
#endif
	case_ready();
	case_wait();
	CASE_CHECK(case_untraced());
	CASE_CHECK(write(s, "hi\n", 3) == 3);
	struct pollfd p = {.fd = m, .events = POLLIN};
	CASE_CHECK(poll(&p, 1, 1000) == 1 && read(m, buf, sizeof(buf)) > 0);
	case_pass();
}
