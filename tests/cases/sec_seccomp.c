/* SPDX-License-Identifier: MIT */
/* seccomp, per thread: the main thread has two filters (uname -> errno 77, then getcwd -> errno
 * 78 with SECCOMP_FILTER_FLAG_LOG), a second thread inherits both and adds its own (sync ->
 * errno 79), and a third thread is in strict mode. After restore every thread must have the
 * same mode and filter count in /proc, the filters must act per thread, and the strict thread
 * must still be alive and able to write and exit. */
#include "caselib.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static volatile int strict_go, strict_done;
static volatile pid_t strict_tid, filter_tid;
static volatile int filter_go, filter_result = -1;

static int deny(long nr, int err, unsigned flags)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog p = {sizeof(f) / sizeof(f[0]), f};
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &p);
}

static int task_field(pid_t tid, const char *key)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	if (case_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	char *s = strstr(buf, key);
	return s ? atoi(s + strlen(key)) : -1;
}

static void *strict_thread(void *arg)
{
	strict_tid = syscall(SYS_gettid);
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT))
		return NULL;
	/* Only read/write/exit/sigreturn are allowed from here: spin gently on memory. */
	while (!strict_go)
		__builtin_ia32_pause();
	static const char msg[] = "strict thread alive\n";
	if (write(1, msg, sizeof(msg) - 1) == sizeof(msg) - 1)
		strict_done = 1;
	syscall(SYS_exit, 0);
	return NULL;
}

static void *filter_thread(void *arg)
{
	filter_tid = syscall(SYS_gettid);
	if (deny(SYS_sync, 79, 0))
		return NULL;
	while (!filter_go)
		usleep(1000);
	errno = 0;
	filter_result = syscall(SYS_sync) == -1 ? errno : 0;
	struct utsname u;
	if (uname(&u) == 0 || errno != 77)
		filter_result = -2;
	return NULL;
}

int main(void)
{
	pthread_t a, b;
	struct utsname u;
	char cwd[256];

	case_init();
	case_block_term();
	/* The strict thread first: a thread that inherited filters cannot switch to strict. */
	if (pthread_create(&a, NULL, strict_thread, NULL))
		case_fail("pthread_create");
	while (!strict_tid || task_field(strict_tid, "Seccomp:") != 1)
		usleep(1000);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || deny(SYS_uname, 77, 0) ||
	    deny(SYS_getcwd, 78, SECCOMP_FILTER_FLAG_LOG))
		case_fail("installing filters");
	if (pthread_create(&b, NULL, filter_thread, NULL))
		case_fail("pthread_create");
	while (!filter_tid || task_field(filter_tid, "Seccomp_filters:") != 3)
		usleep(1000);
	case_ready();
	case_wait();

	pid_t me = syscall(SYS_gettid);
	CASE_CHECK(task_field(me, "Seccomp:") == 2 && task_field(me, "Seccomp_filters:") == 2);
	CASE_CHECK(task_field(filter_tid, "Seccomp:") == 2);
	CASE_CHECK(task_field(filter_tid, "Seccomp_filters:") == 3);
	CASE_CHECK(task_field(strict_tid, "Seccomp:") == 1);
	CASE_CHECK(uname(&u) == -1 && errno == 77);
	CASE_CHECK(getcwd(cwd, sizeof(cwd)) == NULL && errno == 78);
	errno = 0;
	CASE_CHECK(syscall(SYS_sync) == 0); /* only the second thread denies sync */
	filter_go = 1;
	pthread_join(b, NULL);
	if (filter_result != 79)
		case_fail("filter thread: sync gave %d, want errno 79", filter_result);
	strict_go = 1;
	pthread_join(a, NULL);
	CASE_CHECK(strict_done == 1);
	case_pass();
}
