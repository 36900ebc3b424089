/* SPDX-License-Identifier: MIT */
/* Load indices and asymmetric exponential smoothing. Pure: no I/O, no clock reads. */
#include <errno.h>
#include <math.h>

#include "policy/load.h"

const struct policy_smoothing policy_smoothing_local = {.rise = 4.0, .fall = 0.5};
const struct policy_smoothing policy_smoothing_export = {.rise = 0.5, .fall = 4.0};

/* Exponential smoothing with a time constant that depends on the direction of change, so the
 * result is independent of the sampling period: after dt = tau the gap has shrunk to 1/e. */
double policy_smooth(double old, double x, double dt, const struct policy_smoothing *s)
{
	double tau = x > old ? s->rise : s->fall;

	if (dt <= 0)
		return old;
	if (tau <= 0)
		return x;
	return old + (1.0 - exp(-dt / tau)) * (x - old);
}

void policy_load_init(struct policy_load *l, double capacity, double now)
{
	for (int i = 0; i < _POLICY_LOAD_MAX; i++) {
		l->v[i] = 0;
		l->stamp[i] = now;
	}
	l->v[POLICY_LOAD_CAPACITY] = capacity > 0 ? capacity : 1.0;
}

/* Counts and capacity are exact facts, not noisy signals: they are copied, not smoothed. */
static int is_exact(int f)
{
	return f == POLICY_LOAD_NPROCS || f == POLICY_LOAD_CAPACITY || f == POLICY_LOAD_MEM_FREE;
}

static double sample_get(const struct policy_load_sample *s, int f)
{
	switch (f) {
	case POLICY_LOAD_RUNQ:
		return s->runq;
	case POLICY_LOAD_UTIL:
		return s->util;
	case POLICY_LOAD_PSI_CPU:
		return s->psi_cpu;
	case POLICY_LOAD_PSI_MEM:
		return s->psi_mem;
	case POLICY_LOAD_MEM_FREE:
		return s->mem_free;
	case POLICY_LOAD_NPROCS:
		return s->nprocs;
	default:
		return s->capacity;
	}
}

int policy_load_update(struct policy_load *l, const struct policy_load_sample *s, double now,
		       const struct policy_smoothing *sm)
{

	if ((s->valid & (1u << POLICY_LOAD_CAPACITY)) && !(s->capacity > 0))
		return -EINVAL;
	for (int f = 0; f < _POLICY_LOAD_MAX; f++)
		if ((s->valid & (1u << f)) && now < l->stamp[f])
			return -EINVAL;
	for (int f = 0; f < _POLICY_LOAD_MAX; f++) {
		if (!(s->valid & (1u << f)))
			continue;
		double x = sample_get(s, f);

		l->v[f] = is_exact(f) ? x : policy_smooth(l->v[f], x, now - l->stamp[f], sm);
		l->stamp[f] = now;
	}
	return 0;
}

double policy_load_age(const struct policy_load *l, enum policy_load_field f, double now)
{
	return now - l->stamp[f];
}

double policy_load_index(const struct policy_load *l)
{
	return l->v[POLICY_LOAD_RUNQ] / l->v[POLICY_LOAD_CAPACITY];
}
