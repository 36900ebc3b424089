/* SPDX-License-Identifier: MIT */
/* ferry-sim policy drivers: what each compared policy does at a birth and at an activation,
 * expressed through src/policy. Baselines see loads as process counts (as published);
 * ferry sees load per unit of capacity. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "engine.h"

/* Candidates known to node i: its gossip view, or with --oracle the exact loads of either
 * every node's minimum (`want_min`) or p->d random nodes. */
static size_t cands(struct sim *s, uint32_t i, bool counts, bool want_min)
{
	struct policy_cand *c = s->cand;
	size_t n = 0;

	if (!s->c->oracle) {
		const struct policy_gossip *g = &s->nodes[i].g;

		for (uint32_t k = 0; k < g->view_n; k++) {
			const struct policy_entry *e = &g->view[k];

			c[n++] = (struct policy_cand){e->node, e->load, s->nodes[e->node].speed,
						      e->mem_free, s->now - e->stamp};
		}
	} else if (want_min) {
		uint32_t k = s->oracle.a[0];

		if (k == i && s->oracle.n > 1) /* second best: one of the root's children */
			k = s->oracle.n > 2 && s->nload[s->oracle.a[2]] < s->nload[s->oracle.a[1]]
				    ? s->oracle.a[2]
				    : s->oracle.a[1];
		if (k != i)
			c[n++] = (struct policy_cand){k, s->nload[k], s->nodes[k].speed,
						      sim__mem_free(s, k), 0};
	} else {
		for (unsigned t = 0; t < s->c->params.d * 2 && n < s->c->params.d; t++) {
			uint32_t k = policy_rand_below(&s->rng, s->c->nodes);

			if (k != i)
				c[n++] = (struct policy_cand){k, sim__load_index(s, k),
							      s->nodes[k].speed,
							      sim__mem_free(s, k), 0};
		}
	}
	/* A closed node (draining, owner back) says so: through gossip, or here exactly. */
	for (size_t k = 0; s->c->oracle && k < n; k++)
		if (s->nodes[c[k].node].act.draining || s->nodes[c[k].node].act.owner_active)
			c[k].load = POLICY_LOAD_CLOSED;
	for (size_t k = 0; counts && k < n; k++) {
		c[k].load = nearbyint(c[k].load * c[k].capacity);
		c[k].capacity = 1.0;
	}
	return n;
}

static int grow(struct sim *s, size_t n)
{
	if (n <= s->pcap)
		return 0;
	struct policy_proc *np = realloc(s->procs, n * 2 * sizeof(*np));
	uint32_t *nj;

	if (!np)
		return -1;
	s->procs = np;
	nj = realloc(s->pjob, n * 2 * sizeof(*nj));
	if (!nj)
		return -1;
	s->pjob = nj;
	s->pcap = n * 2;
	return 0;
}

/* A guest's home is elsewhere; a job whose pre-copy transfer is under way is already leaving. */
static unsigned flags(const struct sim *s, uint32_t i, uint32_t j)
{
	return (s->w[j].origin != i ? POLICY_PROC_GUEST : 0u) |
	       (s->jdest[j] != UINT32_MAX ? POLICY_PROC_NOMIGRATE : 0u);
}

/* Fills s->procs (which it may reallocate: call it before reading s->procs). */
static size_t build_procs(struct sim *s, uint32_t i)
{
	struct sim_node *nd = &s->nodes[i];

	if (grow(s, nd->jobs.n) < 0)
		return 0;
	sim__advance(s, i);
	for (uint32_t k = 0; k < nd->jobs.n; k++) {
		uint32_t j = nd->jobs.a[k];

		s->pjob[k] = j;
		s->procs[k] = (struct policy_proc){j,
						   s->w[j].work - (s->fv[j] - nd->vtime),
						   1.0,
						   s->w[j].mem,
						   s->lastmig[j],
						   flags(s, i, j)};
	}
	return nd->jobs.n;
}

