/* SPDX-License-Identifier: MIT */
/* The record checksums (see csum.h): the default build, and the choice of the AVX2 one. */
#include "image/csum.h"

#define CSUM_NAME(f) f##_sse2
static uint64_t img_csum_sse2(const void *p, size_t n);
static uint64_t img_csum2_sse2(const void *a, size_t an, const void *b, size_t bn);
#include "image/csum_body.h"

static int avx2; /* set once before main, read-only after */

static void __attribute__((constructor)) detect_avx2(void)
{
	__builtin_cpu_init();
	avx2 = __builtin_cpu_supports("avx2");
}

static inline int have_avx2(void)
{
	return avx2;
}

uint64_t img_csum(const void *p, size_t n)
{
	return have_avx2() ? img_csum_avx2(p, n) : img_csum_sse2(p, n);
}

uint64_t img_csum2(const void *a, size_t an, const void *b, size_t bn)
{
	return have_avx2() ? img_csum2_avx2(a, an, b, bn) : img_csum2_sse2(a, an, b, bn);
}
