/* SPDX-License-Identifier: MIT */
/* Validation of ferry-sim against exact results before any comparison is trusted: Pareto
 * sampling mean, M/M/1-PS mean response time, M/G/1-PS mean slowdown 1/(1-rho) (insensitive
 * to the demand distribution), Poisson splitting under random placement; plus the heaps,
 * quantiles, determinism and the gossip-only experiment at small scale. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "../../sim/heap.h"
#include "../../sim/sim.h"

static void near(double got, double want, double rel)
{
	if (fabs(got - want) > rel * fabs(want))
		fail_msg("got %.5f, want %.5f +- %.1f%%", got, want, rel * 100);
}

static struct sim_result run1(struct sim_cfg *c, enum sim_policy p)
{
	struct sim_proc *w;
	size_t n;
	struct sim_result r;

	assert_int_equal(sim_workload(c, &w, &n, NULL, 0), 0);
	assert_int_equal(sim_run(c, w, n, p, &r), 0);
	assert_int_equal(r.done, n);
	free(w);
	return r;
}

static void pareto_mean(void **st)
{
	struct sim_cfg c;
	struct policy_rand r;
	double sum = 0, num = 0;
	const int n = 1000000;

	sim_cfg_default(&c);
	c.alpha = 1.5;
	c.life_min = 0.1;
	c.life_max = 100;
	policy_rand_seed(&r, 3);
	for (int i = 0; i < n; i++) {
		double x = sim_draw_work(&c, &r);

		assert_true(x >= c.life_min && x <= c.life_max);
		sum += x;
	}
	near(sum / n, sim_pareto_mean(1.5, 0.1, 100), 0.02);
	/* alpha = 1 closed form against a numeric integral of the density on a log grid. */
	for (int k = 0; k < 100000; k++) {
		double a = 0.1 * pow(1e4, k / 1e5), b = 0.1 * pow(1e4, (k + 1) / 1e5);
		double x = sqrt(a * b), f = 0.1 / (x * x) / (1 - 0.1 / 1000.0);

		num += x * f * (b - a);
	}
	near(sim_pareto_mean(1.0, 0.1, 1000), num, 1e-4);
}

static void mm1_ps_response(void **st)
{
	struct sim_cfg c;
	struct sim_result r;

	sim_cfg_default(&c);
	c.nodes = 1;
	c.dist = SIM_DIST_EXP;
	c.life_min = 1.0;
	c.load = 0.7;
	c.procs = 300000;
	c.mem_mean = 0;
	r = run1(&c, SIM_NONE);
	near(r.mean_response, 1.0 / (1 - 0.7), 0.04);
}

static void mg1_ps_slowdown(void **st)
{
	struct sim_cfg c;
	struct sim_result r;

	sim_cfg_default(&c);
	c.nodes = 1;
	c.alpha = 1.5;
	c.life_min = 0.1;
	c.life_max = 10;
	c.load = 0.6;
	c.procs = 300000;
	r = run1(&c, SIM_NONE);
	/* E[T | x] = x / (1 - rho) under PS, so the mean slowdown is 1 / (1 - rho). */
	near(r.mean_slowdown, 1.0 / (1 - 0.6), 0.05);
}

static void random_split_is_mm1(void **st)
{
	struct sim_cfg c;
	struct sim_result r;

	sim_cfg_default(&c);
	c.nodes = 4;
	c.dist = SIM_DIST_EXP;
	c.life_min = 1.0;
	c.load = 0.5;
	c.procs = 200000;
	c.place_cost = 0;
	r = run1(&c, SIM_RANDOM);
	near(r.mean_response, 2.0, 0.04);
}

static void heaps_and_quantiles(void **st)
{
	struct sim_evq q = {0};
	struct policy_rand r;
	double last = -1, v[101];

	policy_rand_seed(&r, 9);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(sim_evq_push(&q, policy_rand_unit(&r), 0, i, 0), 0);
	while (q.n) {
		struct sim_ev e = sim_evq_pop(&q);

		assert_true(e.t >= last);
		last = e.t;
	}
	sim_evq_free(&q);
	for (int i = 0; i <= 100; i++)
		v[i] = 100 - i;
	assert_true(sim_quantile(v, 101, 0.99) == 99);
	assert_true(sim_quantile(v, 101, 0.5) == 50);
}

static void deterministic_and_sane(void **st)
{
	struct sim_cfg c;
	struct sim_result a, b, none;

	sim_cfg_default(&c);
	c.nodes = 16;
	c.procs = 20000;
	a = run1(&c, SIM_FERRY);
	b = run1(&c, SIM_FERRY);
	none = run1(&c, SIM_NONE);
	assert_true(a.mean_slowdown == b.mean_slowdown && a.migrations == b.migrations);
	assert_true(a.mean_slowdown < none.mean_slowdown);
	assert_true(a.msgs_per_node_s > 1.5 && a.msgs_per_node_s < 2.5);
}

/* --precopy: every process still completes exactly once under every policy, and a job whose
 * transfer outlasts it (cost > the longest demand) completes on its source: no landing, no loss. */
static void precopy_completes(void **st)
{
	struct sim_cfg c;

	sim_cfg_default(&c);
	c.nodes = 16;
	c.procs = 20000;
	c.precopy = 1;
	for (int p = 0; p < _SIM_POLICY_MAX; p++)
		run1(&c, p);
	c.params.mig_fixed = 2000; /* > life_max: a transfer never ends before its job */
	for (int o = 0; o < 2; o++) {
		struct sim_result r, none;

		c.oracle = o;
		c.precopy = 1;
		r = run1(&c, SIM_HBD);
		c.precopy = 0;
		none = run1(&c, SIM_NONE);
		/* Nothing ever lands, so every job ran where it was born: same as no balancing. */
		assert_true(r.migrations > 0);
		assert_true(fabs(r.mean_slowdown - none.mean_slowdown) < 1e-9);
	}
}

static void gossip_only_small(void **st)
{
	struct sim_cfg c;
	struct sim_gossip_result r;

	sim_cfg_default(&c);
	c.nodes = 200;
	policy_gossip_cfg_default(&c.gossip, c.nodes);
	assert_int_equal(sim_gossip_run(&c, 40, &r), 0);
	near(r.msgs_per_node_interval, 2.0, 0.05);
	assert_true(r.dead_all > 0 && r.dead_all < 20);
	assert_true(r.false_dead == 0);
	assert_true(r.age_p99 <= 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pareto_mean),	       cmocka_unit_test(mm1_ps_response),
		cmocka_unit_test(mg1_ps_slowdown),     cmocka_unit_test(random_split_is_mm1),
		cmocka_unit_test(heaps_and_quantiles), cmocka_unit_test(deterministic_and_sane),
		cmocka_unit_test(gossip_only_small),   cmocka_unit_test(precopy_completes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
