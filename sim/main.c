/* SPDX-License-Identifier: MIT */
/* ferry-sim: command line. Parses options, builds one workload, runs each requested policy on
 * it and prints one CSV row per policy (or the gossip-only experiment's row). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static const char usage[] =
	"usage: ferry-sim [options]\n"
	"Discrete-event simulation of a cluster of processor-sharing nodes; every policy runs on\n"
	"the same arrivals. CSV on stdout: a header and one row per policy.\n"
	"\n"
	"workload and cluster:\n"
	"  --nodes N           nodes (8)\n"
	"  --load L            offered load relative to total capacity (0.8)\n"
	"  --procs K           processes (200000)\n"
	"  --seed S            seed of every random draw (1)\n"
	"  --trace FILE        replay CSV 'arrival,demand[,mem_mib[,node]]' instead of generating\n"
	"  --dist pareto|exp   CPU demand distribution (pareto)\n"
	"  --alpha A           Pareto exponent (1.0: Pr{L>T | age a} = a/T)\n"
	"  --life-min S        Pareto lower bound, s; with --dist exp the mean (0.1)\n"
	"  --life-max S        Pareto upper bound, s (1000)\n"
	"  --skew Z            arrival weight of node i proportional to (i+1)^-Z (0)\n"
	"  --slow-frac F       fraction of slow nodes (0)\n"
	"  --slow-speed X      their relative CPU speed (0.25)\n"
	"  --mem-mean M        mean process memory, MiB, exponential (64)\n"
	"  --node-mem M        memory per node, MiB; beyond it the node slows down (0: unlimited)\n"
	"\n"
	"costs and information:\n"
	"  --place-cost S      remote execution at birth, s (0.3)\n"
	"  --mig-fixed S       fixed part of a migration, s (0.3)\n"
	"  --bandwidth B       migration transfer rate, MiB/s (100)\n"
	"  --oracle            decisions see exact current loads (no gossip)\n"
	"  --precopy           a migrant keeps running on its source during the transfer and\n"
	"                      moves when it ends (default: frozen, on no CPU, during it)\n"
	"  --gossip-interval S gossip period, s (1)\n"
	"  --window W          load entries per gossip message (16)\n"
	"  --max-age S         drop view entries older than this, s (3 gossip intervals)\n"
	"  --export-rise S     smoothing time constant of the exported load when rising (0: raw)\n"
	"  --export-fall S     ... when falling (0: raw)\n"
	"\n"
	"policy parameters (ferry's unless noted):\n"
	"  --policy P          none|random|placement|hbd|ferry|all (all)\n"
	"  --tick S            periodic activation, s (0.5)\n"
	"  --d D               candidates for the power of d choices (3)\n"
	"  --margin M          stability margin for migration, load per capacity (0)\n"
	"  --place-margin M    stability margin for placement at birth (4; 2 with --precopy)\n"
	"  --precopy-life K    with --precopy, the sender moves a process only if its age\n"
	"                      exceeds K x cost + cost / (src - dst) (100)\n"
	"  --base-place-margin M  the placement baseline's margin: it places a birth on the\n"
	"                      least loaded node if that is M below the local node (2)\n"
	"  --recent S          no re-migration within S seconds (0)\n"
	"  --benefit B         receiver-initiated: give only if predicted saving >= B x cost (4)\n"
	"  --high H            overloaded above this load index (1.5)\n"
	"  --low L             no longer overloaded below this load index (1.0)\n"
	"  --idle I            ask for work below this load index (0.5)\n"
	"  --mem-reserve M     MiB kept free; below it, usher memory away (0)\n"
	"\n"
	"administration (ferry's row only; the baselines ignore it):\n"
	"  --drain N@T         at time T (s) drain node N: its processes leave, it takes none\n"
	"  --owner-returns N@T at time T (s) node N's owner is back: its guests go home\n"
	"\n"
	"other:\n"
	"  --gossip-only I     run only dissemination + failure detection for I intervals\n"
	"  --help              this text\n";

enum {
	O_NODES = 256,
	O_LOAD,
	O_POLICY,
	O_PROCS,
	O_SEED,
	O_TRACE,
	O_DIST,
	O_ALPHA,
	O_LMIN,
	O_LMAX,
	O_SKEW,
	O_SFRAC,
	O_SSPEED,
	O_MEM,
	O_NMEM,
	O_PCOST,
	O_MFIX,
	O_BW,
	O_ORACLE,
	O_GINT,
	O_WIN,
	O_MAXAGE,
	O_ERISE,
	O_EFALL,
	O_TICK,
	O_D,
	O_MARGIN,
	O_PMARGIN,
	O_RECENT,
	O_BENEFIT,
	O_HIGH,
	O_LOW,
	O_IDLE,
	O_MRES,
	O_GONLY,
	O_HELP,
	O_DRAIN,
	O_OWNER,
	O_PRECOPY,
	O_BPMARGIN,
	O_PLIFE,
};

static const struct option opts[] = {
	{"nodes", 1, 0, O_NODES},
	{"load", 1, 0, O_LOAD},
	{"policy", 1, 0, O_POLICY},
	{"procs", 1, 0, O_PROCS},
	{"seed", 1, 0, O_SEED},
	{"trace", 1, 0, O_TRACE},
	{"dist", 1, 0, O_DIST},
	{"alpha", 1, 0, O_ALPHA},
	{"life-min", 1, 0, O_LMIN},
	{"life-max", 1, 0, O_LMAX},
	{"skew", 1, 0, O_SKEW},
	{"slow-frac", 1, 0, O_SFRAC},
	{"slow-speed", 1, 0, O_SSPEED},
	{"mem-mean", 1, 0, O_MEM},
	{"node-mem", 1, 0, O_NMEM},
	{"place-cost", 1, 0, O_PCOST},
	{"mig-fixed", 1, 0, O_MFIX},
	{"bandwidth", 1, 0, O_BW},
	{"oracle", 0, 0, O_ORACLE},
	{"gossip-interval", 1, 0, O_GINT},
	{"window", 1, 0, O_WIN},
	{"max-age", 1, 0, O_MAXAGE},
	{"export-rise", 1, 0, O_ERISE},
	{"export-fall", 1, 0, O_EFALL},
	{"tick", 1, 0, O_TICK},
	{"d", 1, 0, O_D},
	{"margin", 1, 0, O_MARGIN},
	{"place-margin", 1, 0, O_PMARGIN},
	{"recent", 1, 0, O_RECENT},
	{"benefit", 1, 0, O_BENEFIT},
	{"high", 1, 0, O_HIGH},
	{"low", 1, 0, O_LOW},
	{"idle", 1, 0, O_IDLE},
	{"mem-reserve", 1, 0, O_MRES},
	{"gossip-only", 1, 0, O_GONLY},
	{"help", 0, 0, O_HELP},
	{"drain", 1, 0, O_DRAIN},
	{"owner-returns", 1, 0, O_OWNER},
	{"precopy", 0, 0, O_PRECOPY},
	{"base-place-margin", 1, 0, O_BPMARGIN},
	{"precopy-life", 1, 0, O_PLIFE},
	{0, 0, 0, 0},
};

static int num(const char *s, double *ret)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !isfinite(v))
		return -EINVAL;
	*ret = v;
	return 0;
}

/* Maps an option to the double it sets; integers are converted after parsing. */
static double *slot(struct sim_cfg *c, int o, double *tmp)
{
	switch (o) {
	case O_LOAD:
		return &c->load;
	case O_ALPHA:
		return &c->alpha;
	case O_LMIN:
		return &c->life_min;
	case O_LMAX:
		return &c->life_max;
	case O_SKEW:
		return &c->skew;
	case O_SFRAC:
		return &c->slow_frac;
	case O_SSPEED:
		return &c->slow_speed;
	case O_MEM:
		return &c->mem_mean;
	case O_NMEM:
		return &c->node_mem;
	case O_PCOST:
		return &c->place_cost;
	case O_MFIX:
		return &c->params.mig_fixed;
	case O_BW:
		return &c->params.bandwidth;
	case O_GINT:
		return &c->gossip.interval;
	case O_MAXAGE:
		return &c->gossip.max_age;
	case O_ERISE:
		return &c->export_rise;
	case O_EFALL:
		return &c->export_fall;
	case O_TICK:
		return &c->tick;
	case O_MARGIN:
		return &c->params.margin;
	case O_PMARGIN:
		return &c->params.place_margin;
	case O_BPMARGIN:
		return &c->base_place_margin;
	case O_PLIFE:
		return &c->params.precopy_life;
	case O_RECENT:
		return &c->params.recent;
	case O_BENEFIT:
		return &c->params.benefit;
	case O_HIGH:
		return &c->params.high;
	case O_LOW:
		return &c->params.low;
	case O_IDLE:
		return &c->params.idle;
	case O_MRES:
		return &c->params.mem_reserve;
	default:
		return tmp;
	}
}

