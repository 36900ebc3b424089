/* SPDX-License-Identifier: MIT */
/* Refusal: a file lease (F_SETLEASE) cannot be taken again by another process, so `ferry dump`
 * must refuse naming it; afterwards the original is intact: not traced, and F_GETLEASE still
 * reports the read lease. */
#include "caselib.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	char path[64];
	int fd, ok;

	case_init();
	snprintf(path, sizeof(path), "/tmp/ferry-case-lease.%d", getpid());
	close(open(path, O_CREAT | O_WRONLY, 0600));
	fd = open(path, O_RDONLY);
	if (fd < 0 || fcntl(fd, F_SETLEASE, F_RDLCK)) {
		unlink(path);
		case_fail("lease");
	}
	case_ready();
	case_wait();
	ok = case_untraced() && fcntl(fd, F_GETLEASE) == F_RDLCK;
	unlink(path);
	if (!ok)
		case_fail("traced, or the lease is gone");
	case_pass();
}
