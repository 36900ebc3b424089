/* SPDX-License-Identifier: MIT */
/* /dev/zero open O_RDONLY: after restore it is /dev/zero (rdev 1:5), flags unchanged, and reads
 * return zeros. A private mapping of /dev/zero (anonymous memory in disguise) keeps its data. */
#include "caselib.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int main(void)
{
	char buf[4096];
	unsigned char *m;
	struct stat st;
	int fd, fl, i;

	case_init();
	fd = open("/dev/zero", O_RDONLY);
	m = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (fd < 0 || m == MAP_FAILED)
		case_fail("open/mmap");
	memset(m + 4096, 0x6b, 4096);
	fl = fcntl(fd, F_GETFL);
	case_ready();
	case_wait();
	CASE_CHECK(fcntl(fd, F_GETFL) == fl);
	CASE_CHECK(fstat(fd, &st) == 0 && st.st_rdev == makedev(1, 5));
	memset(buf, 1, sizeof(buf));
	CASE_CHECK(read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf));
	for (i = 0; i < (int)sizeof(buf); i++)
		CASE_CHECK(buf[i] == 0);
	for (i = 0; i < 8 * 4096; i++)
		CASE_CHECK(m[i] == (i / 4096 == 1 ? 0x6b : 0));
	case_pass();
}
