/* SPDX-License-Identifier: MIT */
/* Unit tests for the fdinfo parsers of the resource kinds (src/res/fdinfo.c): the kernel's
 * formats for eventfd, signalfd, timerfd, epoll, inotify and pidfd, and malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "res/fdinfo.h"
#include "res/locks.h"

#define HEAD "pos:\t0\nflags:\t02\nmnt_id:\t17\nino:\t1038\n"

static void test_value_and_num(void **state)
{
	uint64_t v;
	const char *t = HEAD "a-b:   0x10\nkey: 077\nhex:\tff\nbad: 12x\n";
	assert_string_equal(res_fdinfo_value(t, "mnt_id"),
			    "17\nino:\t1038\na-b:   0x10\nkey: 077\nhex:\tff\nbad: 12x\n");
	assert_null(res_fdinfo_value(t, "missing"));
	assert_null(res_fdinfo_value(t, "mnt")); /* a prefix is not a key */
	assert_int_equal(res_fdinfo_num(t, "key", 8, &v), 0);
	assert_int_equal(v, 077);
	assert_int_equal(res_fdinfo_num(t, "hex", 16, &v), 0);
	assert_int_equal(v, 0xff);
	assert_int_equal(res_fdinfo_num(t, "bad", 10, &v), -EBADMSG);
	assert_int_equal(res_fdinfo_num(t, "missing", 10, &v), -EBADMSG);
	assert_int_equal(res_fdinfo_num("x: -1\n", "x", 10, &v), -EBADMSG);
	assert_int_equal(res_fdinfo_num("x: 99999999999999999999\n", "x", 10, &v), -EBADMSG);
}

static void test_eventfd(void **state)
{
	uint64_t count;
	uint32_t sem;
	assert_int_equal(res_parse_eventfd(HEAD "eventfd-count:               1a\neventfd-id: 1\n"
						"eventfd-semaphore: 1\n",
					   &count, &sem),
			 0);
	assert_int_equal(count, 0x1a); /* the kernel prints the count in hex */
	assert_int_equal(sem, 1);
	assert_int_equal(
		res_parse_eventfd(HEAD "eventfd-count: fffffffffffffffe\neventfd-semaphore: 0\n",
				  &count, &sem),
		0);
	assert_true(count == 0xfffffffffffffffeULL && sem == 0);
	assert_int_equal(
		res_parse_eventfd(HEAD "eventfd-count: 1\neventfd-semaphore: 2\n", &count, &sem),
		-EBADMSG);
	assert_int_equal(res_parse_eventfd(HEAD "eventfd-semaphore: 0\n", &count, &sem), -EBADMSG);
	assert_int_equal(
		res_parse_eventfd(HEAD "eventfd-count: zz\neventfd-semaphore: 0\n", &count, &sem),
		-EBADMSG);
}

static void test_signalfd(void **state)
{
	uint64_t m;
	assert_int_equal(res_parse_signalfd(HEAD "sigmask:\t0000000000000200\n", &m), 0);
	assert_int_equal(m, 0x200); /* hex, despite the leading zeros */
	assert_int_equal(res_parse_signalfd(HEAD "sigmask:\tfffffffe7ffbfeff\n", &m), 0);
	assert_true(m == 0xfffffffe7ffbfeffULL);
	assert_int_equal(res_parse_signalfd(HEAD, &m), -EBADMSG);
	assert_int_equal(res_parse_signalfd(HEAD "sigmask:\t\n", &m), -EBADMSG);
}

