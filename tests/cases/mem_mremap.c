/* SPDX-License-Identifier: MIT */
/* Areas changed by mremap: one moved to a fixed new address, one grown in place, one shrunk;
 * after restore each sits at the same address with the same size and data. */
#include "caselib.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define PG 4096UL

static char maps[1 << 18];

static int has_area(void *start, unsigned long len)
{
	char hdr[64];

	if (case_read_file("/proc/self/maps", maps, sizeof(maps)) < 0)
		return 0;
	snprintf(hdr, sizeof(hdr), "\n%lx-%lx ", (unsigned long)start, (unsigned long)start + len);
	return strstr(maps, hdr) != NULL;
}

int main(void)
{
	unsigned char *res, *a, *b, *c, *moved;
	unsigned long i;

	case_init();
	/* reserve a window, then work inside it so addresses are predictable */
	res = mmap(NULL, 64 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		case_fail("mmap");
	munmap(res, 64 * PG);
	a = mmap(res, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	b = mmap(res + 10 * PG, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	c = mmap(res + 20 * PG, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (a == MAP_FAILED || b == MAP_FAILED || c == MAP_FAILED)
		case_fail("mmap fixed");
	memset(a, 0xa1, 4 * PG);
	memset(b, 0xb2, 2 * PG);
	memset(c, 0xc3, 8 * PG);
	moved = mremap(a, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, res + 40 * PG);
	if (moved != res + 40 * PG)
		case_fail("mremap move");
	if (mremap(b, 2 * PG, 6 * PG, 0) != b)
		case_fail("mremap grow");
	memset(b + 2 * PG, 0xb3, 4 * PG);
	if (mremap(c, 8 * PG, 3 * PG, 0) != c)
		case_fail("mremap shrink");
	case_ready();
	case_wait();
	CASE_CHECK(has_area(moved, 4 * PG));
	CASE_CHECK(has_area(b, 6 * PG));
	CASE_CHECK(has_area(c, 3 * PG));
	CASE_CHECK(!has_area(a, 4 * PG));
	for (i = 0; i < 4 * PG; i++)
		CASE_CHECK(moved[i] == 0xa1);
	for (i = 0; i < 6 * PG; i++)
		CASE_CHECK(b[i] == (i < 2 * PG ? 0xb2 : 0xb3));
	for (i = 0; i < 3 * PG; i++)
		CASE_CHECK(c[i] == 0xc3);
	/* the moved area can move again */
	CASE_CHECK(mremap(moved, 4 * PG, 8 * PG, MREMAP_MAYMOVE) != MAP_FAILED);
	case_pass();
}
