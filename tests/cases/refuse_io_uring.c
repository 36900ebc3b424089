/* SPDX-License-Identifier: MIT */
/* Refusal: an io_uring instance (in-flight state has no kernel interface to save it) must make
 * `ferry dump` refuse; afterwards the original is intact: not traced, and io_uring_enter() on
 * the ring still works. */
#include "caselib.h"

#include <linux/io_uring.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	struct io_uring_params p;
	int fd;

	case_init();
	memset(&p, 0, sizeof(p));
	fd = syscall(SYS_io_uring_setup, 4, &p);
	if (fd < 0)
		case_fail("io_uring_setup");
	case_ready();
	case_wait();
	CASE_CHECK(case_untraced());
	CASE_CHECK(syscall(SYS_io_uring_enter, fd, 0, 0, 0, NULL, 0) == 0);
	case_pass();
}
