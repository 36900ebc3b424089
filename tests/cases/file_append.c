/* SPDX-License-Identifier: MIT */
/* An O_APPEND file descriptor: after restore F_GETFL still has O_APPEND and writes go to the end of
 * the file even after lseek(0) and after another writer extended the file. */
#include "caselib.h"

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
	char buf[64];
	int fd, other;

	case_init();
	snprintf(path, sizeof(path), "/tmp/ferry-case-append.%d", getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	if (fd < 0 || write(fd, "one,", 4) != 4)
		bail("create");
	lseek(fd, 1, SEEK_SET);
	case_ready();
	case_wait();
	if (!(fcntl(fd, F_GETFL) & O_APPEND) || (fcntl(fd, F_GETFL) & O_ACCMODE) != O_WRONLY)
		bail("flags lost");
	other = open(path, O_WRONLY);
	if (other < 0 || pwrite(other, "two,", 4, 4) != 4)
		bail("other writer");
	close(other);
	lseek(fd, 0, SEEK_SET);
	if (write(fd, "three", 5) != 5)
		bail("write");
	other = open(path, O_RDONLY);
	memset(buf, 0, sizeof(buf));
	if (read(other, buf, sizeof(buf) - 1) != 13 || strcmp(buf, "one,two,three"))
		bail("content");
	close(other);
	close(fd);
	unlink(path);
	case_pass();
}
