/* SPDX-License-Identifier: MIT */
/* Body of the checksum functions, included by csum.c (default vector unit) and csum_avx2.c
 * (compiled for AVX2) with CSUM_NAME naming each function: xxhash's inline implementation is
 * specialised for the vector unit the including file is compiled for. */
#define XXH_INLINE_ALL
#include <xxhash.h>

uint64_t CSUM_NAME(img_csum)(const void *p, size_t n)
{
	return XXH3_64bits(p, n);
}

uint64_t CSUM_NAME(img_csum2)(const void *a, size_t an, const void *b, size_t bn)
{
	XXH3_state_t st;

	XXH3_INITSTATE(&st);
	XXH3_64bits_reset(&st);
	XXH3_64bits_update(&st, a, an);
	XXH3_64bits_update(&st, b, bn);
	return XXH3_64bits_digest(&st);
}
