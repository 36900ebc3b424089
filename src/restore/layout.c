/* SPDX-License-Identifier: MIT */
/* Address-space rebuild of one seized seed, done from outside with remote syscalls through the
 * seed's scratch area: drop the seed's own mappings, move the vDSO block to its dumped address
 * (KERNEL-FACTS.md §10: glibc caches vDSO pointers), map every image VMA, copy the dumped pages
 * in (pagefill.c), apply protections and madvise flags, and set the mm fields with
 * PR_SET_MM_MAP (exe_fd works now that the old executable is unmapped, §9). */
#include <fcntl.h>
#include <linux/prctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "common/proc.h"
#include "common/remote.h"
#include "common/vdso.h"
#include "restore/internal.h"

int rinject(struct restore_ctx *c, struct rproc *p, pid_t tid, long nr, uint64_t a0, uint64_t a1,
	    uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, int64_t *ret)
{
	uint64_t a[6] = {a0, a1, a2, a3, a4, a5};
	int64_t v;
	int r = remote_syscall(tid, p->scratch, nr, a, &v);
	if (r < 0)
		return err_set(c->e, r, "pid %u thread %d: remote syscall %ld: %s", p->m->p.pid, tid,
			       nr, strerror(-r));
	if (v < 0 && v > -4096)
		return err_set(c->e, (int)v, "pid %u thread %d: syscall %ld failed: %s",
			       p->m->p.pid, tid, nr, strerror((int)-v));
	if (ret)
		*ret = v;
	return 0;
}

int scratch_put(struct restore_ctx *c, struct rproc *p, uint64_t off, const void *d, size_t len)
{
	if (off + len > SCRATCH_LEN - SCRATCH_DATA)
		return -E2BIG;
	int r = remote_write(p->m->p.pid, p->scratch + SCRATCH_DATA + off, d, len);
	return r < 0 ? err_set(c->e, r, "pid %u: cannot write its scratch area", p->m->p.pid) : 0;
}

/* An fd inside the target for path, opened once per path and closed by layout_close_fds. */
static int target_open(struct restore_ctx *c, struct rproc *p, const char *path, int flags,
		       int *ret_fd)
{
	for (size_t i = 0; i < p->nfdcache; i++)
		if (!strcmp(p->fdcache[i].path, path) && flags == O_RDONLY) {
			*ret_fd = p->fdcache[i].fd;
			return 0;
		}
	int64_t fd;
	int r = scratch_put(c, p, 0, path, strlen(path) + 1);
	if (r == 0)
		r = rinject(c, p, p->m->p.pid, SYS_openat, AT_FDCWD, SCR(p, 0), flags | O_CLOEXEC, 0,
			    0, 0, &fd);
	if (r < 0)
		return err_set(c->e, r, "pid %u: cannot open %s", p->m->p.pid, path);
	*ret_fd = fd;
	if (p->nfdcache < ARRAY_SIZE(p->fdcache) && flags == O_RDONLY) {
		p->fdcache[p->nfdcache].fd = fd;
		p->fdcache[p->nfdcache].path = path;
		p->nfdcache++;
		return 0;
	}
	return 1; /* not cached: caller closes it */
}

/* Syscalls of the layout queued for one remote_batch (a stop for the lot instead of two per
 * syscall). Each is about a range (a[0], a[1]) that its error names, with what and path. */
struct rqueue {
	struct remote_call call[BATCH_MAX];
	const char *what[BATCH_MAX], *path[BATCH_MAX];
	size_t n;
};

static int rq_flush(struct restore_ctx *c, struct rproc *p, struct rqueue *q)
{
	pid_t pid = p->m->p.pid;
	size_t done;
	int r = remote_batch(pid, p->scratch + SCRATCH_BATCH_CODE, SCR(p, BATCH_TABLE), q->call,
			     q->n, &done);
	size_t n = q->n;
	q->n = 0;
	if (r < 0)
		return err_set(c->e, r, "pid %u: remote syscalls: %s", pid, strerror(-r));
	size_t bad;
	if ((r = remote_batch_result(q->call, n, done, &bad)) < 0) {
		const struct remote_call *k = &q->call[bad];
		return err_set(c->e, r, "pid %u: cannot %s %#lx-%#lx (%s): %s", pid, q->what[bad],
			       (unsigned long)k->a[0], (unsigned long)(k->a[0] + k->a[1]),
			       q->path[bad] ? q->path[bad] : "anonymous", strerror(-r));
	}
	return 0;
}

