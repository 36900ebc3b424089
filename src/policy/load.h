/* SPDX-License-Identifier: MIT */
/* Load indices: a node's load record, per-entry ages, and asymmetric smoothing of raw samples.
 * Pure: no I/O, no clock reads; the caller passes `now` and the measured values. */
#ifndef FERRY_POLICY_LOAD_H
#define FERRY_POLICY_LOAD_H

#include <stdint.h>

enum policy_load_field {
	POLICY_LOAD_RUNQ,
	POLICY_LOAD_UTIL,
	POLICY_LOAD_PSI_CPU,
	POLICY_LOAD_PSI_MEM,
	POLICY_LOAD_MEM_FREE,
	POLICY_LOAD_NPROCS,
	POLICY_LOAD_CAPACITY,
	_POLICY_LOAD_MAX,
};

/* A raw measurement; fields whose bit is clear in `valid` are ignored. */
struct policy_load_sample {
	double runq;	 /* runnable tasks now */
	double util;	 /* CPU utilization over the last period, 0..1 */
	double psi_cpu;	 /* PSI "some" avg10, 0..100 */
	double psi_mem;	 /* PSI "some" avg10, 0..100 */
	double mem_free; /* bytes */
	double nprocs;	 /* processes managed by ferry */
	double capacity; /* relative CPU speed × cores, > 0 */
	unsigned valid;	 /* bit (1u << enum policy_load_field) */
};

/* Time constants of the smoothing, seconds. `rise` applies when the value goes up. */
struct policy_smoothing {
	double rise;
	double fall;
};

/* The smoothed record. `v` holds the values, `stamp` when each was last updated (caller's clock).
 */
struct policy_load {
	double v[_POLICY_LOAD_MAX];
	double stamp[_POLICY_LOAD_MAX];
};

/* MOSIX-style defaults: the local view rises slowly and falls fast (no flight from spikes),
 * the exported view rises fast and falls slowly (peers do not pile onto a node that just idled). */
extern const struct policy_smoothing policy_smoothing_local;
extern const struct policy_smoothing policy_smoothing_export;

double policy_smooth(double old, double x, double dt, const struct policy_smoothing *s);
void policy_load_init(struct policy_load *l, double capacity, double now);
/* Fold a sample taken at `now` into `l`. Returns 0, or -EINVAL for a non-positive capacity or a
 * sample older than the record (caller must drop it). */
int policy_load_update(struct policy_load *l, const struct policy_load_sample *s, double now,
		       const struct policy_smoothing *sm);
/* Age of one entry at `now`, seconds. */
double policy_load_age(const struct policy_load *l, enum policy_load_field f, double now);
/* Scalar load index: run-queue length per unit of capacity. */
double policy_load_index(const struct policy_load *l);

#endif
