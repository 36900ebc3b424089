/* SPDX-License-Identifier: MIT */
/* Pre-flight checks of a loaded image against this host, before anything is created: CPU
 * xstate features, vDSO layout, mapped files unchanged, PIDs free, caller's permissions. */
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "common/proc.h"
#include "common/vdso.h"
#include "res/res.h"
#include "restore/internal.h"

static int check_host(struct restore_ctx *c)
{
	uint64_t fp;
	const struct img_info *i = &c->m->info;

	if (i->xcr0 & ~cpu_xcr0())
		return err_set(c->e, -EXDEV,
			       "image needs CPU state features %#llx but this CPU offers %#llx",
			       (unsigned long long)i->xcr0, (unsigned long long)cpu_xcr0());
	int r = 0;
	if (c->o->vdso) {
		c->vdso = *c->o->vdso;
		fp = c->o->vdso_fp;
	} else {
		r = vdso_self(&c->vdso, &fp);
	}
	if (r < 0)
		return err_set(c->e, r, "cannot read this host's vDSO layout");
	if (fp != i->vdso_fingerprint)
		return err_set(c->e, -EXDEV,
			       "the image was dumped on a kernel with another vDSO layout (%s); "
			       "restoring it here is not supported",
			       i->kernel_release);
	if ((i->flags & IMG_INFO_SHELL_JOB) && !c->o->shell_job)
		return err_set(c->e, -EINVAL,
			       "the image was dumped with --shell-job: pass --shell-job to attach "
			       "it to this terminal");
	return 0;
}

static int check_mapped_file(struct restore_ctx *c, const struct img_vma_model *vm)
{
	struct stat st;
	const struct img_vma *v = &vm->v;
	_cleanup_close_ int fd = open(vm->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return err_set(c->e, -ESTALE, "mapped file %s: %m", vm->path);
	int64_t mtime = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	if ((uint64_t)st.st_size != v->size || mtime != v->mtime_ns || st.st_ino != v->ino)
		return err_set(c->e, -ESTALE,
			       "mapped file %s changed since the dump (size %lld, was %llu; "
			       "inode %llu, was %llu; or modification time)",
			       vm->path, (long long)st.st_size, (unsigned long long)v->size,
			       (unsigned long long)st.st_ino, (unsigned long long)v->ino);
	uint64_t h;
	int r = img_file_hash(fd, st.st_size, &h);
	if (r < 0)
		return err_set(c->e, -ESTALE, "mapped file %s: %s", vm->path, strerror(-r));
	if (h != v->content_hash)
		return err_set(c->e, -ESTALE, "mapped file %s: content changed since the dump",
			       vm->path);
	return 0;
}

/* A file mapped by several VMAs (and processes) is checked once: vm has the same path and
 * recorded identity as one of the done ones. */
static int already_checked(const struct img_vma_model *vm, const struct img_vma_model **done,
			   size_t ndone)
{
	for (size_t i = 0; i < ndone; i++) {
		const struct img_vma *a = &done[i]->v, *b = &vm->v;
		if (a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
		    a->mtime_ns == b->mtime_ns && a->content_hash == b->content_hash &&
		    !strcmp(done[i]->path, vm->path))
			return 1;
	}
	return 0;
}

static int check_pid_free(struct restore_ctx *c, pid_t pid)
{
	char path[64], comm[64] = "?";
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	ssize_t n = proc_read_text(path, comm, sizeof(comm));
	if (n < 0)
		return 0;
	comm[strcspn(comm, "\n")] = 0;
	if (c->o->pidns && pid == 1)
		return err_set(c->e, -EEXIST,
			       "pid 1 is the new PID namespace's init: an image holding pid 1 "
			       "cannot be restored with --pidns");
	if (c->o->pidns)
		return err_set(c->e, -EEXIST, "pid %d is in use by another process (%s)", pid,
			       comm);
	return err_set(c->e, -EEXIST,
		       "pid %d is in use by another process (%s); use --pidns to restore into a "
		       "new PID namespace where the original PIDs are free",
		       pid, comm);
}

/* Without root, clone3(set_tid) needs CAP_CHECKPOINT_RESTORE (or CAP_SYS_ADMIN). */
static int check_caller_caps(struct restore_ctx *c)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	if (geteuid() == 0)
		return 0;
	if (syscall(SYS_capget, &h, d) < 0)
		return neg_errno();
	uint64_t eff = d[0].effective | (uint64_t)d[1].effective << 32;
	if (eff & ((1ULL << CAP_CHECKPOINT_RESTORE) | (1ULL << CAP_SYS_ADMIN)))
		return 0;
	return err_set(c->e, -EPERM,
		       "restoring processes with their original PIDs needs root or the "
		       "CAP_CHECKPOINT_RESTORE capability (uid %u has neither)",
		       geteuid());
}

