/* SPDX-License-Identifier: MIT */
/* The record checksums (see csum.h): the default build, and the choice of the AVX2 one; the
 * content hash of mapped files built on them. */
#include "image/csum.h"

#include <errno.h>
#include <sys/mman.h>

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

int img_file_hash(int fd, uint64_t size, uint64_t *ret)
{
	size_t n = size < IMG_FILE_HASH_MAX ? size : IMG_FILE_HASH_MAX;
	*ret = img_csum(NULL, 0);
	if (!n)
		return 0;
	/* populated in one call: a fault per page of a library would cost more than the hash */
	void *m = mmap(NULL, n, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	*ret = img_csum(m, n);
	munmap(m, n);
	return 0;
}