static int rq_add(struct restore_ctx *c, struct rproc *p, struct rqueue *q, const char *what,
		  const char *path, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		  uint64_t a4, uint64_t a5)
{
	int r = q->n == BATCH_MAX ? rq_flush(c, p, q) : 0;
	if (r < 0)
		return r;
	q->call[q->n] = (struct remote_call){nr, {a0, a1, a2, a3, a4, a5}, 0};
	q->what[q->n] = what;
	q->path[q->n] = path;
	q->n++;
	return 0;
}

static int layout_close_fds(struct restore_ctx *c, struct rproc *p, struct rqueue *q)
{
	for (size_t i = 0; i < p->nfdcache; i++) {
		int r = rq_add(c, p, q, "close the fd of", p->fdcache[i].path, SYS_close,
			       p->fdcache[i].fd, 0, 0, 0, 0, 0);
		if (r < 0)
			return r;
	}
	p->nfdcache = 0;
	return rq_flush(c, p, q);
}

static int drop_seed_rseq(struct restore_ctx *c, struct rproc *p)
{
	struct {
		uint64_t ptr;
		uint32_t size, sig, flags, pad;
	} rc = {0};
	pid_t pid = p->m->p.pid;
	if (ptrace(PTRACE_GET_RSEQ_CONFIGURATION, pid, sizeof(rc), &rc) <= 0 || !rc.size)
		return 0;
	return rinject(c, p, pid, SYS_rseq, rc.ptr, rc.size, 1 /* UNREGISTER */, rc.sig, 0, 0,
		       NULL);
}

/* Unmap every seed mapping but the scratch area and the vDSO block. Its maps is enough (smaps
 * would walk all the seed's page tables for flags that do not matter here). */
static int drop_seed_mappings(struct restore_ctx *c, struct rproc *p, struct rqueue *q)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	pid_t pid = p->m->p.pid;
	_cleanup_free_ struct proc_vma *v = malloc(sizeof(*v));
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = v ? fopen(path, "re") : NULL;
	if (!f)
		return err_set(c->e, v ? neg_errno() : -ENOMEM, "pid %u: cannot read its mappings",
			       pid);
	int r = 0;
	while (r == 0 && getline(&line, &cap, f) > 0) {
		if (proc_maps_line_parse(line, v) < 0) {
			r = err_set(c->e, -EIO, "pid %u: unexpected line in %s: %s", pid, path,
				    line);
			break;
		}
		if (v->start == p->scratch || v->start >= IMG_USER_ADDR_LIMIT ||
		    !strcmp(v->path, "[vdso]") || !strcmp(v->path, "[vvar]") ||
		    !strcmp(v->path, "[vvar_vclock]"))
			continue;
		r = rq_add(c, p, q, "unmap", "a mapping of the seed", SYS_munmap, v->start,
			   v->end - v->start, 0, 0, 0, 0);
	}
	free(line);
	fclose(f);
	return r < 0 ? r : rq_flush(c, p, q);
}

static int move_vdso(struct restore_ctx *c, struct rproc *p)
{
	uint64_t target = 0;
	pid_t pid = p->m->p.pid;
	for (size_t i = 0; i < p->m->nvmas; i++) {
		uint32_t k = p->m->vmas[i].v.kind;
		if ((k == VMA_VDSO || k == VMA_VVAR || k == VMA_VVAR_VCLOCK) &&
		    (!target || p->m->vmas[i].v.start < target))
			target = p->m->vmas[i].v.start;
	}
	/* The seed is a fork of this process: its vDSO is where ours is. */
	uint64_t from = vdso_block_start(&c->vdso), len = vdso_block_end(&c->vdso) - from;
	int r;
	if (!target)
		return rinject(c, p, pid, SYS_munmap, from, len, 0, 0, 0, 0, NULL);
	if (target == from)
		return 0;
	if (target < from + len && from < target + len) {
		/* Overlapping move: go through a free spot first. */
		uint64_t tmp = target + len + (1ULL << 20);
		if (tmp < p->scratch + SCRATCH_LEN && p->scratch < tmp + len)
			tmp = p->scratch + SCRATCH_LEN + (1ULL << 20);
		r = rinject(c, p, pid, SYS_mremap, from, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
			    tmp, 0, NULL);
		if (r < 0)
			return r;
		from = tmp;
	}
	return rinject(c, p, pid, SYS_mremap, from, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, target,
		       0, NULL);
}

