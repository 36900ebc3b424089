/* SPDX-License-Identifier: MIT */
/* The brk region: sbrk() grows the heap by 3 MiB with a pattern; after restore sbrk(0) is the same,
 * the contents are intact and brk can still grow and shrink. */
#include "caselib.h"

#include <stdint.h>
#include <unistd.h>

#define GROW (3 << 20)

int main(void)
{
	unsigned char *start, *end, *p;
	size_t i;

	case_init();
	start = sbrk(0);
	if (sbrk(GROW) == (void *)-1)
		case_fail("sbrk");
	end = sbrk(0);
	CASE_CHECK(end == start + GROW);
	for (i = 0; i < GROW; i++)
		start[i] = (unsigned char)(i * 13 + (i >> 12));
	case_ready();
	case_wait();
	p = sbrk(0);
	if (p != end)
		case_fail("brk moved: %p != %p", (void *)p, (void *)end);
	for (i = 0; i < GROW; i++)
		if (start[i] != (unsigned char)(i * 13 + (i >> 12)))
			case_fail("byte %zu changed", i);
	if (sbrk(1 << 20) == (void *)-1)
		case_fail("sbrk grow after restore");
	start[GROW + 4096] = 1;
	if (sbrk(-(1 << 20)) == (void *)-1 || sbrk(0) != end)
		case_fail("sbrk shrink after restore");
	case_pass();
}
