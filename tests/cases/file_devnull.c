/* SPDX-License-Identifier: MIT */
/* /dev/null open O_RDWR on fd 5 and O_WRONLY|O_APPEND elsewhere: after restore both name
 * /dev/null (same rdev), keep their flags, reads give EOF and writes succeed. */
#include "caselib.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int main(void)
{
	char link[64];
	struct stat st;
	int a, b, fla, flb;
	ssize_t n;

	case_init();
	a = open("/dev/null", O_RDWR);
	if (a < 0 || dup2(a, 5) != 5)
		case_fail("open");
	close(a);
	b = open("/dev/null", O_WRONLY | O_APPEND);
	fla = fcntl(5, F_GETFL);
	flb = fcntl(b, F_GETFL);
	case_ready();
	case_wait();
	CASE_CHECK(fcntl(5, F_GETFL) == fla && fcntl(b, F_GETFL) == flb);
	n = readlink("/proc/self/fd/5", link, sizeof(link) - 1);
	CASE_CHECK(n == 9 && !memcmp(link, "/dev/null", 9));
	CASE_CHECK(fstat(5, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
	CASE_CHECK(fstat(b, &st) == 0 && st.st_rdev == makedev(1, 3));
	CASE_CHECK(read(5, link, sizeof(link)) == 0);
	CASE_CHECK(write(5, "x", 1) == 1 && write(b, "yy", 2) == 2);
	case_pass();
}
