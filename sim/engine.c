/* SPDX-License-Identifier: MIT */
/* ferry-sim event loop: processor-sharing nodes in virtual time, a binary-heap event queue,
 * gossip ticks through src/policy/gossip, and the metrics. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "engine.h"

#define VIEW_CAP 32

double sim__eff_speed(const struct sim *s, const struct sim_node *nd)
{
	double cap = s->c->node_mem;

	/* Memory pressure: beyond its memory the node pages, modelled as a slowdown in
	 * proportion to the overcommit (a modelling choice, see docs/policy.md). */
	if (cap > 0 && nd->mem_used > cap)
		return nd->speed * cap / nd->mem_used;
	return nd->speed;
}

double sim__load_index(const struct sim *s, uint32_t i)
{
	const struct sim_node *nd = &s->nodes[i];

	return (nd->jobs.n + nd->incoming - nd->outgoing) / nd->speed;
}

double sim__mem_free(const struct sim *s, uint32_t i)
{
	return s->c->node_mem > 0 ? s->c->node_mem - s->nodes[i].mem_used : 1e12;
}

static void advance(struct sim *s, struct sim_node *nd)
{
	if (nd->jobs.n)
		nd->vtime += (s->now - nd->last) * sim__eff_speed(s, nd) / nd->jobs.n;
	nd->last = s->now;
}

static void reschedule(struct sim *s, uint32_t i)
{
	struct sim_node *nd = &s->nodes[i];
	double dt;

	nd->ver++;
	if (s->oracle.a) {
		s->nload[i] = sim__load_index(s, i);
		sim_iheap_fix(&s->oracle, s->opos[i], s->nload, s->opos);
	}
	if (!nd->jobs.n)
		return;
	dt = (s->fv[nd->jobs.a[0]] - nd->vtime) * nd->jobs.n / sim__eff_speed(s, nd);
	sim_evq_push(&s->q, s->now + (dt > 0 ? dt : 0), EV_DONE, i, nd->ver);
}

static void ticks_start(struct sim *s, uint32_t i, double phase)
{
	struct sim_node *nd = &s->nodes[i];

	if (nd->ticking)
		return;
	nd->ticking = true;
	nd->tick_gen++; /* events of an earlier chain are ignored */
	if (s->gossip_on)
		sim_evq_push(&s->q, s->now + phase * s->c->gossip.interval, EV_GOSSIP, i,
			     nd->tick_gen);
	if (s->pol == SIM_HBD || s->pol == SIM_FERRY)
		sim_evq_push(&s->q, s->now + phase * s->c->tick, EV_TICK, i, nd->tick_gen);
}

void sim__advance(struct sim *s, uint32_t i)
{
	advance(s, &s->nodes[i]);
}

void sim__job_add(struct sim *s, uint32_t i, uint32_t j, double rem)
{
	struct sim_node *nd = &s->nodes[i];

	advance(s, nd);
	s->fv[j] = nd->vtime + rem;
	s->jnode[j] = i;
	sim_iheap_push(&nd->jobs, j, s->fv, s->jpos);
	nd->mem_used += s->w[j].mem;
	reschedule(s, i);
	ticks_start(s, i, policy_rand_unit(&s->rng));
}

double sim__job_remove(struct sim *s, uint32_t j)
{
	uint32_t i = s->jnode[j];
	struct sim_node *nd = &s->nodes[i];
	double rem;

	advance(s, nd);
	rem = s->fv[j] - nd->vtime;
	sim_iheap_remove(&nd->jobs, s->jpos[j], s->fv, s->jpos);
	nd->mem_used -= s->w[j].mem;
	if (!nd->jobs.n)
		nd->mem_used = 0; /* no float drift on an empty node */
	reschedule(s, i);
	sim__admin_check(s, i);
	return rem > 0 ? rem : 0;
}

void sim__transit(struct sim *s, uint32_t j, uint32_t to, double cost)
{
	s->drain_sent_to += s->nodes[to].act.draining;
	s->owner_guests_to += s->nodes[to].act.owner_active && s->w[j].origin != to;
	s->jnode[j] = to;
	s->nodes[to].incoming++;
	if (s->oracle.a) {
		s->nload[to] = sim__load_index(s, to);
		sim_iheap_fix(&s->oracle, s->opos[to], s->nload, s->opos);
	}
	sim_evq_push(&s->q, s->now + cost, EV_LAND, j, 0);
}

