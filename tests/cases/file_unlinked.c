/* SPDX-License-Identifier: MIT */
/* A file deleted while open (mode 0640, owner 1234:5678, 10000 bytes at 0 then a hole then
 * "end" at 1 MiB) held through three open file descriptions: read-write at offset 12345 shared
 * with a dup and a child, write-only O_APPEND, read-only at 7. After restore: still unlinked,
 * in the same directory, same size, mode, owner, bytes, hole, offsets and flags; the child's read
 * moves the parent's offset; an O_APPEND write lands at the end. Also a file on tmpfs (/dev/shm)
 * and O_PATH fds of a directory and of that file keep their identity and flags. */
#include "caselib.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1 << 20)

static char path[64], shm[64];

static void bail(const char *m)
{
	unlink(path);
	unlink(shm);
	case_fail("%s", m);
}

int main(void)
{
	static char buf[10000];
	int rw, dupfd, app, ro, tfs, pdir, pfile, go[2], st;
	struct stat s, ts0, ts1;
	char link[256], fdp[64], c;
	pid_t kid;

	case_init();
	snprintf(path, sizeof(path), "/tmp/ferry-case-unl.%d", getpid());
	snprintf(shm, sizeof(shm), "/dev/shm/ferry-case-tmpfs.%d", getpid());
	for (int i = 0; i < 10000; i++)
		buf[i] = (char)(i * 31);
	rw = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	app = open(path, O_WRONLY | O_APPEND);
	ro = open(path, O_RDONLY);
	tfs = open(shm, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (rw < 0 || app < 0 || ro < 0 || tfs < 0 || pipe(go) || write(rw, buf, 10000) != 10000 ||
	    pwrite(rw, "end", 3, MIB) != 3 || fchmod(rw, 0640) || fchown(rw, 1234, 5678) ||
	    write(tfs, "tmpfs-data", 10) != 10 || unlink(path))
		bail("setup");
	dupfd = dup(rw);
	lseek(rw, 12345, SEEK_SET);
	lseek(ro, 7, SEEK_SET);
	pdir = open("/tmp", O_PATH | O_DIRECTORY);
	pfile = open(shm, O_PATH);
	if (pdir < 0 || pfile < 0 || fstat(pfile, &ts0))
		bail("O_PATH");
	if ((kid = fork()) == 0) {
		if (read(go[0], &c, 1) != 1 || read(rw, &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	case_ready();
	case_wait();
	if (fstat(rw, &s) || s.st_nlink != 0 || s.st_size != MIB + 3 ||
	    (s.st_mode & 07777) != 0640 || s.st_uid != 1234 || s.st_gid != 5678)
		bail("size, links, mode or owner changed");
	snprintf(fdp, sizeof(fdp), "/proc/self/fd/%d", rw);
	ssize_t n = readlink(fdp, link, sizeof(link) - 1);
	link[n < 0 ? 0 : n] = 0;
	if (strncmp(link, "/tmp/", 5) || !strstr(link, " (deleted)"))
		bail("not an unlinked file in /tmp any more");
	if (lseek(rw, 0, SEEK_CUR) != 12345 || lseek(dupfd, 0, SEEK_CUR) != 12345 ||
	    lseek(ro, 0, SEEK_CUR) != 7)
		bail("offsets changed");
	if ((fcntl(app, F_GETFL) & (O_ACCMODE | O_APPEND)) != (O_WRONLY | O_APPEND) ||
	    (fcntl(ro, F_GETFL) & O_ACCMODE) != O_RDONLY ||
	    (fcntl(rw, F_GETFL) & O_ACCMODE) != O_RDWR)
		bail("flags changed");
	static char got[10000];
	if (pread(ro, got, 10000, 0) != 10000 || memcmp(got, buf, 10000) ||
	    pread(rw, got, 3, MIB) != 3 || memcmp(got, "end", 3))
		bail("content changed");
	if (lseek(ro, 16384, SEEK_DATA) != MIB)
		bail("the hole was filled");
	if (write(go[1], "g", 1) != 1 || waitpid(kid, &st, 0) != kid || st ||
	    lseek(rw, 0, SEEK_CUR) != 12346)
		bail("child's read did not move the shared offset");
	if (write(app, "++", 2) != 2 || fstat(rw, &s) || s.st_size != MIB + 5)
		bail("O_APPEND write did not append");
	if (pread(tfs, got, 10, 0) != 10 || memcmp(got, "tmpfs-data", 10) ||
	    lseek(tfs, 0, SEEK_CUR) != 10)
		bail("tmpfs file");
	if (fstat(pfile, &ts1) || ts1.st_ino != ts0.st_ino || !(fcntl(pfile, F_GETFL) & O_PATH) ||
	    !(fcntl(pdir, F_GETFL) & O_PATH) || faccessat(pdir, ".", F_OK, 0))
		bail("O_PATH fds");
	unlink(shm);
	case_pass();
}
