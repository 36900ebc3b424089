/* SPDX-License-Identifier: MIT */
/* Refusal: an epoll registration whose fd number was closed (the file lives on through a dup)
 * cannot be re-made by number, so `ferry dump` must refuse; the original is intact afterwards:
 * not traced, and the registration still reports the pipe's data. */
#include "caselib.h"

#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

int main(void)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42};
	int p[2], ep;

	case_init();
	ep = epoll_create1(0);
	if (ep < 0 || pipe(p) || epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) || dup2(p[0], 20) != 20 ||
	    close(p[0]) || write(p[1], "x", 1) != 1)
		case_fail("setup");
	case_ready();
	case_wait();
	CASE_CHECK(case_untraced());
	CASE_CHECK(epoll_wait(ep, &ev, 1, 0) == 1 && ev.data.u64 == 42 && ev.events == EPOLLIN);
	case_pass();
}