void sim__precopy(struct sim *s, uint32_t j, uint32_t to, double cost)
{
	s->jdest[j] = to;
	s->nodes[to].incoming++;
	s->nodes[s->jnode[j]].outgoing++;
	if (s->oracle.a) {
		s->nload[to] = sim__load_index(s, to);
		sim_iheap_fix(&s->oracle, s->opos[to], s->nload, s->opos);
	}
	sim_evq_push(&s->q, s->now + cost, EV_LAND, j, 1);
}

/* The end of a pre-copy transfer (or nothing, if the job finished on its source meanwhile). */
static void precopy_land(struct sim *s, uint32_t j)
{
	uint32_t to = s->jdest[j];

	if (to == UINT32_MAX)
		return;
	s->jdest[j] = UINT32_MAX;
	s->nodes[to].incoming--;
	s->nodes[s->jnode[j]].outgoing--;
	sim__job_add(s, to, j, sim__job_remove(s, j));
}

void sim__note_age(struct sim *s, double age)
{
	double b = age / s->c->gossip.interval * 100.0;

	s->age_sum += age;
	s->age_n++;
	s->age_hist[b < SIM_AGE_BINS - 1 ? (size_t)b : SIM_AGE_BINS - 1]++;
}

static void on_done(struct sim *s, uint32_t i)
{
	uint32_t j = s->nodes[i].jobs.a[0];
	double resp, sd;

	if (s->jdest[j] != UINT32_MAX) { /* finished before its pre-copy transfer did */
		s->nodes[s->jdest[j]].incoming--;
		s->nodes[i].outgoing--;
		s->jdest[j] = UINT32_MAX;
	}
	sim__job_remove(s, j);
	resp = s->now - s->w[j].arrival;
	sd = resp / s->w[j].work;
	s->slow[s->done++] = sd;
	s->sum_slow += sd;
	s->inv_sum += 1.0 / s->w[j].work;
	s->sum_resp += resp;
	s->sum_delay += resp - s->w[j].work;
	s->gt3 += sd > 3;
	sim__activate(s, i, POLICY_TRIGGER_PROC_EXIT);
}

static void on_arrival(struct sim *s, uint32_t j)
{
	double cost = 0;
	uint32_t to = sim__place(s, j, &cost);

	if (to == s->w[j].origin) {
		s->drain_kept += s->nodes[to].act.draining;
		sim__job_add(s, to, j, s->w[j].work);
		sim__activate(s, to, POLICY_TRIGGER_PROC_START);
		return;
	}
	s->rem[j] = s->w[j].work;
	s->placements++;
	sim__transit(s, j, to, cost);
}

static void deliver(struct sim *s, struct policy_gossip_msg *m, struct policy_gossip_msg *reply)
{
	s->msgs += s->next < s->nw;
	if (policy_gossip_input(&s->nodes[m->to].g, s->now, m, reply) == 1) {
		s->msgs += s->next < s->nw;
		policy_gossip_input(&s->nodes[reply->to].g, s->now, reply, m);
	}
}

static void on_gossip(struct sim *s, uint32_t i)
{
	struct sim_node *nd = &s->nodes[i];
	struct policy_load_sample smp = {.runq = nd->jobs.n - nd->outgoing,
					 .capacity = nd->speed,
					 .valid = 1u << POLICY_LOAD_RUNQ |
						  1u << POLICY_LOAD_CAPACITY};
	struct policy_smoothing sm = {s->c->export_rise, s->c->export_fall};

	policy_load_update(&nd->exported, &smp, s->now, &sm);
	/* A draining node, or one whose owner is back, advertises that it takes no work. */
	policy_gossip_set_self(&nd->g,
			       nd->act.draining || nd->act.owner_active
				       ? POLICY_LOAD_CLOSED
				       : (float)policy_load_index(&nd->exported),
			       (float)sim__mem_free(s, i), s->now);
	if (policy_gossip_tick(&nd->g, s->now, &s->rng, &s->m1) == 1)
		deliver(s, &s->m1, &s->m2);
}

/* Nodes keep ticking while arrivals remain; afterwards only busy nodes do, so the drain of
 * the last long jobs does not cost N ticks per interval. */
static void rearm(struct sim *s, uint32_t i, uint32_t kind, double period)
{
	struct sim_node *nd = &s->nodes[i];

	if (s->next >= s->nw && !nd->jobs.n) {
		nd->ticking = false;
		return;
	}
	sim_evq_push(&s->q, s->now + period, kind, i, nd->tick_gen);
}

/* Number of guests (processes whose home is elsewhere) running on node i. */
static uint32_t guests(const struct sim *s, uint32_t i)
{
	const struct sim_iheap *h = &s->nodes[i].jobs;
	uint32_t n = 0;

	for (uint32_t k = 0; k < h->n; k++)
		n += s->w[h->a[k]].origin != i;
	return n;
}

