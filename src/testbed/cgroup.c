/* SPDX-License-Identifier: MIT */
/* Test bed cgroups: a node's CPU quota and memory limit, on cgroup v2 (cpu.max, memory.max) or,
 * on hybrid machines where cpu/memory are still v1 controllers (as on the project's VMs, see
 * KERNEL-FACTS.md §11), on the v1 hierarchies (cpu.cfs_quota_us, memory.limit_in_bytes). A node
 * joins every hierarchy used; the v2 one, when mounted, gives cpu.stat and cgroup.kill. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/proc.h"
#include "testbed/testbed.h"

#define MAX_HIER      16
#define PERIOD_US     100000
#define KILL_WAIT_MS  5000
#define UNLIMITED_MEM (1LL << 62) /* v1 reports "no limit" as a huge page-rounded number */

struct hier {
	char mnt[256];
	char own[256]; /* our own cgroup in this hierarchy, relative to mnt ("" = root) */
	int v2;
	int cpu, cpuacct, memory; /* controller available here */
};

static int has_token(const char *list, const char *tok, const char *seps)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *s = NULL, *t = strtok_r(buf, seps, &s); t; t = strtok_r(NULL, seps, &s))
		if (!strcmp(t, tok))
			return 1;
	return 0;
}

/* Our cgroup path in the hierarchy with controller `ctrl` (v1) or in v2 (ctrl NULL). */
static void own_path(const char *ctrl, const char *mnt_root, char *out, size_t size)
{
	char line[1024];
	FILE *f = fopen("/proc/self/cgroup", "re");
	out[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = 0;
		c2[1 + strcspn(c2 + 1, "\n")] = 0;
		int match = ctrl ? has_token(c1 + 1, ctrl, ",") : c1[1] == 0;
		if (!match)
			continue;
		const char *p = c2 + 1;
		size_t rl = strlen(mnt_root);
		if (strcmp(mnt_root, "/") && !strncmp(p, mnt_root, rl))
			p += rl; /* the mount shows a subtree: make the path relative to it */
		snprintf(out, size, "%s", strcmp(p, "/") ? p : "");
		break;
	}
	fclose(f);
}

/* Every cgroup hierarchy mounted in our mount namespace (first mount of each). */
static int discover(struct hier *h, int max)
{
	char line[8192];
	int n = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return neg_errno();
	struct proc_mount m;
	while (n < max && fgets(line, sizeof(line), f)) {
		size_t mlen;
		if (proc_mountinfo_line_parse(line, &m) < 0 ||
		    (mlen = strlen(m.mnt)) >= sizeof(h->mnt))
			continue;
		int v2 = !strcmp(m.fstype, "cgroup2");
		if (!v2 && strcmp(m.fstype, "cgroup"))
			continue;
		struct hier *x = &h[n];
		memset(x, 0, sizeof(*x));
		memcpy(x->mnt, m.mnt, mlen + 1); /* fits: checked above */
		x->v2 = v2;
		if (v2) {
			char ctl[512], path[300];
			snprintf(path, sizeof(path), "%s/cgroup.controllers", x->mnt);
			if (proc_read_text(path, ctl, sizeof(ctl)) < 0)
				ctl[0] = 0;
			x->cpu = has_token(ctl, "cpu", " \n");
			x->memory = has_token(ctl, "memory", " \n");
			own_path(NULL, m.root, x->own, sizeof(x->own));
		} else {
			x->cpu = has_token(m.super_opts, "cpu", ",");
			x->cpuacct = has_token(m.super_opts, "cpuacct", ",");
			x->memory = has_token(m.super_opts, "memory", ",");
			if (!x->cpu && !x->cpuacct && !x->memory)
				continue; /* a hierarchy we have no use for */
			const char *ctrl = x->cpu ? "cpu" : "cpuacct";
			own_path(x->memory && !x->cpu ? "memory" : ctrl, m.root, x->own,
				 sizeof(x->own));
		}
		int dup = 0;
		for (int i = 0; i < n; i++)
			dup |= h[i].v2 == v2 && h[i].cpu == x->cpu && h[i].memory == x->memory &&
			       h[i].cpuacct == x->cpuacct;
		if (!dup)
			n++;
	}
	fclose(f);
	return n;
}

/* Where the test bed's cgroups live in hierarchy h. v1: below our own cgroup (so the nodes stay
 * inside whatever limits we run under). v2: below the root, because controllers can only be
 * enabled for children of a cgroup that has no processes of its own. */
static void parent_dir(const struct hier *h, char *out, size_t size)
{
	tb__path(out, size, "%s%s/%s", h->mnt, h->v2 ? "" : h->own, TB_CG_NAME);
}

