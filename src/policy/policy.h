/* SPDX-License-Identifier: MIT */
/* Scheduling decisions over plain structs: activation (when), selection (which process),
 * location (where), receiver refusal, memory ushering, drain and owner-return eviction.
 * Pure: no I/O, no clock reads, no globals; `now` and randomness come from the caller. */
#ifndef FERRY_POLICY_POLICY_H
#define FERRY_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/gossip.h"
#include "policy/rand.h"

enum policy_proc_flags {
	POLICY_PROC_NOMIGRATE = 1u << 0, /* user or admin said "do not migrate" */
	POLICY_PROC_GUEST = 1u << 1,	 /* runs here, home is elsewhere */
};

/* What the selection policy knows about one local process. */
struct policy_proc {
	uint64_t id;
	double cpu_age;	      /* CPU seconds consumed so far (its "age") */
	double cpu_frac;      /* share of recent wall time it wanted the CPU, 0..1 */
	double mem;	      /* MiB to transfer */
	double last_migrated; /* time of its last migration, or -INFINITY */
	unsigned flags;	      /* enum policy_proc_flags */
};

struct policy_params {
	double mig_fixed;     /* s: fixed cost of a preemptive migration */
	double bandwidth;     /* MiB/s: measured transfer rate */
	double margin;	      /* stability margin, load-index units, for migration */
	double place_margin;  /* the same for placement at birth */
	double recent;	      /* s: a process migrated less than this ago stays put */
	double cpu_bound_min; /* processes wanting the CPU less than this are not moved */
	double benefit;	      /* ask donor: move only if predicted saving >= benefit × cost */
	unsigned d;	      /* candidates probed by the location policy */
	double high;	      /* activation: overloaded above this load index ... */
	double low;	      /* ... and no longer overloaded below this one */
	double idle;	      /* receiver-initiated: ask for work below this */
	double mem_reserve;   /* MiB: below this much free memory, usher work away */
	double place_cost;    /* s: cost of remote execution at birth */
	double inv_life;      /* 1/s: measured mean of 1/(CPU demand) of finished processes */
	double fresh;	      /* s: information younger than this is trusted without margin */
	bool precopy;	      /* transfer mode: the migrant runs on its source until the end */
	double precopy_life;  /* pre-copy sender: transfer times of age needed beyond HBD's */
};

void policy_params_default(struct policy_params *p);
/* Sets the transfer mode of the migration mechanism (as ferryd knows it from the strategy it
 * uses). Stop-and-copy (the default) freezes the migrant for the transfer; under pre-copy it
 * keeps running on, and loading, its source until the transfer ends, so a move relieves the
 * source only then: the sender asks for a longer expected life (precopy_life) and placement at
 * birth, which relieves at once, uses a smaller margin (2 instead of 4). */
void policy_params_transfer(struct policy_params *p, bool precopy);

/* ---- activation ---- */

enum policy_trigger {
	POLICY_TRIGGER_TICK,
	POLICY_TRIGGER_PROC_START,
	POLICY_TRIGGER_PROC_EXIT,
	POLICY_TRIGGER_MIGRATION,
};

enum policy_action {
	POLICY_ACT_NONE,
	POLICY_ACT_SEND,  /* sender-initiated: look for a process to move away */
	POLICY_ACT_ASK,	  /* receiver-initiated: ask a loaded peer for work */
	POLICY_ACT_USHER, /* memory ushering: move a memory-heavy process away */
	POLICY_ACT_DRAIN, /* administrator drain: move everything away */
	POLICY_ACT_EVICT, /* owner returned: send guests home */
};

struct policy_activation {
	bool overloaded; /* hysteresis state */
	bool draining;
	bool owner_active;
};

enum policy_action policy_activate(struct policy_activation *a, enum policy_trigger why,
				   double load, double mem_free, const struct policy_params *p);

/* ---- selection ---- */

double policy_migration_cost(const struct policy_params *p, double mem);
/* Harchol-Balter & Downey: worth moving if age > cost / (n - m), n and m in processes. */
bool policy_hbd_eligible(double age, double cost, double n, double m);
/* Predicted saving (s of total response time, the migrant's and its neighbours') of moving a
 * process of CPU age `age` from a node with load index `src` (counting the process) to one with
 * `dst` (not counting it). For equal capacities it is 2*age*(n - m - 1). */