static int same_groups_as_caller(const struct img_proc_model *m)
{
	_cleanup_free_ gid_t *g = malloc(IMG_MAX_GROUPS * sizeof(gid_t));
	int n = g ? getgroups(IMG_MAX_GROUPS, g) : -1;
	if (n < 0 || (size_t)n != m->ngroups)
		return 0;
	for (int i = 0; i < n; i++)
		if (g[i] != m->groups[i])
			return 0;
	return 1;
}

static int check_perm(struct restore_ctx *c, const struct img_proc_model *m)
{
	const struct img_proc *p = &m->p;
	uid_t uid = geteuid();
	gid_t gid = getegid();
	/* A zombie is only an exit status; its seed runs as the caller until it exits. */
	if (uid == 0 || p->state != PROC_ALIVE)
		return 0;
	if (!same_groups_as_caller(m))
		return err_set(c->e, -EPERM,
			       "pid %d had other supplementary groups than the caller: only root "
			       "may restore it",
			       p->pid);
	for (int i = 0; i < 4; i++)
		if (p->uid[i] != uid || p->gid[i] != gid)
			return err_set(c->e, -EPERM,
				       "pid %d ran as uid %u gid %u: only root may restore processes "
				       "of other users",
				       p->pid, p->uid[0], p->gid[0]);
	for (size_t t = 0; t < m->nthreads; t++)
		for (int i = 0; i < 4; i++)
			if (m->threads[t].t.uid[i] != uid || m->threads[t].t.gid[i] != gid)
				return err_set(c->e, -EPERM,
					       "pid %d thread %u ran as uid %u gid %u: only root may "
					       "restore processes of other users",
					       p->pid, m->threads[t].t.tid, m->threads[t].t.uid[0],
					       m->threads[t].t.gid[0]);
	return 0;
}

int restore_preflight(struct restore_ctx *c)
{
	enum { NDONE = 16 };
	const struct img_vma_model *done[NDONE];
	size_t ndone = 0;
	int r = check_host(c);
	if (r == 0)
		r = res_validate_all(c->m, c->e);
	if (r == 0)
		r = check_caller_caps(c);
	for (size_t i = 0; r == 0 && i < c->m->nprocs; i++) {
		const struct img_proc_model *p = &c->m->procs[i];
		r = check_perm(c, p);
		if (r == 0)
			r = check_pid_free(c, p->p.pid);
		for (size_t t = 1; r == 0 && t < p->nthreads; t++)
			r = check_pid_free(c, p->threads[t].t.tid);
		for (size_t v = 0; r == 0 && v < p->nvmas; v++) {
			const struct img_vma_model *vm = &p->vmas[v];
			if ((vm->v.kind != VMA_FILE_PRIVATE && vm->v.kind != VMA_FILE_SHARED) ||
			    already_checked(vm, done, ndone < NDONE ? ndone : NDONE))
				continue;
			r = check_mapped_file(c, vm);
			done[ndone++ % NDONE] = vm;
		}
	}
	return r;
}
