/* SPDX-License-Identifier: MIT */
/* Location: power of d choices with a stability margin, the receiver's right to refuse, and
 * the memory-aware filter used by ushering. Pure: no I/O, no clock reads. */
#include <errno.h>

#include "policy/policy.h"

#define LOCATE_D_MAX 16

/* Sample up to d distinct eligible candidates by a partial Fisher-Yates over an index list;
 * n is a view (tens of entries), so the index list lives on the stack. */
int policy_locate(const struct policy_cand *c, size_t n, double mem, const struct policy_params *p,
		  struct policy_rand *rng, double *ret_age_sum, unsigned *ret_nused)
{
	uint32_t idx[256];
	size_t m = 0;
	unsigned d = p->d ? p->d : 1, taken = 0;
	int best = -ENOENT;

	if (d > LOCATE_D_MAX)
		d = LOCATE_D_MAX;
	for (size_t i = 0; i < n && m < 256; i++)
		if (c[i].mem_free >= mem)
			idx[m++] = (uint32_t)i;
	for (; taken < d && m > 0; taken++) {
		uint32_t k = policy_rand_below(rng, (uint32_t)m);
		uint32_t i = idx[k];

		idx[k] = idx[--m];
		if (ret_age_sum)
			*ret_age_sum += c[i].age;
		if (best < 0 || c[i].load < c[best].load)
			best = (int)i;
	}
	if (ret_nused)
		*ret_nused += taken;
	return best;
}

int policy_locate_min(const struct policy_cand *c, size_t n)
{
	int best = -ENOENT;

	for (size_t i = 0; i < n; i++)
		if (best < 0 || c[i].load < c[best].load)
			best = (int)i;
	return best;
}

bool policy_place_remote(double local, double local_cap, const struct policy_cand *cand,
			 const struct policy_params *p)
{
	double here = local + 1.0 / local_cap;
	double there = cand->load + 1.0 / cand->capacity;

	return there + p->place_margin <= here && here - there >= p->place_cost * p->inv_life;
}

int policy_accept(const struct policy_activation *a, double load, double capacity, double mem_free,
		  const struct policy_offer *o, const struct policy_params *p)
{
	if (a->draining || a->owner_active)
		return -EPERM;
	if (mem_free - o->mem < p->mem_reserve)
		return -ENOMEM;
	/* The sender chose us from an entry that may be seconds old; our own load is exact. */
	if (load + 1.0 / capacity + p->margin > o->src_load)
		return -EBUSY;
	return 0;
}
