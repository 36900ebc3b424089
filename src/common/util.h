/* SPDX-License-Identifier: MIT */
/* Small shared helpers: scope-bound cleanup, ownership transfer, array sizes, checked I/O.
 * Header-only; used by every layer except the pure policy code. */
#ifndef FERRY_COMMON_UTIL_H
#define FERRY_COMMON_UTIL_H

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <unistd.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MUST_CHECK    __attribute__((warn_unused_result))
#define PAGE_SIZE_4K  4096UL

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
	free(*(void **)p);
}
static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_free_	 _cleanup_(freep)
#define _cleanup_close_	 _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Return the value and reset the variable, so a cleanup attribute no longer owns it. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _t = (p);                                                            \
		(p) = NULL;                                                                        \
		_t;                                                                                \
	})
#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _t = (fd);                                                                     \
		(fd) = -1;                                                                         \
		_t;                                                                                \
	})

static inline int safe_close(int fd)
{
	if (fd >= 0) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return -1;
}

/* -errno of the last libc failure, never 0 (a libc call that failed without errno is -EIO). */
static inline int neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

/* Make room for `need` elements of `size` bytes in arr (capacity *cap, doubled as needed).
 * Returns the (possibly moved) array, or NULL on overflow or ENOMEM with arr still valid. */
static inline void *array_reserve(void *arr, size_t *cap, size_t need, size_t size)
{
	size_t nc = *cap ? *cap : 16;
	if (need <= *cap)
		return arr;
	while (nc < need)
		nc *= 2;
	if (nc > SIZE_MAX / size)
		return NULL;
	void *p = realloc(arr, nc * size);
	if (p)
		*cap = nc;
	return p;
}

/* CLOCK_MONOTONIC in nanoseconds, for durations. */
static inline uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* XCR0: the XSAVE features this CPU and kernel enable (decides the xstate layout). */
static inline uint64_t cpu_xcr0(void)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

#endif
