/* SPDX-License-Identifier: MIT */
/* no_new_privs: set with PR_SET_NO_NEW_PRIVS; PR_GET_NO_NEW_PRIVS and NoNewPrivs in
 * /proc/self/status still say 1 after restore (it can never be cleared, so it must not get lost). */
#include "caselib.h"

#include <string.h>
#include <sys/prctl.h>

int main(void)
{
	char v[16];

	case_init();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		case_fail("PR_SET_NO_NEW_PRIVS");
	case_ready();
	case_wait();
	CASE_CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1);
	CASE_CHECK(case_status_field("NoNewPrivs", v, sizeof(v)) == 0 && !strcmp(v, "1"));
	case_pass();
}
