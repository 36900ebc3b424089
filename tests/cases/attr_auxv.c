/* SPDX-License-Identifier: MIT */
/* The auxiliary vector: /proc/self/auxv byte-identical after restore; getauxval(AT_PAGESZ) is
 * 4096 and AT_RANDOM points at the same 16 bytes; AT_SYSINFO_EHDR and AT_PHDR unchanged. */
#include "caselib.h"

#include <string.h>
#include <sys/auxv.h>

static char before[4096], now[4096];

int main(void)
{
	unsigned char rnd[16];
	unsigned long r, ehdr, phdr;
	long n, m;

	case_init();
	n = case_read_file("/proc/self/auxv", before, sizeof(before));
	r = getauxval(AT_RANDOM);
	ehdr = getauxval(AT_SYSINFO_EHDR);
	phdr = getauxval(AT_PHDR);
	CASE_CHECK(n > 0 && r != 0);
	memcpy(rnd, (void *)r, 16);
	case_ready();
	case_wait();
	m = case_read_file("/proc/self/auxv", now, sizeof(now));
	if (m != n || memcmp(before, now, (size_t)n))
		case_fail("/proc/self/auxv differs");
	CASE_CHECK(getauxval(AT_PAGESZ) == 4096);
	CASE_CHECK(getauxval(AT_RANDOM) == r && !memcmp((void *)r, rnd, 16));
	CASE_CHECK(getauxval(AT_SYSINFO_EHDR) == ehdr && getauxval(AT_PHDR) == phdr);
	case_pass();
}
