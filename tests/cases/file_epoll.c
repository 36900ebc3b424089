/* SPDX-License-Identifier: MIT */
/* epoll: one set shared by parent and child, with registrations made by both: a pipe read end
 * (level), an eventfd (edge-triggered, 64-bit data), an armed one-shot timerfd, the pipe's write
 * end (EPOLLOUT), an eventfd dup'd to fd 100, and a pipe only the child holds. After restore the
 * registrations listed in fdinfo (fd, events, data) are identical, epoll_wait reports exactly the
 * expected events and data, the edge-triggered one only once, and the child still sees the set;
 * a registered pidfd of the child reports the child's exit. */
#include "caselib.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

static int ep;

static void reg(int fd, uint32_t ev, uint64_t data)
{
	struct epoll_event e = {.events = ev, .data.u64 = data};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e))
		case_fail("epoll_ctl fd %d", fd);
}

/* The "tfd: events: data:" triples of the set, sorted, as text. */
static void regs(char *out, size_t n)
{
	char path[64], buf[8192], lines[16][96];
	int k = 0;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ep);
	if (case_read_file(path, buf, sizeof(buf)) <= 0)
		case_fail("fdinfo");
	for (char *l = strstr(buf, "tfd:"); l && k < 16; l = strstr(l + 1, "tfd:")) {
		int tfd;
		unsigned ev;
		unsigned long long data;
		if (sscanf(l, "tfd: %d events: %x data: %llx", &tfd, &ev, &data) != 3)
			case_fail("fdinfo line");
		snprintf(lines[k++], sizeof(lines[0]), "%04d %08x %016llx;", tfd, ev, data);
	}
	qsort(lines, k, sizeof(lines[0]), (int (*)(const void *, const void *))strcmp);
	out[0] = 0;
	for (int i = 0; i < k; i++)
		strncat(out, lines[i], n - strlen(out) - 1);
}

/* Sorted "data:events" of one epoll_wait(0). */
static void ready(char *out, size_t n)
{
	struct epoll_event ev[16];
	char items[16][48];
	int k = epoll_wait(ep, ev, 16, 0);
	for (int i = 0; i < k; i++)
		snprintf(items[i], sizeof(items[0]), "%llx:%x;", (unsigned long long)ev[i].data.u64,
			 ev[i].events);
	qsort(items, k < 0 ? 0 : k, sizeof(items[0]), (int (*)(const void *, const void *))strcmp);
	out[0] = 0;
	for (int i = 0; i < k; i++)
		strncat(out, items[i], n - strlen(out) - 1);
}

int main(void)
{
	int p[2], kp[2], go[2], ok[2], efd, efd2, tfd, pfd, st;
	char before[1024], after[1024], r1[512], r2[512];
	struct itimerspec its = {{0, 0}, {30, 0}};
	pid_t kid;

	case_init();
	ep = epoll_create1(0);
	efd = eventfd(1, EFD_NONBLOCK);
	efd2 = eventfd(1, EFD_NONBLOCK);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	if (ep < 0 || efd < 0 || efd2 < 0 || tfd < 0 || pipe(p) || pipe(kp) || pipe(go) ||
	    pipe(ok) || timerfd_settime(tfd, 0, &its, NULL) || write(p[1], "x", 1) != 1 ||
	    write(kp[1], "y", 1) != 1 || dup2(efd2, 100) != 100)
		case_fail("setup");
	close(efd2);
	reg(p[0], EPOLLIN, 0x1111);
	reg(efd, EPOLLIN | EPOLLET, 0xdeadbeefcafef00dULL);
	reg(tfd, EPOLLIN | EPOLLONESHOT, 0x7777);
	reg(p[1], EPOLLOUT, 0x2222);
	reg(100, EPOLLIN | EPOLLRDHUP, 100);
	if ((kid = fork()) == 0) {
		struct epoll_event ev;
		char c;
		close(kp[1]);
		reg(kp[0], EPOLLIN, 0x3333);
		if (write(ok[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(2);
		/* the set is still the one shared with the parent, with our registration */
		ev.events = EPOLLIN;
		_exit(epoll_ctl(ep, EPOLL_CTL_MOD, kp[0], &ev) == 0 ? 0 : 3);
	}
	close(kp[0]);
	pfd = syscall(SYS_pidfd_open, kid, 0);
	if (pfd < 0)
		case_fail("pidfd_open");
	reg(pfd, EPOLLIN, 0x5555);
	char c;
	if (read(ok[0], &c, 1) != 1)
		case_fail("child");
	regs(before, sizeof(before));
	case_ready();
	case_wait();
	regs(after, sizeof(after));
	if (strcmp(before, after))
		case_fail("registrations were\n%s\nnow\n%s", before, after);
	ready(r1, sizeof(r1));
	const char *want1 = "1111:1;2222:4;3333:1;64:1;deadbeefcafef00d:1;";
	if (strcmp(r1, want1))
		case_fail("first epoll_wait: '%s', want '%s'", r1, want1);
	ready(r2, sizeof(r2));
	const char *want2 = "1111:1;2222:4;3333:1;64:1;"; /* edge-triggered: only once */
	if (strcmp(r2, want2))
		case_fail("second epoll_wait: '%s', want '%s'", r2, want2);
	if (write(go[1], "g", 1) != 1 || waitpid(kid, &st, 0) != kid || st)
		case_fail("child status %#x", st);
	ready(r2, sizeof(r2));
	if (!strstr(r2, "5555:1")) /* EPOLLIN, with EPOLLHUP once reaped */
		case_fail("the registered pidfd did not report the child's exit: '%s'", r2);
	case_pass();
}
