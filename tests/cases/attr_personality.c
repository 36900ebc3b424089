/* SPDX-License-Identifier: MIT */
/* Personality flags ADDR_NO_RANDOMIZE | UNAME26 are kept: personality() and /proc/self/personality
 * report them after restore, and uname() still shows the 2.6-style release. */
#include "caselib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/utsname.h>

int main(void)
{
	unsigned long want = PER_LINUX | ADDR_NO_RANDOMIZE | UNAME26;
	struct utsname u;
	char buf[32];

	case_init();
	if (personality(want) < 0)
		case_fail("personality");
	case_ready();
	case_wait();
	if ((unsigned long)personality(0xffffffff) != want)
		case_fail("personality %#x", personality(0xffffffff));
	CASE_CHECK(case_read_file("/proc/self/personality", buf, sizeof(buf)) > 0);
	CASE_CHECK(strtoul(buf, NULL, 16) == want);
	uname(&u);
	if (strncmp(u.release, "2.6.", 4))
		case_fail("UNAME26 lost: release %s", u.release);
	case_pass();
}