struct args {
	int policy;
	double gossip_only;
};

static int apply_int(struct sim_cfg *c, struct args *a, int o, double v)
{
	switch (o) {
	case O_NODES:
		if (v < 1 || v > 1e6)
			return -EINVAL;
		c->nodes = (uint32_t)v;
		break;
	case O_PROCS:
		if (v < 0 || v > 1e9)
			return -EINVAL;
		c->procs = (uint64_t)v;
		break;
	case O_SEED:
		c->seed = (uint64_t)v;
		break;
	case O_WIN:
		if (v < 1 || v > POLICY_GOSSIP_WINDOW_MAX)
			return -EINVAL;
		c->gossip.window = (unsigned)v;
		break;
	case O_D:
		if (v < 1 || v > 16)
			return -EINVAL;
		c->params.d = (unsigned)v;
		break;
	case O_GONLY:
		if (v <= 0)
			return -EINVAL;
		a->gossip_only = v;
		break;
	}
	return 0;
}

/* "NODE@TIME" */
static int node_at(const char *s, int64_t *node, double *t)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (end == s || *end != '@' || n < 0 || num(end + 1, t) < 0 || *t < 0)
		return -EINVAL;
	*node = n;
	return 0;
}

static int parse(int argc, char **argv, struct sim_cfg *c, struct args *a)
{
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		double tmp = 0, *p = slot(c, o, &tmp);

		if (o == O_HELP) {
			fputs(usage, stdout);
			exit(0);
		} else if (o == '?') {
			return -EINVAL;
		} else if (o == O_ORACLE) {
			c->oracle = 1;
		} else if (o == O_PRECOPY) {
			c->precopy = 1;
		} else if (o == O_DRAIN || o == O_OWNER) {
			if (node_at(optarg, o == O_DRAIN ? &c->drain_node : &c->owner_node,
				    o == O_DRAIN ? &c->drain_at : &c->owner_at) < 0) {
				fprintf(stderr, "ferry-sim: bad value '%s' for --%s (NODE@TIME)\n",
					optarg, o == O_DRAIN ? "drain" : "owner-returns");
				return -EINVAL;
			}
		} else if (o == O_TRACE) {
			c->trace = optarg;
		} else if (o == O_POLICY) {
			if ((a->policy = sim_policy_parse(optarg)) < 0)
				return -EINVAL;
		} else if (o == O_DIST) {
			if (strcmp(optarg, "pareto") && strcmp(optarg, "exp"))
				return -EINVAL;
			c->dist = strcmp(optarg, "exp") ? SIM_DIST_PARETO : SIM_DIST_EXP;
		} else if (num(optarg, p) < 0 || (p == &tmp && apply_int(c, a, o, tmp) < 0)) {
			fprintf(stderr, "ferry-sim: bad value '%s' for --%s\n", optarg,
				opts[o - O_NODES].name);
			return -EINVAL;
		}
	}
	return optind < argc ? -EINVAL : 0;
}

