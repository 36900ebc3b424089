/* SPDX-License-Identifier: MIT */
/* dumpable = 0 (root can still dump it): PR_GET_DUMPABLE is 0 after restore, and /proc/self files
 * are owned by root as the kernel does for non-dumpable processes. */
#include "caselib.h"

#include <sys/prctl.h>
#include <sys/stat.h>

int main(void)
{
	struct stat st;

	case_init();
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		case_fail("PR_SET_DUMPABLE");
	case_ready();
	case_wait();
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		case_fail("dumpable is %d", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	CASE_CHECK(stat("/proc/self/status", &st) == 0 && st.st_uid == 0);
	case_pass();
}
