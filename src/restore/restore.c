/* SPDX-License-Identifier: MIT */
/* Restore orchestration: load and validate the whole image, pre-flight checks, open files and
 * shared memory, create the seeds, then for each process seize it and rebuild its memory and
 * state; detach every thread only when all processes are complete, so the tree resumes as one.
 * Any failure kills every seed created so far and returns with nothing left behind. */
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>

#include "common/remote.h"
#include "res/res.h"
#include "restore/internal.h"

static int seize_proc(struct restore_ctx *c, struct rproc *p)
{
	int r = remote_seize(p->m->p.pid, REMOTE_SEIZE_OPTS);
	if (r < 0)
		return err_set(c->e, r, "pid %u: cannot seize the new process: %s", p->m->p.pid,
			       strerror(-r));
	p->seized = 1;
	return 0;
}

static int rebuild_proc(struct restore_ctx *c, struct rproc *p)
{
	int r;
	if (p->m->p.state != PROC_ALIVE)
		return 0;
	p->tids = calloc(p->m->nthreads, sizeof(pid_t));
	if (!p->tids)
		return -ENOMEM;
	uint64_t t0 = mono_ns();
	if ((r = seize_proc(c, p)) < 0 || (r = layout_restore(c, p)) < 0)
		return r;
	uint64_t t1 = mono_ns();
	c->st->layout_ns += t1 - t0;
	if ((r = task_restore(c, p)) < 0 || (r = res_restore_proc(c, p)) < 0 ||
	    (r = task_finish(c, p)) < 0)
		return r;
	c->st->state_ns += mono_ns() - t1;
	return 0;
}

static void detach_all(struct restore_ctx *c)
{
	for (size_t i = 0; i < c->m->nprocs; i++) {
		struct rproc *p = &c->procs[i];
		for (size_t t = 0; p->seized && t < p->m->nthreads; t++)
			if (p->tids[t])
				colocate_release(&c->pin, p->tids[t]);
		for (size_t t = 0; p->seized && t < p->m->nthreads; t++)
			if (p->tids[t])
				remote_detach(p->tids[t]);
	}
}

static void ctx_free(struct restore_ctx *c)
{
	for (size_t i = 0; c->procs && i < c->m->nprocs; i++) {
		free(c->procs[i].tids);
		free(c->procs[i].vma_has_pages);
	}
	free(c->procs);
	img_model_free(c->m);
}

static int restore_all(struct restore_ctx *c)
{
	int r;
	uint64_t t0 = mono_ns();
	if ((r = restore_preflight(c)) < 0 || (r = res_restore_prepare(c)) < 0 ||
	    (r = files_open_table(c)) < 0 || (r = shm_create_all(c)) < 0 ||
	    (r = seeds_create(c)) < 0)
		return r;
	c->st->prep_ns = mono_ns() - t0;
	for (size_t i = 0; i < c->m->nprocs; i++)
		if ((r = rebuild_proc(c, &c->procs[i])) < 0)
			return r;
	return res_restore_finish(c);
}

int restore_tree(const struct restore_opts *o, struct restore_stats *st, struct ferry_err *e)
{
	struct restore_ctx c = {.o = o, .st = st, .e = e, .ready_pipe = {-1, -1}};
	uint64_t t0 = mono_ns();

	memset(st, 0, sizeof(*st));
	int r = o->image_wait  ? img_load_stream(o->image_buf, o->image_len, o->image_wait,
						 o->image_wait_ud, &c.m, e)
		: o->image_buf ? img_load_buf(o->image_buf, o->image_len, &c.m, e)
			       : img_load_dir(o->dir, &c.m, e);
	if (r < 0)
		return r;
	st->load_ns = mono_ns() - t0;
	st->image_bytes = c.m->image_bytes;
	st->page_bytes = c.m->page_bytes;
	st->nprocs = c.m->nprocs;
	for (size_t i = 0; i < c.m->nprocs; i++)
		st->nthreads += c.m->procs[i].nthreads;
	c.procs = calloc(c.m->nprocs, sizeof(*c.procs));
	if (!c.procs) {
		ctx_free(&c);
		return -ENOMEM;
	}
	for (size_t i = 0; i < c.m->nprocs; i++)
		c.procs[i].m = &c.m->procs[i];
	colocate_begin(&c.pin);
	r = restore_all(&c);
	uint64_t hook0 = mono_ns();
	if (r == 0 && o->before_resume && o->before_resume(o->userdata) != 0)
		r = err_set(e, -ECANCELED, "restore cancelled before the tree resumed");
	st->hook_ns = mono_ns() - hook0;
	if (r < 0)
		seeds_kill(&c);
	else
		detach_all(&c);
	colocate_end(&c.pin, 0);
	files_close_all(&c);
	res_restore_cleanup(&c, r < 0);
	st->root_pid = r < 0 ? 0 : c.root;
	st->root_host_pid = st->root_pid;
	ctx_free(&c);
	st->total_ns = mono_ns() - t0;
	return r;
}
