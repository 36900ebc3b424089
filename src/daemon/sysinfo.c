/* SPDX-License-Identifier: MIT */
/* Facts ferryd needs about this host (xstate size, free memory) and about one process (owner,
 * start time, command, memory, CPU time) from /proc, plus random ids. */
#include <cpuid.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "common/proc.h"
#include "daemon/daemon.h"

uint32_t host_xstate_size(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid_count(0xd, 0, &a, &b, &c, &d))
		return 0;
	return b; /* bytes needed for the features enabled in XCR0 */
}

uint64_t host_mem_available(void)
{
	char buf[8192];
	if (proc_read_text("/proc/meminfo", buf, sizeof(buf)) < 0)
		return 0;
	const char *p = strstr(buf, "MemAvailable:");
	unsigned long long kb;
	if (!p || sscanf(p, "MemAvailable: %llu", &kb) != 1)
		return 0;
	uint64_t avail = kb << 10;
	/* A node's cgroup limit counts too (the test bed's nodes have one). */
	if (proc_read_text("/sys/fs/cgroup/memory.max", buf, sizeof(buf)) > 0 && buf[0] != 'm') {
		unsigned long long max = strtoull(buf, NULL, 10), cur = 0;
		if (proc_read_text("/sys/fs/cgroup/memory.current", buf, sizeof(buf)) > 0)
			cur = strtoull(buf, NULL, 10);
		if (max > cur && max - cur < avail)
			avail = max - cur;
	}
	return avail;
}

int proc_start_ticks(pid_t pid, uint64_t *ret)
{
	struct proc_stat st;
	int r = proc_stat_read(pid, &st);
	if (r == 0)
		*ret = st.start_time;
	return r;
}

int proc_owner_uid(pid_t pid, uint32_t *ret)
{
	struct proc_status st;
	int r = proc_status_read(pid, &st);
	if (r < 0)
		return r;
	*ret = st.uid[0];
	return 0;
}

void proc_cmdline(pid_t pid, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	ssize_t n = proc_read_text(path, buf, size);
	if (n <= 0) {
		snprintf(buf, size, "?");
		return;
	}
	for (ssize_t i = 0; i + 1 < n; i++)
		if (!buf[i])
			buf[i] = ' ';
}

uint64_t proc_rss_bytes(pid_t pid)
{
	uint64_t pages = 0;
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/statm", pid);
	if (proc_read_text(path, buf, sizeof(buf)) > 0)
		sscanf(buf, "%*u %" SCNu64, &pages);
	return pages * 4096;
}

double proc_cpu_seconds(pid_t pid)
{
	struct proc_stat st;
	if (proc_stat_read(pid, &st) < 0)
		return 0;
	return (double)(st.utime + st.stime) / (double)sysconf(_SC_CLK_TCK);
}

void random_hex(char *buf, size_t nbytes)
{
	uint8_t raw[32];
	if (nbytes > sizeof(raw))
		nbytes = sizeof(raw);
	if (getrandom(raw, nbytes, 0) != (ssize_t)nbytes)
		memset(raw, 0, nbytes);
	for (size_t i = 0; i < nbytes; i++)
		sprintf(buf + 2 * i, "%02x", raw[i]);
	buf[2 * nbytes] = 0;
}

char fault_path[4096];

/* Test hook: the step named by $FERRY_FAULT or by the first line of fault_path. */
int fault_at(const char *step)
{
	char buf[64];
	const char *f = getenv("FERRY_FAULT");
	if (!f && fault_path[0] && proc_read_text(fault_path, buf, sizeof(buf)) > 0) {
		buf[strcspn(buf, "\n")] = 0;
		f = buf;
	}
	if (f && !strcmp(f, step)) {
		log_warn("fault injection: failing at step '%s'", step);
		return 1;
	}
	return 0;
}
