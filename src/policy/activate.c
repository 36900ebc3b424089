/* SPDX-License-Identifier: MIT */
/* Activation (when to act) and administration (drain, owner-return eviction).
 * Pure: no I/O, no clock reads. */
#include <errno.h>
#include <math.h>

#include "policy/policy.h"

void policy_params_default(struct policy_params *p)
{
	p->mig_fixed = 0.3;
	p->bandwidth = 100.0;
	p->margin = 0.0;
	p->place_margin = 4.0;
	p->recent = 0.0;
	p->cpu_bound_min = 0.5;
	p->benefit = 1.0;
	p->d = 3;
	p->high = 1.5;
	p->low = 1.0;
	p->idle = 0.5;
	p->mem_reserve = 0.0;
	p->place_cost = 0.3;
	p->inv_life = 0.0;
	p->fresh = 0.1;
	p->precopy = false;
	p->precopy_life = 100.0;
}

void policy_params_transfer(struct policy_params *p, bool precopy)
{
	p->precopy = precopy;
	if (precopy)
		p->place_margin = 2.0;
}

/* Order matters: an administrator's drain and the owner's return override load balancing, and
 * running out of memory (thrashing) is worse than running slowly. */
enum policy_action policy_activate(struct policy_activation *a, enum policy_trigger why,
				   double load, double mem_free, const struct policy_params *p)
{
	if (a->draining)
		return POLICY_ACT_DRAIN;
	if (a->owner_active)
		return POLICY_ACT_EVICT;
	if (mem_free < p->mem_reserve)
		return POLICY_ACT_USHER;
	/* Hysteresis: enter above `high`, leave below `low`, so a load hovering at one threshold
	 * does not toggle the node between sender and non-sender. */
	if (load > p->high)
		a->overloaded = true;
	else if (load < p->low)
		a->overloaded = false;
	if (a->overloaded)
		return POLICY_ACT_SEND;
	/* An exit or outgoing migration may leave us idle: ask at once rather than at the tick. */
	if (load < p->idle && why != POLICY_TRIGGER_PROC_START)
		return POLICY_ACT_ASK;
	return POLICY_ACT_NONE;
}

static bool movable(const struct policy_proc *pr)
{
	return !(pr->flags & POLICY_PROC_NOMIGRATE);
}

int policy_select_drain(const struct policy_proc *procs, size_t n)
{
	int best = -ENOENT;

	for (size_t i = 0; i < n; i++)
		if (movable(&procs[i]) && (best < 0 || procs[i].cpu_age > procs[best].cpu_age))
			best = (int)i;
	return best;
}

int policy_select_evict(const struct policy_proc *procs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((procs[i].flags & POLICY_PROC_GUEST) && movable(&procs[i]))
			return (int)i;
	return -ENOENT;
}
