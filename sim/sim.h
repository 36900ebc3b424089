/* SPDX-License-Identifier: MIT */
/* ferry-sim: discrete-event simulator of a cluster of processor-sharing nodes driven by the
 * policy library (src/policy). Shared declarations of the simulator's core. */
#ifndef FERRY_SIM_SIM_H
#define FERRY_SIM_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

enum sim_policy {
	SIM_NONE,
	SIM_RANDOM,
	SIM_PLACEMENT,
	SIM_HBD,
	SIM_FERRY,
	_SIM_POLICY_MAX,
};

enum sim_dist {
	SIM_DIST_PARETO, /* bounded Pareto */
	SIM_DIST_EXP,	 /* exponential (for validation against M/M/1) */
};

struct sim_cfg {
	uint32_t nodes;
	double load; /* offered load relative to total capacity */
	uint64_t procs;
	uint64_t seed;
	enum sim_dist dist;
	double alpha, life_min, life_max; /* bounded Pareto CPU demand, s at speed 1 */
	double skew;			  /* arrival weight of node i ∝ (i+1)^-skew */
	double slow_frac;		  /* fraction of nodes that are slow */
	double slow_speed;		  /* their relative speed */
	double mem_mean;		  /* MiB, exponential per process; 0 = none */
	double node_mem;		  /* MiB per node; 0 = unlimited */
	double place_cost;		  /* s, remote execution at birth */
	double base_place_margin;	  /* the placement baseline's margin (ferry: params) */
	double tick;			  /* s, periodic activation */
	int oracle;			  /* 1: decisions see exact current loads, no gossip */
	int precopy; /* 1: a migrant keeps running on its source until its transfer ends */
	double export_rise, export_fall; /* smoothing of the exported load, s; 0 = raw */
	struct policy_gossip_cfg gossip;
	struct policy_params params;
	const char *trace; /* CSV "arrival,demand[,mem[,node]]", or NULL */
	/* Administration (ferry only): drain a node, or its owner returns; node -1 = none. */
	int64_t drain_node, owner_node;
	double drain_at, owner_at;
};

/* One process of the workload; the same array is replayed for every policy. */
struct sim_proc {
	double arrival;
	double work; /* CPU seconds at speed 1 */
	float mem;   /* MiB */
	uint32_t origin;
};

struct sim_result {
	enum sim_policy policy;
	uint64_t done;
	double mean_slowdown, p99_slowdown, frac_gt3;
	double mean_response, mean_delay;
	uint64_t migrations, placements, refusals;
	double mib_moved;
	double info_age_mean, info_age_p99; /* s */
	double msgs_per_node_s;
	double sim_time, wall_s;
	/* --drain: processes on the node at the drain, s from the drain to an empty node (-1:
	 * never / not asked), processes it sent away, transfers started towards it afterwards,
	 * local births it kept afterwards. --owner-returns: guests on the node when the owner came
	 * back, s until no guest is left (-1: never / not asked), guests sent to it afterwards,
	 * guests sent home. */
	double drain_empty_s, owner_clear_s;
	uint64_t drain_jobs_at, owner_guests_at, drained, drain_sent_to, drain_kept,
		owner_guests_to, evictions;
};

void sim_cfg_default(struct sim_cfg *c);
const char *sim_policy_name(enum sim_policy p);
int sim_policy_parse(const char *s);

/* workload.c */
double sim_pareto_mean(double alpha, double lo, double hi);
double sim_draw_work(const struct sim_cfg *c, struct policy_rand *r);
/* Mean CPU demand of the configured distribution. */
double sim_work_mean(const struct sim_cfg *c);
double sim_node_speed(const struct sim_cfg *c, uint32_t i);
/* Generate (or load from c->trace) the arrivals. Returns 0 and *ret (malloc'd, *ret_n entries),
 * or -errno (-EINVAL bad trace line, -ENOMEM) with the reason in err (errlen bytes). */
int sim_workload(const struct sim_cfg *c, struct sim_proc **ret, size_t *ret_n, char *err,
		 size_t errlen);
/* Node for a generated birth: u uniform in [0,1) against the cumulative weights. */
uint32_t sim_pick_node(const double *cum, uint32_t n, double u);

/* trace.c */
struct sim_trace_rec {
	double arrival, demand, mem;
	int has_node;
	uint32_t node;
};
/* Parse one line of a trace. Returns 1 and *out for a record, 0 for a blank or '#' comment
 * line, or -EINVAL with *why set to a (static) reason. */
int sim_trace_line(const char *line, uint32_t nodes, struct sim_trace_rec *out, const char **why);
/* Read c->trace; returns 0, or -errno with "<file> line <n>: <reason>" in err. */
int sim_trace_load(const struct sim_cfg *c, const double *cum, struct sim_proc **ret, size_t *ret_n,
		   char *err, size_t errlen);

/* engine.c */
int sim_run(const struct sim_cfg *c, const struct sim_proc *w, size_t n, enum sim_policy pol,
	    struct sim_result *res);

/* metrics.c */
double sim_quantile(double *v, size_t n, double q); /* reorders v */

/* gossipsim.c: dissemination and failure detection only, no processes. */
struct sim_gossip_result {
	uint32_t nodes;
	double intervals;
	double age_mean, age_p99; /* in intervals, entries in views sampled at ticks */
	double msgs_per_node_interval;
	double dead_first, dead_all; /* intervals from the crash to first / every node */
	uint64_t false_dead;	     /* live nodes declared dead somewhere */
	uint32_t view_fill;	     /* mean view occupancy at the end */
};
int sim_gossip_run(const struct sim_cfg *c, double intervals, struct sim_gossip_result *res);

#endif
