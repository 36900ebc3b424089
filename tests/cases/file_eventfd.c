/* SPDX-License-Identifier: MIT */
/* eventfd: counters 5 (non-blocking), 3 in semaphore mode (blocking), 0, and one above 2^32 come
 * back exactly with their flags; an eventfd shared with a child blocked in read() on it at the
 * dump wakes the child when the parent writes after restore. */
#include "caselib.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define HUGE_COUNT 0xfffffffffffff000ULL

static int readable(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	return poll(&p, 1, 0) == 1;
}

int main(void)
{
	uint64_t v = 0;
	int a, sem, zero, huge, shared, st;
	pid_t kid;

	case_init();
	a = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	sem = eventfd(3, EFD_SEMAPHORE);
	zero = eventfd(0, EFD_NONBLOCK);
	huge = eventfd(0, EFD_NONBLOCK);
	shared = eventfd(0, 0);
	if (a < 0 || sem < 0 || zero < 0 || huge < 0 || shared < 0 || eventfd_write(a, 2) ||
	    eventfd_write(a, 3) || eventfd_write(huge, HUGE_COUNT))
		case_fail("eventfd");
	if ((kid = fork()) == 0)
		_exit(read(shared, &v, 8) == 8 && v == 7 ? 0 : 1);
	case_ready();
	case_wait();
	CASE_CHECK((fcntl(a, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) == (O_RDWR | O_NONBLOCK));
	CASE_CHECK((fcntl(a, F_GETFD) & FD_CLOEXEC) && !(fcntl(sem, F_GETFD) & FD_CLOEXEC));
	CASE_CHECK((fcntl(sem, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) == O_RDWR);
	if (read(a, &v, 8) != 8 || v != 5)
		case_fail("eventfd counter %llu, want 5", (unsigned long long)v);
	CASE_CHECK(read(a, &v, 8) == -1 && errno == EAGAIN);
	for (int i = 0; i < 3; i++)
		if (read(sem, &v, 8) != 8 || v != 1)
			case_fail("semaphore read %d gave %llu", i, (unsigned long long)v);
	CASE_CHECK(!readable(sem));
	CASE_CHECK(read(zero, &v, 8) == -1 && errno == EAGAIN);
	CASE_CHECK(read(huge, &v, 8) == 8 && v == HUGE_COUNT);
	CASE_CHECK(eventfd_write(shared, 7) == 0);
	if (waitpid(kid, &st, 0) != kid || st)
		case_fail("child blocked in read() did not get 7 (status %#x)", st);
	case_pass();
}