void sim__admin_check(struct sim *s, uint32_t i)
{
	const struct sim_node *nd = &s->nodes[i];

	if (nd->act.draining && s->drain_empty < 0 && !nd->jobs.n && !nd->incoming)
		s->drain_empty = s->now;
	if (nd->act.owner_active && s->owner_clear < 0 && !guests(s, i))
		s->owner_clear = s->now;
}

/* Only ferry's activation knows about administration; the baselines ignore it. */
static void admin_start(struct sim *s, uint32_t what)
{
	uint32_t i = (uint32_t)(what ? s->c->owner_node : s->c->drain_node);

	if (s->pol != SIM_FERRY)
		return;
	if (what)
		s->owner_guests_at = guests(s, i);
	else
		s->drain_jobs_at = s->nodes[i].jobs.n;
	if (what)
		s->nodes[i].act.owner_active = true;
	else
		s->nodes[i].act.draining = true;
	sim__admin_check(s, i);
	sim__activate(s, i, POLICY_TRIGGER_TICK);
}

static void dispatch(struct sim *s, struct sim_ev e)
{
	switch (e.kind) {
	case EV_DONE:
		if (e.ver == s->nodes[e.id].ver)
			on_done(s, e.id);
		break;
	case EV_LAND:
		if (e.ver == 1) {
			precopy_land(s, e.id);
			break;
		}
		s->nodes[s->jnode[e.id]].incoming--;
		sim__job_add(s, s->jnode[e.id], e.id, s->rem[e.id]);
		break;
	case EV_GOSSIP:
		if (!s->nodes[e.id].ticking || e.ver != s->nodes[e.id].tick_gen)
			break;
		on_gossip(s, e.id);
		rearm(s, e.id, EV_GOSSIP, s->c->gossip.interval);
		break;
	case EV_TICK:
		if (!s->nodes[e.id].ticking || e.ver != s->nodes[e.id].tick_gen)
			break;
		sim__activate(s, e.id, POLICY_TRIGGER_TICK);
		rearm(s, e.id, EV_TICK, s->c->tick);
		break;
	case EV_ADMIN:
		admin_start(s, e.id);
		break;
	}
}

static void loop(struct sim *s)
{
	while (s->done < s->nw) {
		bool arr = s->next < s->nw;

		if (arr && (!s->q.n || s->w[s->next].arrival <= s->q.a[0].t)) {
			s->now = s->w[s->next].arrival;
			s->msg_until = s->now;
			on_arrival(s, (uint32_t)s->next++);
			continue;
		}
		if (!s->q.n)
			break;
		struct sim_ev e = sim_evq_pop(&s->q);
		s->now = e.t;
		dispatch(s, e);
	}
}

static int alloc_all(struct sim *s)
{
	size_t n = s->nw ? s->nw : 1, N = s->c->nodes;

	s->nodes = calloc(N, sizeof(*s->nodes));
	s->fv = calloc(n, sizeof(double));
	s->rem = calloc(n, sizeof(double));
	s->lastmig = malloc(n * sizeof(double));
	s->jpos = calloc(n, sizeof(int32_t));
	s->jnode = calloc(n, sizeof(uint32_t));
	s->jdest = malloc(n * sizeof(uint32_t));
	s->slow = malloc(n * sizeof(double));
	s->age_hist = calloc(SIM_AGE_BINS, sizeof(uint64_t));
	s->cand = malloc((N > VIEW_CAP ? N : VIEW_CAP) * sizeof(*s->cand));
	if (!s->nodes || !s->fv || !s->rem || !s->lastmig || !s->jpos || !s->jnode || !s->jdest ||
	    !s->slow || !s->age_hist || !s->cand)
		return -ENOMEM;
	for (size_t j = 0; j < n; j++) {
		s->lastmig[j] = -INFINITY;
		s->jdest[j] = UINT32_MAX;
	}
	if (s->gossip_on) {
		s->members = malloc(N * N * sizeof(uint32_t));
		s->views = malloc(N * VIEW_CAP * sizeof(*s->views));
		if (!s->members || !s->views)
			return -ENOMEM;
	}
	if (s->c->oracle) {
		s->nload = calloc(N, sizeof(double));
		s->opos = calloc(N, sizeof(int32_t));
		if (!s->nload || !s->opos)
			return -ENOMEM;
		for (uint32_t i = 0; i < N; i++)
			if (sim_iheap_push(&s->oracle, i, s->nload, s->opos) < 0)
				return -ENOMEM;
	}
	return 0;
}

