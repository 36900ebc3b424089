/* SPDX-License-Identifier: MIT */
/* Unit tests of the /proc parsers (src/common/proc.c) on literal kernel output, including a
 * comm with spaces and parentheses, truncated input and unknown VmFlags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <sys/mman.h>

#include "common/proc.h"

static const char stat_line[] =
	"4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 120 0 0 0 1 2 0 0 20 -5 3 0 12345 "
	"2453504 200 18446744073709551615 94000000000000 94000000004096 140730000000000 0 0 0 0 "
	"0 0 0 0 0 17 1 0 3 0 0 0 94000000010000 94000000011000 94000001000000 140730000001000 "
	"140730000001100 140730000001100 140730000001200 9\n";

static void stat_fields(void **state)
{
	struct proc_stat s;
	(void)state;
	assert_int_equal(proc_stat_parse(stat_line, &s), 0);
	assert_string_equal(s.comm, "a) b (c)");
	assert_int_equal(s.state, 'S');
	assert_int_equal(s.ppid, 1);
	assert_int_equal(s.pgrp, 4242);
	assert_int_equal(s.session, 4242);
	assert_int_equal(s.flags, 4194560);
	assert_int_equal(s.nice, -5);
	assert_int_equal(s.utime, 1);
	assert_int_equal(s.stime, 2);
	assert_int_equal(s.start_time, 12345);
	assert_int_equal(s.start_code, 94000000000000ULL);
	assert_int_equal(s.end_code, 94000000004096ULL);
	assert_int_equal(s.start_stack, 140730000000000ULL);
	assert_int_equal(s.exit_signal, 17);
	assert_int_equal(s.rt_priority, 0);
	assert_int_equal(s.policy, 3);
	assert_int_equal(s.start_data, 94000000010000ULL);
	assert_int_equal(s.end_data, 94000000011000ULL);
	assert_int_equal(s.start_brk, 94000001000000ULL);
	assert_int_equal(s.arg_start, 140730000001000ULL);
	assert_int_equal(s.arg_end, 140730000001100ULL);
	assert_int_equal(s.env_start, 140730000001100ULL);
	assert_int_equal(s.env_end, 140730000001200ULL);
	assert_int_equal(s.exit_code, 9);
}

static void stat_truncated(void **state)
{
	struct proc_stat s;
	char buf[sizeof(stat_line)];
	(void)state;
	/* Every prefix that cuts off required fields is refused, never read past. */
	for (size_t len = 0; len < 200; len++) {
		memcpy(buf, stat_line, len);
		buf[len] = 0;
		assert_int_not_equal(proc_stat_parse(buf, &s), 0);
	}
	assert_int_equal(proc_stat_parse("1 noparen S 1 2 3", &s), -EBADMSG);
}

static void status_fields(void **state)
{
	static const char text[] = "Name:\tx\nUmask:\t0027\nState:\tS (sleeping)\nTracerPid:\t77\n"
				   "Uid:\t1 2 3 4\nGid:\t5 6 7 8\nGroups:\t10 20 30 \n"
				   "Threads:\t3\nCapInh:\t0000000000000001\nCapPrm:\t00000000000000ff\n"
				   "CapEff:\t00000000000000f0\nCapBnd:\t000001ffffffffff\n"
				   "CapAmb:\t0000000000000000\nNoNewPrivs:\t1\n"
				   "SigPnd:\t0000000000000100\nShdPnd:\t0000000000004002\n";
	struct proc_status s;
	(void)state;
	assert_int_equal(proc_status_parse(text, &s), 0);
	assert_int_equal(s.umask, 027);
	assert_int_equal(s.tracer_pid, 77);
	assert_int_equal(s.uid[0], 1);
	assert_int_equal(s.uid[3], 4);
	assert_int_equal(s.gid[2], 7);
	assert_int_equal(s.ngroups, 3);
	assert_int_equal(s.groups[2], 30);
	assert_int_equal(s.nthreads, 3);
	assert_int_equal(s.cap_prm, 0xff);
	assert_int_equal(s.cap_bnd, 0x1ffffffffffULL);
	assert_int_equal(s.no_new_privs, 1);
	assert_int_equal(s.sig_pnd, 0x100);
	assert_int_equal(s.shd_pnd, 0x4002);
	assert_int_equal(proc_status_parse("Name:\tx\nUid:\t1 2\n", &s), -EBADMSG);
}