double policy_saving(double age, double src, double src_cap, double dst, double dst_cap);
/* The donor of a receiver-initiated request with stale information: the process whose predicted
 * system saving (policy_saving) per unit of cost is largest and at least p->benefit x its cost,
 * if the requester (load index `dst`, capacity dst_cap) stays p->margin below this node (`src`,
 * src_cap) after the move. Returns its index, or -ENOENT if none is worth it. */
int policy_select(const struct policy_proc *procs, size_t n, double now, double src, double src_cap,
		  double dst, double dst_cap, const struct policy_params *p);
/* Harchol-Balter & Downey: the oldest process with age > cost/(n - m) (n, m process counts, or
 * load indices on unequal nodes), honouring marks, p->recent and p->cpu_bound_min; -ENOENT.
 * ferry uses it when its information about the target is fresh (age <= p->fresh). */
int policy_select_hbd(const struct policy_proc *procs, size_t n, double now, double src_n,
		      double dst_m, const struct policy_params *p);
/* ferry's sender with a power-of-d target (stale information): -ENOENT if the node holds a
 * single process or if the target (load dst + 1/dst_cap after the move) would end above src minus
 * p->margin; otherwise policy_select_hbd() in load-per-capacity units (oldest process whose age
 * exceeds cost / (src - dst)). Under pre-copy (p->precopy) the age must exceed
 * p->precopy_life x cost + cost / (src - dst): the move pays only after the transfer. */
int policy_select_sender(const struct policy_proc *procs, size_t n, double now, double src,
			 double dst, double dst_cap, const struct policy_params *p);

/* ---- location ---- */

/* A candidate destination: a view entry plus its capacity as the caller knows it. */
struct policy_cand {
	uint32_t node;
	double load;	 /* load index */
	double capacity; /* relative CPU capacity */
	double mem_free; /* MiB */
	double age;	 /* s, of the information */
};

/* Power of d choices: sample up to p->d distinct candidates with at least `mem` MiB free and
 * return the index of the least loaded, or -ENOENT. Ages of the sampled entries are added to
 * *ret_age_sum and counted in *ret_nused when those are non-NULL (for information-age metrics). */
int policy_locate(const struct policy_cand *c, size_t n, double mem, const struct policy_params *p,
		  struct policy_rand *rng, double *ret_age_sum, unsigned *ret_nused);
/* Index of the least loaded candidate overall (the "global least loaded" baseline), -ENOENT. */
int policy_locate_min(const struct policy_cand *c, size_t n);
/* Placement at birth: place on `cand` rather than locally only if the target would stay clearly
 * below the local node after the birth (place_margin) and the expected slowdown saved exceeds
 * what remote execution adds, place_cost * E[1/L] (inv_life; 0 disables that test). */
bool policy_place_remote(double local, double local_cap, const struct policy_cand *cand,
			 const struct policy_params *p);

/* The receiver's decision on an incoming migration, from its own (fresher) state. */
struct policy_offer {
	double src_load; /* sender's load index, counting the process */
	double mem;	 /* MiB the process needs */
};
/* Returns 0 to accept, or the reason to refuse: -EBUSY (would not stay clearly below the
 * sender), -ENOMEM (not enough free memory), -EPERM (draining or owner active). */
int policy_accept(const struct policy_activation *a, double load, double capacity, double mem_free,
		  const struct policy_offer *o, const struct policy_params *p);

/* ---- memory ushering, drain, eviction ---- */

/* The largest movable process (memory ushering), or -ENOENT. */
int policy_select_usher(const struct policy_proc *procs, size_t n, double now,
			const struct policy_params *p);
/* Drain: the next movable process (oldest first; "do not migrate" marks still honoured), or
 * -ENOENT when only pinned ones remain. */
int policy_select_drain(const struct policy_proc *procs, size_t n);
/* Owner returned: the next guest process to send home, or -ENOENT. */
int policy_select_evict(const struct policy_proc *procs, size_t n);

#endif
