/* SPDX-License-Identifier: MIT */
/* Workload for ferry-sim: Poisson arrivals spread over nodes with a Zipf-like skew, bounded
 * Pareto (or exponential) CPU demands, exponential memory sizes, or a replayed CSV trace. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

double sim_pareto_mean(double a, double lo, double hi)
{
	double tail = pow(lo / hi, a);

	if (fabs(a - 1.0) < 1e-12)
		return hi * lo / (hi - lo) * log(hi / lo);
	return pow(lo, a) / (1 - tail) * a / (a - 1) * (pow(lo, 1 - a) - pow(hi, 1 - a));
}

double sim_work_mean(const struct sim_cfg *c)
{
	if (c->dist == SIM_DIST_EXP)
		return c->life_min;
	return sim_pareto_mean(c->alpha, c->life_min, c->life_max);
}

/* Inverse CDF of the bounded Pareto; for SIM_DIST_EXP life_min is the mean. */
double sim_draw_work(const struct sim_cfg *c, struct policy_rand *r)
{
	double u = policy_rand_unit(r);

	if (c->dist == SIM_DIST_EXP)
		return -c->life_min * log1p(-u);
	return c->life_min /
	       pow(1 - u * (1 - pow(c->life_min / c->life_max, c->alpha)), 1.0 / c->alpha);
}

static double node_speed(const struct sim_cfg *c, uint32_t i)
{
	/* Slow nodes are spread evenly over the id space, so skew and speed are independent. */
	uint32_t nslow = (uint32_t)(c->slow_frac * c->nodes + 0.5);

	if (!nslow)
		return 1.0;
	return (uint64_t)i * nslow / c->nodes != (uint64_t)(i + 1) * nslow / c->nodes
		       ? c->slow_speed
		       : 1.0;
}

double sim_node_speed(const struct sim_cfg *c, uint32_t i)
{
	return node_speed(c, i);
}

static double *weights_cum(const struct sim_cfg *c)
{
	double *cum = malloc(sizeof(double) * c->nodes), s = 0;

	if (!cum)
		return NULL;
	for (uint32_t i = 0; i < c->nodes; i++) {
		s += pow(i + 1.0, -c->skew);
		cum[i] = s;
	}
	for (uint32_t i = 0; i < c->nodes; i++)
		cum[i] /= s;
	return cum;
}

uint32_t sim_pick_node(const double *cum, uint32_t n, double u)
{
	uint32_t lo = 0, hi = n - 1;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (cum[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static int generate(const struct sim_cfg *c, const double *cum, struct sim_proc *w)
{
	struct policy_rand r;
	double cap = 0, t = 0, rate;

	policy_rand_seed(&r, c->seed * 2654435761u + 17);
	for (uint32_t i = 0; i < c->nodes; i++)
		cap += node_speed(c, i);
	rate = c->load * cap / sim_work_mean(c);
	for (uint64_t i = 0; i < c->procs; i++) {
		t += -log1p(-policy_rand_unit(&r)) / rate;
		w[i].arrival = t;
		w[i].work = sim_draw_work(c, &r);
		w[i].mem = c->mem_mean > 0 ? (float)(-c->mem_mean * log1p(-policy_rand_unit(&r)))
					   : 0.0f;
		w[i].origin = sim_pick_node(cum, c->nodes, policy_rand_unit(&r));
	}
	return 0;
}

int sim_workload(const struct sim_cfg *c, struct sim_proc **ret, size_t *ret_n, char *err,
		 size_t errlen)
{
	double *cum = weights_cum(c);
	struct sim_proc *w;
	int r;

	snprintf(err, errlen, "out of memory");
	if (!cum)
		return -ENOMEM;
	if (c->trace) {
		r = sim_trace_load(c, cum, ret, ret_n, err, errlen);
		free(cum);
		return r;
	}
	w = malloc(sizeof(*w) * (c->procs ? c->procs : 1));
	if (!w) {
		free(cum);
		return -ENOMEM;
	}
	generate(c, cum, w);
	free(cum);
	*ret = w;
	*ret_n = c->procs;
	return 0;
}