/* Which VMAs the image holds pages for: one pass, as VMAs and runs are both sorted and
 * every run lies inside one VMA (checked by the loader). */
static int mark_vmas_with_pages(struct rproc *p)
{
	const struct img_proc_model *m = p->m;
	p->vma_has_pages = calloc(m->nvmas ? m->nvmas : 1, 1);
	if (!p->vma_has_pages)
		return -ENOMEM;
	for (size_t v = 0, r = 0; v < m->nvmas && r < m->nruns;) {
		if (m->runs[r].vaddr >= m->vmas[v].v.end)
			v++;
		else
			p->vma_has_pages[v] = 1, r++;
	}
	return 0;
}

/* The protection a private VMA is mapped with: writable only while pages go in, so a VMA
 * without dumped pages keeps its original accounting flags and does not merge with a
 * neighbour it was separate from. */
static uint32_t initial_prot(const struct rproc *p, size_t i)
{
	return p->vma_has_pages[i] ? PROT_READ | PROT_WRITE : p->m->vmas[i].v.prot;
}

static int map_one(struct restore_ctx *c, struct rproc *p, struct rqueue *q, size_t vi)
{
	const struct img_vma_model *vm = &p->m->vmas[vi];
	const struct img_vma *v = &vm->v;
	pid_t pid = p->m->p.pid;
	uint64_t len = v->end - v->start;
	int fd = -1, flags = MAP_FIXED, r = 0, close_fd = 0;
	uint32_t prot = v->prot;

	switch (v->kind) {
	case VMA_ANON_PRIVATE:
		flags |= MAP_PRIVATE | MAP_ANONYMOUS;
		prot = initial_prot(p, vi);
		if (v->flags & VMA_F_GROWSDOWN)
			flags |= MAP_GROWSDOWN;
		break;
	case VMA_FILE_PRIVATE:
		flags |= MAP_PRIVATE;
		prot = initial_prot(p, vi);
		r = target_open(c, p, vm->path, O_RDONLY, &fd);
		break;
	case VMA_FILE_SHARED:
		flags |= MAP_SHARED;
		r = target_open(c, p, vm->path, (v->prot & PROT_WRITE) ? O_RDWR : O_RDONLY, &fd);
		break;
	case VMA_SHM: {
		char path[128];
		size_t idx = img_model_shm(c->m, v->shm_id) - c->m->shms; /* loader checked it */
		if (c->shm_fds[idx] >= 0)
			snprintf(path, sizeof(path), "/proc/%d/fd/%d", getpid(), c->shm_fds[idx]);
		else
			snprintf(path, sizeof(path), "/proc/%d/map_files/%lx-%lx", getpid(),
				 (unsigned long)c->shm_addr[idx],
				 (unsigned long)(c->shm_addr[idx] + c->m->shms[idx].s.size));
		flags |= MAP_SHARED;
		r = target_open(c, p, path, O_RDWR, &fd);
		break;
	}
	default:
		return 0; /* vDSO kinds are moved, not mapped */
	}
	if (r < 0)
		return r;
	close_fd = r == 1;
	r = rq_add(c, p, q, "map", vm->path, SYS_mmap, v->start, len, prot, flags, fd, v->pgoff);
	if (close_fd) { /* the mmap runs first */
		if (r == 0)
			r = rq_flush(c, p, q);
		int r2 = rinject(c, p, pid, SYS_close, fd, 0, 0, 0, 0, 0, NULL);
		if (r == 0)
			r = r2;
	}
	return r;
}

