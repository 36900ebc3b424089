/* SPDX-License-Identifier: MIT */
/* timerfd: a relative CLOCK_MONOTONIC timer (30 s, interval 2.5 s, non-blocking) keeps its
 * interval and a remaining time within [30 s - time since arming - 50 ms, 30 s] (time between dump
 * and restore does not count); a fired one-shot has exactly 1 unread expiration and is disarmed;
 * an absolute CLOCK_REALTIME timer with TFD_TIMER_CANCEL_ON_SET keeps its wall-clock deadline
 * (within 50 ms) and its flags; a CLOCK_BOOTTIME timer keeps its clock; a disarmed blocking one
 * stays disarmed and blocking; a periodic 1 ms timer that expired unread (0 remaining) keeps
 * ticking. Clock ids and flags are read back from /proc/self/fdinfo. */
#include "caselib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MS 1000000LL

static int64_t ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000LL + t->tv_nsec;
}

static int64_t now(clockid_t c)
{
	struct timespec t;
	clock_gettime(c, &t);
	return ns(&t);
}

static void fdinfo_has(int fd, const char *want)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (case_read_file(path, buf, sizeof(buf)) <= 0 || !strstr(buf, want))
		case_fail("fd %d: fdinfo lacks '%s':\n%s", fd, want, buf);
}

int main(void)
{
	struct itimerspec rel = {{2, 500000000}, {30, 0}}, shot = {{0, 0}, {0, 1000000}}, g;
	struct itimerspec abs = {{0, 0}, {0, 0}}, boot = {{1, 0}, {40, 0}};
	int64_t t0, deadline;
	uint64_t ticks;
	struct itimerspec per = {{0, 1000000}, {0, 1000000}};
	int a, b, c, d, e, f;

	case_init();
	a = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	b = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	c = timerfd_create(CLOCK_REALTIME, 0);
	d = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK);
	e = timerfd_create(CLOCK_MONOTONIC, 0);
	f = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	deadline = now(CLOCK_REALTIME) + 50000 * MS;
	abs.it_value.tv_sec = deadline / 1000000000LL;
	abs.it_value.tv_nsec = deadline % 1000000000LL;
	t0 = now(CLOCK_MONOTONIC);
	if (a < 0 || b < 0 || c < 0 || d < 0 || e < 0 || timerfd_settime(a, 0, &rel, NULL) ||
	    timerfd_settime(b, 0, &shot, NULL) ||
	    timerfd_settime(c, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &abs, NULL) ||
	    timerfd_settime(d, 0, &boot, NULL) || f < 0 || timerfd_settime(f, 0, &per, NULL))
		case_fail("timerfd");
	usleep(20000); /* b fires */
	case_ready();
	case_wait();
	CASE_CHECK(timerfd_gettime(a, &g) == 0);
	if (ns(&g.it_interval) != 2500 * MS || ns(&g.it_value) > 30000 * MS ||
	    ns(&g.it_value) < 30000 * MS - (now(CLOCK_MONOTONIC) - t0) - 50 * MS)
		case_fail("relative timer: value %lld ns, interval %lld ns",
			  (long long)ns(&g.it_value), (long long)ns(&g.it_interval));
	fdinfo_has(a, "clockid: 1");
	CASE_CHECK((fcntl(a, F_GETFL) & O_NONBLOCK) && !(fcntl(e, F_GETFL) & O_NONBLOCK));
	if (read(b, &ticks, 8) != 8 || ticks != 1)
		case_fail("one-shot: %llu unread expirations, want 1", (unsigned long long)ticks);
	CASE_CHECK(read(b, &ticks, 8) == -1 && errno == EAGAIN);
	CASE_CHECK(timerfd_gettime(b, &g) == 0 && ns(&g.it_value) == 0 && ns(&g.it_interval) == 0);
	CASE_CHECK(timerfd_gettime(c, &g) == 0);
	int64_t left = deadline - now(CLOCK_REALTIME);
	if (ns(&g.it_value) > left + 50 * MS || ns(&g.it_value) < left - 50 * MS)
		case_fail("absolute timer: %lld ns left, want %lld", (long long)ns(&g.it_value),
			  (long long)left);
	fdinfo_has(c, "clockid: 0");
	fdinfo_has(c, "settime flags: 03");
	CASE_CHECK(timerfd_gettime(d, &g) == 0 && ns(&g.it_interval) == 1000 * MS &&
		   ns(&g.it_value) > 0 && ns(&g.it_value) <= 40000 * MS);
	fdinfo_has(d, "clockid: 7");
	CASE_CHECK(timerfd_gettime(e, &g) == 0 && ns(&g.it_value) == 0);
	CASE_CHECK(read(f, &ticks, 8) == 8 && ticks >= 1);
	usleep(20000);
	CASE_CHECK(read(f, &ticks, 8) == 8 && ticks >= 1); /* still periodic */
	case_pass();
}