static void maps_lines(void **state)
{
	struct proc_vma v;
	(void)state;
	assert_int_equal(proc_maps_line_parse("7f00000000-7f00002000 r-xp 00001000 fe:01 1234   "
					      "   /usr/lib/libc.so.6\n",
					      &v),
			 0);
	assert_int_equal(v.start, 0x7f00000000ULL);
	assert_int_equal(v.end, 0x7f00002000ULL);
	assert_int_equal(v.prot, PROT_READ | PROT_EXEC);
	assert_int_equal(v.shared, 0);
	assert_int_equal(v.pgoff, 0x1000);
	assert_int_equal(v.dev_major, 0xfe);
	assert_int_equal(v.dev_minor, 1);
	assert_int_equal(v.ino, 1234);
	assert_string_equal(v.path, "/usr/lib/libc.so.6");
	assert_int_equal(proc_maps_line_parse("1000-2000 rw-s 0 00:01 5 /dev/zero (deleted)", &v),
			 0);
	assert_int_equal(v.shared, 1);
	assert_string_equal(v.path, "/dev/zero (deleted)");
	assert_int_equal(proc_maps_line_parse("2000-1000 rw-p 0 00:00 0", &v), -EBADMSG);
	assert_int_equal(proc_maps_line_parse("garbage", &v), -EBADMSG);
}

static void vmflags(void **state)
{
	(void)state;
	assert_int_equal(proc_vmflags_parse("VmFlags: rd wr mr mw me gd ac dd lo xx hg\n"),
			 PROC_VMF_GROWSDOWN | PROC_VMF_DONTDUMP | PROC_VMF_LOCKED |
				 PROC_VMF_HUGEPAGE);
	assert_int_equal(proc_vmflags_parse("VmFlags: rd io pf sh dc wf nh"),
			 PROC_VMF_IO | PROC_VMF_SHARED | PROC_VMF_DONTFORK | PROC_VMF_WIPEONFORK |
				 PROC_VMF_NOHUGEPAGE);
	assert_int_equal(proc_vmflags_parse("no colon here"), 0);
}

static void mountinfo_lines(void **state)
{
	struct proc_mount m;
	(void)state;
	assert_int_equal(
		proc_mountinfo_line_parse("36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - "
					  "ext3 /dev/root rw,errors=continue\n",
					  &m),
		0);
	assert_int_equal(m.dev_major, 98);
	assert_int_equal(m.dev_minor, 0);
	assert_string_equal(m.root, "/mnt1");
	assert_string_equal(m.mnt, "/mnt/parent");
	assert_string_equal(m.fstype, "ext3");
	assert_string_equal(m.super_opts, "rw,errors=continue");
	/* no optional fields, and the last line of the file without its newline */
	assert_int_equal(
		proc_mountinfo_line_parse(
			"30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate", &m),
		0);
	assert_string_equal(m.mnt, "/sys/fs/cgroup");
	assert_string_equal(m.super_opts, "rw,nsdelegate");
	assert_int_equal(proc_mountinfo_line_parse("30 1 0:26 / /x rw cgroup2 cgroup2 rw", &m),
			 -EBADMSG); /* no " - " */
	assert_int_equal(proc_mountinfo_line_parse("30 1 026 / /x rw - cgroup2 cgroup2 rw", &m),
			 -EBADMSG);
	assert_int_equal(proc_mountinfo_line_parse("30 1 0:26 / /x rw - cgroup2", &m), -EBADMSG);
	char *longl = malloc(8192);
	assert_non_null(longl);
	int n = snprintf(longl, 8192, "30 1 0:26 / /");
	memset(longl + n, 'a', 4200);
	snprintf(longl + n + 4200, 8192 - n - 4200, " rw - ext4 /dev/x rw");
	assert_int_equal(proc_mountinfo_line_parse(longl, &m), -EBADMSG); /* never cut short */
	free(longl);
}

static void fdinfo(void **state)
{
	uint64_t pos;
	uint32_t flags;
	(void)state;
	assert_int_equal(proc_fdinfo_parse("pos:\t1234\nflags:\t02100002\nmnt_id:\t20\n", &pos,
					   &flags),
			 0);
	assert_int_equal(pos, 1234);
	assert_int_equal(flags, 02100002);
	assert_int_equal(proc_fdinfo_parse("flags: 0\n", &pos, &flags), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stat_fields),	   cmocka_unit_test(stat_truncated),
		cmocka_unit_test(status_fields),   cmocka_unit_test(maps_lines),
		cmocka_unit_test(vmflags),	   cmocka_unit_test(fdinfo),
		cmocka_unit_test(mountinfo_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