static int init_nodes(struct sim *s)
{
	const struct sim_cfg *c = s->c;

	for (uint32_t i = 0; i < c->nodes; i++) {
		struct sim_node *nd = &s->nodes[i];

		nd->speed = sim_node_speed(c, i);
		policy_load_init(&nd->exported, nd->speed, 0);
		if (!s->gossip_on)
			continue;
		if (policy_gossip_init(&nd->g, &c->gossip, i, s->members + (size_t)i * c->nodes,
				       c->nodes, s->views + (size_t)i * VIEW_CAP, VIEW_CAP) < 0)
			return -EINVAL;
		for (uint32_t k = 0; k < c->nodes; k++)
			policy_gossip_member_add(&nd->g, k, 1);
	}
	for (uint32_t i = 0; i < c->nodes; i++)
		ticks_start(s, i, policy_rand_unit(&s->rng));
	s->drain_empty = s->owner_clear = -1;
	if (c->drain_node >= 0 && c->drain_node < c->nodes)
		sim_evq_push(&s->q, c->drain_at, EV_ADMIN, 0, 0);
	if (c->owner_node >= 0 && c->owner_node < c->nodes)
		sim_evq_push(&s->q, c->owner_at, EV_ADMIN, 1, 0);
	return 0;
}

static void free_all(struct sim *s)
{
	if (s->nodes)
		for (uint32_t i = 0; i < s->c->nodes; i++)
			sim_iheap_free(&s->nodes[i].jobs);
	free(s->nodes);
	free(s->fv);
	free(s->rem);
	free(s->lastmig);
	free(s->jpos);
	free(s->jnode);
	free(s->jdest);
	free(s->slow);
	free(s->age_hist);
	free(s->cand);
	free(s->members);
	free(s->views);
	free(s->nload);
	free(s->opos);
	free(s->procs);
	free(s->pjob);
	sim_iheap_free(&s->oracle);
	sim_evq_free(&s->q);
}

static double age_p99(const struct sim *s)
{
	uint64_t want = (uint64_t)ceil(0.99 * (double)s->age_n), acc = 0;

	for (size_t b = 0; b < SIM_AGE_BINS && s->age_n; b++) {
		acc += s->age_hist[b];
		if (acc >= want)
			return (b + 1) / 100.0 * s->c->gossip.interval;
	}
	return 0;
}

static void results(struct sim *s, struct sim_result *r)
{
	double d = s->done ? (double)s->done : 1;

	r->policy = s->pol;
	r->done = s->done;
	r->mean_slowdown = s->sum_slow / d;
	r->mean_response = s->sum_resp / d;
	r->mean_delay = s->sum_delay / d;
	r->frac_gt3 = s->gt3 / d;
	r->p99_slowdown = sim_quantile(s->slow, s->done, 0.99);
	r->migrations = s->migrations;
	r->placements = s->placements;
	r->refusals = s->refusals;
	r->mib_moved = s->mib_moved;
	r->info_age_mean = s->age_n ? s->age_sum / s->age_n : 0;
	r->info_age_p99 = age_p99(s);
	r->msgs_per_node_s = s->msg_until > 0 ? s->msgs / (s->msg_until * s->c->nodes) : 0;
	r->sim_time = s->now;
	r->drain_empty_s = s->drain_empty >= 0 ? s->drain_empty - s->c->drain_at : -1;
	r->owner_clear_s = s->owner_clear >= 0 ? s->owner_clear - s->c->owner_at : -1;
	r->drained = s->drained;
	r->drain_jobs_at = s->drain_jobs_at;
	r->owner_guests_at = s->owner_guests_at;
	r->drain_sent_to = s->drain_sent_to;
	r->drain_kept = s->drain_kept;
	r->owner_guests_to = s->owner_guests_to;
	r->evictions = s->evictions;
}

int sim_run(const struct sim_cfg *c, const struct sim_proc *w, size_t n, enum sim_policy pol,
	    struct sim_result *res)
{
	struct sim s = {.c = c, .w = w, .nw = n, .pol = pol};
	uint64_t t0 = mono_ns();
	int r;

	if (!c->nodes || pol >= _SIM_POLICY_MAX)
		return -EINVAL;
	s.gossip_on = !c->oracle && pol >= SIM_PLACEMENT;
	policy_rand_seed(&s.rng, c->seed ^ (0x5bd1e995ULL * (pol + 1)));
	r = alloc_all(&s);
	if (!r)
		r = init_nodes(&s);
	if (!r) {
		loop(&s);
		results(&s, res);
	}
	free_all(&s);
	res->wall_s = (mono_ns() - t0) / 1e9;
	return r;
}
