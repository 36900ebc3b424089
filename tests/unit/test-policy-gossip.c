/* SPDX-License-Identifier: MIT */
/* Unit tests for src/policy/gossip: windows, ages, validation, suspicion, death, refutation,
 * join and leave — literal timestamps, no clock. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "policy/gossip.h"

#define N   6
#define CAP 4

struct net {
	struct policy_gossip g[N];
	uint32_t members[N][N];
	struct policy_entry view[N][CAP];
	struct policy_rand r;
	struct policy_gossip_msg m, reply;
};

static int setup(void **st)
{
	static struct net net;
	struct policy_gossip_cfg cfg;

	memset(&net, 0, sizeof(net));
	policy_gossip_cfg_default(&cfg, N);
	cfg.window = 3;
	for (uint32_t i = 0; i < N; i++) {
		assert_int_equal(
			policy_gossip_init(&net.g[i], &cfg, i, net.members[i], N, net.view[i], CAP),
			0);
		for (uint32_t k = 0; k < N; k++)
			policy_gossip_member_add(&net.g[i], k, 1);
	}
	policy_rand_seed(&net.r, 42);
	*st = &net;
	return 0;
}

/* One gossip round of node i at time t; `down` does not answer. */
static void round_of(struct net *n, uint32_t i, double t, int down)
{
	policy_gossip_set_self(&n->g[i], (float)i, 100.0f, t);
	if (policy_gossip_tick(&n->g[i], t, &n->r, &n->m) != 1)
		return;
	if ((int)n->m.to == down)
		return;
	if (policy_gossip_input(&n->g[n->m.to], t, &n->m, &n->reply) == 1)
		assert_int_equal(policy_gossip_input(&n->g[i], t, &n->reply, &n->m), 0);
}

static void init_rejects_bad_args(void **st)
{
	struct net *n = *st;
	struct policy_gossip g;
	struct policy_gossip_cfg cfg = n->g[0].cfg;

	assert_int_equal(policy_gossip_init(&g, &cfg, N, n->members[0], N, n->view[0], CAP),
			 -EINVAL);
	cfg.window = POLICY_GOSSIP_WINDOW_MAX + 1;
	assert_int_equal(policy_gossip_init(&g, &cfg, 0, n->members[0], N, n->view[0], CAP),
			 -EINVAL);
}

static void window_carries_fresh_entries_with_ages(void **st)
{
	struct net *n = *st;

	for (int t = 0; t < 10; t++)
		for (uint32_t i = 0; i < N; i++)
			round_of(n, i, t + i * 0.1, -1);
	for (uint32_t i = 0; i < N; i++) {
		assert_true(n->g[i].view_n > 0 && n->g[i].view_n <= CAP);
		for (uint32_t e = 0; e < n->g[i].view_n; e++) {
			assert_int_not_equal(n->g[i].view[e].node, i);
			assert_true(9.6 - n->g[i].view[e].stamp < n->g[i].cfg.max_age);
			/* The load is what its origin published. */
			assert_true(n->g[i].view[e].load == (float)n->g[i].view[e].node);
		}
	}
	/* A message is bounded by the window. */
	policy_gossip_tick(&n->g[0], 11, &n->r, &n->m);
	assert_true(n->m.nentries <= 3);
	assert_true(n->m.e[0].node == 0);
}

static void input_validates(void **st)
{
	struct net *n = *st;
	struct policy_gossip_msg m;

	policy_gossip_tick(&n->g[0], 1, &n->r, &m);
	m.to = 1;
	m.nentries = POLICY_GOSSIP_WINDOW_MAX + 1;
	assert_int_equal(policy_gossip_input(&n->g[1], 1, &m, &n->reply), -EPROTO);
	m.nentries = 1;
	m.e[0].node = N;
	assert_int_equal(policy_gossip_input(&n->g[1], 1, &m, &n->reply), -EPROTO);
	m.e[0].node = 0;
	m.e[0].age = -1;
	assert_int_equal(policy_gossip_input(&n->g[1], 1, &m, &n->reply), -EPROTO);
	m.e[0].age = 0;
	m.to = 2; /* not for us */
	assert_int_equal(policy_gossip_input(&n->g[1], 1, &m, &n->reply), -EPROTO);
	m.to = 1;
	m.kind = 9;
	assert_int_equal(policy_gossip_input(&n->g[1], 1, &m, &n->reply), -EPROTO);
}

