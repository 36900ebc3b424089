/* SPDX-License-Identifier: MIT */
/* A read-only file descriptor at offset 100: after restore it is still O_RDONLY (write fails with
 * EBADF), reads continue at offset 100, and the file is unchanged. */
#include "caselib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char path[64];

static void bail(const char *m)
{
	unlink(path);
	case_fail("%s", m);
}

int main(void)
{
	char buf[256];
	int fd, i;

	case_init();
	snprintf(path, sizeof(path), "/tmp/ferry-case-rdonly.%d", getpid());
	for (i = 0; i < 256; i++)
		buf[i] = (char)i;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0400);
	if (fd < 0 || write(fd, buf, 256) != 256)
		bail("create");
	close(fd);
	fd = open(path, O_RDONLY);
	if (fd < 0 || read(fd, buf, 100) != 100)
		bail("open/read");
	case_ready();
	case_wait();
	if ((fcntl(fd, F_GETFL) & O_ACCMODE) != O_RDONLY)
		bail("not O_RDONLY any more");
	if (write(fd, "x", 1) != -1 || errno != EBADF)
		bail("write on a read-only fd did not fail with EBADF");
	if (read(fd, buf, 10) != 10)
		bail("read");
	for (i = 0; i < 10; i++)
		if (buf[i] != (char)(100 + i))
			bail("read from the wrong offset");
	close(fd);
	unlink(path);
	case_pass();
}
