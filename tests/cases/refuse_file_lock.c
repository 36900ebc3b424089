/* SPDX-License-Identifier: MIT */
/* Refusal: a process holding an flock() lock and a POSIX record lock must make `ferry dump` refuse
 * (file locks are not restored); afterwards the original is intact: not traced, and both locks are
 * still held (a second open file description cannot take either). */
#include "caselib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static char p1[64], p2[64];

static void bail(const char *m)
{
	unlink(p1);
	unlink(p2);
	case_fail("%s", m);
}

int main(void)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 20};
	char tracer[16];
	int a, b, a2, b2;

	case_init();
	snprintf(p1, sizeof(p1), "/tmp/ferry-case-flock.%d", getpid());
	snprintf(p2, sizeof(p2), "/tmp/ferry-case-posix.%d", getpid());
	a = open(p1, O_RDWR | O_CREAT, 0600);
	b = open(p2, O_RDWR | O_CREAT, 0600);
	if (a < 0 || b < 0 || flock(a, LOCK_EX) || fcntl(b, F_SETLK, &fl))
		bail("locks");
	case_ready();
	case_wait();
	if (case_status_field("TracerPid", tracer, sizeof(tracer)) || strcmp(tracer, "0"))
		bail("still traced");
	a2 = open(p1, O_RDWR);
	b2 = open(p2, O_RDWR);
	if (flock(a2, LOCK_EX | LOCK_NB) == 0 || errno != EWOULDBLOCK)
		bail("flock lock lost");
	fl.l_pid = 0;
	if (fcntl(b2, F_OFD_GETLK, &fl) || fl.l_type != F_WRLCK || fl.l_pid != getpid())
		bail("POSIX lock lost");
	unlink(p1);
	unlink(p2);
	case_pass();
}
