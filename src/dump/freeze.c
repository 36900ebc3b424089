/* SPDX-License-Identifier: MIT */
/* Freeze: PTRACE_SEIZE + PTRACE_INTERRUPT every thread of every process of the tree, rescanning
 * until no new thread or child appears (a stopped task cannot create more), and the way back:
 * thaw (detach, the tree continues) or kill (after a successful dump). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>

#include "common/remote.h"
#include "dump/internal.h"

int dump_in_tree(const struct dump_ctx *c, pid_t pid)
{
	for (size_t i = 0; i < c->nprocs; i++)
		if (c->procs[i].pid == pid)
			return 1;
	return 0;
}

static int add_proc(struct dump_ctx *c, pid_t pid, pid_t ppid)
{
	if (c->nprocs >= IMG_MAX_PROCS)
		return err_set(c->e, -E2BIG, "tree of pid %d has more than %d processes", c->o->pid,
			       IMG_MAX_PROCS);
	struct dproc *np = array_reserve(c->procs, &c->procs_cap, c->nprocs + 1, sizeof(*np));
	if (!np)
		return -ENOMEM;
	c->procs = np;
	memset(&np[c->nprocs], 0, sizeof(*np));
	np[c->nprocs].pid = pid;
	np[c->nprocs].ppid = ppid;
	c->nprocs++;
	return 0;
}

static int has_tid(const struct dproc *p, pid_t tid)
{
	for (size_t i = 0; i < p->nthreads; i++)
		if (p->tids[i] == tid)
			return 1;
	return 0;
}

/* Seize the threads of p not seized yet; *ret_new counts them. Leader first. */
static int seize_threads(struct dump_ctx *c, struct dproc *p, int *ret_new)
{
	char path[64];
	_cleanup_free_ int *tids = NULL;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/task", p->pid);
	int r = proc_list_dir_ints(path, &tids, &n);
	if (r < 0)
		return err_set(c->e, r, "pid %d: cannot list threads: %s", p->pid, strerror(-r));
	/* Make sure the leader comes first in p->tids. */
	for (size_t i = 0; i < n; i++)
		if (tids[i] == p->pid && i) {
			tids[i] = tids[0];
			tids[0] = p->pid;
		}
	for (size_t i = 0; i < n; i++) {
		if (has_tid(p, tids[i]))
			continue;
		struct proc_stat ts;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", p->pid, tids[i]);
		char buf[2048];
		if (proc_read_text(path, buf, sizeof(buf)) < 0 || proc_stat_parse(buf, &ts) < 0)
			continue; /* exited meanwhile */
		if (ts.state == 'Z' || ts.state == 'X')
			continue; /* an exited thread waiting for its group */
		r = remote_seize(tids[i], REMOTE_SEIZE_OPTS);
		if (r == -ESRCH)
			continue;
		if (r == -EPERM)
			return err_set(c->e, r,
				       "pid %d thread %d: not allowed to trace it (%s): only processes "
				       "the caller could ptrace can be dumped",
				       p->pid, tids[i], strerror(-r));
		if (r < 0)
			return err_set(c->e, r, "pid %d thread %d: cannot seize: %s", p->pid, tids[i],
				       strerror(-r));
		pid_t *nt = array_reserve(p->tids, &p->tids_cap, p->nthreads + 1, sizeof(*nt));
		if (!nt) {
			/* Seized but not recorded: detach at once so nothing stays stopped. */
			remote_detach(tids[i]);
			return -ENOMEM;
		}
		p->tids = nt;
		p->tids[p->nthreads++] = tids[i];
		colocate_thread(&c->pin, tids[i]);
		(*ret_new)++;
	}
	if (p->nthreads == 0 && proc_stat_read(p->pid, &p->stat) == 0 && p->stat.state == 'Z') {
		p->zombie = 1; /* it exited between the first look and the seize */
		return 0;
	}
	if (p->nthreads == 0 || p->tids[0] != p->pid)
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d: its main thread has exited while other threads run; "
			       "such processes are not supported",
			       p->pid);
	return 0;
}

static int scan_proc(struct dump_ctx *c, size_t idx, int *ret_new)
{
	struct dproc *p = &c->procs[idx];
	int r = proc_stat_read(p->pid, &p->stat);
	if (r < 0)
		return err_set(c->e, r == -ENOENT ? -ESRCH : r, "pid %d: %s", p->pid,
			       r == -ENOENT ? "no such process" : strerror(-r));
	if (p->stat.state == 'Z') {
		p->zombie = 1;
		return 0;
	}
	if (!p->nthreads) {
		r = proc_status_read(p->pid, &p->status);
		if (r < 0)
			return err_set(c->e, r, "pid %d: cannot read status: %s", p->pid,
				       strerror(-r));
		if (p->status.tracer_pid)
			return err_set(c->e, -EBUSY, "pid %d is being traced by pid %d", p->pid,
				       p->status.tracer_pid);
	}
	r = seize_threads(c, &c->procs[idx], ret_new);
	if (r < 0)
		return r;
	_cleanup_free_ int *kids = NULL;
	size_t nk;
	r = proc_children_read(c->procs[idx].pid, &kids, &nk);
	if (r < 0)
		return err_set(c->e, r, "pid %d: cannot list children: %s", c->procs[idx].pid,
			       strerror(-r));
	for (size_t k = 0; k < nk; k++) {
		if (dump_in_tree(c, kids[k]))
			continue;
		r = add_proc(c, kids[k], c->procs[idx].pid);
		if (r < 0)
			return r;
		(*ret_new)++;
	}
	return 0;
}

int freeze_tree(struct dump_ctx *c)
{
	int r = add_proc(c, c->o->pid, 0);
	if (r < 0)
		return r;
	for (;;) {
		int added = 0;
		for (size_t i = 0; i < c->nprocs; i++) {
			r = scan_proc(c, i, &added);
			if (r < 0)
				return r;
		}
		if (!added)
			return 0;
	}
}

int dump_bind_tree(struct dump_ctx *c)
{
	for (size_t i = 0; i < c->nprocs; i++)
		for (size_t t = 0; t < c->procs[i].nthreads; t++) {
			int r = remote_set_options(c->procs[i].tids[t],
						   REMOTE_SEIZE_OPTS | PTRACE_O_EXITKILL);
			if (r < 0)
				return err_set(c->e, r, "pid %d thread %d: cannot bind it to ferry",
					       c->procs[i].pid, c->procs[i].tids[t]);
		}
	return 0;
}

void thaw_tree(struct dump_ctx *c)
{
	for (size_t i = 0; i < c->nprocs; i++)
		for (size_t t = 0; t < c->procs[i].nthreads; t++)
			remote_detach(c->procs[i].tids[t]);
	c->released_ns = mono_ns();
}

void kill_tree(struct dump_ctx *c)
{
	int status;
	for (size_t i = 0; i < c->nprocs; i++)
		if (c->procs[i].nthreads)
			kill(c->procs[i].pid, SIGKILL);
	c->released_ns = mono_ns(); /* frozen until here; the wait below is the exit's teardown */
	/* Collect the tracer's exit notifications, so the real parents see the deaths now.
	 * Other threads first: a leader is reported only once its whole group is gone. */
	for (size_t i = 0; i < c->nprocs; i++)
		for (size_t t = c->procs[i].nthreads; t-- > 0;)
			while (waitpid(c->procs[i].tids[t], &status, __WALL) < 0 && errno == EINTR)
				;
}
