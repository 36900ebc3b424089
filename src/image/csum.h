/* SPDX-License-Identifier: MIT */
/* Record checksums of the image stream: XXH3-64 (seed 0) of the record's payload, computed with
 * the widest vector unit the CPU has (csum_avx2.c) — the checksum is on the path of every page
 * byte dumped and restored, and XXH3 with AVX2 is several times faster than XXH64 here. */
#ifndef FERRY_IMAGE_CSUM_H
#define FERRY_IMAGE_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Checksum of n bytes at p. */
uint64_t img_csum(const void *p, size_t n);
/* Checksum of the concatenation of a (an bytes) and b (bn bytes), e.g. record head + pages. */
uint64_t img_csum2(const void *a, size_t an, const void *b, size_t bn);

/* The content hash of a mapped file (img_vma.content_hash): img_csum of its first
 * min(size, IMG_FILE_HASH_MAX) bytes, read through a mapping of fd. 0, or -errno. */
#define IMG_FILE_HASH_MAX (1UL << 20)
int img_file_hash(int fd, uint64_t size, uint64_t *ret);

/* The same, built for AVX2 (csum_avx2.c); only called when the CPU has it. */
uint64_t img_csum_avx2(const void *p, size_t n);
uint64_t img_csum2_avx2(const void *a, size_t an, const void *b, size_t bn);

#endif
