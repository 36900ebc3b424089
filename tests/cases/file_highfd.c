/* SPDX-License-Identifier: MIT */
/* A high fd number: a file open on fd 1000 (and nothing but 0, 1, 2 besides). After restore fd 1000
 * works at its offset and /proc/self/fd lists exactly the same fd numbers as before: nothing was
 * left behind by the dumper or the restorer. */
#include "caselib.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "0 1 2 1000 " (ascending, as /proc lists them), without the fd used for listing */
static void fdset(char *out, size_t size)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	size_t len = 0;

	out[0] = 0;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d) && len + 16 < size)
			len += (size_t)snprintf(out + len, size - len, "%s ", e->d_name);
	if (d)
		closedir(d);
}

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
	fdset(before, sizeof(before));
	case_ready();
	case_wait();
	unlink(path);
	fdset(now, sizeof(now));
	if (strcmp(now, before))
		case_fail("open fds are '%s', were '%s'", now, before);
	CASE_CHECK(read(1000, &c, 1) == 1 && c == '4');
	case_pass();
}