static int pick(const struct hier *h, int n, int want_cpu, int want_mem, int want_acct)
{
	/* a v1 hierarchy owns the controller if there is one */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < n; i++) {
			if (h[i].v2 != pass)
				continue;
			if ((want_cpu && h[i].cpu) || (want_mem && h[i].memory) ||
			    (want_acct && h[i].cpuacct))
				return i;
		}
	return -1;
}

static int add_dir(struct tb_cgroups *cg, const struct hier *h, int hi, int index, int *map)
{
	char parent[400];
	if (hi < 0)
		return -1;
	if (map[hi] >= 0)
		return map[hi];
	parent_dir(&h[hi], parent, sizeof(parent));
	snprintf(cg->dir[cg->n], sizeof(cg->dir[0]), "%s/n%d", parent, index);
	map[hi] = cg->n;
	return cg->n++;
}

/* Decide node K's cgroup directories and which does what (nothing is created). */
int tb__cg_plan(int index, struct tb_cgroups *cg, struct ferry_err *e)
{
	struct hier h[MAX_HIER];
	int map[MAX_HIER], n = discover(h, MAX_HIER);
	if (n < 0)
		return err_set(e, n, "read /proc/self/mountinfo: %s", strerror(-n));
	memset(cg, 0, sizeof(*cg));
	for (int i = 0; i < MAX_HIER; i++)
		map[i] = -1;
	int hcpu = pick(h, n, 1, 0, 0), hmem = pick(h, n, 0, 1, 0), hv2 = -1;
	for (int i = 0; i < n && hv2 < 0; i++)
		if (h[i].v2)
			hv2 = i;
	if (hcpu < 0)
		return err_set(e, -EOPNOTSUPP,
			       "no cpu controller: neither a cgroup v1 cpu hierarchy nor 'cpu' in "
			       "a cgroup2 cgroup.controllers");
	if (hmem < 0)
		return err_set(e, -EOPNOTSUPP,
			       "no memory controller: neither a cgroup v1 memory hierarchy nor "
			       "'memory' in a cgroup2 cgroup.controllers");
	int hacct = hv2 >= 0 ? hv2 : pick(h, n, 0, 0, 1);
	cg->v2 = add_dir(cg, h, hv2, index, map);
	cg->cpu = add_dir(cg, h, hcpu, index, map);
	cg->mem = add_dir(cg, h, hmem, index, map);
	cg->acct = add_dir(cg, h, hacct, index, map);
	cg->cpu_v2 = h[hcpu].v2;
	cg->mem_v2 = h[hmem].v2;
	return 0;
}

static int write_cg(const char *dir, const char *file, const char *val, struct ferry_err *e)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	int r = tb__write_file(path, "%s", val);
	if (r < 0)
		return err_set(e, r, "write '%s' to %s: %s", val, path, strerror(-r));
	return 0;
}

/* cgroup v2: make `ctrl` available to the children of dir (if it is not yet). */
static int enable_ctrl(const char *dir, const char *ctrl, struct ferry_err *e)
{
	char path[600], cur[512], val[32];
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	if (proc_read_text(path, cur, sizeof(cur)) >= 0 && has_token(cur, ctrl, " \n"))
		return 0;
	snprintf(val, sizeof(val), "+%s", ctrl);
	return write_cg(dir, "cgroup.subtree_control", val, e);
}

static int make_dirs(const char *dir, int v2, const struct tb_cgroups *cg, struct ferry_err *e)
{
	char parent[512];
	snprintf(parent, sizeof(parent), "%s", dir);
	*strrchr(parent, '/') = 0;
	if (mkdir(parent, 0755) < 0 && errno != EEXIST)
		return err_set(e, neg_errno(), "create cgroup %s: %s", parent, strerror(errno));
	if (v2) {
		char root[512];
		snprintf(root, sizeof(root), "%s", parent);
		*strrchr(root, '/') = 0;
		const char *ctrls[] = {cg->cpu_v2 ? "cpu" : NULL, cg->mem_v2 ? "memory" : NULL};
		for (size_t i = 0; i < ARRAY_SIZE(ctrls); i++) {
			int r = ctrls[i] ? enable_ctrl(root, ctrls[i], e) : 0;
			if (r == 0 && ctrls[i])
				r = enable_ctrl(parent, ctrls[i], e);
			if (r < 0)
				return r;
		}
	}
	if (mkdir(dir, 0755) < 0) {
		int r = neg_errno();
		if (r == -EEXIST)
			return err_set(e, r,
				       "cgroup %s already exists (a leftover test bed? run `ferry "
				       "testbed down`)",
				       dir);
		return err_set(e, r, "create cgroup %s: %s", dir, strerror(-r));
	}
	return 0;
}

