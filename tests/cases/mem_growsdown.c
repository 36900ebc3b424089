/* SPDX-License-Identifier: MIT */
/* A MAP_GROWSDOWN stack area: its pages and the "gd" VmFlag survive, and it still grows down on
 * a touch below its start after restore. */
#include "caselib.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static int has_gd(unsigned long addr)
{
	static char buf[1 << 20];
	char hdr[64], *p;

	if (case_read_file("/proc/self/smaps", buf, sizeof(buf)) < 0)
		return -1;
	snprintf(hdr, sizeof(hdr), "%lx-", addr);
	p = strstr(buf, hdr);
	if (!p || !(p = strstr(p, "VmFlags:")))
		return -1;
	*strchr(p, '\n') = 0;
	return strstr(p, " gd") != NULL;
}

int main(void)
{
	size_t len = 16 * 4096, i;
	unsigned char *a;

	case_init();
	a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
	if (a == MAP_FAILED)
		case_fail("mmap");
	for (i = 0; i < len; i++)
		a[i] = (unsigned char)(i ^ 0xa5);
	CASE_CHECK(has_gd((unsigned long)a) == 1);
	case_ready();
	case_wait();
	CASE_CHECK(has_gd((unsigned long)a) == 1);
	for (i = 0; i < len; i++)
		if (a[i] != (unsigned char)(i ^ 0xa5))
			case_fail("byte %zu", i);
	/* touching the page just below the start grows the area */
	a[-1] = 7;
	CASE_CHECK(a[-1] == 7);
	CASE_CHECK(has_gd((unsigned long)(a - 4096)) == 1);
	case_pass();
}
