/* SPDX-License-Identifier: MIT */
/* Refusal: /dev/kmsg (a character device with a per-reader position in the kernel log) is not one
 * of the basic devices, so `ferry dump` must refuse; afterwards the original is intact: not
 * traced, and the fd still reads a log record. */
#include "caselib.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	char rec[8192];
	int fd;

	case_init();
	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		case_fail("open /dev/kmsg");
	case_ready();
	case_wait();
	CASE_CHECK(case_untraced());
	CASE_CHECK(read(fd, rec, sizeof(rec)) > 0);
	case_pass();
}