/* Create node K's cgroups and set its limits (cpu_pct of one CPU, mem_mib; 0 = unlimited). */
int tb__cg_create(const struct tb_cgroups *cg, unsigned cpu_pct, unsigned mem_mib,
		  struct ferry_err *e)
{
	char val[64];
	int r;
	for (int i = 0; i < cg->n; i++) {
		int v2 = (i == cg->v2);
		r = make_dirs(cg->dir[i], v2, cg, e);
		if (r < 0)
			return r;
	}
	const char *cd = cg->dir[cg->cpu];
	long long quota = cpu_pct ? (long long)cpu_pct * PERIOD_US / 100 : -1;
	if (cg->cpu_v2) {
		if (quota < 0)
			snprintf(val, sizeof(val), "max %d", PERIOD_US);
		else
			snprintf(val, sizeof(val), "%lld %d", quota, PERIOD_US);
		r = write_cg(cd, "cpu.max", val, e);
	} else {
		snprintf(val, sizeof(val), "%d", PERIOD_US);
		r = write_cg(cd, "cpu.cfs_period_us", val, e);
		snprintf(val, sizeof(val), "%lld", quota);
		if (r == 0)
			r = write_cg(cd, "cpu.cfs_quota_us", val, e);
	}
	if (r < 0)
		return r;
	if (mem_mib)
		snprintf(val, sizeof(val), "%llu", (unsigned long long)mem_mib << 20);
	else
		snprintf(val, sizeof(val), cg->mem_v2 ? "max" : "-1");
	return write_cg(cg->dir[cg->mem], cg->mem_v2 ? "memory.max" : "memory.limit_in_bytes", val,
			e);
}

int tb__cg_join(const struct tb_cgroups *cg, pid_t pid, struct ferry_err *e)
{
	char val[32];
	snprintf(val, sizeof(val), "%d", (int)pid);
	for (int i = 0; i < cg->n; i++) {
		int r = write_cg(cg->dir[i], "cgroup.procs", val, e);
		if (r < 0)
			return r;
	}
	return 0;
}

static long long read_ll(const char *dir, const char *file, int *found)
{
	char path[600], buf[64];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	*found = proc_read_text(path, buf, sizeof(buf)) > 0;
	return *found ? strtoll(buf, NULL, 10) : 0;
}

/* The CPU quota (µs per 100 ms; -1 unlimited) and memory limit (bytes; -1 unlimited) in force
 * in the given node directories; -2 where no directory has the file. */
void tb__cg_limits(const char *dirs[], int n, long long *cpu_quota_us, long long *mem_limit)
{
	*cpu_quota_us = *mem_limit = -2;
	for (int i = 0; i < n; i++) {
		char path[600], buf[64], q[32];
		long long period = 0, v;
		int found;
		snprintf(path, sizeof(path), "%s/cpu.max", dirs[i]);
		if (proc_read_text(path, buf, sizeof(buf)) > 0 &&
		    sscanf(buf, "%31s %lld", q, &period) == 2 && period > 0)
			*cpu_quota_us =
				strcmp(q, "max") ? strtoll(q, NULL, 10) * PERIOD_US / period : -1;
		v = read_ll(dirs[i], "cpu.cfs_quota_us", &found);
		period = read_ll(dirs[i], "cpu.cfs_period_us", &found);
		if (found && period > 0)
			*cpu_quota_us = v < 0 ? -1 : v * PERIOD_US / period;
		snprintf(path, sizeof(path), "%s/memory.max", dirs[i]);
		if (proc_read_text(path, buf, sizeof(buf)) > 0)
			*mem_limit = strncmp(buf, "max", 3) ? strtoll(buf, NULL, 10) : -1;
		v = read_ll(dirs[i], "memory.limit_in_bytes", &found);
		if (found)
			*mem_limit = v >= UNLIMITED_MEM ? -1 : v;
	}
}

/* PIDs listed in dir/cgroup.procs, called back one by one; returns how many. */
static int for_each_proc(const char *dir, void (*fn)(pid_t, void *), void *arg)
{
	char path[600], line[32];
	int count = 0;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		pid_t pid = atoi(line);
		if (pid > 0) {
			count++;
			if (fn)
				fn(pid, arg);
		}
	}
	fclose(f);
	return count;
}

struct comm_match {
	const char *comm;
	pid_t found;
};

static void match_comm(pid_t pid, void *arg)
{
	struct comm_match *m = arg;
	char path[64], buf[32];
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (!m->found && proc_read_text(path, buf, sizeof(buf)) > 0) {
		buf[strcspn(buf, "\n")] = 0;
		if (!strcmp(buf, m->comm))
			m->found = pid;
	}
}

