/* SPDX-License-Identifier: MIT */
/* ferry-sim internals shared by the event loop (engine.c) and the policy drivers (drive.c). */
#ifndef FERRY_SIM_ENGINE_H
#define FERRY_SIM_ENGINE_H

#include <stdbool.h>

#include "policy/load.h"
#include "heap.h"
#include "sim.h"

enum sim_ev_kind {
	EV_DONE,   /* the first job of a node's processor-sharing queue completes */
	EV_LAND,   /* a job in transit (placement or migration) arrives */
	EV_GOSSIP, /* a node's gossip tick */
	EV_TICK,   /* a node's periodic activation */
	EV_ADMIN,  /* --drain / --owner-returns takes effect (id: 0 drain, 1 owner) */
};

/* One node: a processor-sharing CPU kept in virtual time. Every job on the node has received
 * the same service since it joined, so a job's finish point in virtual time never changes and
 * the next completion is the heap minimum: O(log n) per event, no scan of the node's jobs. */
struct sim_node {
	double speed;
	double vtime;
	double last;
	double mem_used;
	struct sim_iheap jobs;
	uint32_t ver;
	bool ticking;
	uint32_t tick_gen;
	uint32_t incoming; /* accepted transfers on their way here: counted in the load */
	uint32_t outgoing; /* --precopy: jobs here whose transfer away is under way: not counted */
	struct policy_gossip g;
	struct policy_activation act;
	struct policy_load exported;
};

struct sim {
	const struct sim_cfg *c;
	const struct sim_proc *w;
	size_t nw;
	enum sim_policy pol;
	struct sim_node *nodes;
	double *fv;	 /* per job: finish point in its node's virtual time */
	double *rem;	 /* per job: remaining work while in transit */
	double *lastmig; /* per job: time of its last migration */
	int32_t *jpos;	 /* per job: slot in its node's heap */
	uint32_t *jnode; /* per job: node it runs on / travels to */
	uint32_t *jdest; /* per job: --precopy target while still running on its source, or -1 */
	double *nload;	 /* per node: exact load index (oracle key) */
	int32_t *opos;
	struct sim_iheap oracle;
	uint32_t *members;
	struct policy_entry *views;
	struct sim_evq q;
	struct policy_rand rng;
	double now;
	size_t next;
	bool gossip_on;
	struct policy_gossip_msg m1, m2;
	struct policy_cand *cand;
	struct policy_proc *procs;
	uint32_t *pjob;
	size_t pcap;
	/* metrics */
	double *slow;
	uint64_t done, gt3, msgs;
	double sum_slow, sum_resp, sum_delay, msg_until, inv_sum;
	uint64_t migrations, placements, refusals;
	double mib_moved, age_sum;
	uint64_t age_n;
	uint64_t *age_hist;
	double drain_empty, owner_clear; /* time it happened, or -1 */
	uint64_t drain_jobs_at, owner_guests_at, drained, drain_sent_to, drain_kept,
		owner_guests_to, evictions;
};

#define SIM_AGE_BINS 10000 /* 0.01-interval bins up to 100 intervals */

double sim__eff_speed(const struct sim *s, const struct sim_node *nd);
double sim__load_index(const struct sim *s, uint32_t i);
double sim__mem_free(const struct sim *s, uint32_t i);
void sim__advance(struct sim *s, uint32_t i);
void sim__job_add(struct sim *s, uint32_t i, uint32_t j, double rem);
double sim__job_remove(struct sim *s, uint32_t j);
void sim__transit(struct sim *s, uint32_t j, uint32_t to, double cost);
/* --precopy: job j keeps running where it is and moves to `to` after `cost` seconds. */
void sim__precopy(struct sim *s, uint32_t j, uint32_t to, double cost);
void sim__note_age(struct sim *s, double age);
/* Administration metrics: called whenever node i loses a job. */
void sim__admin_check(struct sim *s, uint32_t i);

/* drive.c: the policies, each calling src/policy. */
uint32_t sim__place(struct sim *s, uint32_t j, double *ret_cost);
void sim__activate(struct sim *s, uint32_t i, enum policy_trigger why);

#endif
