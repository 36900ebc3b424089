/* SPDX-License-Identifier: MIT */
/* Refusal: a process holding an eventfd (counter 5, EFD_NONBLOCK) must make `ferry dump` fail;
 * afterwards the original is intact: not traced, same fds, and the counter still reads 5. */
#include "caselib.h"

#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

int main(void)
{
	char tracer[16];
	uint64_t v = 0;
	int fd;

	case_init();
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0 || eventfd_write(fd, 2) || eventfd_write(fd, 3))
		case_fail("eventfd");
	case_ready();
	case_wait();
	CASE_CHECK(case_status_field("TracerPid", tracer, sizeof(tracer)) == 0 && !strcmp(tracer, "0"));
	if (read(fd, &v, 8) != 8 || v != 5)
		case_fail("eventfd counter %llu, want 5", (unsigned long long)v);
	CASE_CHECK(read(fd, &v, 8) == -1); /* EAGAIN: counter now 0, still non-blocking */
	case_pass();
}
