/* SPDX-License-Identifier: MIT */
/* Credentials that differ between threads: a second thread switches only itself (raw syscalls,
 * not glibc's process-wide setxid broadcast) to gids 2001/2002/2003 and uids 1001/1002/1003, which
 * also drops its capabilities; main stays root with its capabilities. After restore each thread
 * still has its own ids and capability sets (its own syscalls and /proc/self/task/TID/status). */
#include "caselib.h"

#include <linux/capability.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int go, started, thread_ok = -1;
static pid_t ttid;
static char tstatus_before[512];

/* The Uid, Gid and Cap* lines of a thread's status. */
static void cred_lines(pid_t tid, char *out, size_t size)
{
	char path[64], buf[4096], *line;
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	out[0] = 0;
	if (case_read_file(path, buf, sizeof(buf)) < 0)
		return;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (!strncmp(line, "Uid:", 4) || !strncmp(line, "Gid:", 4) || !strncmp(line, "Cap", 3))
			snprintf(out + strlen(out), size - strlen(out), "%s\n", line);
}

static int ids_are(long r, long e, long s, long gr, long ge, long gs)
{
	uid_t u[3];
	gid_t g[3];
	if (syscall(SYS_getresuid, &u[0], &u[1], &u[2]) || syscall(SYS_getresgid, &g[0], &g[1], &g[2]))
		return 0;
	return u[0] == r && u[1] == e && u[2] == s && g[0] == gr && g[1] == ge && g[2] == gs;
}

static void *worker(void *arg)
{
	ttid = gettid();
	if (syscall(SYS_setresgid, 2001, 2002, 2003) || syscall(SYS_setresuid, 1001, 1002, 1003))
		ttid = -1;
	started = 1;
	while (!go)
		usleep(2000);
	thread_ok = ids_are(1001, 1002, 1003, 2001, 2002, 2003);
	return NULL;
}

static unsigned long long effective_caps(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d))
		return 0;
	return d[0].effective | (unsigned long long)d[1].effective << 32;
}

int main(void)
{
	char mstatus_before[512], now[512];
	unsigned long long caps;
	pthread_t t;

	case_init();
	case_block_term();
	if (getuid() != 0)
		case_fail("needs root");
	caps = effective_caps();
	if (pthread_create(&t, NULL, worker, NULL))
		case_fail("pthread_create");
	while (!started)
		usleep(1000);
	CASE_CHECK(ttid > 0);
	CASE_CHECK(ids_are(0, 0, 0, 0, 0, 0));
	cred_lines(gettid(), mstatus_before, sizeof(mstatus_before));
	cred_lines(ttid, tstatus_before, sizeof(tstatus_before));
	CASE_CHECK(strcmp(mstatus_before, tstatus_before) != 0);
	case_ready();
	case_wait();
	CASE_CHECK(ids_are(0, 0, 0, 0, 0, 0));
	CASE_CHECK(effective_caps() == caps);
	cred_lines(gettid(), now, sizeof(now));
	if (strcmp(now, mstatus_before))
		case_fail("main thread credentials changed:\n%s---- was\n%s", now, mstatus_before);
	cred_lines(ttid, now, sizeof(now));
	if (strcmp(now, tstatus_before))
		case_fail("second thread credentials changed:\n%s---- was\n%s", now, tstatus_before);
	go = 1;
	pthread_join(t, NULL);
	if (thread_ok != 1)
		case_fail("second thread's own ids differ after restore");
	case_pass();
}
