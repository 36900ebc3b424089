/* SPDX-License-Identifier: MIT */
/* ferry-sim --gossip-only: dissemination and failure detection at scale, no processes. Every
 * node runs src/policy/gossip; one node crashes halfway and we time its death everywhere. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "heap.h"
#include "sim.h"

#define VIEW_CAP 32
#define AGE_BINS 10000 /* 0.01-interval bins */
#define WARMUP	 5.0   /* intervals before ages are sampled (views start empty) */

struct gsim {
	const struct sim_cfg *c;
	uint32_t n, victim;
	struct policy_gossip *g;
	uint32_t *members;
	struct policy_entry *views;
	bool *seen;
	uint32_t nseen;
	struct policy_rand rng;
	struct policy_gossip_msg m1, m2;
	uint64_t msgs, hist[AGE_BINS], nages;
	double age_sum, t_kill, first, all;
	bool killed;
};

static void check(struct gsim *s, uint32_t k, double now)
{
	if (!s->killed || s->seen[k] || k == s->victim)
		return;
	if (policy_gossip_member_status(&s->g[k], s->victim) != POLICY_MEMBER_DEAD)
		return;
	s->seen[k] = true;
	if (!s->nseen++)
		s->first = now - s->t_kill;
	if (s->nseen == s->n - 1)
		s->all = now - s->t_kill;
}

static void sample_ages(struct gsim *s, uint32_t k, double now)
{
	const struct policy_gossip *g = &s->g[k];
	double iv = s->c->gossip.interval;

	if (now < WARMUP * iv)
		return;
	for (uint32_t e = 0; e < g->view_n; e++) {
		double a = (now - g->view[e].stamp) / iv, b = a * 100;

		s->age_sum += a;
		s->nages++;
		s->hist[b < AGE_BINS - 1 ? (size_t)b : AGE_BINS - 1]++;
	}
}

/* Delivery is immediate (latency << interval); messages to the crashed node are lost. */
static void exchange(struct gsim *s, uint32_t k, double now)
{
	uint32_t to;

	policy_gossip_set_self(&s->g[k], 0.0f, 0.0f, now);
	if (policy_gossip_tick(&s->g[k], now, &s->rng, &s->m1) != 1)
		return;
	s->msgs++;
	to = s->m1.to;
	if (!(s->killed && to == s->victim) &&
	    policy_gossip_input(&s->g[to], now, &s->m1, &s->m2) == 1) {
		s->msgs++;
		policy_gossip_input(&s->g[k], now, &s->m2, &s->m1);
		check(s, to, now);
	}
	check(s, k, now);
	sample_ages(s, k, now);
}

static int setup(struct gsim *s)
{
	size_t n = s->n;

	s->g = calloc(n, sizeof(*s->g));
	s->members = malloc(n * n * sizeof(uint32_t));
	s->views = malloc(n * VIEW_CAP * sizeof(*s->views));
	s->seen = calloc(n, sizeof(bool));
	if (!s->g || !s->members || !s->views || !s->seen)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		if (policy_gossip_init(&s->g[i], &s->c->gossip, i, s->members + (size_t)i * n, s->n,
				       s->views + (size_t)i * VIEW_CAP, VIEW_CAP) < 0)
			return -EINVAL;
		for (uint32_t k = 0; k < n; k++)
			policy_gossip_member_add(&s->g[i], k, 1);
	}
	return 0;
}

static uint64_t false_dead(const struct gsim *s)
{
	uint64_t bad = 0;

	for (uint32_t i = 0; i < s->n; i++)
		for (uint32_t k = 0; k < s->n; k++)
			bad += i != s->victim && k != s->victim &&
			       policy_gossip_member_status(&s->g[i], k) >= POLICY_MEMBER_DEAD;
	return bad;
}

static void finish(struct gsim *s, double intervals, struct sim_gossip_result *r)
{
	double iv = s->c->gossip.interval, fill = 0;
	uint64_t want = (uint64_t)ceil(0.99 * (double)s->nages), acc = 0;

	r->nodes = s->n;
	r->intervals = intervals;
	r->age_mean = s->nages ? s->age_sum / s->nages : 0;
	r->age_p99 = 0;
	for (size_t b = 0; b < AGE_BINS && s->nages; b++)
		if ((acc += s->hist[b]) >= want) {
			r->age_p99 = (b + 1) / 100.0;
			break;
		}
	r->msgs_per_node_interval = s->msgs / ((double)s->n * intervals);
	r->dead_first = s->nseen ? s->first / iv : -1;
	r->dead_all = s->nseen == s->n - 1 ? s->all / iv : -1;
	r->false_dead = false_dead(s);
	for (uint32_t i = 0; i < s->n; i++)
		fill += s->g[i].view_n;
	r->view_fill = (uint32_t)(fill / s->n + 0.5);
}

int sim_gossip_run(const struct sim_cfg *c, double intervals, struct sim_gossip_result *res)
{
	struct gsim *s = calloc(1, sizeof(*s));
	struct sim_evq q = {0};
	double iv = c->gossip.interval, end = intervals * iv;
	int r;

	if (!s)
		return -ENOMEM;
	s->c = c;
	s->n = c->nodes;
	s->victim = c->nodes / 2;
	s->t_kill = end / 2;
	policy_rand_seed(&s->rng, c->seed);
	r = c->nodes < 3 ? -EINVAL : setup(s);
	for (uint32_t i = 0; !r && i < s->n; i++)
		r = sim_evq_push(&q, policy_rand_unit(&s->rng) * iv, 0, i, 0);
	while (!r && q.n) {
		struct sim_ev e = sim_evq_pop(&q);

		if (e.t >= end)
			break;
		if (!s->killed && e.t >= s->t_kill)
			s->killed = true;
		if (s->killed && e.id == s->victim)
			continue;
		exchange(s, e.id, e.t);
		r = sim_evq_push(&q, e.t + iv, 0, e.id, 0);
	}
	if (!r)
		finish(s, intervals, res);
	sim_evq_free(&q);
	free(s->g);
	free(s->members);
	free(s->views);
	free(s->seen);
	free(s);
	return r;
}