/* A process named comm among the members of the node's cgroup (any hierarchy), or 0. */
pid_t tb__cg_find_comm(const char *dirs[], int n, const char *comm)
{
	struct comm_match m = {comm, 0};
	for (int i = 0; i < n && !m.found; i++)
		for_each_proc(dirs[i], match_comm, &m);
	return m.found;
}

static void kill_pid(pid_t pid, void *arg)
{
	kill(pid, SIGKILL);
}

/* SIGKILL every member of dir and of its descendant cgroups; returns how many were found. */
static int kill_tree(const char *dir)
{
	int count = for_each_proc(dir, kill_pid, NULL);
	DIR *d = opendir(dir);
	if (!d)
		return count;
	for (struct dirent *de; (de = readdir(d));) {
		char sub[600];
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		tb__path(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		count += kill_tree(sub);
	}
	closedir(d);
	return count;
}

/* rmdir dir after its descendant cgroups (a daemon may have made some). */
static int rmdir_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		for (struct dirent *de; (de = readdir(d));) {
			char sub[600];
			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			tb__path(sub, sizeof(sub), "%s/%s", dir, de->d_name);
			rmdir_tree(sub);
		}
		closedir(d);
	}
	if (rmdir(dir) < 0 && errno != ENOENT)
		return neg_errno();
	return 0;
}

/* Kill everything in the node cgroups (cgroup.kill where v2 offers it, SIGKILL to every listed
 * process in any case), wait until they are empty, remove them. Missing directories are fine. */
int tb__cg_kill_remove(const char *dirs[], int n, struct ferry_err *e)
{
	char path[600];
	int left = 0;
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/cgroup.kill", dirs[i]);
		if (access(path, W_OK) == 0)
			tb__write_file(path, "1");
	}
	for (int ms = 0; ms <= KILL_WAIT_MS; ms += 10) {
		left = 0;
		for (int i = 0; i < n; i++)
			left += kill_tree(dirs[i]);
		if (!left)
			break;
		usleep(10000);
	}
	if (left)
		return err_set(e, -EBUSY, "cgroup %s: %d processes still alive %d s after SIGKILL",
			       dirs[0], left, KILL_WAIT_MS / 1000);
	for (int i = 0; i < n; i++) {
		int r = 0;
		for (int try = 0; try < 100; try++) { /* css teardown can lag the last exit */
			r = rmdir_tree(dirs[i]);
			if (r != -EBUSY)
				break;
			usleep(10000);
		}
		if (r < 0)
			return err_set(e, r, "remove cgroup %s: %s", dirs[i], strerror(-r));
	}
	return 0;
}

/* Candidate parents in hierarchy h: where `up` puts them, and the other place, in case the test
 * bed was made by a process in another cgroup. */
static int parents(const struct hier *h, char out[2][400])
{
	snprintf(out[0], sizeof(out[0]), "%s/%s", h->mnt, TB_CG_NAME);
	tb__path(out[1], sizeof(out[1]), "%s%s/%s", h->mnt, h->own, TB_CG_NAME);
	return strcmp(out[0], out[1]) ? 2 : 1;
}

/* Remove every node cgroup below a test bed parent in any hierarchy, whatever the state says. */
int tb__cg_sweep(int *removed, struct ferry_err *e)
{
	struct hier h[MAX_HIER];
	char par[2][400];
	int n = discover(h, MAX_HIER), r = 0;
	if (n < 0)
		return err_set(e, n, "read /proc/self/mountinfo: %s", strerror(-n));
	for (int i = 0; i < n; i++) {
		int np = parents(&h[i], par);
		for (int p = 0; p < np; p++) {
			DIR *d = opendir(par[p]);
			if (!d)
				continue;
			for (struct dirent *de; (de = readdir(d));) {
				char sub[600];
				if (de->d_type != DT_DIR || de->d_name[0] == '.')
					continue;
				tb__path(sub, sizeof(sub), "%s/%s", par[p], de->d_name);
				const char *one[] = {sub};
				int rr = tb__cg_kill_remove(one, 1, e);
				if (rr < 0 && r == 0)
					r = rr;
				if (rr == 0)
					(*removed)++;
			}
			closedir(d);
		}
	}
	return r;
}

void tb__cg_remove_parents(void)
{
	struct hier h[MAX_HIER];
	char par[2][400];
	int n = discover(h, MAX_HIER);
	for (int i = 0; i < n; i++) {
		int np = parents(&h[i], par);
		for (int p = 0; p < np; p++)
			rmdir(par[p]);
	}
}
