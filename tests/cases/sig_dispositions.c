/* SPDX-License-Identifier: MIT */
/* Signal dispositions for every signal 1..64 but SIGKILL/SIGSTOP/SIGTERM (used by the harness) and
 * glibc's reserved 32/33: handler / SIG_IGN / SIG_DFL with varied SA_* flags and masks; sigaction()
 * must return identical handler, flags, mask and restorer after restore; SA_RESETHAND still resets. */
#include "caselib.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile int hits[65];

static void h1(int sig)
{
	hits[sig]++;
}

static void h2(int sig, siginfo_t *si, void *uc)
{
	hits[sig] += 10;
}

static int skip(int sig)
{
	return sig == SIGKILL || sig == SIGSTOP || sig == SIGTERM || sig == 32 || sig == 33;
}

static const int flagsets[] = { 0, SA_SIGINFO, SA_RESTART, SA_ONSTACK | SA_SIGINFO, SA_NODEFER,
				SA_RESETHAND, SA_RESTART | SA_NODEFER | SA_SIGINFO,
				SA_RESETHAND | SA_ONSTACK | SA_RESTART };

static int same(const struct sigaction *a, const struct sigaction *b)
{
	int s;

	if (a->sa_handler != b->sa_handler || a->sa_flags != b->sa_flags ||
	    a->sa_restorer != b->sa_restorer)
		return 0;
	for (s = 1; s < 65; s++)
		if (sigismember(&a->sa_mask, s) != sigismember(&b->sa_mask, s))
			return 0;
	return 1;
}

int main(void)
{
	static struct sigaction before[65];
	struct sigaction sa, cur;
	int sig, s;

	case_init();
	for (sig = 1; sig < 65; sig++) {
		if (skip(sig))
			continue;
		memset(&sa, 0, sizeof(sa));
		sa.sa_flags = flagsets[sig % 8];
		if (sig % 5 == 3)
			sa.sa_handler = SIG_IGN;
		else if (sig % 7 == 6)
			sa.sa_handler = SIG_DFL;
		else if (sa.sa_flags & SA_SIGINFO)
			sa.sa_sigaction = h2;
		else
			sa.sa_handler = h1;
		sigemptyset(&sa.sa_mask);
		for (s = 1; s < 65; s++)
			if (!skip(s) && (s * 7 + sig) % 5 == 0)
				sigaddset(&sa.sa_mask, s);
		if (sigaction(sig, &sa, NULL))
			case_fail("sigaction(%d)", sig);
	}
	/* a SA_RESETHAND handler for SIGUSR1 (10 % 8 == 2 is SA_RESTART; set it explicitly) */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h1;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigaction(SIGUSR1, &sa, NULL);
	for (sig = 1; sig < 65; sig++)
		if (!skip(sig) || sig == SIGTERM)
			sigaction(sig, NULL, &before[sig]);
	case_ready();
	case_wait();
	for (sig = 1; sig < 65; sig++) {
		if (skip(sig) && sig != SIGTERM)
			continue;
		sigaction(sig, NULL, &cur);
		if (!same(&cur, &before[sig]))
			case_fail("signal %d: handler %p/%p flags %#x/%#x restorer %p/%p or mask differ", sig,
				  (void *)cur.sa_handler, (void *)before[sig].sa_handler, cur.sa_flags,
				  before[sig].sa_flags, (void *)cur.sa_restorer,
				  (void *)before[sig].sa_restorer);
	}
	raise(SIGUSR1);
	CASE_CHECK(hits[SIGUSR1] == 1);
	sigaction(SIGUSR1, NULL, &cur);
	CASE_CHECK(cur.sa_handler == SIG_DFL);
	/* a SA_SIGINFO handler and an ignored signal still behave */
	raise(SIGRTMIN + 3); /* 37: 37 % 8 == 5 SA_RESETHAND, 37 % 5 == 2 handler h1 */
	CASE_CHECK(hits[SIGRTMIN + 3] == 1);
	raise(SIGURG); /* 23: 23 % 5 == 3: SIG_IGN */
	CASE_CHECK(hits[SIGURG] == 0);
	case_pass();
}
