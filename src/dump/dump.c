/* SPDX-License-Identifier: MIT */
/* Dump orchestration: open the image, freeze the tree, refuse unsupported state before touching
 * anything, write every process's records, commit the image, then kill or thaw the tree. Every
 * failure path unwinds in reverse: scratch mappings removed, threads detached, partial image
 * removed, so the tree continues as if nothing happened. */
#include <elf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#include "common/remote.h"
#include "common/vdso.h"
#include "dump/internal.h"
#include "res/res.h"

static int write_info(struct dump_ctx *c)
{
	struct img_info info = {0};
	struct timespec ts;
	struct utsname u;
	struct vdso_layout l;
	uint8_t xs[IMG_MAX_XSTATE];
	struct iovec iov = {xs, sizeof(xs)};

	clock_gettime(CLOCK_REALTIME, &ts);
	info.dump_time_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	info.xcr0 = cpu_xcr0();
	info.nprocs = c->nprocs;
	info.root_pid = c->o->pid;
	info.flags = c->o->shell_job ? IMG_INFO_SHELL_JOB : 0;
	if (ptrace(PTRACE_GETREGSET, c->o->pid, NT_X86_XSTATE, &iov) < 0)
		return err_set(c->e, neg_errno(), "pid %d: cannot read xstate: %m", c->o->pid);
	info.xstate_size = iov.iov_len;
	int r = vdso_self(&l, &info.vdso_fingerprint);
	if (r < 0)
		return err_set(c->e, r, "cannot read this host's vDSO layout");
	uname(&u);
	snprintf(info.kernel_release, sizeof(info.kernel_release), "%s", u.release);
	return img_writer_add(c->w, REC_INFO, &info, sizeof(info), NULL, 0);
}

static int prepare_proc(struct dump_ctx *c, struct dproc *p)
{
	int r = files_check(c, p);
	if (r < 0 || p->zombie)
		return r;
	r = proc_vmas_read(p->pid, &p->vmas, &p->nvmas);
	if (r < 0)
		return err_set(c->e, r, "pid %d: cannot read its mappings: %s", p->pid,
			       strerror(-r));
	if (p->nvmas > IMG_MAX_VMAS)
		return err_set(c->e, -E2BIG, "pid %d has more than %d mappings", p->pid,
			       IMG_MAX_VMAS);
	return mem_check_vmas(c, p);
}

/* A private scratch page in the target for getters that write through a pointer; it is
 * mapped after the VMA list was read, so it never appears in the image. */
static int map_scratch(struct dump_ctx *c, struct dproc *p)
{
	int64_t addr;
	int r = -ENOENT;
	for (size_t i = 0; i < p->nvmas; i++)
		if (p->vma_kinds[i] == VMA_VDSO)
			r = remote_find_syscall_insn(p->pid, p->vmas[i].start, p->vmas[i].end,
						     &p->sys_ip);
	if (r < 0)
		return err_set(c->e, r, "pid %d: no syscall instruction found in its vdso", p->pid);
	r = dump_inject(c, p, p->pid, SYS_mmap, 0, SCRATCH_LEN, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, &addr);
	if (r < 0)
		return r;
	if (addr < 0 && addr > -4096)
		return err_set(c->e, (int)addr, "pid %d: cannot map a scratch page: %s", p->pid,
			       strerror((int)-addr));
	p->scratch = addr;
	return 0;
}

static void unmap_scratches(struct dump_ctx *c)
{
	for (size_t i = 0; i < c->nprocs; i++) {
		struct dproc *p = &c->procs[i];
		int64_t ret;
		if (p->scratch &&
		    dump_inject(c, p, p->pid, SYS_munmap, p->scratch, SCRATCH_LEN, 0, 0, &ret) == 0)
			p->scratch = 0;
	}
}

/* Test hook, used by tests/failure/check.sh only: FERRY_TEST_SIGNAL=PID:SIG sends SIG to PID
 * while it is frozen, right before its memory is dumped, to provoke a process that exits
 * (SIGKILL; ferry waits until it is gone) or a signal that arrives in the middle of a dump.
 * Documented in docs/architecture.md ("Failure tests"). */
static void test_signal_hook(const struct dproc *p)
{
	const char *v = getenv("FERRY_TEST_SIGNAL");
	int pid, sig, st;
	if (!v || sscanf(v, "%d:%d", &pid, &sig) != 2 || pid != p->pid)
		return;
	kill(pid, sig);
	/* We trace every thread: collect their exits, the leader last, as kill_tree() does. */
	for (size_t t = p->nthreads; sig == SIGKILL && t-- > 0;)
		while (waitpid(p->tids[t], &st, __WALL) < 0 && errno == EINTR)
			;
}

