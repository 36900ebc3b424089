/* SPDX-License-Identifier: MIT */
/* memfd as an fd: (a) sparse content (data at 0 and at 1 MiB, size 1 MiB + 100), offset 777
 * shared with a dup, a separate read-only description with its own offset, seals GROW|SHRINK;
 * (b) a memfd of 5000 bytes also mapped by the parent: after restore a pwrite through the fd shows
 * in the mapping (same object) and the size is exact; (c) a memfd whose fd only the parent holds
 * and only a child maps: the child sees the parent's pwrite; (d) content sealed with F_SEAL_WRITE.
 * Names (readlink), sizes, offsets, seals, holes and bytes are all checked. */
#include "caselib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1 << 20)

static void name_is(int fd, const char *want)
{
	char path[64], link[256];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	link[n < 0 ? 0 : n] = 0;
	if (strcmp(link, want))
		case_fail("fd %d is '%s', want '%s'", fd, link, want);
}

static off_t size_of(int fd)
{
	struct stat st;
	return fstat(fd, &st) ? -1 : st.st_size;
}

int main(void)
{
	int a, a2, ar, b, cfd, d, go[2], st;
	char path[64], buf[64];
	volatile char *bm;
	pid_t kid;

	case_init();
	a = memfd_create("ferry-a", MFD_ALLOW_SEALING);
	b = memfd_create("ferry-b", 0);
	cfd = memfd_create("ferry-c", 0);
	d = memfd_create("ferry-d", MFD_ALLOW_SEALING);
	if (a < 0 || b < 0 || cfd < 0 || d < 0 || pipe(go) || ftruncate(a, MIB + 100) ||
	    pwrite(a, "head", 4, 0) != 4 || pwrite(a, "tail", 4, MIB) != 4 ||
	    fcntl(a, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK) || lseek(a, 777, SEEK_SET) != 777 ||
	    ftruncate(b, 5000) || ftruncate(cfd, 8192) || write(d, "sealed", 6) != 6 ||
	    fcntl(d, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SEAL))
		case_fail("setup");
	a2 = dup(a);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", a);
	ar = open(path, O_RDONLY);
	bm = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, b, 0);
	if (ar < 0 || lseek(ar, 2, SEEK_SET) != 2 || bm == MAP_FAILED)
		case_fail("setup 2");
	memcpy((char *)bm + 10, "via-map", 7);
	if ((kid = fork()) == 0) {
		char c;
		volatile char *cm = mmap(NULL, 8192, PROT_READ, MAP_SHARED, cfd, 0);
		close(cfd);
		if (cm == MAP_FAILED || read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(memcmp((const char *)cm + 4000, "from-parent", 11) ? 3 : 0);
	}
	usleep(50000); /* the child maps and closes its fd */
	case_ready();
	case_wait();
	name_is(a, "/memfd:ferry-a (deleted)");
	name_is(cfd, "/memfd:ferry-c (deleted)");
	CASE_CHECK(size_of(a) == MIB + 100 && size_of(b) == 5000 && size_of(d) == 6);
	CASE_CHECK(fcntl(a, F_GET_SEALS) == (F_SEAL_GROW | F_SEAL_SHRINK));
	CASE_CHECK(fcntl(d, F_GET_SEALS) == (F_SEAL_WRITE | F_SEAL_SEAL));
	CASE_CHECK(lseek(a2, 0, SEEK_CUR) == 777 && lseek(ar, 0, SEEK_CUR) == 2);
	CASE_CHECK(read(a, buf, 3) == 3 && lseek(a2, 0, SEEK_CUR) == 780); /* shared offset */
	CASE_CHECK(lseek(ar, 0, SEEK_CUR) == 2 && (fcntl(ar, F_GETFL) & O_ACCMODE) == O_RDONLY);
	CASE_CHECK(pread(a, buf, 4, 0) == 4 && !memcmp(buf, "head", 4));
	CASE_CHECK(pread(ar, buf, 4, MIB) == 4 && !memcmp(buf, "tail", 4));
	CASE_CHECK(lseek(a, 4096, SEEK_DATA) == MIB); /* the hole is still a hole */
	CASE_CHECK(pwrite(a, "x", 1, MIB + 100) == -1 && errno == EPERM); /* F_SEAL_GROW */
	CASE_CHECK(pread(b, buf, 7, 10) == 7 && !memcmp(buf, "via-map", 7));
	CASE_CHECK(pwrite(b, "via-fd", 6, 100) == 6 &&
		   !memcmp((const char *)bm + 100, "via-fd", 6));
	CASE_CHECK(pread(d, buf, 6, 0) == 6 && !memcmp(buf, "sealed", 6));
	CASE_CHECK(pwrite(d, "x", 1, 0) == -1 && errno == EPERM);
	CASE_CHECK(pwrite(cfd, "from-parent", 11, 4000) == 11 && write(go[1], "g", 1) == 1);
	if (waitpid(kid, &st, 0) != kid || st)
		case_fail("child did not see the parent's write through its mapping (%#x)", st);
	case_pass();
}
