/* SPDX-License-Identifier: MIT */
/* Unit tests for src/policy activation, selection, location, refusal, drain and eviction. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "policy/policy.h"

static struct policy_proc proc(double age, double mem, unsigned flags)
{
	return (struct policy_proc){1, age, 1.0, mem, -INFINITY, flags};
}

static void hbd_criterion(void **st)
{
	/* age > cost / (n - m) */
	assert_true(policy_hbd_eligible(2.1, 2.0, 3, 2));
	assert_false(policy_hbd_eligible(1.9, 2.0, 3, 2));
	assert_true(policy_hbd_eligible(1.1, 2.0, 4, 2));
	assert_false(policy_hbd_eligible(100, 1.0, 2, 2));
}

static void hbd_selects_oldest_eligible(void **st)
{
	struct policy_params p;
	struct policy_proc ps[3] = {proc(0.5, 0, 0), proc(5, 0, 0), proc(3, 0, 0)};

	policy_params_default(&p);
	assert_int_equal(policy_select_hbd(ps, 3, 0, 3, 0, &p), 1);
	assert_int_equal(policy_select_hbd(ps, 3, 0, 1, 1, &p), -ENOENT);
	ps[1].flags = POLICY_PROC_NOMIGRATE;
	assert_int_equal(policy_select_hbd(ps, 3, 0, 3, 0, &p), 2);
}

static void cost_from_memory(void **st)
{
	struct policy_params p;

	policy_params_default(&p);
	p.mig_fixed = 0.5;
	p.bandwidth = 100;
	assert_true(fabs(policy_migration_cost(&p, 200) - 2.5) < 1e-12);
}

static void select_respects_marks_recent_and_margin(void **st)
{
	struct policy_params p;
	struct policy_proc ps[3] = {proc(50, 10, POLICY_PROC_NOMIGRATE), proc(40, 10, 0),
				    proc(30, 10, 0)};

	policy_params_default(&p);
	p.recent = 0.5;
	p.margin = 1;
	ps[1].last_migrated = 99.8; /* 0.2 s ago at now = 100, recent = 0.5 */
	assert_int_equal(policy_select(ps, 3, 100.0, 4, 1, 0, 1, &p), 2);
	ps[2].cpu_frac = 0.1; /* mostly sleeping: not worth moving */
	assert_int_equal(policy_select(ps, 3, 100.0, 4, 1, 0, 1, &p), -ENOENT);
	ps[2].cpu_frac = 1;
	/* Target would not stay clearly below: dst + 1 + margin > src. */
	assert_int_equal(policy_select(ps, 3, 100.0, 4, 1, 2.5, 1, &p), -ENOENT);
	/* Young process: saving 2*age*(src - dst - 1) below the cost. */
	ps[2].cpu_age = 0.05;
	assert_int_equal(policy_select(ps, 3, 100.0, 4, 1, 0, 1, &p), -ENOENT);
}

/* The stale-information sender: HBD's rule (oldest with age > cost / (src - dst)) against
 * its target, refused for a lone process and when the target would end above the source. */
static void sender_is_hbd_with_stability(void **st)
{
	struct policy_params p;
	struct policy_proc ps[3] = {proc(1.0, 100, 0), proc(3.0, 100, 0), proc(0.5, 100, 0)};

	policy_params_default(&p);
	p.mig_fixed = 1;
	p.bandwidth = 100; /* cost 2 s each */
	/* src 3, dst 0: age > 2/3 -> the oldest eligible, 3.0 s. */
	assert_int_equal(policy_select_sender(ps, 3, 10.0, 3, 0, 1, &p), 1);
	/* src 3, dst 1: age > 1 -> still the oldest; it is too young with cost 8 (age > 4). */
	p.mig_fixed = 7;
	assert_int_equal(policy_select_sender(ps, 3, 10.0, 3, 1, 1, &p), -ENOENT);
	p.mig_fixed = 1;
	/* Target would end above the source: dst + 1 > src. */
	assert_int_equal(policy_select_sender(ps, 3, 10.0, 3, 2.5, 1, &p), -ENOENT);
	/* A lone process relieves nobody. */
	assert_int_equal(policy_select_sender(ps, 1, 10.0, 3, 0, 1, &p), -ENOENT);
	/* The margin is honoured. */
	p.margin = 1;
	assert_int_equal(policy_select_sender(ps, 3, 10.0, 3, 1.5, 1, &p), -ENOENT);
}

