/* SPDX-License-Identifier: MIT */
/* Namespaces: ferry restores a tree into the namespaces it runs in, so it dumps only trees that
 * live in the same namespaces as the dumping ferry. A process in any other namespace (one the
 * tree created with unshare/clone, or a container ferry is not in) is refused, naming the pid
 * and the namespace, before anything is written. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "dump/internal.h"
#include "res/res.h"

static const char *const ns_names[] = {
	"mnt",	"net",	  "pid",  "pid_for_children",  "ipc", "uts",
	"user", "cgroup", "time", "time_for_children",
};

static int ns_ino(pid_t pid, const char *name, ino_t *ret)
{
	char path[64];
	struct stat st;
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, name);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	if (stat(path, &st) < 0)
		return neg_errno();
	*ret = st.st_ino;
	return 0;
}

#define NNS (sizeof(ns_names) / sizeof(ns_names[0]))

static int check_proc(struct dump_ctx *c, const struct dproc *p, const ino_t mine[NNS])
{
	for (size_t i = 0; i < NNS; i++) {
		ino_t theirs;
		if (!mine[i])
			continue; /* a namespace kind this kernel lacks */
		int r = ns_ino(p->pid, ns_names[i], &theirs);
		if (r < 0)
			return err_set(c->e, r, "pid %d: cannot read its %s namespace: %s", p->pid,
				       ns_names[i], strerror(-r));
		if (mine[i] != theirs)
			return err_set(c->e, -EOPNOTSUPP,
				       "pid %d is in another %s namespace than ferry (%s:[%lu], "
				       "ferry's is [%lu]): trees that create or live in other "
				       "namespaces are not supported yet; run ferry inside them",
				       p->pid, ns_names[i], ns_names[i], (unsigned long)theirs,
				       (unsigned long)mine[i]);
	}
	return 0;
}

static int ns_check(struct dump_ctx *c)
{
	ino_t mine[NNS];
	for (size_t i = 0; i < NNS; i++)
		if (ns_ino(0, ns_names[i], &mine[i]) < 0)
			mine[i] = 0;
	for (size_t i = 0; i < c->nprocs; i++) {
		if (c->procs[i].zombie)
			continue; /* a zombie's /proc/PID/ns is gone */
		int r = check_proc(c, &c->procs[i], mine);
		if (r < 0)
			return r;
	}
	return 0;
}

const struct res_tree_ops res_ns = {
	.name = "namespaces",
	.check = ns_check,
};
