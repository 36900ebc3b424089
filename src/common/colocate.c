/* SPDX-License-Identifier: MIT */
/* Co-location of ferry's main thread with the ptrace-driven threads: see colocate.h. */
#include "common/colocate.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void colocate_begin(struct colocate *k)
{
	cpu_set_t one;
	memset(k, 0, sizeof(*k));
	k->cpu = sched_getcpu();
	if (k->cpu < 0 || k->cpu >= CPU_SETSIZE ||
	    sched_getaffinity(0, sizeof(k->own), &k->own) < 0)
		return;
	if (CPU_COUNT(&k->own) < 2)
		return; /* nothing to gain */
	CPU_ZERO(&one);
	CPU_SET(k->cpu, &one);
	k->active = sched_setaffinity(0, sizeof(one), &one) == 0;
}

void colocate_pause(struct colocate *k)
{
	if (k->active)
		sched_setaffinity(0, sizeof(k->own), &k->own);
}

void colocate_resume(struct colocate *k)
{
	cpu_set_t one;
	if (!k->active)
		return;
	CPU_ZERO(&one);
	CPU_SET(k->cpu, &one);
	sched_setaffinity(0, sizeof(one), &one);
}

void colocate_thread(struct colocate *k, pid_t tid)
{
	cpu_set_t mask, one;
	if (!k->active || sched_getaffinity(tid, sizeof(mask), &mask) < 0)
		return;
	if (!CPU_ISSET(k->cpu, &mask) || CPU_COUNT(&mask) == 1)
		return;
	struct colocate_saved *s = array_reserve(k->saved, &k->cap, k->nsaved + 1, sizeof(*s));
	if (!s)
		return;
	k->saved = s;
	CPU_ZERO(&one);
	CPU_SET(k->cpu, &one);
	if (sched_setaffinity(tid, sizeof(one), &one) == 0)
		k->saved[k->nsaved++] = (struct colocate_saved){tid, mask};
}

void colocate_release(const struct colocate *k, pid_t tid)
{
	if (k->active)
		sched_setaffinity(tid, sizeof(k->own), &k->own);
}

void colocate_end(struct colocate *k, int put_back)
{
	for (size_t i = 0; put_back && i < k->nsaved; i++)
		sched_setaffinity(k->saved[i].tid, sizeof(k->saved[i].mask), &k->saved[i].mask);
	colocate_pause(k);
	free(k->saved);
	k->saved = NULL;
	k->nsaved = k->cap = 0;
	k->active = 0;
}
