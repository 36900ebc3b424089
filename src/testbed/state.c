/* SPDX-License-Identifier: MIT */
/* Test bed state under /run/ferry-testbed: small one-value files per node (address, netns name,
 * init pid + start time, cgroup directories), the lock that serialises up/down, and reading a
 * node back together with what is observed now (alive, limits, daemon). */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "common/proc.h"
#include "testbed/testbed.h"

int tb__write_file(const char *path, const char *fmt, ...)
{
	va_list ap;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return neg_errno();
	va_start(ap, fmt);
	int w = vdprintf(fd, fmt, ap);
	va_end(ap);
	int r = w < 0 ? neg_errno() : 0;
	if (close(fd) < 0 && r == 0)
		r = neg_errno();
	return r;
}

int tb__path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int tb__node_dir(char *buf, size_t size, int index)
{
	int n = snprintf(buf, size, "%s/n%d", TB_STATE_DIR, index);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Serialise `up` and `down` (and a racing second `up`). The fd stays open until exit. */
int tb__lock(struct ferry_err *e)
{
	int fd = open(TB_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(e, neg_errno(), "open lock %s: %s", TB_LOCK_FILE, strerror(errno));
	if (flock(fd, LOCK_EX) < 0) {
		int r = neg_errno();
		close(fd);
		return err_set(e, r, "lock %s: %s", TB_LOCK_FILE, strerror(-r));
	}
	return fd;
}

/* Start time of pid in clock ticks since boot (field 22 of /proc/PID/stat), 0 if gone. */
unsigned long long tb__proc_start_time(pid_t pid)
{
	struct proc_stat st;
	if (proc_stat_read(pid, &st) < 0 || st.state == 'Z' || st.state == 'X')
		return 0; /* gone, or only the zombie is left */
	return st.start_time;
}

static void read_cgroups(const char *dir, struct testbed_node *n)
{
	char path[600], buf[TB_MAX_CGDIRS * 512 + 16];
	snprintf(path, sizeof(path), "%s/cgroups", dir);
	if (proc_read_text(path, buf, sizeof(buf)) <= 0)
		return;
	for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l && n->ncg < TB_MAX_CGDIRS;
	     l = strtok_r(NULL, "\n", &save))
		snprintf(n->cg[n->ncg++], sizeof(n->cg[0]), "%s", l);
}

/* Fill n from TB_STATE_DIR/nK; -ENOENT if that node is not recorded. */
int tb__read_node(int index, struct testbed_node *n)
{
	char dir[256], path[300], buf[128];
	int r = tb__node_dir(dir, sizeof(dir), index);
	if (r < 0)
		return r;
	memset(n, 0, sizeof(*n));
	n->index = index;
	snprintf(n->name, sizeof(n->name), "n%d", index);
	if (access(dir, F_OK) < 0)
		return neg_errno();
	snprintf(path, sizeof(path), "%s/addr", dir);
	if (proc_read_text(path, buf, sizeof(buf)) > 0)
		sscanf(buf, "%31s", n->addr);
	snprintf(path, sizeof(path), "%s/init", dir);
	if (proc_read_text(path, buf, sizeof(buf)) > 0 &&
	    sscanf(buf, "%d %llu", &n->init_pid, &n->init_start) == 2)
		n->init_alive = n->init_start && tb__proc_start_time(n->init_pid) == n->init_start;
	read_cgroups(dir, n);
	const char *dirs[TB_MAX_CGDIRS];
	for (int i = 0; i < n->ncg; i++)
		dirs[i] = n->cg[i];
	tb__cg_limits(dirs, n->ncg, &n->cpu_quota_us, &n->mem_limit);
	n->ferryd_pid = tb__cg_find_comm(dirs, n->ncg, "ferryd");
	return 0;
}

static int cmp_node(const void *a, const void *b)
{
	return ((const struct testbed_node *)a)->index - ((const struct testbed_node *)b)->index;
}

int testbed_nodes(struct testbed_node **ret, struct ferry_err *e)
{
	_cleanup_free_ struct testbed_node *v = NULL;
	size_t cap = 0;
	int count = 0, idx;
	DIR *d = opendir(TB_STATE_DIR);
	if (!d) {
		if (errno == ENOENT) {
			*ret = NULL;
			return 0;
		}
		return err_set(e, neg_errno(), "open %s: %s", TB_STATE_DIR, strerror(errno));
	}
	for (struct dirent *de; (de = readdir(d));) {
		char c;
		if (sscanf(de->d_name, "n%d%c", &idx, &c) != 1 || idx < 1 || idx > TB_MAX_NODES)
			continue;
		struct testbed_node *nv = array_reserve(v, &cap, count + 1, sizeof(*v));
		if (!nv) {
			closedir(d);
			return err_set(e, -ENOMEM, "node table: out of memory");
		}
		v = nv;
		if (tb__read_node(idx, &v[count]) == 0)
			count++;
	}
	closedir(d);
	if (count)
		qsort(v, count, sizeof(*v), cmp_node);
	*ret = TAKE_PTR(v);
	return count;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_DP ? rmdir(path) : unlink(path))
		return errno == ENOENT ? 0 : -1;
	return 0;
}

/* rm -rf path (no symlink following); 0 also when it did not exist. */
int tb__rm_rf(const char *path)
{
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
		return neg_errno();
	return 0;
}