static void migrate(struct sim *s, uint32_t j, uint32_t to)
{
	double cost = policy_migration_cost(&s->c->params, s->w[j].mem);

	s->lastmig[j] = s->now;
	s->migrations++;
	s->mib_moved += s->w[j].mem;
	if (s->c->precopy) {
		sim__precopy(s, j, to, cost);
		return;
	}
	s->rem[j] = sim__job_remove(s, j);
	sim__transit(s, j, to, cost);
}

/* The receiver's check, made with its own exact state. */
static int ask_target(struct sim *s, uint32_t to, double src_load, double mem, double margin)
{
	struct policy_params p = s->c->params;
	struct policy_offer o = {src_load, mem};
	int r;

	p.margin = margin;
	r = policy_accept(&s->nodes[to].act, sim__load_index(s, to), s->nodes[to].speed,
			  sim__mem_free(s, to), &o, &p);
	s->refusals += r < 0;
	return r;
}

#define PROBE_LIMIT 3 /* Eager, Lazowska & Zahorjan: a small probe limit suffices */

/* A target for a process that must leave node i whatever the loads (drain, ushering): power
 * of d over the view with enough free memory, the receiver may still refuse (-EPERM when it
 * is draining or its owner is back, -ENOMEM); up to PROBE_LIMIT targets. -ENOENT if none. */
static int64_t must_leave_target(struct sim *s, uint32_t i, double mem)
{
	const struct policy_params *p = &s->c->params;
	size_t nc = cands(s, i, false, false);

	for (int t = 0; t < PROBE_LIMIT; t++) {
		int b;

		if (t && s->c->oracle) /* exact loads of d random nodes: draw new ones */
			nc = cands(s, i, false, false);
		b = policy_locate(s->cand, nc, mem + p->mem_reserve, p, &s->rng, NULL, NULL);
		if (b < 0)
			return -ENOENT;
		if (s->cand[b].load >= POLICY_LOAD_CLOSED)
			continue; /* sampled only nodes that take no work: sample again */
		sim__note_age(s, s->cand[b].age);
		if (ask_target(s, s->cand[b].node, INFINITY, mem, p->margin) == 0)
			return s->cand[b].node;
		s->cand[b].load = INFINITY;
	}
	return -ENOENT;
}

/* A birth on a draining node is placed elsewhere; it stays only if nobody takes it. */
static uint32_t place_away(struct sim *s, uint32_t j, uint32_t o)
{
	int64_t to = must_leave_target(s, o, s->w[j].mem);

	return to < 0 ? o : (uint32_t)to;
}

static uint32_t place_ferry(struct sim *s, uint32_t j, uint32_t o)
{
	struct policy_params pp = s->c->params, *p = &pp;
	double mem = s->w[j].mem, here = sim__load_index(s, o);
	bool short_mem = sim__mem_free(s, o) - mem < p->mem_reserve;
	size_t n = cands(s, o, false, false);
	int b = policy_locate(s->cand, n, short_mem ? mem + p->mem_reserve : 0, p, &s->rng, NULL,
			      NULL);
	struct policy_cand c;

	if (s->nodes[o].act.draining)
		return place_away(s, j, o);
	if (b < 0)
		return o;
	/* E[1/L] is learnt from the processes that finished so far, as ferryd would. */
	pp.place_cost = s->c->place_cost;
	pp.inv_life = s->done ? s->inv_sum / s->done : 0;
	c = s->cand[b];
	sim__note_age(s, c.age);
	if (!short_mem && !policy_place_remote(here, s->nodes[o].speed, &c, p))
		return o;
	if (ask_target(s, c.node, short_mem ? INFINITY : here + 1.0 / s->nodes[o].speed, mem,
		       p->place_margin) < 0)
		return o;
	return c.node;
}