static int validate(const struct sim_cfg *c)
{
	if (!(c->load > 0) || !(c->life_min > 0) || !(c->life_max > c->life_min) ||
	    !(c->alpha > 0) || !(c->gossip.interval > 0) || !(c->tick > 0) ||
	    !(c->params.bandwidth > 0) || c->slow_frac < 0 || c->slow_frac > 1 ||
	    !(c->slow_speed > 0) || c->place_cost < 0 || c->params.mig_fixed < 0 ||
	    !(c->params.precopy_life >= 0) ||
	    c->drain_node >= (int64_t)c->nodes || c->owner_node >= (int64_t)c->nodes)
		return -EINVAL;
	return 0;
}

static int run_gossip(const struct sim_cfg *c, double intervals)
{
	struct sim_gossip_result r;
	int e = sim_gossip_run(c, intervals, &r);

	if (e < 0)
		return e;
	printf("nodes,intervals,window,age_mean_iv,age_p99_iv,msgs_per_node_interval,"
	       "dead_first_iv,dead_all_iv,false_dead,view_fill\n");
	printf("%u,%.0f,%u,%.3f,%.2f,%.3f,%.2f,%.2f,%llu,%u\n", r.nodes, r.intervals,
	       c->gossip.window, r.age_mean, r.age_p99, r.msgs_per_node_interval, r.dead_first,
	       r.dead_all, (unsigned long long)r.false_dead, r.view_fill);
	return 0;
}

