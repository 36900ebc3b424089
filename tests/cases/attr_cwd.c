/* SPDX-License-Identifier: MIT */
/* Current directory: a directory created under /tmp (with a space in its name); after restore
 * getcwd() and stat(".") (dev/inode) are the same, and relative paths resolve in it. */
#include "caselib.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	char dir[128], sub[160], cwd[PATH_MAX];
	struct stat before, now;
	int fd;

	case_init();
	snprintf(dir, sizeof(dir), "/tmp/ferry-case-cwd.%d", getpid());
	snprintf(sub, sizeof(sub), "%s/sub dir", dir);
	if (mkdir(dir, 0700) || mkdir(sub, 0700) || chdir(sub))
		case_fail("mkdir/chdir");
	fd = open("marker", O_CREAT | O_WRONLY, 0600);
	close(fd);
	stat(".", &before);
	case_ready();
	case_wait();
	if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, sub))
		case_fail("cwd '%s' != '%s'", cwd, sub);
	stat(".", &now);
	CASE_CHECK(now.st_dev == before.st_dev && now.st_ino == before.st_ino);
	CASE_CHECK(access("marker", F_OK) == 0);
	unlink("marker");
	chdir("/");
	rmdir(sub);
	rmdir(dir);
	case_pass();
}
