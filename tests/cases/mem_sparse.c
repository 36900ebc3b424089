/* SPDX-License-Identifier: MIT */
/* A large sparse mapping: 1 GiB reserved, a few scattered pages touched. The touched pages keep
 * their data, untouched pages read as zero, and RSS of the area stays small after restore. */
#include "caselib.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define GIB (1UL << 30)
#define NT 37

static char smaps[1 << 20];

static long area_rss_kb(unsigned long addr)
{
	char hdr[64], *p;
	long kb = -1;

	if (case_read_file("/proc/self/smaps", smaps, sizeof(smaps)) < 0)
		return -1;
	snprintf(hdr, sizeof(hdr), "\n%lx-", addr);
	if ((p = strstr(smaps, hdr)) && (p = strstr(p, "\nRss:")))
		sscanf(p, "\nRss: %ld", &kb);
	return kb;
}

int main(void)
{
	unsigned char *a;
	unsigned long off[NT];
	int i;

	case_init();
	a = mmap(NULL, GIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (a == MAP_FAILED)
		case_fail("mmap");
	for (i = 0; i < NT; i++) {
		off[i] = ((unsigned long)i * 28657UL * 4096UL + (unsigned long)i * 97) % GIB;
		a[off[i]] = (unsigned char)(i + 1);
		a[off[i] | 4095] = (unsigned char)(0xff - i);
	}
	case_ready();
	case_wait();
	for (i = 0; i < NT; i++) {
		CASE_CHECK(a[off[i]] == (unsigned char)(i + 1));
		CASE_CHECK(a[off[i] | 4095] == (unsigned char)(0xff - i));
	}
	/* untouched pages: zero, and reading them does not matter for RSS below (zero page) */
	CASE_CHECK(a[GIB - 1] == 0 && a[GIB / 2 + 12345] == 0);
	if (area_rss_kb((unsigned long)a) > 4 * NT * 2 + 1024)
		case_fail("area RSS %ld KiB: untouched pages were populated", area_rss_kb((unsigned long)a));
	munmap(a, GIB);
	case_pass();
}
