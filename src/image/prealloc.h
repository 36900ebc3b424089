/* SPDX-License-Identifier: MIT */
/* Allocation ahead of the image writer, for images written to a regular file. On tmpfs (and on
 * the balloon-backed memory of these VMs) allocating a page costs more than copying 4 KiB into
 * it: writing 1 GiB to a new tmpfs file takes about twice as long as writing it over pages
 * already allocated. A thread of its own, free to run on another CPU than the dump, fallocates
 * (FALLOC_FL_KEEP_SIZE) the file ahead of what the writer has queued, up to the size the dump
 * expects, so the writes only copy. What was allocated past the end is punched out at the end. */
#ifndef FERRY_IMAGE_PREALLOC_H
#define FERRY_IMAGE_PREALLOC_H

#include <stdint.h>

struct prealloc;

/* Start allocating fd from offset `from` up to `until`; best effort: NULL if the thread cannot
 * start. The thread stays at most PREALLOC_AHEAD bytes ahead of the last prealloc_advance. */
struct prealloc *prealloc_start(int fd, uint64_t from, uint64_t until);
/* The writer has queued everything below `queued`. */
void prealloc_advance(struct prealloc *a, uint64_t queued);
/* Stop and join the thread; when `end` is not UINT64_MAX, free what it allocated past `end`. */
void prealloc_stop(struct prealloc *a, uint64_t end);

#endif