uint32_t sim__place(struct sim *s, uint32_t j, double *ret_cost)
{
	uint32_t o = s->w[j].origin, to = o;
	struct policy_params unit = s->c->params;
	int b;

	unit.inv_life = 0; /* the published baseline has no lifetime model */
	unit.place_margin = s->c->base_place_margin;
	switch (s->pol) {
	case SIM_RANDOM:
		to = policy_rand_below(&s->rng, s->c->nodes);
		break;
	case SIM_PLACEMENT:
		b = policy_locate_min(s->cand, cands(s, o, true, true));
		if (b < 0)
			break;
		sim__note_age(s, s->cand[b].age);
		if (policy_place_remote(s->nodes[o].jobs.n, 1.0, &s->cand[b], &unit))
			to = s->cand[b].node;
		break;
	case SIM_FERRY:
		to = place_ferry(s, j, o);
		break;
	default:
		break;
	}
	*ret_cost = s->c->place_cost;
	return to;
}

static void step_hbd(struct sim *s, uint32_t i)
{
	struct policy_params hbd = s->c->params;
	size_t n = s->nodes[i].jobs.n, nc, np;
	int b, k;

	hbd.recent = 0; /* the published policy has no such rule */
	hbd.cpu_bound_min = 0;
	if (n < 2)
		return;
	nc = cands(s, i, true, true);
	b = policy_locate_min(s->cand, nc);
	if (b < 0)
		return;
	np = build_procs(s, i);
	k = policy_select_hbd(s->procs, np, s->now, (double)n, s->cand[b].load, &hbd);
	if (k < 0)
		return;
	sim__note_age(s, s->cand[b].age);
	migrate(s, s->pjob[k], s->cand[b].node);
}

/* One attempt: choose a target among the candidates, a process for it, and ask. Returns 1 if
 * a migration started, 0 if nothing is worth it, -1 if the target refused. */
static int send_once(struct sim *s, uint32_t i, size_t nc, bool fresh)
{
	const struct policy_params *p = &s->c->params;
	int b = fresh ? policy_locate_min(s->cand, nc)
		      : policy_locate(s->cand, nc, 0, p, &s->rng, NULL, NULL);
	double src = sim__load_index(s, i);
	struct policy_params fp = *p;
	struct policy_cand *c;
	size_t np;
	int k;

	if (b < 0 || s->cand[b].load >= POLICY_LOAD_CLOSED)
		return 0;
	c = &s->cand[b];
	np = build_procs(s, i);
	if (c->age <= p->fresh) {
		/* Exact loads cannot mislead into ping-pong: no recency ban and no margin even if
		 * they are set (HBD's rule); a lone process relieves nobody. */
		fp.recent = 0;
		fp.margin = 0;
		k = np < 2 ? -ENOENT : policy_select_hbd(s->procs, np, s->now, src, c->load, &fp);
	} else {
		k = policy_select_sender(s->procs, np, s->now, src, c->load, c->capacity, p);
	}
	if (k < 0)
		return 0;
	sim__note_age(s, c->age);
	if (ask_target(s, c->node, src, s->procs[k].mem, fp.margin) < 0) {
		c->load = INFINITY; /* do not ask it again this round */
		return -1;
	}
	migrate(s, s->pjob[k], c->node);
	return 1;
}

/* The HBD criterion in capacity units against the least loaded node (fresh information) or a
 * power of d target with the stability condition and the receiver's refusal (stale), with up to
 * PROBE_LIMIT targets asked in turn. */
static void ferry_send(struct sim *s, uint32_t i)
{
	bool fresh = s->c->oracle;
	size_t nc = cands(s, i, false, fresh);

	for (int t = 0; t < PROBE_LIMIT; t++)
		if (send_once(s, i, nc, fresh) >= 0)
			return;
}

/* Receiver-initiated: an idle node picks the busiest of d candidates and asks it for work;
 * the donor runs the same selection with its own exact load. */