/* Pre-copy: HBD's threshold applies to the life left after precopy_life transfer times;
 * policy_params_transfer() sets the mode and the smaller placement margin. */
static void sender_precopy(void **st)
{
	struct policy_params p;
	struct policy_proc ps[3] = {proc(30, 100, 0), proc(50, 100, 0), proc(10, 100, 0)};

	policy_params_default(&p);
	assert_false(p.precopy);
	assert_true(p.place_margin == 4.0);
	p.mig_fixed = 1;
	p.bandwidth = 100; /* cost 2 s each */
	/* Stop-and-copy: HBD's rule, the oldest (50 s). */
	assert_int_equal(policy_select_sender(ps, 3, 10.0, 3, 0, 1, &p), 1);
	policy_params_transfer(&p, true);
	assert_true(p.precopy);
	assert_true(p.place_margin == 2.0);
	assert_true(p.precopy_life == 100.0);
	/* Default: 100 transfer times = 200 s, nobody is that old. */
	assert_int_equal(policy_select_sender(ps, 3, 10.0, 3, 0, 1, &p), -ENOENT);
	/* precopy_life 20: age > 40 + 2/3 -> only the 50 s one. */
	p.precopy_life = 20;
	assert_int_equal(policy_select_sender(ps, 3, 10.0, 3, 0, 1, &p), 1);
	/* src 3, dst 1.9: age > 40 + 2/1.1 = 41.8: still the 50 s one. */
	assert_int_equal(policy_select_sender(ps, 3, 10.0, 3, 1.9, 1, &p), 1);
	/* precopy_life 24: age > 48 + 2/1.01 = 49.98 -> 50 s is eligible; 48 + 2/1 = 50 is not. */
	p.precopy_life = 24;
	assert_int_equal(policy_select_sender(ps, 3, 10.0, 3, 1.99, 1, &p), 1);
	assert_int_equal(policy_select_sender(ps, 3, 10.0, 3, 2.0, 1, &p), -ENOENT);
	/* The oldest is pinned: the next one (30 s) is too young for 48 + 2/3. */
	ps[1].flags = POLICY_PROC_NOMIGRATE;
	assert_int_equal(policy_select_sender(ps, 3, 10.0, 3, 0, 1, &p), -ENOENT);
	/* precopy_life 0: HBD's rule again, the oldest movable (30 s). */
	p.precopy_life = 0;
	assert_int_equal(policy_select_sender(ps, 3, 10.0, 3, 0, 1, &p), 0);
	/* Back to stop-and-copy: the mode is cleared, the margin left as the caller has it. */
	policy_params_transfer(&p, false);
	assert_false(p.precopy);
}

static void select_uses_capacity(void **st)
{
	struct policy_params p;
	struct policy_proc ps[1] = {proc(10, 0, 0)};

	policy_params_default(&p);
	/* One process on a quarter-speed node (index 4) moves to an idle full-speed node. */
	assert_int_equal(policy_select(ps, 1, 0, 4.0, 0.25, 0, 1, &p), 0);
	/* The reverse is never worth it. */
	assert_int_equal(policy_select(ps, 1, 0, 1.0, 1, 0, 0.25, &p), -ENOENT);
}

static void locate_power_of_d(void **st)
{
	struct policy_params p;
	struct policy_cand c[4] = {
		{0, 3, 1, 100, 1}, {1, 1, 1, 100, 2}, {2, 2, 1, 5, 3}, {3, 0, 1, 100, 4}};
	struct policy_rand r;
	double ages = 0;
	unsigned used = 0;

	policy_params_default(&p);
	policy_rand_seed(&r, 7);
	p.d = 4;
	assert_int_equal(policy_locate(c, 4, 0, &p, &r, &ages, &used), 3);
	assert_int_equal(used, 4);
	assert_true(ages == 10);
	/* Memory filter: only node 2 lacks 50 MiB. */
	p.d = 16;
	assert_int_equal(policy_locate(c, 3, 50, &p, &r, NULL, NULL), 1);
	assert_int_equal(policy_locate(c, 4, 1000, &p, &r, NULL, NULL), -ENOENT);
	/* d = 2 only ever returns the better of the two sampled. */
	p.d = 2;
	for (int i = 0; i < 100; i++)
		assert_int_not_equal(policy_locate(c, 4, 0, &p, &r, NULL, NULL), 0);
	assert_int_equal(policy_locate_min(c, 4), 3);
}