static void print_row(const struct sim_cfg *c, const struct sim_result *r)
{
	printf("%s,%u,%.3f,%llu,%llu,%.4f,%.3f,%.5f,%.4f,%.4f,%llu,%llu,%llu,%.0f,%.3f,%.3f,"
	       "%.3f,%.1f,%.2f,%llu,%.3f,%llu,%llu,%llu,%llu,%.3f,%llu,%llu\n",
	       sim_policy_name(r->policy), c->nodes, c->load, (unsigned long long)r->done,
	       (unsigned long long)c->seed, r->mean_slowdown, r->p99_slowdown, r->frac_gt3,
	       r->mean_response, r->mean_delay, (unsigned long long)r->migrations,
	       (unsigned long long)r->placements, (unsigned long long)r->refusals, r->mib_moved,
	       r->info_age_mean, r->info_age_p99, r->msgs_per_node_s, r->sim_time, r->wall_s,
	       (unsigned long long)r->drain_jobs_at, r->drain_empty_s,
	       (unsigned long long)r->drained, (unsigned long long)r->drain_sent_to,
	       (unsigned long long)r->drain_kept, (unsigned long long)r->owner_guests_at,
	       r->owner_clear_s, (unsigned long long)r->owner_guests_to,
	       (unsigned long long)r->evictions);
	fflush(stdout);
}

static bool strstr_args(int argc, char **argv, const char *opt)
{
	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], opt, strlen(opt)))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct sim_cfg c;
	struct args a = {_SIM_POLICY_MAX, 0};
	struct sim_proc *w;
	size_t n;
	char err[512] = "";
	int r;

	sim_cfg_default(&c);
	/* Defaults that depend on N (rumor retransmissions) must see --nodes first. */
	for (int i = 1; i < argc - 1; i++)
		if (!strcmp(argv[i], "--nodes"))
			c.nodes = (uint32_t)atoi(argv[i + 1]);
	policy_gossip_cfg_default(&c.gossip, c.nodes ? c.nodes : 1);
	if (parse(argc, argv, &c, &a) < 0 || validate(&c) < 0) {
		fputs(usage, stderr);
		return 2;
	}
	/* Unless given, the expiry of view entries follows the gossip interval. */
	if (!strstr_args(argc, argv, "--max-age"))
		c.gossip.max_age = 3.0 * c.gossip.interval;
	/* The transfer mode, as ferryd sets it from its migration strategy; an explicit
	 * --place-margin still wins over the mode's default. */
	if (c.precopy) {
		double pm = c.params.place_margin;

		policy_params_transfer(&c.params, true);
		if (strstr_args(argc, argv, "--place-margin"))
			c.params.place_margin = pm;
	}
	if (a.gossip_only > 0)
		return run_gossip(&c, a.gossip_only) < 0;
	r = sim_workload(&c, &w, &n, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "ferry-sim: workload: %s\n", err);
		return 1;
	}
	printf("policy,nodes,load,procs,seed,mean_slowdown,p99_slowdown,frac_slowdown_gt3,"
	       "mean_response,mean_delay,migrations,placements,refusals,mib_moved,"
	       "info_age_mean,info_age_p99,msgs_per_node_s,sim_time,wall_s,drain_jobs_at,"
	       "drain_empty_s,drained,drain_sent_to,drain_kept,owner_guests_at,owner_clear_s,owner_"
	       "guests_to,evictions\n");
	for (int p = 0; p < _SIM_POLICY_MAX && !r; p++) {
		struct sim_result res;

		if (a.policy != _SIM_POLICY_MAX && a.policy != p)
			continue;
		r = sim_run(&c, w, n, p, &res);
		if (!r)
			print_row(&c, &res);
	}
	free(w);
	if (r < 0)
		fprintf(stderr, "ferry-sim: %s\n", strerror(-r));
	return r < 0;
}
