/* SPDX-License-Identifier: MIT */
/* Heap memory: several MiB of malloc'd blocks of varied sizes (small arena chunks and mmap'd
 * large chunks) filled with a pattern; every byte is checked after restore. */
#include "caselib.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NBLK 64

static unsigned char pat(size_t blk, size_t i)
{
	return (unsigned char)(blk * 131 + i * 7 + (i >> 9));
}

int main(void)
{
	unsigned char *blk[NBLK];
	size_t len[NBLK];
	size_t b, i;

	case_init();
	for (b = 0; b < NBLK; b++) {
		/* mix of 1 KiB .. ~1 MiB: total ~8 MiB */
		len[b] = (b % 4 == 0) ? (size_t)(256 << 10) + b * 4096 + 17 : 1000 + b * 37;
		blk[b] = malloc(len[b]);
		if (!blk[b])
			case_fail("malloc");
		for (i = 0; i < len[b]; i++)
			blk[b][i] = pat(b, i);
	}
	case_ready();
	case_wait();
	for (b = 0; b < NBLK; b++)
		for (i = 0; i < len[b]; i++)
			if (blk[b][i] != pat(b, i))
				case_fail("block %zu byte %zu: %02x != %02x", b, i, blk[b][i], pat(b, i));
	/* the allocator's own state must be intact too */
	for (b = 0; b < NBLK; b += 2) {
		free(blk[b]);
		blk[b] = malloc(len[b]);
		CASE_CHECK(blk[b] != NULL);
		memset(blk[b], 0x5a, len[b]);
	}
	for (b = 0; b < NBLK; b++)
		free(blk[b]);
	case_pass();
}
