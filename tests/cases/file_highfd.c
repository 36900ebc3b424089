/* SPDX-License-Identifier: MIT */
/* A high fd number: a file open on fd 1000 (and nothing but 0, 1, 2 besides). After restore fd 1000
 * works at its offset and /proc/self/fd lists exactly the same fd numbers as before: nothing was
 * left behind by the dumper or the restorer. */
#include "caselib.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "0 1 2 1000 " (ascending, as /proc lists them), without the fd used for listing */
int main(void)
{
	char path[64], c;
	char before[4096], now[4096];
	int fd;

	case_init();
	snprintf(path, sizeof(path), "/tmp/ferry-case-highfd.%d", getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "0123456789", 10) != 10 || dup2(fd, 1000) != 1000) {
		unlink(path);
		case_fail("setup");
	}
	close(fd);
	lseek(1000, 4, SEEK_SET);
	case_fd_list(before, sizeof(before));
	case_ready();
	case_wait();
	unlink(path);
	case_fd_list(now, sizeof(now));
	if (strcmp(now, before))
		case_fail("open fds are '%s', were '%s'", now, before);
	CASE_CHECK(read(1000, &c, 1) == 1 && c == '4');
	case_pass();
}
