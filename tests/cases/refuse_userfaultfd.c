/* SPDX-License-Identifier: MIT */
/* Refusal: a userfaultfd (registered ranges and pending faults live in the kernel) must make
 * `ferry dump` refuse; afterwards the original is intact: not traced, and the uffd still answers
 * UFFDIO_REGISTER on a fresh mapping. */
#include "caselib.h"

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	struct uffdio_api api = {.api = UFFD_API};
	struct uffdio_register reg;
	void *m;
	int fd;

	case_init();
	fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fd < 0 || m == MAP_FAILED || ioctl(fd, UFFDIO_API, &api))
		case_fail("userfaultfd");
	case_ready();
	case_wait();
	CASE_CHECK(case_untraced());
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (unsigned long)m;
	reg.range.len = 4096;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	CASE_CHECK(ioctl(fd, UFFDIO_REGISTER, &reg) == 0);
	case_pass();
}
