/* SPDX-License-Identifier: MIT */
/* Unit tests for src/policy/load: asymmetric smoothing, per-entry ages, validation. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "policy/load.h"

static void smooth_is_asymmetric(void **st)
{
	struct policy_smoothing s = {.rise = 4.0, .fall = 0.5};
	double up = policy_smooth(0, 1, 1.0, &s), down = policy_smooth(1, 0, 1.0, &s);

	/* After one second a rise covers 1 - e^-1/4 of the gap, a fall 1 - e^-2. */
	assert_true(fabs(up - (1 - exp(-0.25))) < 1e-12);
	assert_true(fabs(down - exp(-2.0)) < 1e-12);
	assert_true(up < 1 - down);
}

static void smooth_period_independent(void **st)
{
	struct policy_smoothing s = {.rise = 2.0, .fall = 2.0};
	double a = 0, b = 0;

	for (int i = 0; i < 10; i++)
		a = policy_smooth(a, 5, 0.1, &s);
	b = policy_smooth(b, 5, 1.0, &s);
	assert_true(fabs(a - b) < 1e-9);
	assert_true(policy_smooth(3, 9, 0, &s) == 3);
	s.rise = 0;
	assert_true(policy_smooth(3, 9, 1, &s) == 9);
}

static void update_ages_and_exact_fields(void **st)
{
	struct policy_load l;
	struct policy_load_sample smp = {.runq = 4,
					 .nprocs = 7,
					 .capacity = 2,
					 .valid = 1u << POLICY_LOAD_RUNQ |
						  1u << POLICY_LOAD_NPROCS |
						  1u << POLICY_LOAD_CAPACITY};

	policy_load_init(&l, 1.0, 10.0);
	assert_int_equal(policy_load_update(&l, &smp, 12.0, &policy_smoothing_local), 0);
	assert_true(l.v[POLICY_LOAD_NPROCS] == 7);
	assert_true(l.v[POLICY_LOAD_CAPACITY] == 2);
	assert_true(l.v[POLICY_LOAD_RUNQ] > 0 && l.v[POLICY_LOAD_RUNQ] < 4);
	assert_true(policy_load_age(&l, POLICY_LOAD_RUNQ, 13.0) == 1.0);
	assert_true(policy_load_age(&l, POLICY_LOAD_UTIL, 13.0) == 3.0);
	assert_true(fabs(policy_load_index(&l) - l.v[POLICY_LOAD_RUNQ] / 2) < 1e-12);
}

static void update_rejects_bad_samples(void **st)
{
	struct policy_load l;
	struct policy_load_sample smp = {.capacity = 0, .valid = 1u << POLICY_LOAD_CAPACITY};

	policy_load_init(&l, 1.0, 10.0);
	assert_int_equal(policy_load_update(&l, &smp, 11.0, &policy_smoothing_local), -EINVAL);
	smp.capacity = 1;
	assert_int_equal(policy_load_update(&l, &smp, 9.0, &policy_smoothing_local), -EINVAL);
	assert_true(l.stamp[POLICY_LOAD_CAPACITY] == 10.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(smooth_is_asymmetric),
		cmocka_unit_test(smooth_period_independent),
		cmocka_unit_test(update_ages_and_exact_fields),
		cmocka_unit_test(update_rejects_bad_samples),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