static int dump_all(struct dump_ctx *c)
{
	int r;
	uint64_t t_prep = mono_ns();
	/* Tree-wide refusals first (namespaces, seccomp): no per-fd check needs repeating them. */
	if ((r = res_dump_tree_check(c)) < 0)
		return r;
	for (size_t i = 0; i < c->nprocs; i++)
		if ((r = prepare_proc(c, &c->procs[i])) < 0)
			return r;
	for (size_t i = 0; i < c->nprocs; i++)
		if (!c->procs[i].zombie && (r = map_scratch(c, &c->procs[i])) < 0)
			return r;
	if ((r = write_info(c)) < 0)
		return r;
	c->st->prep_ns = mono_ns() - t_prep;
	for (size_t i = 0; i < c->nprocs; i++) {
		struct dproc *p = &c->procs[i];
		uint64_t t0 = mono_ns();
		if ((r = dump_task(c, p)) < 0)
			return r;
		test_signal_hook(p);
		uint64_t t1 = mono_ns();
		/* unpinned while copying memory: the image writer's thread needs the other CPU */
		colocate_pause(&c->pin);
		r = p->zombie ? 0 : dump_mem(c, p);
		colocate_resume(&c->pin);
		uint64_t t2 = mono_ns();
		if (r < 0 || (!p->zombie && (r = dump_files(c, p)) < 0))
			return r;
		c->st->task_ns += t1 - t0;
		c->st->mem_ns += t2 - t1;
		c->st->files_ns += mono_ns() - t2;
		c->st->nthreads += p->nthreads;
	}
	uint64_t t3 = mono_ns();
	r = res_dump_tree(c);
	c->st->files_ns += mono_ns() - t3;
	return r;
}

static void ctx_free(struct dump_ctx *c)
{
	for (size_t i = 0; i < c->nprocs; i++) {
		free(c->procs[i].tids);
		free(c->procs[i].vmas);
		free(c->procs[i].vma_kinds);
		files_free(&c->procs[i]);
	}
	free(c->procs);
	free(c->files);
	free(c->shms);
	free(c->buf);
	img_writer_free(c->w);
}

int dump_tree(const struct dump_opts *o, struct dump_stats *st, struct ferry_err *e)
{
	struct dump_ctx c = {.o = o, .e = e, .st = st};
	uint64_t frozen_at;
	int r;

	memset(st, 0, sizeof(*st));
	c.start_ns = mono_ns();
	c.buf = malloc(DUMP_BUF);
	if (!c.buf)
		return -ENOMEM;
	if (o->sink)
		r = img_writer_open_sink(o->sink, o->sink_ud, &c.w, e);
	else if (o->dir)
		r = img_writer_open_dir(o->dir, &c.w, e);
	else
		r = img_writer_open_fd(o->out_fd, &c.w, e);
	if (r < 0)
		goto out;
	frozen_at = mono_ns();
	colocate_begin(&c.pin);
	r = freeze_tree(&c);
	st->freeze_ns = mono_ns() - frozen_at;
	if (r == 0)
		r = dump_all(&c);
	uint64_t t0 = mono_ns();
	unmap_scratches(&c);
	if (r == 0)
		r = img_writer_commit(c.w, e);
	uint64_t t1 = mono_ns();
	st->commit_ns = t1 - t0;
	if (r == 0 && o->before_release && o->before_release(o->userdata, &c) != 0)
		r = err_set(e, -ECANCELED, "pid %d: release cancelled, the tree continues", o->pid);
	st->hook_ns = mono_ns() - t1;
	res_dump_done(&c, r < 0 || o->leave_running);
	/* the frozen threads get their own CPU masks back before they run again */
	colocate_end(&c.pin, r < 0 || o->leave_running);
	if (r == 0 && !o->leave_running)
		kill_tree(&c);
	else
		thaw_tree(&c);
	st->frozen_ns = c.released_ns - frozen_at;
	st->nprocs = c.nprocs;
	st->image_bytes = img_writer_bytes(c.w);
	st->page_bytes = c.page_bytes;
out:
	ctx_free(&c);
	st->total_ns = mono_ns() - c.start_ns;
	return r;
}