static void test_timerfd(void **state)
{
	struct res_timerfd_fdinfo t;
	const char *ok = HEAD "clockid: 1\nticks: 3\nsettime flags: 03\nit_value: (4, 993303032)\n"
			      "it_interval: (1, 0)\n";
	assert_int_equal(res_parse_timerfd(ok, &t), 0);
	assert_int_equal(t.clockid, 1);
	assert_int_equal(t.ticks, 3);
	assert_int_equal(t.settime_flags, 3);
	assert_true(t.value_ns == 4993303032LL && t.interval_ns == 1000000000LL);
	static const char *const bad[] = {
		HEAD "clockid: 1\nticks: 0\nsettime flags: 00\nit_value: (0, 0)\n",
		HEAD "clockid: 1\nticks: 0\nsettime flags: 00\nit_value: (0, 1000000000)\n"
		     "it_interval: (0, 0)\n",
		HEAD
		"clockid: 1\nticks: 0\nsettime flags: 00\nit_value: 0, 0\nit_interval: (0, 0)\n",
		HEAD
		"clockid: 1\nticks: 0\nsettime flags: 00\nit_value: (0 0)\nit_interval: (0, 0)\n",
		HEAD
		"clockid: 1\nticks: 0\nsettime flags: 09\nit_value: (0, 0)\nit_interval: (0, 0)\n",
		HEAD
		"clockid: x\nticks: 0\nsettime flags: 00\nit_value: (0, 0)\nit_interval: (0, 0)\n",
		HEAD "ticks: 0\nsettime flags: 00\nit_value: (0, 0)\nit_interval: (0, 0)\n",
		HEAD "clockid: 1\nticks: 0\nsettime flags: 00\nit_value: (99999999999999999, 0)\n"
		     "it_interval: (0, 0)\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (res_parse_timerfd(bad[i], &t) != -EBADMSG)
			fail_msg("bad timerfd text %zu accepted", i);
}

static void test_epoll(void **state)
{
	struct res_epoll_item *it;
	size_t n;
	const char *t =
		HEAD "tfd:        3 events: 80000019 data:             1234  pos:0 ino:40e "
		     "sdev:10\ntfd:      100 events:       1d data: deadbeefcafef00d  pos:0 "
		     "ino:abc sdev:f\n";
	assert_int_equal(res_parse_epoll(t, &it, &n), 0);
	assert_int_equal(n, 2);
	assert_true(it[0].tfd == 3 && it[0].events == 0x80000019 && it[0].data == 0x1234 &&
		    it[0].ino == 0x40e);
	assert_true(it[1].tfd == 100 && it[1].events == 0x1d &&
		    it[1].data == 0xdeadbeefcafef00dULL && it[1].ino == 0xabc);
	free(it);
	assert_int_equal(res_parse_epoll(HEAD, &it, &n), 0);
	assert_true(n == 0 && it == NULL);
	static const char *const bad[] = {
		HEAD "tfd: x events: 1 data: 1 pos:0 ino:1 sdev:1\n",
		HEAD "tfd: 3 events: 1 pos:0 ino:1 sdev:1\n",
		HEAD "tfd: 3 events: 100000000 data: 1 pos:0 ino:1 sdev:1\n",
		HEAD "tfd: 3 events: 1 data: 1 pos:0 sdev:1\n",
		HEAD "tfd: 3 events: 1 data: 1 pos:0 ino:1 sdev:1\ntfd: 4 events: g data: 1\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (res_parse_epoll(bad[i], &it, &n) != -EBADMSG)
			fail_msg("bad epoll text %zu accepted", i);
		assert_true(it == NULL && n == 0);
	}
}

static void test_inotify(void **state)
{
	struct res_inotify_watch *w;
	size_t n;
	const char *t = HEAD "inotify wd:1 ino:3c51a sdev:fe00000 mask:100 ignored_mask:0 "
			     "fhandle-bytes:8 fhandle-type:1 f_handle:1ac5030000000000\n"
			     "inotify wd:1f ino:2 sdev:800001 mask:80000002 ignored_mask:0\n";
	assert_int_equal(res_parse_inotify(t, &w, &n), 0);
	assert_int_equal(n, 2);
	assert_true(w[0].wd == 1 && w[0].ino == 0x3c51a && w[0].sdev == 0xfe00000 &&
		    w[0].mask == 0x100 && w[0].fh_bytes == 8 && w[0].fh_type == 1);
	assert_memory_equal(w[0].fh, "\x1a\xc5\x03\x00\x00\x00\x00\x00", 8);
	assert_true(w[1].wd == 0x1f && w[1].mask == 0x80000002 && w[1].fh_bytes == 0);
	free(w);
	static const char *const bad[] = {
		HEAD "inotify wd:0 ino:1 sdev:1 mask:1 ignored_mask:0\n",
		HEAD "inotify wd:1 ino:1 sdev:1 ignored_mask:0\n",
		HEAD "inotify wd:1 ino:1 sdev:1 mask:1 ignored_mask:0 fhandle-bytes:8 "
		     "fhandle-type:1 f_handle:1ac503\n",
		HEAD "inotify wd:1 ino:1 sdev:1 mask:1 ignored_mask:0 fhandle-bytes:200 "
		     "fhandle-type:1 f_handle:00\n",
		HEAD "inotify wd:1 ino:1 sdev:1 mask:1 ignored_mask:0 fhandle-bytes:2 "
		     "fhandle-type:1 f_handle:zz00\n",
		HEAD "inotify wd:1 ino:1 sdev:1 mask:1 ignored_mask:0 fhandle-bytes:1 "
		     "f_handle:00\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (res_parse_inotify(bad[i], &w, &n) != -EBADMSG)
			fail_msg("bad inotify text %zu accepted", i);
		assert_true(w == NULL && n == 0);
	}
}

static void test_pidfd(void **state)
{
	int32_t pid;
	assert_int_equal(
		res_parse_pidfd("pos:\t0\nflags:\t02000002\nPid:\t2096\nNSpid:\t2096\n", &pid), 0);
	assert_int_equal(pid, 2096);
	assert_int_equal(res_parse_pidfd("Pid:\t-1\nNSpid:\t-1\n", &pid), 0);
	assert_int_equal(pid, -1);
	assert_int_equal(res_parse_pidfd("Pid:\t0\n", &pid), -EBADMSG);
	assert_int_equal(res_parse_pidfd("Pid:\t-12\n", &pid), -EBADMSG);
	assert_int_equal(res_parse_pidfd("NSpid:\t5\n", &pid), -EBADMSG);
	assert_int_equal(res_parse_pidfd("Pid:\t4294967296\n", &pid), -EBADMSG);
}

static void test_locks(void **state)
{
	struct res_lock_line *l;
	size_t n;
	char what[64] = "";
	const char *t = HEAD "lock:\t1: FLOCK  ADVISORY  WRITE 16237 fe:00:10952705 0 EOF\n"
			     "lock:\t2: POSIX  ADVISORY  READ 16237 fe:00:10953027 10 29\n"
			     "lock:\t2: -> POSIX  ADVISORY  WRITE 777 fe:00:10953027 10 29\n"
			     "lock:\t3: OFDLCK ADVISORY  READ -1 fe:00:10953065 0 EOF\n";
	assert_int_equal(res_parse_locks(t, &l, &n, what, sizeof(what)), 0);
	assert_int_equal(n, 3); /* the waiter ("->") is skipped */
	assert_true(l[0].rec.kind == RES_LOCK_FLOCK && l[0].rec.write == 1 && l[0].pid == 16237 &&
		    l[0].rec.start == 0 && l[0].rec.end == -1);
	assert_true(l[1].rec.kind == RES_LOCK_POSIX && l[1].rec.write == 0 &&
		    l[1].rec.start == 10 && l[1].rec.end == 29);
	assert_true(l[2].rec.kind == RES_LOCK_OFD && l[2].pid == -1 && l[2].rec.end == -1);
	free(l);
	assert_int_equal(res_parse_locks(HEAD, &l, &n, what, sizeof(what)), 0);
	assert_true(n == 0 && l == NULL);
	assert_int_equal(res_parse_locks(HEAD "lock:\t1: LEASE  ACTIVE    READ 5 fe:00:1 0 EOF\n",
					 &l, &n, what, sizeof(what)),
			 -EOPNOTSUPP);
	assert_string_equal(what, "LEASE ACTIVE READ");
	assert_true(l == NULL && n == 0);
	static const char *const bad[] = {
		HEAD "lock:\t1: POSIX  ADVISORY  WRITE 5 fe:00:1 10 9\n",
		HEAD "lock:\t1: POSIX  ADVISORY  WRITE 5 fe:00:1 -1 EOF\n",
		HEAD "lock:\t1: POSIX  ADVISORY  UNLCK 5 fe:00:1 0 EOF\n",
		HEAD "lock:\t1: POSIX  ADVISORY  WRITE 5 fe:00:1 0 12x\n",
		HEAD "lock:\t1: POSIX  ADVISORY  WRITE\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (res_parse_locks(bad[i], &l, &n, what, sizeof(what)) != -EBADMSG)
			fail_msg("bad lock text %zu accepted", i);
		assert_true(l == NULL && n == 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_value_and_num), cmocka_unit_test(test_eventfd),
		cmocka_unit_test(test_signalfd),      cmocka_unit_test(test_timerfd),
		cmocka_unit_test(test_epoll),	      cmocka_unit_test(test_inotify),
		cmocka_unit_test(test_pidfd),	      cmocka_unit_test(test_locks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