static void ferry_ask(struct sim *s, uint32_t i)
{
	const struct policy_params *p = &s->c->params;
	size_t nc = cands(s, i, false, false), np;
	uint32_t donor;
	int b, k;

	for (size_t t = 0; t < nc; t++)
		s->cand[t].load = -s->cand[t].load;
	b = policy_locate(s->cand, nc, 0, p, &s->rng, NULL, NULL);
	if (b < 0 || -s->cand[b].load < p->high)
		return;
	donor = s->cand[b].node;
	sim__note_age(s, s->cand[b].age);
	np = build_procs(s, donor);
	if (s->c->oracle) {
		/* Exact loads: the donor applies the same rule as a fresh sender (HBD's). */
		struct policy_params fp = *p;

		fp.recent = 0;
		fp.margin = 0;
		k = np < 2 ? -ENOENT
			   : policy_select_hbd(s->procs, np, s->now, sim__load_index(s, donor),
					       sim__load_index(s, i), &fp);
	} else {
		k = policy_select(s->procs, np, s->now, sim__load_index(s, donor),
				  s->nodes[donor].speed, sim__load_index(s, i), s->nodes[i].speed,
				  p);
	}
	if (k >= 0)
		migrate(s, s->pjob[k], i);
}

/* Drain: every movable process leaves, oldest first, until nobody takes one. */
static void ferry_drain(struct sim *s, uint32_t i)
{
	for (;;) {
		size_t np = build_procs(s, i);
		int k = policy_select_drain(s->procs, np);
		int64_t to;

		if (k < 0)
			return;
		to = must_leave_target(s, i, s->procs[k].mem);
		if (to < 0)
			return;
		s->drained++;
		migrate(s, s->pjob[k], (uint32_t)to);
	}
}

/* The owner is back (Sprite): every guest goes home at once. Home takes its own processes
 * back unless it is itself draining, in which case the guest goes wherever it is taken. */
static void ferry_evict(struct sim *s, uint32_t i)
{
	for (;;) {
		size_t np = build_procs(s, i);
		int k = policy_select_evict(s->procs, np);
		uint32_t j;
		int64_t to;

		if (k < 0)
			return;
		j = s->pjob[k];
		to = s->w[j].origin;
		if (s->nodes[to].act.draining || s->nodes[to].act.owner_active)
			to = must_leave_target(s, i, s->procs[k].mem);
		if (to < 0)
			return;
		s->evictions++;
		migrate(s, j, (uint32_t)to);
	}
}

static void ferry_usher(struct sim *s, uint32_t i)
{
	const struct policy_params *p = &s->c->params;
	size_t np = build_procs(s, i), nc;
	int k = policy_select_usher(s->procs, np, s->now, p), b;

	if (k < 0)
		return;
	nc = cands(s, i, false, false);
	b = policy_locate(s->cand, nc, s->procs[k].mem + p->mem_reserve, p, &s->rng, NULL, NULL);
	if (b < 0)
		return;
	sim__note_age(s, s->cand[b].age);
	/* Memory ushering overrides the load margin: paging is worse than any queue. */
	if (ask_target(s, s->cand[b].node, INFINITY, s->procs[k].mem, p->margin) == 0)
		migrate(s, s->pjob[k], s->cand[b].node);
}

void sim__activate(struct sim *s, uint32_t i, enum policy_trigger why)
{
	struct sim_node *nd = &s->nodes[i];

	if (s->pol == SIM_HBD && why != POLICY_TRIGGER_PROC_EXIT) {
		step_hbd(s, i);
		return;
	}
	if (s->pol != SIM_FERRY)
		return;
	switch (policy_activate(&nd->act, why, sim__load_index(s, i), sim__mem_free(s, i),
				&s->c->params)) {
	case POLICY_ACT_SEND:
		ferry_send(s, i);
		break;
	case POLICY_ACT_ASK:
		ferry_ask(s, i);
		break;
	case POLICY_ACT_USHER:
		ferry_usher(s, i);
		break;
	case POLICY_ACT_DRAIN:
		ferry_drain(s, i);
		break;
	case POLICY_ACT_EVICT:
		ferry_evict(s, i);
		break;
	default:
		break;
	}
}
