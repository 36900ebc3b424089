/* SPDX-License-Identifier: MIT */
/* Unit tests of ferry-sim's trace parser (sim/trace.c): valid records, comments and header,
 * every kind of bad line rejected with a reason, the line number in the file-level error, and
 * a fuzz loop (random bytes and mutations of a valid line) that must never crash or accept a
 * record outside the documented ranges. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../sim/sim.h"

static void valid_lines(void **st)
{
	struct sim_trace_rec t;
	const char *why = NULL;

	assert_int_equal(sim_trace_line("1.5,0.25\n", 4, &t, &why), 1);
	assert_true(t.arrival == 1.5 && t.demand == 0.25 && t.mem == 0 && !t.has_node);
	assert_int_equal(sim_trace_line(" 2 , 3 , 64 , 3 \r\n", 4, &t, &why), 1);
	assert_true(t.arrival == 2 && t.demand == 3 && t.mem == 64 && t.has_node && t.node == 3);
	assert_int_equal(sim_trace_line("\n", 4, &t, &why), 0);
	assert_int_equal(sim_trace_line("  # a comment, 1, 2\n", 4, &t, &why), 0);
}

static void invalid_lines(void **st)
{
	static const char *const bad[] = {
		"1\n",	       /* one field */
		"1,\n",	       /* empty demand */
		",1\n",	       /* empty arrival */
		"1,abc\n",     /* not a number */
		"1,2x\n",      /* trailing junk */
		"1,0\n",       /* zero demand */
		"1,-2\n",      /* negative demand */
		"-1,2\n",      /* negative arrival */
		"1,2,-5\n",    /* negative memory */
		"1,2,3,4\n",   /* node out of range (4 nodes) */
		"1,2,3,1.5\n", /* fractional node */
		"1,2,3,1,9\n", /* five fields */
		"1,inf\n",     /* not finite */
		"nan,1\n",     /* not finite */
		"1;2\n",       /* wrong separator */
	};
	struct sim_trace_rec t;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;

		if (sim_trace_line(bad[i], 4, &t, &why) != -EINVAL)
			fail_msg("accepted bad line '%s'", bad[i]);
		assert_non_null(why);
		assert_true(strlen(why) > 5);
	}
}

static void fuzz(void **st)
{
	static const char alphabet[] = "0123456789.,-+eE# \tx\nnaif";
	struct policy_rand r;
	char line[64];

	policy_rand_seed(&r, 42);
	for (int it = 0; it < 200000; it++) {
		struct sim_trace_rec t;
		const char *why = NULL;
		size_t len = policy_rand_below(&r, sizeof(line) - 1);
		int k;

		if (it % 2) { /* mutate a valid line */
			snprintf(line, sizeof(line), "%u.%u,%u.5,%u,%u\n",
				 policy_rand_below(&r, 100), policy_rand_below(&r, 10),
				 policy_rand_below(&r, 10), policy_rand_below(&r, 100),
				 policy_rand_below(&r, 8));
			len = strlen(line);
			line[policy_rand_below(&r, (uint32_t)len)] =
				alphabet[policy_rand_below(&r, sizeof(alphabet) - 1)];
		} else {
			for (size_t i = 0; i < len; i++)
				line[i] = (char)(policy_rand_below(&r, 255) + 1);
			line[len] = 0;
		}
		k = sim_trace_line(line, 8, &t, &why);
		assert_true(k == 1 || k == 0 || k == -EINVAL);
		if (k == -EINVAL)
			assert_non_null(why);
		if (k == 1)
			assert_true(t.arrival >= 0 && isfinite(t.arrival) && t.demand > 0 &&
				    isfinite(t.demand) && t.mem >= 0 &&
				    (!t.has_node || t.node < 8));
	}
}

/* Writes `text` to a temporary file and loads it as a trace. */
static int load(const char *text, uint32_t nodes, struct sim_proc **w, size_t *n, char *err,
		size_t errlen)
{
	char path[] = "/tmp/ferry-trace-XXXXXX";
	int fd = mkstemp(path), r;
	struct sim_cfg c;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	sim_cfg_default(&c);
	c.nodes = nodes;
	c.trace = path;
	r = sim_workload(&c, w, n, err, errlen);
	unlink(path);
	return r;
}

static void file_errors_name_the_line(void **st)
{
	struct sim_proc *w = NULL;
	size_t n = 0;
	char err[256];

	assert_int_equal(
		load("arrival,demand,mem,node\n# c\n3,1,8,1\n1,2\n", 2, &w, &n, err, sizeof(err)),
		0);
	assert_int_equal(n, 2);
	/* Sorted by arrival; the node column is honoured. */
	assert_true(w[0].arrival == 1 && w[0].work == 2 && w[1].origin == 1 && w[1].mem == 8);
	free(w);
	assert_int_equal(load("arrival,demand\n0,1\n0,1\nbad,1\n", 2, &w, &n, err, sizeof(err)),
			 -EINVAL);
	if (!strstr(err, "line 4:"))
		fail_msg("error does not name line 4: %s", err);
	/* A header is accepted only before the first record. */
	assert_int_equal(load("0,1\nsecond,header\n", 2, &w, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 2:"));
	assert_int_equal(load("# only comments\n", 2, &w, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no process"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_lines),
		cmocka_unit_test(invalid_lines),
		cmocka_unit_test(fuzz),
		cmocka_unit_test(file_errors_name_the_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
