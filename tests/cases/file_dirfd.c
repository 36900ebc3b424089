/* SPDX-License-Identifier: MIT */
/* A directory file descriptor (O_RDONLY|O_DIRECTORY): after restore fstatat() and openat()
 * relative to it work, fstat gives the same inode, and getdents lists the directory. */
#include "caselib.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void cleanup(int dfd)
{
	unlinkat(dfd, "inner", 0);
	unlinkat(dfd, "new", 0);
	rmdir(dir);
}

int main(void)
{
	struct stat before, now, st;
	int dfd, fd, found = 0;
	DIR *d;
	struct dirent *e;

	case_init();
	snprintf(dir, sizeof(dir), "/tmp/ferry-case-dirfd.%d", getpid());
	if (mkdir(dir, 0700))
		case_fail("mkdir");
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	fd = openat(dfd, "inner", O_CREAT | O_WRONLY, 0600);
	if (dfd < 0 || fd < 0 || write(fd, "12345", 5) != 5)
		case_fail("setup");
	close(fd);
	fstat(dfd, &before);
	case_ready();
	case_wait();
	if (fstat(dfd, &now) || now.st_ino != before.st_ino || now.st_dev != before.st_dev)
		goto fail;
	if (fstatat(dfd, "inner", &st, 0) || st.st_size != 5)
		goto fail;
	fd = openat(dfd, "new", O_CREAT | O_WRONLY, 0600);
	if (fd < 0)
		goto fail;
	close(fd);
	d = fdopendir(dup(dfd));
	while (d && (e = readdir(d)))
		found += !strcmp(e->d_name, "inner") || !strcmp(e->d_name, "new");
	if (d)
		closedir(d);
	if (found != 2 || access("/tmp", F_OK))
		goto fail;
	cleanup(dfd);
	case_pass();
fail:
	cleanup(dfd);
	case_fail("directory fd does not work after restore");
}
