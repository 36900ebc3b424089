/* SPDX-License-Identifier: MIT */
/* A PROT_NONE guard page with data behind it: pages are written, then mprotect'ed to PROT_NONE;
 * after restore the protection is still none (maps "---p"), and after mprotect back to read the
 * data is intact. */
#include "caselib.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static int perms_of(unsigned long addr, char out[5])
{
	static char buf[1 << 18];
	char hdr[64], *p;

	if (case_read_file("/proc/self/maps", buf, sizeof(buf)) < 0)
		return -1;
	snprintf(hdr, sizeof(hdr), "\n%lx-", addr);
	p = strstr(buf, hdr);
	if (!p || !(p = strchr(p, ' ')))
		return -1;
	memcpy(out, p + 1, 4);
	out[4] = 0;
	return 0;
}

int main(void)
{
	size_t pg = 4096, n = 8, i;
	unsigned char *a;
	char perm[5];

	case_init();
	/* rw | none (4 pages, data) | rw: three VMAs */
	a = mmap(NULL, n * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		case_fail("mmap");
	for (i = 0; i < n * pg; i++)
		a[i] = (unsigned char)(i * 3 + 1);
	if (mprotect(a + 2 * pg, 4 * pg, PROT_NONE))
		case_fail("mprotect");
	CASE_CHECK(perms_of((unsigned long)(a + 2 * pg), perm) == 0 && !strcmp(perm, "---p"));
	case_ready();
	case_wait();
	if (perms_of((unsigned long)(a + 2 * pg), perm) || strcmp(perm, "---p"))
		case_fail("guard perms after restore: %s", perm);
	CASE_CHECK(perms_of((unsigned long)a, perm) == 0 && !strcmp(perm, "rw-p"));
	CASE_CHECK(perms_of((unsigned long)(a + 6 * pg), perm) == 0 && !strcmp(perm, "rw-p"));
	if (mprotect(a + 2 * pg, 4 * pg, PROT_READ))
		case_fail("mprotect read");
	for (i = 0; i < n * pg; i++)
		if (a[i] != (unsigned char)(i * 3 + 1))
			case_fail("byte %zu", i);
	munmap(a, n * pg);
	case_pass();
}
