/* SPDX-License-Identifier: MIT */
/* A private file mapping of a file created in /tmp: pages modified before the dump keep our data,
 * untouched pages still show the file's content, and the file itself is never written. */
#include "caselib.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NPG 16
#define PG 4096

static char path[64];

static void cleanup_fail(const char *what)
{
	unlink(path);
	case_fail("%s", what);
}

int main(void)
{
	static unsigned char buf[NPG * PG];
	unsigned char *m;
	int fd, i, j;

	case_init();
	snprintf(path, sizeof(path), "/tmp/ferry-case-fpriv.%d", getpid());
	for (i = 0; i < NPG * PG; i++)
		buf[i] = (unsigned char)(i / PG + 0x30);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		cleanup_fail("create file");
	m = mmap(NULL, NPG * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		cleanup_fail("mmap");
	for (i = 0; i < NPG; i += 3) /* modify every third page */
		memset(m + i * PG, 0xe0 + i, PG);
	for (i = 1; i < NPG; i += 3) /* read (fault in, unmodified) some others */
		(void)*(volatile unsigned char *)(m + i * PG);
	case_ready();
	case_wait();
	for (i = 0; i < NPG; i++)
		for (j = 0; j < PG; j++) {
			unsigned char want = i % 3 == 0 ? (unsigned char)(0xe0 + i) : (unsigned char)(i + 0x30);
			if (m[i * PG + j] != want) {
				unlink(path);
				case_fail("page %d byte %d: %02x != %02x", i, j, m[i * PG + j], want);
			}
		}
	fd = open(path, O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		cleanup_fail("reread file");
	close(fd);
	for (i = 0; i < NPG * PG; i++)
		if (buf[i] != (unsigned char)(i / PG + 0x30))
			cleanup_fail("file content changed by a private mapping");
	munmap(m, NPG * PG);
	unlink(path);
	case_pass();
}
