/* SPDX-License-Identifier: MIT */
/* signalfd: a non-blocking signalfd for SIGUSR1, signal 33 and SIGRTMIN+5 with a SIGUSR1 pending
 * (blocked) reads that signal after restore, then EAGAIN; a blocking one for SIGUSR2 keeps its
 * mask and flags (both checked through /proc/self/fdinfo and F_GETFL). */
#include "caselib.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

static void mask_of(int fd, char *out, size_t n)
{
	char path[64], buf[1024], *m;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	out[0] = 0;
	if (case_read_file(path, buf, sizeof(buf)) > 0 && (m = strstr(buf, "sigmask:")))
		snprintf(out, n, "%.25s", m);
}

int main(void)
{
	sigset_t s1, s2;
	struct signalfd_siginfo si;
	char m1[64], m2[64], a1[64], a2[64];
	uint64_t raw;
	int f1, f2;

	case_init();
	sigemptyset(&s1);
	sigaddset(&s1, SIGUSR1);
	sigaddset(&s1, SIGRTMIN + 5);
	raw = 0;
	memcpy(&raw, &s1, 8);
	raw |= 1ULL << 32; /* signal 33: glibc's sigaddset refuses it */
	memcpy(&s1, &raw, 8);
	sigemptyset(&s2);
	sigaddset(&s2, SIGUSR2);
	sigprocmask(SIG_BLOCK, &s1, NULL);
	sigprocmask(SIG_BLOCK, &s2, NULL);
	f1 = signalfd(-1, &s1, SFD_NONBLOCK);
	f2 = signalfd(-1, &s2, SFD_CLOEXEC);
	if (f1 < 0 || f2 < 0 || raise(SIGUSR1))
		case_fail("signalfd");
	mask_of(f1, m1, sizeof(m1));
	mask_of(f2, m2, sizeof(m2));
	case_ready();
	case_wait();
	mask_of(f1, a1, sizeof(a1));
	mask_of(f2, a2, sizeof(a2));
	if (strcmp(m1, a1) || strcmp(m2, a2) || !m1[0])
		case_fail("masks were '%s' '%s', now '%s' '%s'", m1, m2, a1, a2);
	CASE_CHECK((fcntl(f1, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) == (O_RDWR | O_NONBLOCK));
	CASE_CHECK((fcntl(f2, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) == O_RDWR);
	CASE_CHECK(fcntl(f2, F_GETFD) & FD_CLOEXEC);
	if (read(f1, &si, sizeof(si)) != sizeof(si) || si.ssi_signo != SIGUSR1)
		case_fail("pending SIGUSR1 not read through the signalfd");
	CASE_CHECK(read(f1, &si, sizeof(si)) == -1 && errno == EAGAIN);
	CASE_CHECK(raise(SIGUSR2) == 0 && read(f2, &si, sizeof(si)) == sizeof(si) &&
		   si.ssi_signo == SIGUSR2);
	case_pass();
}
