/* SPDX-License-Identifier: MIT */
/* /dev/urandom open O_RDONLY|O_CLOEXEC: after restore it is still /dev/urandom (rdev 1:9), the
 * flags are the same, and reads return data that is not all zero and differs between reads. */
#include "caselib.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int main(void)
{
	unsigned char a[64], b[64], zero[64] = { 0 };
	struct stat st;
	int fd, fl, fdfl;

	case_init();
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, a, 16) != 16)
		case_fail("open");
	fl = fcntl(fd, F_GETFL);
	fdfl = fcntl(fd, F_GETFD);
	case_ready();
	case_wait();
	CASE_CHECK(fcntl(fd, F_GETFL) == fl && fcntl(fd, F_GETFD) == fdfl && (fdfl & FD_CLOEXEC));
	CASE_CHECK(fstat(fd, &st) == 0 && st.st_rdev == makedev(1, 9));
	CASE_CHECK(read(fd, a, 64) == 64 && read(fd, b, 64) == 64);
	CASE_CHECK(memcmp(a, zero, 64) && memcmp(b, zero, 64) && memcmp(a, b, 64));
	case_pass();
}
