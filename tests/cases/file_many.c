/* SPDX-License-Identifier: MIT */
/* Many fds: 200 regular-file fds at scattered numbers (3..~1000) over 10 files, each with its own
 * offset; after restore every fd number exists, names the right file, and has its offset. */
#include "caselib.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NF 10
#define NFD 200

static char paths[NF][64];

static void cleanup(void)
{
	for (int i = 0; i < NF; i++)
		unlink(paths[i]);
}

int main(void)
{
	int fdno[NFD], i;
	char link[PATH_MAX], p[32];
	ssize_t n;

	case_init();
	for (i = 0; i < NF; i++) {
		int fd;

		snprintf(paths[i], sizeof(paths[i]), "/tmp/ferry-case-many.%d.%d", getpid(), i);
		fd = open(paths[i], O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || ftruncate(fd, 4096)) {
			cleanup();
			case_fail("create");
		}
		close(fd);
	}
	for (i = 0; i < NFD; i++) {
		int fd = open(paths[i % NF], i % 2 ? O_RDONLY : O_RDWR);

		fdno[i] = 3 + (i * 397) % 1000; /* distinct: 397 and 1000 are coprime */
		if (fd < 0 || dup2(fd, fdno[i]) != fdno[i]) {
			cleanup();
			case_fail("open/dup2 %d", i);
		}
		if (fd != fdno[i])
			close(fd);
		lseek(fdno[i], i * 7, SEEK_SET);
	}
	case_ready();
	case_wait();
	for (i = 0; i < NFD; i++) {
		snprintf(p, sizeof(p), "/proc/self/fd/%d", fdno[i]);
		n = readlink(p, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = 0;
		if (strcmp(link, paths[i % NF])) {
			cleanup();
			case_fail("fd %d names '%s', want '%s'", fdno[i], link, paths[i % NF]);
		}
		if (lseek(fdno[i], 0, SEEK_CUR) != i * 7) {
			cleanup();
			case_fail("fd %d offset", fdno[i]);
		}
		if ((fcntl(fdno[i], F_GETFL) & O_ACCMODE) != (i % 2 ? O_RDONLY : O_RDWR)) {
			cleanup();
			case_fail("fd %d access mode", fdno[i]);
		}
	}
	cleanup();
	case_pass();
}
