/* SPDX-License-Identifier: MIT */
/* Unit tests of the test bed's pure-ish helpers (src/testbed/): reading back CPU and memory
 * limits from cgroup v2 and v1 files in a scratch directory, path building, small-file I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/proc.h"
#include "testbed/testbed.h"

static char scratch[64];

static int setup(void **state)
{
	(void)state;
	snprintf(scratch, sizeof(scratch), "/tmp/ferry-test-testbed.XXXXXX");
	return mkdtemp(scratch) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return tb__rm_rf(scratch);
}

static void put(const char *dir, const char *file, const char *val)
{
	char path[256];
	assert_int_equal(tb__path(path, sizeof(path), "%s/%s", dir, file), 0);
	assert_int_equal(tb__write_file(path, "%s", val), 0);
}

static void mkd(char *out, size_t size, const char *name)
{
	assert_int_equal(tb__path(out, size, "%s/%s", scratch, name), 0);
	assert_int_equal(mkdir(out, 0755), 0);
}

static void limits_v2(void **state)
{
	char d[128];
	long long cpu, mem;
	(void)state;
	mkd(d, sizeof(d), "v2");
	put(d, "cpu.max", "25000 100000\n");
	put(d, "memory.max", "134217728\n");
	const char *dirs[] = {d};
	tb__cg_limits(dirs, 1, &cpu, &mem);
	assert_int_equal(cpu, 25000);
	assert_int_equal(mem, 134217728);
	put(d, "cpu.max", "50000 200000\n"); /* another period: normalised to 100 ms */
	put(d, "memory.max", "max\n");
	tb__cg_limits(dirs, 1, &cpu, &mem);
	assert_int_equal(cpu, 25000);
	assert_int_equal(mem, -1);
	put(d, "cpu.max", "max 100000\n");
	tb__cg_limits(dirs, 1, &cpu, &mem);
	assert_int_equal(cpu, -1);
}

static void limits_v1_hybrid(void **state)
{
	char u[128], c[128], m[128];
	long long cpu, mem;
	(void)state;
	mkd(u, sizeof(u), "unified"); /* v2 without controllers: no cpu.max, no memory.max */
	put(u, "cpu.stat", "usage_usec 5\n");
	mkd(c, sizeof(c), "cpu");
	put(c, "cpu.cfs_quota_us", "10000\n");
	put(c, "cpu.cfs_period_us", "100000\n");
	mkd(m, sizeof(m), "memory");
	put(m, "memory.limit_in_bytes", "268435456\n");
	const char *dirs[] = {u, c, m};
	tb__cg_limits(dirs, 3, &cpu, &mem);
	assert_int_equal(cpu, 10000);
	assert_int_equal(mem, 268435456);
	put(c, "cpu.cfs_quota_us", "-1\n");
	put(m, "memory.limit_in_bytes", "9223372036854771712\n"); /* v1's "no limit" */
	tb__cg_limits(dirs, 3, &cpu, &mem);
	assert_int_equal(cpu, -1);
	assert_int_equal(mem, -1);
}

static void limits_missing(void **state)
{
	char d[128];
	long long cpu, mem;
	(void)state;
	mkd(d, sizeof(d), "empty");
	const char *dirs[] = {d, "/nonexistent/ferry-testbed/n1"};
	tb__cg_limits(dirs, 2, &cpu, &mem);
	assert_int_equal(cpu, -2);
	assert_int_equal(mem, -2);
}

static void paths_and_files(void **state)
{
	char small[8], buf[16], p[128];
	(void)state;
	assert_int_equal(tb__path(small, sizeof(small), "%s", "1234567"), 0);
	assert_int_equal(tb__path(small, sizeof(small), "%s", "12345678"), -ENAMETOOLONG);
	assert_int_equal(tb__node_dir(p, sizeof(p), 3), 0);
	assert_string_equal(p, TB_STATE_DIR "/n3");
	assert_int_equal(tb__path(p, sizeof(p), "%s/f", scratch), 0);
	assert_int_equal(tb__write_file(p, "%d %llu\n", 42, 99ULL), 0);
	assert_int_equal(proc_read_text(p, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "42 99\n");
	assert_int_equal(proc_read_text(p, small, 4), -E2BIG); /* never read in part */
	assert_int_equal(proc_read_text("/nonexistent/x", buf, sizeof(buf)), -ENOENT);
}

static void start_time(void **state)
{
	(void)state;
	assert_true(tb__proc_start_time(getpid()) > 0);
	assert_int_equal(tb__proc_start_time(0x3ffffff), 0); /* no such pid */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(limits_v2, setup, teardown),
		cmocka_unit_test_setup_teardown(limits_v1_hybrid, setup, teardown),
		cmocka_unit_test_setup_teardown(limits_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(paths_and_files, setup, teardown),
		cmocka_unit_test(start_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
