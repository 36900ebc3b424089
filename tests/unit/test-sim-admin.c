/* SPDX-License-Identifier: MIT */
/* ferry-sim administration: a drained node empties and receives nothing afterwards; when a
 * node's owner returns its guests go home and no guest is sent to it afterwards. Workload:
 * eight long processes born on node 1 of 4, so ferry spreads them and node 0 hosts guests. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "../../sim/sim.h"

static struct sim_result run(int oracle, int64_t drain, double drain_at, int64_t owner,
			     double owner_at)
{
	struct sim_proc w[40];
	struct sim_cfg c;
	struct sim_result r;

	sim_cfg_default(&c);
	c.nodes = 4;
	c.oracle = oracle;
	policy_gossip_cfg_default(&c.gossip, c.nodes);
	c.drain_node = drain;
	c.drain_at = drain_at;
	c.owner_node = owner;
	c.owner_at = owner_at;
	for (int i = 0; i < 8; i++) /* long ones on node 1 */
		w[i] = (struct sim_proc){0.01 * i, 100, 64, 1};
	for (int i = 8; i < 40; i++) /* a trickle of short ones everywhere, after the events */
		w[i] = (struct sim_proc){70 + i, 0.5, 8, (uint32_t)(i % 4)};
	assert_int_equal(sim_run(&c, w, 40, SIM_FERRY, &r), 0);
	assert_int_equal(r.done, 40);
	return r;
}

static void owner_returns_guests_go_home(void **st)
{
	for (int oracle = 0; oracle < 2; oracle++) {
		struct sim_result r = run(oracle, -1, 0, 0, 50);

		assert_true(r.migrations > 0);
		if (r.owner_guests_at == 0)
			fail_msg("oracle=%d: no guest on node 0 when its owner returned", oracle);
		assert_true(r.evictions >= r.owner_guests_at);
		assert_true(r.owner_clear_s == 0); /* guests leave at once (transfer in flight) */
		assert_int_equal(r.owner_guests_to, 0);
		assert_true(r.drain_empty_s == -1); /* not asked */
	}
}

static void drained_node_empties_and_takes_nothing(void **st)
{
	for (int oracle = 0; oracle < 2; oracle++) {
		struct sim_result r = run(oracle, 1, 50, -1, 0);

		if (r.drain_jobs_at == 0)
			fail_msg("oracle=%d: node 1 was already empty at the drain", oracle);
		assert_true(r.drained >= r.drain_jobs_at);
		assert_true(r.drain_empty_s >= 0 && r.drain_empty_s < 1);
		assert_int_equal(r.drain_sent_to, 0);
		/* Births on node 1 after the drain were placed elsewhere. */
		assert_int_equal(r.drain_kept, 0);
		assert_true(r.owner_clear_s == -1);
	}
}

static void both_at_once(void **st)
{
	/* Node 2 drains while node 0's owner is back: drained processes avoid node 0 too. */
	struct sim_result r = run(0, 2, 50, 0, 40);

	assert_int_equal(r.drain_sent_to, 0);
	assert_int_equal(r.owner_guests_to, 0);
	assert_int_equal(r.drain_kept, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(owner_returns_guests_go_home),
		cmocka_unit_test(drained_node_empties_and_takes_nothing),
		cmocka_unit_test(both_at_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
