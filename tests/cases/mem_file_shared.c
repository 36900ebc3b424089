/* SPDX-License-Identifier: MIT */
/* A shared file mapping: data written before the dump is in the file; writes after restore reach
 * the file (read back with pread), and file writes show through the mapping. */
#include "caselib.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define LEN (8 * 4096)

static char path[64];

static void bail(const char *what)
{
	unlink(path);
	case_fail("%s", what);
}

int main(void)
{
	unsigned char *m, b[16];
	int fd, i;

	case_init();
	snprintf(path, sizeof(path), "/tmp/ferry-case-fshared.%d", getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, LEN))
		bail("create file");
	m = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		bail("mmap");
	for (i = 0; i < LEN; i++)
		m[i] = (unsigned char)(i % 251);
	case_ready();
	case_wait();
	for (i = 0; i < LEN; i++)
		if (m[i] != (unsigned char)(i % 251))
			bail("mapping content changed");
	memcpy(m + 5000, "after-restore", 13);
	if (pread(fd, b, 13, 5000) != 13 || memcmp(b, "after-restore", 13))
		bail("write through mapping did not reach the file");
	if (pwrite(fd, "via-file", 8, 3 * 4096 + 1) != 8)
		bail("pwrite");
	if (memcmp(m + 3 * 4096 + 1, "via-file", 8))
		bail("file write not visible in the mapping");
	munmap(m, LEN);
	close(fd);
	unlink(path);
	case_pass();
}
