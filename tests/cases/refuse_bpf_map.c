/* SPDX-License-Identifier: MIT */
/* Refusal: a BPF map fd must make `ferry dump` refuse; afterwards the original is intact: not
 * traced, and the value stored in the map is still there. */
#include "caselib.h"

#include <linux/bpf.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long bpf(int cmd, union bpf_attr *a)
{
	return syscall(SYS_bpf, cmd, a, sizeof(*a));
}

static int elem(int cmd, int fd, uint32_t key, uint64_t *val)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_fd = fd;
	a.key = (uintptr_t)&key;
	a.value = (uintptr_t)val;
	return bpf(cmd, &a);
}

int main(void)
{
	union bpf_attr a;
	uint64_t v = 0x1234567890ULL;
	int fd;

	case_init();
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 8;
	a.max_entries = 2;
	fd = bpf(BPF_MAP_CREATE, &a);
	if (fd < 0 || elem(BPF_MAP_UPDATE_ELEM, fd, 1, &v))
		case_fail("bpf map");
	case_ready();
	case_wait();
	CASE_CHECK(case_untraced());
	v = 0;
	CASE_CHECK(elem(BPF_MAP_LOOKUP_ELEM, fd, 1, &v) == 0 && v == 0x1234567890ULL);
	case_pass();
}
