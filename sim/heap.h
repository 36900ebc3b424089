/* SPDX-License-Identifier: MIT */
/* Binary heaps for ferry-sim: the global event queue (lazy deletion by version) and indexed
 * min-heaps of ids keyed by a caller-supplied array (per-node jobs, the oracle's node loads). */
#ifndef FERRY_SIM_HEAP_H
#define FERRY_SIM_HEAP_H

#include <stddef.h>
#include <stdint.h>

struct sim_ev {
	double t;
	uint32_t kind;
	uint32_t id;
	uint32_t ver;
	uint32_t seq; /* ties broken by insertion order: the run is deterministic */
};

struct sim_evq {
	struct sim_ev *a;
	size_t n, cap;
	uint32_t seq;
};

int sim_evq_push(struct sim_evq *q, double t, uint32_t kind, uint32_t id, uint32_t ver);
struct sim_ev sim_evq_pop(struct sim_evq *q);
void sim_evq_free(struct sim_evq *q);

/* Indexed heap of ids; key[id] is the priority, pos[id] the slot (-1 when absent). */
struct sim_iheap {
	uint32_t *a;
	uint32_t n, cap;
};

int sim_iheap_push(struct sim_iheap *h, uint32_t id, const double *key, int32_t *pos);
void sim_iheap_remove(struct sim_iheap *h, int32_t at, const double *key, int32_t *pos);
/* Restore order after key[h->a[at]] changed. */
void sim_iheap_fix(struct sim_iheap *h, int32_t at, const double *key, int32_t *pos);
void sim_iheap_free(struct sim_iheap *h);

#endif
