/* SPDX-License-Identifier: MIT */
/* Credentials: supplementary groups {5,6,7,1234}, real/effective/saved gids 1001/1002/1003 and
 * uids 1001/1002/1003 (fsuid/fsgid follow the effective ids); all identical after restore. */
#include "caselib.h"

#include <grp.h>
#include <sys/fsuid.h>
#include <unistd.h>

int main(void)
{
	gid_t groups[] = { 5, 6, 7, 1234 }, got[16];
	uid_t r, e, s;
	gid_t gr, ge, gs;
	int n, i;

	case_init();
	if (setgroups(4, groups) || setresgid(1001, 1002, 1003) || setresuid(1001, 1002, 1003))
		case_fail("set credentials (not root?)");
	case_ready();
	case_wait();
	if (getresuid(&r, &e, &s) || r != 1001 || e != 1002 || s != 1003)
		case_fail("uids %d/%d/%d", r, e, s);
	if (getresgid(&gr, &ge, &gs) || gr != 1001 || ge != 1002 || gs != 1003)
		case_fail("gids %d/%d/%d", gr, ge, gs);
	CASE_CHECK(setfsuid((uid_t)-1) == 1002);
	CASE_CHECK(setfsgid((gid_t)-1) == 1002);
	n = getgroups(16, got);
	if (n != 4)
		case_fail("%d supplementary groups", n);
	for (i = 0; i < 4; i++)
		CASE_CHECK(got[i] == groups[i]);
	case_pass();
}
