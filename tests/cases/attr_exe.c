/* SPDX-License-Identifier: MIT */
/* The executable link: readlink(/proc/self/exe) identical after restore, and it names the same
 * file (dev/inode) as before. */
#include "caselib.h"

#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	char before[PATH_MAX], now[PATH_MAX];
	struct stat sb, sn;
	ssize_t n, m;

	case_init();
	n = readlink("/proc/self/exe", before, sizeof(before));
	CASE_CHECK(n > 0 && stat("/proc/self/exe", &sb) == 0);
	case_ready();
	case_wait();
	m = readlink("/proc/self/exe", now, sizeof(now));
	if (m != n || memcmp(before, now, (size_t)n))
		case_fail("exe '%.*s' != '%.*s'", (int)m, now, (int)n, before);
	CASE_CHECK(stat("/proc/self/exe", &sn) == 0 && sn.st_dev == sb.st_dev && sn.st_ino == sb.st_ino);
	case_pass();
}
