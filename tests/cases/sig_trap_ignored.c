/* SPDX-License-Identifier: MIT */
/* An ignored SIGTRAP stays ignored: ferry's batched remote syscalls stop at an int3, whose
 * SIGTRAP would reset an ignored action to the default, so the dump and the restore must not
 * batch through it. After restore SIGTRAP is still SIG_IGN with its flags, and raising it does
 * nothing. */
#include "caselib.h"

#include <signal.h>
#include <string.h>

int main(void)
{
	struct sigaction sa, cur;

	case_init();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGTRAP, &sa, NULL))
		case_fail("sigaction(SIGTRAP)");
	case_ready();
	case_wait();
	if (sigaction(SIGTRAP, NULL, &cur))
		case_fail("sigaction(SIGTRAP) after restore");
	if (cur.sa_handler != SIG_IGN)
		case_fail("SIGTRAP is no longer ignored (handler %p)", (void *)cur.sa_handler);
	if (!(cur.sa_flags & SA_RESTART))
		case_fail("SIGTRAP flags %#x lost SA_RESTART", cur.sa_flags);
	raise(SIGTRAP); /* ignored: nothing happens */
	case_pass();
}