static void place_margin(void **st)
{
	struct policy_params p;
	struct policy_cand c = {1, 1.5, 1, 0, 0};

	policy_params_default(&p);
	p.place_margin = 1;
	assert_true(policy_place_remote(3, 1, &c, &p));	 /* 2.5 + 1 <= 4 */
	assert_false(policy_place_remote(2, 1, &c, &p)); /* 3.5 > 3 */
}

static void receiver_refuses(void **st)
{
	struct policy_params p;
	struct policy_activation a = {0};
	struct policy_offer o = {.src_load = 4, .mem = 100};

	policy_params_default(&p);
	assert_int_equal(policy_accept(&a, 1, 1, 1000, &o, &p), 0);
	/* With margin 0 it takes the process as long as it does not end above the sender. */
	assert_int_equal(policy_accept(&a, 3, 1, 1000, &o, &p), 0);
	assert_int_equal(policy_accept(&a, 3.5, 1, 1000, &o, &p), -EBUSY);
	p.margin = 1;
	assert_int_equal(policy_accept(&a, 2.5, 1, 1000, &o, &p), -EBUSY);
	assert_int_equal(policy_accept(&a, 1, 1, 50, &o, &p), -ENOMEM);
	a.draining = true;
	assert_int_equal(policy_accept(&a, 0, 1, 1000, &o, &p), -EPERM);
}

static void activation_hysteresis(void **st)
{
	struct policy_params p;
	struct policy_activation a = {0};

	policy_params_default(&p);
	assert_int_equal(policy_activate(&a, POLICY_TRIGGER_TICK, 1.2, 1e9, &p), POLICY_ACT_NONE);
	assert_int_equal(policy_activate(&a, POLICY_TRIGGER_TICK, 2.0, 1e9, &p), POLICY_ACT_SEND);
	/* Between low and high: stays a sender. */
	assert_int_equal(policy_activate(&a, POLICY_TRIGGER_TICK, 1.2, 1e9, &p), POLICY_ACT_SEND);
	assert_int_equal(policy_activate(&a, POLICY_TRIGGER_TICK, 0.9, 1e9, &p), POLICY_ACT_NONE);
	assert_int_equal(policy_activate(&a, POLICY_TRIGGER_PROC_EXIT, 0, 1e9, &p), POLICY_ACT_ASK);
	assert_int_equal(policy_activate(&a, POLICY_TRIGGER_PROC_START, 0, 1e9, &p),
			 POLICY_ACT_NONE);
	p.mem_reserve = 100;
	assert_int_equal(policy_activate(&a, POLICY_TRIGGER_TICK, 0, 50, &p), POLICY_ACT_USHER);
	a.owner_active = true;
	assert_int_equal(policy_activate(&a, POLICY_TRIGGER_TICK, 0, 50, &p), POLICY_ACT_EVICT);
	a.draining = true;
	assert_int_equal(policy_activate(&a, POLICY_TRIGGER_TICK, 0, 50, &p), POLICY_ACT_DRAIN);
}

static void drain_evict_usher(void **st)
{
	struct policy_params p;
	struct policy_proc ps[3] = {proc(5, 10, POLICY_PROC_NOMIGRATE),
				    proc(3, 500, POLICY_PROC_GUEST), proc(4, 20, 0)};

	policy_params_default(&p);
	assert_int_equal(policy_select_drain(ps, 3), 2);
	assert_int_equal(policy_select_evict(ps, 3), 1);
	assert_int_equal(policy_select_usher(ps, 3, 0, &p), 1);
	assert_int_equal(policy_select_drain(ps, 1), -ENOENT);
	assert_int_equal(policy_select_evict(ps + 2, 1), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hbd_criterion),
		cmocka_unit_test(hbd_selects_oldest_eligible),
		cmocka_unit_test(cost_from_memory),
		cmocka_unit_test(select_respects_marks_recent_and_margin),
		cmocka_unit_test(sender_is_hbd_with_stability),
		cmocka_unit_test(sender_precopy),
		cmocka_unit_test(select_uses_capacity),
		cmocka_unit_test(locate_power_of_d),
		cmocka_unit_test(place_margin),
		cmocka_unit_test(receiver_refuses),
		cmocka_unit_test(activation_hysteresis),
		cmocka_unit_test(drain_evict_usher),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
