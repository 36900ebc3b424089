/* SPDX-License-Identifier: MIT */
/* Refusal: a process that moved itself into its own network and UTS namespaces must make
 * `ferry dump` fail (ferry restores only into the namespaces it runs in); afterwards the
 * original is intact: not traced, still in its namespaces, its hostname unchanged. */
#include "caselib.h"

#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	char host[64];
	struct stat before, after;

	case_init();
	if (unshare(CLONE_NEWNET | CLONE_NEWUTS) < 0)
		case_fail("unshare: need root");
	if (sethostname("ferry-case", 10) < 0 || stat("/proc/self/ns/net", &before) < 0)
		case_fail("sethostname/stat");
	case_ready();
	case_wait();
	CASE_CHECK(case_untraced());
	CASE_CHECK(stat("/proc/self/ns/net", &after) == 0 && after.st_ino == before.st_ino);
	CASE_CHECK(gethostname(host, sizeof(host)) == 0 && !strcmp(host, "ferry-case"));
	case_pass();
}