static int finish_vma(struct restore_ctx *c, struct rproc *p, struct rqueue *q, size_t vi)
{
	const struct img_vma *v = &p->m->vmas[vi].v;
	const char *path = p->m->vmas[vi].path;
	static const struct {
		uint32_t flag;
		int advice;
	} adv[] = {
		{VMA_F_DONTFORK, MADV_DONTFORK},     {VMA_F_DONTDUMP, MADV_DONTDUMP},
		{VMA_F_HUGEPAGE, MADV_HUGEPAGE},     {VMA_F_NOHUGEPAGE, MADV_NOHUGEPAGE},
		{VMA_F_WIPEONFORK, MADV_WIPEONFORK},
	};
	uint64_t len = v->end - v->start;
	int r = 0;
	if (v->kind == VMA_ANON_PRIVATE || v->kind == VMA_FILE_PRIVATE)
		if (v->prot != initial_prot(p, vi))
			r = rq_add(c, p, q, "protect", path, SYS_mprotect, v->start, len, v->prot,
				   0, 0, 0);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(adv); i++)
		if (v->flags & adv[i].flag)
			r = rq_add(c, p, q, "advise on", path, SYS_madvise, v->start, len,
				   adv[i].advice, 0, 0, 0);
	if (r == 0 && (v->flags & VMA_F_LOCKED))
		r = rq_add(c, p, q, "lock", path, SYS_mlock, v->start, len, 0, 0, 0, 0);
	return r;
}

static int set_mm(struct restore_ctx *c, struct rproc *p)
{
	const struct img_mm *mm = &p->m->mm;
	struct prctl_mm_map map = {0};
	pid_t pid = p->m->p.pid;
	int exe_fd;

	int r = target_open(c, p, mm->exe_path, O_RDONLY, &exe_fd);
	if (r < 0)
		return r;
	map.start_code = mm->start_code;
	map.end_code = mm->end_code;
	map.start_data = mm->start_data;
	map.end_data = mm->end_data;
	map.start_brk = mm->start_brk;
	map.brk = mm->brk;
	map.start_stack = mm->start_stack;
	map.arg_start = mm->arg_start;
	map.arg_end = mm->arg_end;
	map.env_start = mm->env_start;
	map.env_end = mm->env_end;
	map.auxv = (__u64 *)SCR(p, 1024);
	map.auxv_size = mm->auxv_words * 8;
	map.exe_fd = exe_fd;
	if ((r = scratch_put(c, p, 0, &map, sizeof(map))) < 0 ||
	    (r = scratch_put(c, p, 1024, p->m->auxv, map.auxv_size)) < 0)
		return r;
	r = rinject(c, p, pid, SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, SCR(p, 0), sizeof(map), 0, 0,
		    NULL);
	return r < 0 ? err_set(c->e, r, "pid %u: cannot set its mm fields (PR_SET_MM_MAP)", pid)
		     : 0;
}

int layout_vdso_syscall_ip(struct restore_ctx *c, struct rproc *p, const char *what, uint64_t *ip)
{
	if (*ip)
		return 0;
	for (size_t i = 0; i < p->m->nvmas; i++)
		if (p->m->vmas[i].v.kind == VMA_VDSO)
			return remote_find_syscall_insn(p->m->p.pid, p->m->vmas[i].v.start,
							p->m->vmas[i].v.end, ip);
	return err_set(c->e, -ENOENT, "pid %u: no vDSO to %s through", p->m->p.pid, what);
}

static int layout_queued(struct restore_ctx *c, struct rproc *p, struct rqueue *q)
{
	int r;
	if ((r = mark_vmas_with_pages(p)) < 0 || (r = drop_seed_rseq(c, p)) < 0 ||
	    (r = drop_seed_mappings(c, p, q)) < 0 || (r = move_vdso(c, p)) < 0)
		return r;
	for (size_t i = 0; i < p->m->nvmas; i++)
		if ((r = map_one(c, p, q, i)) < 0)
			return r;
	if ((r = rq_flush(c, p, q)) < 0 || (r = pages_fill(c, p)) < 0)
		return r;
	for (size_t i = 0; i < p->m->nvmas; i++)
		if ((r = finish_vma(c, p, q, i)) < 0)
			return r;
	if ((r = rq_flush(c, p, q)) < 0 || (p->m->has_mm && (r = set_mm(c, p)) < 0))
		return r;
	return layout_close_fds(c, p, q);
}

int layout_restore(struct restore_ctx *c, struct rproc *p)
{
	struct rqueue *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	int r = layout_queued(c, p, q);
	free(q);
	return r;
}
