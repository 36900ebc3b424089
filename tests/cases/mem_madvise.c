/* SPDX-License-Identifier: MIT */
/* madvise/mlock VMA flags: MADV_DONTFORK (dc), MADV_DONTDUMP (dd), MADV_HUGEPAGE (hg),
 * MADV_NOHUGEPAGE (nh), MADV_WIPEONFORK (wf) and mlock (lo): each area's smaps VmFlags line is
 * identical after restore, and the data is intact. */
#include "caselib.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define N 6
#define LEN (2 << 20) /* 2 MiB so that hugepage advice is meaningful */

static const int advice[N] = { MADV_DONTFORK, MADV_DONTDUMP, MADV_HUGEPAGE, MADV_NOHUGEPAGE,
			       MADV_WIPEONFORK, -1 /* mlock */ };
static const char *flag[N] = { " dc", " dd", " hg", " nh", " wf", " lo" };
static char smaps[1 << 20];

static int vmflags(unsigned long addr, char *out, size_t size)
{
	char hdr[64], *p, *e;

	if (case_read_file("/proc/self/smaps", smaps, sizeof(smaps)) < 0)
		return -1;
	snprintf(hdr, sizeof(hdr), "\n%lx-", addr);
	p = strstr(smaps, hdr);
	if (!p || !(p = strstr(p, "VmFlags:")))
		return -1;
	e = strchr(p, '\n');
	snprintf(out, size, "%.*s", (int)(e - p), p);
	return 0;
}

int main(void)
{
	unsigned char *a[N];
	char before[N][256], now[256];
	int i;

	case_init();
	for (i = 0; i < N; i++) {
		/* separated by unmapped gaps so the areas never merge */
		a[i] = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (a[i] == MAP_FAILED)
			case_fail("mmap");
		if (advice[i] >= 0 ? madvise(a[i], LEN, advice[i]) : mlock(a[i], 64 * 1024))
			case_fail("madvise/mlock %d", i);
		memset(a[i], i + 1, 64 * 1024);
	}
	for (i = 0; i < N; i++) {
		if (vmflags((unsigned long)a[i], before[i], sizeof(before[i])))
			case_fail("no smaps entry for area %d", i);
		if (!strstr(before[i], flag[i]))
			case_fail("area %d lacks%s: %s", i, flag[i], before[i]);
	}
	case_ready();
	case_wait();
	for (i = 0; i < N; i++) {
		if (vmflags((unsigned long)a[i], now, sizeof(now)))
			case_fail("area %d gone", i);
		if (strcmp(now, before[i]))
			case_fail("area %d flags: before '%s' after '%s'", i, before[i], now);
		for (int j = 0; j < 64 * 1024; j++)
			if (a[i][j] != i + 1)
				case_fail("area %d byte %d", i, j);
	}
	case_pass();
}
