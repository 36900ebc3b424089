/* SPDX-License-Identifier: MIT */
/* The record checksums compiled for AVX2 (see csum.h); csum.c calls them only on a CPU that has
 * AVX2. With a compiler that cannot target AVX2 per file (clang, the fuzz build) they are a
 * second copy of the default ones, which give the same values. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("avx2")
#endif
#include "image/csum.h"

#define CSUM_NAME(f) f##_avx2
#include "image/csum_body.h"
