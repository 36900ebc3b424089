/* SPDX-License-Identifier: MIT */
/* A regular file open O_RDWR at offset 1234 (after reads and a write): after restore the offset,
 * path and flags are the same, reading continues at the offset and writing lands where expected. */
#include "caselib.h"

#include <fcntl.h>
#include <limits.h>
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
	char buf[8192], link[PATH_MAX], fdp[32];
	int fd, i, fl;
	ssize_t n;

	case_init();
	snprintf(path, sizeof(path), "/tmp/ferry-case-offset.%d", getpid());
	for (i = 0; i < (int)sizeof(buf); i++)
		buf[i] = (char)('a' + i % 26);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		bail("create");
	lseek(fd, 1000, SEEK_SET);
	if (read(fd, buf, 200) != 200 || write(fd, "XYZ", 3) != 3 || read(fd, buf, 31) != 31)
		bail("io");
	CASE_CHECK(lseek(fd, 0, SEEK_CUR) == 1234);
	fl = fcntl(fd, F_GETFL);
	case_ready();
	case_wait();
	if (lseek(fd, 0, SEEK_CUR) != 1234)
		bail("offset changed");
	CASE_CHECK(fcntl(fd, F_GETFL) == fl);
	snprintf(fdp, sizeof(fdp), "/proc/self/fd/%d", fd);
	n = readlink(fdp, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	if (strcmp(link, path))
		bail("fd path changed");
	if (read(fd, buf, 4) != 4 || memcmp(buf, "mnop", 4)) /* 1234 % 26 == 12: 'm' */
		bail("read after restore");
	if (write(fd, "QQ", 2) != 2 || pread(fd, buf, 9, 1200) != 9 || memcmp(buf, "XYZ", 3) ||
	    pread(fd, buf, 2, 1238) != 2 || memcmp(buf, "QQ", 2))
		bail("write after restore");
	CASE_CHECK(lseek(fd, 0, SEEK_CUR) == 1240 && lseek(fd, 0, SEEK_END) == 8192);
	close(fd);
	unlink(path);
	case_pass();
}