static void silent_node_becomes_dead_everywhere(void **st)
{
	struct net *n = *st;
	const uint32_t down = 3;
	double t;

	for (t = 0; t < 60; t += 1)
		for (uint32_t i = 0; i < N; i++)
			if (i != down)
				round_of(n, i, t + i * 0.01, (int)down);
	for (uint32_t i = 0; i < N; i++)
		if (i != down) {
			assert_int_equal(policy_gossip_member_status(&n->g[i], down),
					 POLICY_MEMBER_DEAD);
			assert_true(policy_gossip_entry_age(&n->g[i], down, t) < 0);
			for (uint32_t k = 0; k < N; k++)
				if (k != down)
					assert_int_equal(policy_gossip_member_status(&n->g[i], k),
							 POLICY_MEMBER_ALIVE);
		}
}

static void suspicion_is_refuted(void **st)
{
	struct net *n = *st;
	struct policy_gossip_msg m;

	/* Node 0 probes, the ack is lost: node 0 suspects its target at the next tick. */
	policy_gossip_tick(&n->g[0], 0, &n->r, &m);
	uint32_t target = m.to;
	policy_gossip_tick(&n->g[0], 1, &n->r, &m);
	assert_int_equal(policy_gossip_member_status(&n->g[0], target), POLICY_MEMBER_SUSPECT);
	/* The suspect hears the rumor and answers with a higher incarnation. */
	m.to = target;
	m.kind = POLICY_MSG_PING;
	assert_int_equal(policy_gossip_input(&n->g[target], 1, &m, &n->reply), 1);
	assert_true(n->g[target].incarnation > 1);
	assert_int_equal(policy_gossip_input(&n->g[0], 1, &n->reply, &m), 0);
	assert_int_equal(policy_gossip_member_status(&n->g[0], target), POLICY_MEMBER_ALIVE);
	/* And it does not die later. */
	policy_gossip_tick(&n->g[0], 10, &n->r, &m);
	assert_int_equal(policy_gossip_member_status(&n->g[0], target), POLICY_MEMBER_ALIVE);
}

static void join_and_leave(void **st)
{
	struct net *n = *st;
	struct policy_gossip_msg m;

	/* Node 5 is unknown to node 1 until it hears from it. */
	n->members[1][5] = 2u << 30; /* dead, incarnation 0: never heard of */
	assert_int_equal(policy_gossip_member_status(&n->g[1], 5), POLICY_MEMBER_DEAD);
	policy_gossip_tick(&n->g[5], 0, &n->r, &m);
	m.to = 1;
	assert_int_equal(policy_gossip_input(&n->g[1], 0, &m, &n->reply), 1);
	assert_int_equal(policy_gossip_member_status(&n->g[1], 5), POLICY_MEMBER_ALIVE);
	/* Node 5 leaves; its final message carries the LEFT rumor. */
	assert_int_equal(policy_gossip_leave(&n->g[5], 1, &n->r, &m), 1);
	m.to = 1;
	policy_gossip_input(&n->g[1], 1, &m, &n->reply);
	assert_int_equal(policy_gossip_member_status(&n->g[1], 5), POLICY_MEMBER_LEFT);
	assert_true(policy_gossip_next_deadline(&n->g[1], 1) <= 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(init_rejects_bad_args, setup),
		cmocka_unit_test_setup(window_carries_fresh_entries_with_ages, setup),
		cmocka_unit_test_setup(input_validates, setup),
		cmocka_unit_test_setup(silent_node_becomes_dead_everywhere, setup),
		cmocka_unit_test_setup(suspicion_is_refuted, setup),
		cmocka_unit_test_setup(join_and_leave, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
