/* SPDX-License-Identifier: MIT */
/* Process name set with prctl(PR_SET_NAME): PR_GET_NAME, /proc/self/comm and the name field of
 * /proc/self/stat all show it after restore. */
#include "caselib.h"

#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

int main(void)
{
	const char *name = "ferry comm-(x)";
	char buf[256], want[64];

	case_init();
	prctl(PR_SET_NAME, name, 0, 0, 0);
	case_ready();
	case_wait();
	prctl(PR_GET_NAME, buf, 0, 0, 0);
	if (strcmp(buf, name))
		case_fail("PR_GET_NAME '%s'", buf);
	case_read_file("/proc/self/comm", buf, sizeof(buf));
	snprintf(want, sizeof(want), "%s\n", name);
	if (strcmp(buf, want))
		case_fail("/proc/self/comm '%s'", buf);
	case_read_file("/proc/self/stat", buf, sizeof(buf));
	snprintf(want, sizeof(want), " (%s) ", name);
	CASE_CHECK(strstr(buf, want) != NULL);
	case_pass();
}
