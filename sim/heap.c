/* SPDX-License-Identifier: MIT */
/* Binary heaps for ferry-sim's event loop: O(log n) push/pop, no scans. */
#include <errno.h>
#include <stdlib.h>

#include "heap.h"

static int ev_less(const struct sim_ev *x, const struct sim_ev *y)
{
	return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

int sim_evq_push(struct sim_evq *q, double t, uint32_t kind, uint32_t id, uint32_t ver)
{
	struct sim_ev e = {t, kind, id, ver, q->seq++};
	size_t i;

	if (q->n == q->cap) {
		size_t nc = q->cap ? 2 * q->cap : 1024;
		struct sim_ev *na = realloc(q->a, nc * sizeof(*na));

		if (!na)
			return -ENOMEM;
		q->a = na;
		q->cap = nc;
	}
	i = q->n++;
	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!ev_less(&e, &q->a[p]))
			break;
		q->a[i] = q->a[p];
		i = p;
	}
	q->a[i] = e;
	return 0;
}

struct sim_ev sim_evq_pop(struct sim_evq *q)
{
	struct sim_ev top = q->a[0], last = q->a[--q->n];
	size_t i = 0, n = q->n;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && ev_less(&q->a[c + 1], &q->a[c]))
			c++;
		if (!ev_less(&q->a[c], &last))
			break;
		q->a[i] = q->a[c];
		i = c;
	}
	if (n)
		q->a[i] = last;
	return top;
}

void sim_evq_free(struct sim_evq *q)
{
	free(q->a);
	q->a = NULL;
	q->n = q->cap = 0;
}

static void place(struct sim_iheap *h, uint32_t i, uint32_t id, int32_t *pos)
{
	h->a[i] = id;
	pos[id] = (int32_t)i;
}

static void up(struct sim_iheap *h, uint32_t i, const double *key, int32_t *pos)
{
	uint32_t id = h->a[i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (!(key[id] < key[h->a[p]]))
			break;
		place(h, i, h->a[p], pos);
		i = p;
	}
	place(h, i, id, pos);
}

static void down(struct sim_iheap *h, uint32_t i, const double *key, int32_t *pos)
{
	uint32_t id = h->a[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && key[h->a[c + 1]] < key[h->a[c]])
			c++;
		if (!(key[h->a[c]] < key[id]))
			break;
		place(h, i, h->a[c], pos);
		i = c;
	}
	place(h, i, id, pos);
}

int sim_iheap_push(struct sim_iheap *h, uint32_t id, const double *key, int32_t *pos)
{
	if (h->n == h->cap) {
		uint32_t nc = h->cap ? 2 * h->cap : 8;
		uint32_t *na = realloc(h->a, nc * sizeof(*na));

		if (!na)
			return -ENOMEM;
		h->a = na;
		h->cap = nc;
	}
	h->a[h->n++] = id;
	up(h, h->n - 1, key, pos);
	return 0;
}

void sim_iheap_remove(struct sim_iheap *h, int32_t at, const double *key, int32_t *pos)
{
	uint32_t i = (uint32_t)at, gone = h->a[i];

	pos[gone] = -1;
	if (i == --h->n)
		return;
	place(h, i, h->a[h->n], pos);
	sim_iheap_fix(h, (int32_t)i, key, pos);
}

void sim_iheap_fix(struct sim_iheap *h, int32_t at, const double *key, int32_t *pos)
{
	uint32_t id = h->a[at];

	up(h, (uint32_t)at, key, pos);
	if (pos[id] == at)
		down(h, (uint32_t)at, key, pos);
}

void sim_iheap_free(struct sim_iheap *h)
{
	free(h->a);
	h->a = NULL;
	h->n = h->cap = 0;
}
