/* SPDX-License-Identifier: MIT */
/* The image file's allocation thread: see prealloc.h. */
#include "image/prealloc.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>

#define PREALLOC_STEP  (4ULL << 20)
#define PREALLOC_AHEAD (256ULL << 20)

struct prealloc {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int fd;
	uint64_t done;	 /* allocated below this offset */
	uint64_t until;	 /* never beyond this */
	uint64_t queued; /* the writer's position */
	int stop;
};

/* The next range to allocate, or 0 to wait; called with the lock held. */
static uint64_t next_step(const struct prealloc *a)
{
	uint64_t limit = a->queued + PREALLOC_AHEAD;
	if (limit > a->until)
		limit = a->until;
	if (a->done >= limit)
		return 0;
	return limit - a->done < PREALLOC_STEP ? limit - a->done : PREALLOC_STEP;
}

static void *prealloc_thread(void *arg)
{
	struct prealloc *a = arg;

	pthread_mutex_lock(&a->lock);
	while (!a->stop) {
		uint64_t n = next_step(a), at = a->done;
		if (!n) {
			if (a->done >= a->until)
				break;
			pthread_cond_wait(&a->cond, &a->lock);
			continue;
		}
		pthread_mutex_unlock(&a->lock);
		int r = fallocate(a->fd, FALLOC_FL_KEEP_SIZE, (off_t)at, (off_t)n);
		pthread_mutex_lock(&a->lock);
		if (r < 0)
			break; /* not supported here, or full: the writes will allocate (or fail) */
		a->done = at + n;
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

struct prealloc *prealloc_start(int fd, uint64_t from, uint64_t until)
{
	struct prealloc *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->fd = fd;
	a->done = a->queued = from;
	a->until = until;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	if (pthread_create(&a->thread, NULL, prealloc_thread, a)) {
		pthread_mutex_destroy(&a->lock);
		pthread_cond_destroy(&a->cond);
		free(a);
		return NULL;
	}
	return a;
}

void prealloc_advance(struct prealloc *a, uint64_t queued)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->queued = queued;
	if (next_step(a))
		pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

void prealloc_stop(struct prealloc *a, uint64_t end)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->stop = 1;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
	if (end != UINT64_MAX && a->done > end)
		fallocate(a->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)end,
			  (off_t)(a->done - end));
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	free(a);
}
