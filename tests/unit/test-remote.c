/* SPDX-License-Identifier: MIT */
/* Unit tests for remote_batch (src/common/remote.c) on a forked child stopped under ptrace: every
 * call of a batch runs in the child with its results; a batch stops at the first failing call;
 * the child's registers and signal mask come back unchanged; a SIGTRAP that was pending for the
 * child is not taken for the batch's own: the batch ends with -EINTR and the signal is pending
 * again afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/proc.h"
#include "common/remote.h"

struct child {
	pid_t pid;
	uint64_t code, table;
};

/* A child that maps nothing of its own: the code and the table are shared mappings made before
 * the fork. With pending_trap, it blocks SIGTRAP and sends one to itself first. */
static void start_child(struct child *k, int pending_trap)
{
	int p[2];
	char c;
	void *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	void *table = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(code != MAP_FAILED && table != MAP_FAILED);
	memcpy(code, remote_batch_code, REMOTE_BATCH_CODE_LEN);
	assert_int_equal(pipe(p), 0);
	k->pid = fork();
	assert_true(k->pid >= 0);
	if (k->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed assertion leaves no child behind */
		if (pending_trap) {
			sigset_t s;
			sigemptyset(&s);
			sigaddset(&s, SIGTRAP);
			sigprocmask(SIG_BLOCK, &s, NULL);
			raise(SIGTRAP);
		}
		if (write(p[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	k->code = (uint64_t)code;
	k->table = (uint64_t)table;
	assert_int_equal(remote_seize(k->pid, REMOTE_SEIZE_OPTS), 0);
}

static void stop_child(struct child *k)
{
	kill(k->pid, SIGKILL);
	waitpid(k->pid, NULL, 0);
	munmap((void *)k->code, 4096);
	munmap((void *)k->table, 65536);
}

static void test_all_calls_run(void **state)
{
	struct child k;
	struct user_regs_struct before, after;
	uint64_t mask0, mask1;
	size_t done;
	start_child(&k, 0);
	assert_int_equal(ptrace(PTRACE_GETREGS, k.pid, 0, &before), 0);
	assert_int_equal(ptrace(PTRACE_GETSIGMASK, k.pid, sizeof(mask0), &mask0), 0);
	struct remote_call c[3] = {
		{SYS_getpid, {0}, 0}, {SYS_getppid, {0}, 0}, {SYS_getuid, {0}, 0}};
	assert_int_equal(remote_batch(k.pid, k.code, k.table, c, 3, &done), 0);
	assert_int_equal(done, 3);
	assert_int_equal(c[0].ret, k.pid);
	assert_int_equal(c[1].ret, getpid());
	assert_int_equal(c[2].ret, getuid());
	assert_int_equal(ptrace(PTRACE_GETREGS, k.pid, 0, &after), 0);
	assert_int_equal(ptrace(PTRACE_GETSIGMASK, k.pid, sizeof(mask1), &mask1), 0);
	assert_memory_equal(&before, &after, sizeof(before));
	assert_int_equal(mask0, mask1);
	stop_child(&k);
}

static void test_stops_at_first_failure(void **state)
{
	struct child k;
	size_t done;
	start_child(&k, 0);
	struct remote_call c[3] = {
		{SYS_getpid, {0}, 0}, {SYS_close, {(uint64_t)-1}, 0}, {SYS_getpid, {0}, 7}};
	assert_int_equal(remote_batch(k.pid, k.code, k.table, c, 3, &done), 0);
	assert_int_equal(done, 2);
	assert_int_equal(c[0].ret, k.pid);
	assert_int_equal(c[1].ret, -EBADF);
	assert_int_equal(c[2].ret, 7); /* not run, not read back */
	size_t bad = 99;
	assert_int_equal(remote_batch_result(c, 3, done, &bad), -EBADF);
	assert_int_equal(bad, 1);
	stop_child(&k);
}

/* What a finished batch says: all fine, the failed call, or an early stop without a failure. */
static void test_batch_result(void **state)
{
	struct remote_call c[3] = {{0, {0}, 5}, {0, {0}, 0}, {0, {0}, -4096}};
	size_t bad;
	assert_int_equal(remote_batch_result(c, 3, 3, &bad), 0); /* -4096 is not an error */
	assert_int_equal(remote_batch_result(c, 3, 2, &bad), -EPROTO);
	assert_int_equal(bad, 1);
	c[1].ret = -ENOMEM;
	assert_int_equal(remote_batch_result(c, 3, 2, &bad), -ENOMEM);
	assert_int_equal(bad, 1);
	assert_int_equal(remote_batch_result(c, 0, 0, &bad), 0);
}

static void test_pending_trap_survives(void **state)
{
	struct child k;
	struct proc_status st;
	size_t done;
	const uint64_t trap = 1ULL << (SIGTRAP - 1);
	start_child(&k, 1);
	assert_int_equal(proc_status_read(k.pid, &st), 0);
	assert_true(st.sig_pnd & trap);
	struct remote_call c[1] = {{SYS_getpid, {0}, 0}};
	assert_int_equal(remote_batch(k.pid, k.code, k.table, c, 1, &done), -EINTR);
	assert_int_equal(proc_status_read(k.pid, &st), 0);
	assert_true((st.sig_pnd | st.shd_pnd) & trap);
	stop_child(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_calls_run),
		cmocka_unit_test(test_stops_at_first_failure),
		cmocka_unit_test(test_pending_trap_survives),
		cmocka_unit_test(test_batch_result),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
