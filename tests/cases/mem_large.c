/* SPDX-License-Identifier: MIT */
/* Tens of MiB of anonymous memory, enough for restore's bulk page path (userfaultfd copy, two
 * threads): every byte comes back, pages that were never touched stay absent (holes inside the
 * runs), a read-only area keeps its protection, and nothing of the bulk path is left behind
 * (no extra fd, no userfaultfd flag on any VMA). */
#include "caselib.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define MIB	 (1UL << 20)
#define A_LEN	 (48 * MIB)
#define B_LEN	 (16 * MIB)
#define HOLE_GAP 37 /* every HOLE_GAP-th page of A is never touched */
#define PAGE	 4096UL

static char smaps[1 << 20];

static uint64_t word(uint64_t i, uint64_t seed)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ULL ^ seed;
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	return x ^ (x >> 29);
}

static void fill(uint64_t *p, size_t len, uint64_t seed, int holes)
{
	for (size_t pg = 0; pg < len / PAGE; pg++) {
		if (holes && pg % HOLE_GAP == 5)
			continue;
		for (size_t k = 0; k < PAGE / 8; k++)
			p[pg * PAGE / 8 + k] = word(pg * PAGE / 8 + k, seed);
	}
}

/* The first page that differs from what fill() wrote, or -1. */
static long first_bad_page(const uint64_t *p, size_t len, uint64_t seed, int holes)
{
	for (size_t pg = 0; pg < len / PAGE; pg++) {
		int hole = holes && pg % HOLE_GAP == 5;
		for (size_t k = 0; k < PAGE / 8; k++)
			if (p[pg * PAGE / 8 + k] != (hole ? 0 : word(pg * PAGE / 8 + k, seed)))
				return (long)pg;
	}
	return -1;
}

/* The smaps block of the mapping starting at addr (NUL-terminated copy in out). */
static int smaps_block(unsigned long addr, char *out, size_t size)
{
	char hdr[64];
	if (case_read_file("/proc/self/smaps", smaps, sizeof(smaps)) < 0)
		return -1;
	snprintf(hdr, sizeof(hdr), "%lx-", addr);
	char *p = strstr(smaps, hdr);
	if (!p)
		return -1;
	char *end = strstr(p, "VmFlags:");
	end = end ? strchr(end, '\n') : NULL;
	size_t n = end ? (size_t)(end - p) : strlen(p);
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = 0;
	return 0;
}

static long field_kb(const char *block, const char *key)
{
	const char *p = strstr(block, key);
	long kb = -1;
	if (p)
		sscanf(p + strlen(key), " %ld", &kb);
	return kb;
}

int main(void)
{
	char fds_before[512], fds_after[512], blk[4096];

	case_init();
	uint64_t *a = mmap(NULL, A_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t *b = mmap(NULL, B_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED || b == MAP_FAILED)
		case_fail("mmap");
	/* 4 KiB pages whatever the THP setting, so the holes stay holes */
	if (madvise(a, A_LEN, MADV_NOHUGEPAGE) < 0 || madvise(b, B_LEN, MADV_NOHUGEPAGE) < 0)
		case_fail("madvise");
	fill(a, A_LEN, 1, 1);
	fill(b, B_LEN, 2, 0);
	if (mprotect(b, B_LEN, PROT_READ) < 0)
		case_fail("mprotect");
	case_fd_list(fds_before, sizeof(fds_before));
	case_ready();
	case_wait();

	long bad = first_bad_page(a, A_LEN, 1, 1);
	if (bad >= 0)
		case_fail("area A: page %ld differs", bad);
	bad = first_bad_page(b, B_LEN, 2, 0);
	if (bad >= 0)
		case_fail("area B: page %ld differs", bad);

	if (smaps_block((unsigned long)b, blk, sizeof(blk)) < 0)
		case_fail("no smaps entry for area B");
	CASE_CHECK(strstr(blk, " r--p ") != NULL);
	CASE_CHECK(field_kb(blk, "\nRss:") == (long)(B_LEN / 1024));
	CASE_CHECK(strstr(blk, " um") == NULL && strstr(blk, " uw") == NULL);

	if (smaps_block((unsigned long)a, blk, sizeof(blk)) < 0)
		case_fail("no smaps entry for area A");
	CASE_CHECK(strstr(blk, " rw-p ") != NULL);
	CASE_CHECK(strstr(blk, " um") == NULL && strstr(blk, " uw") == NULL);
	/* the holes were read above and map the zero page, which smaps does not count in Rss */
	long holes = (A_LEN / PAGE + HOLE_GAP - 1 - 5) / HOLE_GAP;
	long rss = field_kb(blk, "\nRss:");
	if (rss != (long)(A_LEN / 1024 - holes * 4))
		case_fail("area A: Rss %ld KiB, want %ld", rss, (long)(A_LEN / 1024 - holes * 4));

	case_fd_list(fds_after, sizeof(fds_after));
	if (strcmp(fds_before, fds_after))
		case_fail("fds before \"%s\", after \"%s\"", fds_before, fds_after);
	case_pass();
}
