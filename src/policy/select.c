/* SPDX-License-Identifier: MIT */
/* Selection: which local process to migrate (age-based, cost-aware, after Harchol-Balter &
 * Downey), and memory ushering's choice. Pure: no I/O, no clock reads. */
#include <errno.h>
#include <math.h>

#include "policy/policy.h"

double policy_migration_cost(const struct policy_params *p, double mem)
{
	return p->mig_fixed + (p->bandwidth > 0 ? mem / p->bandwidth : 0);
}

bool policy_hbd_eligible(double age, double cost, double n, double m)
{
	return n > m && age > cost / (n - m);
}

double policy_saving(double age, double src, double src_cap, double dst, double dst_cap)
{
	/* Processor sharing: w seconds of demand on a node of capacity c with k tasks (itself
	 * included) cost the task w*k/c of its own time and delay each of the k-1 others by w/c:
	 * w*(2*load - 1/c) of total response time. Moving it saves the difference between the
	 * source (load `src`, counted) and the target (load dst + 1/dst_cap once it is there).
	 * With Pr{L > T | a} = a/T the median remaining demand is the age, so w = age. */
	return age * (2.0 * src - 1.0 / src_cap - 2.0 * (dst + 1.0 / dst_cap) + 1.0 / dst_cap);
}

static bool may_move(const struct policy_proc *pr, double now, const struct policy_params *p)
{
	if (pr->flags & POLICY_PROC_NOMIGRATE)
		return false;
	if (now - pr->last_migrated < p->recent)
		return false;
	return pr->cpu_frac >= p->cpu_bound_min;
}

int policy_select(const struct policy_proc *procs, size_t n, double now, double src, double src_cap,
		  double dst, double dst_cap, const struct policy_params *p)
{
	double best_ratio = 0;
	int best = -ENOENT;

	/* Stability margin: after the move the target must stay clearly below the source, so the
	 * process has no reason to come back (no ping-pong). */
	if (dst + 1.0 / dst_cap + p->margin > src)
		return -ENOENT;
	for (size_t i = 0; i < n; i++) {
		const struct policy_proc *pr = &procs[i];
		double cost, gain;

		if (!may_move(pr, now, p))
			continue;
		cost = policy_migration_cost(p, pr->mem);
		gain = policy_saving(pr->cpu_age, src, src_cap, dst, dst_cap);
		if (gain < p->benefit * cost)
			continue;
		if (gain / cost > best_ratio) {
			best_ratio = gain / cost;
			best = (int)i;
		}
	}
	return best;
}

/* The oldest movable process for which HBD's rule holds on the life left after `reserve`
 * transfer times (0: HBD's own rule), or -ENOENT. */
static int select_oldest_eligible(const struct policy_proc *procs, size_t n, double now,
				  double src_n, double dst_m, double reserve,
				  const struct policy_params *p)
{
	int best = -ENOENT;

	for (size_t i = 0; i < n; i++) {
		const struct policy_proc *pr = &procs[i];
		double cost = policy_migration_cost(p, pr->mem);

		if (!may_move(pr, now, p))
			continue;
		if (!policy_hbd_eligible(pr->cpu_age - reserve * cost, cost, src_n, dst_m))
			continue;
		if (best < 0 || pr->cpu_age > procs[best].cpu_age)
			best = (int)i;
	}
	return best;
}

int policy_select_hbd(const struct policy_proc *procs, size_t n, double now, double src_n,
		      double dst_m, const struct policy_params *p)
{
	return select_oldest_eligible(procs, n, now, src_n, dst_m, 0, p);
}

int policy_select_sender(const struct policy_proc *procs, size_t n, double now, double src,
			 double dst, double dst_cap, const struct policy_params *p)
{
	/* A lone process relieves nobody; the target must not end above the source (+ margin). */
	if (n < 2 || dst + 1.0 / dst_cap + p->margin > src)
		return -ENOENT;
	/* Pre-copy: the migrant keeps loading the source until its transfer ends, so nothing is
	 * gained before then (and nothing parked): HBD's threshold applies to the life left after
	 * the transfer, with a margin of precopy_life transfer times for the uncertainty of both
	 * loads by then (both ends are miscounted while the transfer runs). */
	return select_oldest_eligible(procs, n, now, src, dst, p->precopy ? p->precopy_life : 0, p);
}

int policy_select_usher(const struct policy_proc *procs, size_t n, double now,
			const struct policy_params *p)
{
	int best = -ENOENT;

	for (size_t i = 0; i < n; i++) {
		const struct policy_proc *pr = &procs[i];

		if ((pr->flags & POLICY_PROC_NOMIGRATE) || now - pr->last_migrated < p->recent)
			continue;
		if (best < 0 || pr->mem > procs[best].mem)
			best = (int)i;
	}
	return best;
}
