/* SPDX-License-Identifier: MIT */
/* Deterministic pseudo-random numbers for the policy layer (splitmix64 seeding + xoshiro256**).
 * Pure: the caller owns the state and seeds it, so tests and the simulator control every draw. */
#ifndef FERRY_POLICY_RAND_H
#define FERRY_POLICY_RAND_H

#include <stdint.h>

struct policy_rand {
	uint64_t s[4];
};

static inline uint64_t policy_rand_splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline void policy_rand_seed(struct policy_rand *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = policy_rand_splitmix(&seed);
}

static inline uint64_t policy_rand_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t policy_rand_next(struct policy_rand *r)
{
	uint64_t *s = r->s;
	uint64_t res = policy_rand_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = policy_rand_rotl(s[3], 45);
	return res;
}

/* Uniform in [0, 1). */
static inline double policy_rand_unit(struct policy_rand *r)
{
	return (double)(policy_rand_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform in [0, n); n > 0. Multiply-shift: bias below 2^-32 for n < 2^32. */
static inline uint32_t policy_rand_below(struct policy_rand *r, uint32_t n)
{
	return (uint32_t)(((policy_rand_next(r) >> 32) * (uint64_t)n) >> 32);
}

#endif
