/* SPDX-License-Identifier: MIT */
/* Page filling for restore: copy a process's dumped pages from the mapped image into its freshly
 * mapped VMAs. Private anonymous VMAs go through a userfaultfd the target creates (injected) and
 * we hold: UFFDIO_COPY allocates each page and copies into it without zeroing it first and
 * without looking the target's pages up, the cheapest way to populate fresh anonymous memory.
 * Everything else (and anything the uffd path cannot do) goes through process_vm_writev in
 * large iovec batches. Big images are filled by two threads, as page allocation is the cost. */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/remote.h"
#include "restore/internal.h"

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

#define SEG_MAX	     (4UL << 20)  /* one segment: at most this many bytes */
#define JOB_SEGS     1024	  /* segments per process_vm_writev */
#define UFFD_MIN     (1UL << 20)  /* anonymous bytes that make the uffd set-up worth it */
#define THREADS_MIN  (16UL << 20) /* bytes that make a second thread worth it */
#define FILL_THREADS 2

/* A piece of one page run: len bytes from src (image) to dst (target). */
struct seg {
	const uint8_t *src;
	uint64_t dst;
	size_t len;
};

/* Consecutive segments filled the same way by one worker step. */
struct job {
	size_t first, n;
	int uffd;   /* 1: UFFDIO_COPY each segment; 0: one process_vm_writev */
	int failed; /* to redo with remote_write once the uffd is gone */
};

struct fill {
	pid_t pid;
	int ufd; /* our dup of the target's userfaultfd, or -1 */
	struct seg *segs;
	size_t nsegs;
	struct job *jobs;
	size_t njobs;
	atomic_size_t next;
	uint8_t *vma_uffd; /* per VMA: registered with ufd */
};

/* Create a userfaultfd bound to the target's mm and keep the only reference to it in *ret_fd.
 * Returns 0, 1 when no uffd can be had (the caller uses process_vm_writev), or -errno when the
 * target could not be put back as it was (its copy of the fd not closed). */
static int uffd_take(struct restore_ctx *c, struct rproc *p, int *ret_fd)
{
	pid_t pid = p->m->p.pid;
	uint64_t a[6] = {O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY};
	int64_t tfd;
	if (remote_syscall(pid, p->scratch, SYS_userfaultfd, a, &tfd) < 0 || tfd < 0)
		return 1;
	int pidfd = syscall(SYS_pidfd_open, pid, 0);
	int fd = pidfd < 0 ? -1 : syscall(SYS_pidfd_getfd, pidfd, (int)tfd, 0);
	safe_close(pidfd);
	int r = rinject(c, p, pid, SYS_close, tfd, 0, 0, 0, 0, 0, NULL);
	if (r < 0) {
		safe_close(fd);
		return r;
	}
	struct uffdio_api api = {.api = UFFD_API};
	if (fd < 0 || ioctl(fd, UFFDIO_API, &api) < 0) {
		safe_close(fd);
		return 1;
	}
	*ret_fd = fd;
	return 0;
}

/* Register every private anonymous VMA that has pages; one that refuses is filled the other
 * way. Returns how many were registered. */
static size_t uffd_register(struct fill *f, struct rproc *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->m->nvmas; i++) {
		const struct img_vma *v = &p->m->vmas[i].v;
		if (v->kind != VMA_ANON_PRIVATE || !p->vma_has_pages[i])
			continue;
		struct uffdio_register reg = {.range = {v->start, v->end - v->start},
					      .mode = UFFDIO_REGISTER_MODE_MISSING};
		if (ioctl(f->ufd, UFFDIO_REGISTER, &reg) == 0)
			f->vma_uffd[i] = 1, n++;
	}
	return n;
}

static int uffd_unregister(struct restore_ctx *c, struct fill *f, struct rproc *p)
{
	int r = 0;
	for (size_t i = 0; i < p->m->nvmas; i++) {
		const struct img_vma *v = &p->m->vmas[i].v;
		struct uffdio_range range = {v->start, v->end - v->start};
		if (f->vma_uffd[i] && ioctl(f->ufd, UFFDIO_UNREGISTER, &range) < 0 && r == 0)
			r = err_set(c->e, neg_errno(), "pid %u: cannot unregister %#lx-%#lx: %m",
				    p->m->p.pid, (unsigned long)v->start, (unsigned long)v->end);
	}
	return r;
}

static uint64_t anon_page_bytes(const struct rproc *p)
{
	uint64_t n = 0;
	for (size_t v = 0, r = 0; v < p->m->nvmas && r < p->m->nruns;) {
		const struct img_page_run *run = &p->m->runs[r];
		if (run->vaddr >= p->m->vmas[v].v.end) {
			v++;
			continue;
		}
		if (p->m->vmas[v].v.kind == VMA_ANON_PRIVATE)
			n += run->npages * IMG_PAGE;
		r++;
	}
	return n;
}

/* Cut the runs into segments and group them into jobs; runs and VMAs are both sorted and every
 * run lies inside one VMA (checked by the loader). */
static int plan(struct fill *f, struct rproc *p)
{
	const struct img_proc_model *m = p->m;
	size_t cap = 0;
	for (size_t r = 0; r < m->nruns; r++)
		cap += (m->runs[r].npages * IMG_PAGE + SEG_MAX - 1) / SEG_MAX;
	f->segs = calloc(cap ? cap : 1, sizeof(*f->segs));
	f->jobs = calloc(cap ? cap : 1, sizeof(*f->jobs));
	if (!f->segs || !f->jobs)
		return -ENOMEM;
	size_t v = 0;
	uint64_t job_bytes = 0;
	for (size_t r = 0; r < m->nruns; r++) {
		const struct img_page_run *run = &m->runs[r];
		while (run->vaddr >= m->vmas[v].v.end)
			v++;
		int uffd = f->vma_uffd[v];
		for (uint64_t off = 0; off < run->npages * IMG_PAGE; off += SEG_MAX) {
			uint64_t len = run->npages * IMG_PAGE - off;
			len = len < SEG_MAX ? len : SEG_MAX;
			struct job *j = f->njobs ? &f->jobs[f->njobs - 1] : NULL;
			if (!j || j->uffd != uffd || j->n == JOB_SEGS || job_bytes >= SEG_MAX) {
				j = &f->jobs[f->njobs++];
				*j = (struct job){.first = f->nsegs, .uffd = uffd};
				job_bytes = 0;
			}
			f->segs[f->nsegs++] = (struct seg){run->data + off, run->vaddr + off, len};
			j->n++;
			job_bytes += len;
		}
	}
	return 0;
}

static int uffd_copy(int ufd, const struct seg *s)
{
	for (uint64_t done = 0; done < s->len;) {
		struct uffdio_copy cp = {.dst = s->dst + done,
					 .src = (uint64_t)(uintptr_t)s->src + done,
					 .len = s->len - done,
					 .mode = UFFDIO_COPY_MODE_DONTWAKE};
		if (ioctl(ufd, UFFDIO_COPY, &cp) == 0) {
			done = s->len;
		} else if (cp.copy > 0) {
			done += cp.copy;
		} else if (errno != EAGAIN && errno != EINTR) {
			return neg_errno();
		}
	}
	return 0;
}

static int pvw_job(pid_t pid, const struct seg *segs, size_t n)
{
	struct iovec loc[JOB_SEGS], rem[JOB_SEGS];
	size_t want = 0;
	for (size_t k = 0; k < n; k++) {
		loc[k] = (struct iovec){(void *)segs[k].src, segs[k].len};
		rem[k] = (struct iovec){(void *)(uintptr_t)segs[k].dst, segs[k].len};
		want += segs[k].len;
	}
	return process_vm_writev(pid, loc, n, rem, n, 0) == (ssize_t)want ? 0 : -EIO;
}

static void *worker(void *arg)
{
	struct fill *f = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&f->next, 1);
		if (i >= f->njobs)
			return NULL;
		struct job *j = &f->jobs[i];
		int r = 0;
		if (j->uffd)
			for (size_t k = 0; r == 0 && k < j->n; k++)
				r = uffd_copy(f->ufd, &f->segs[j->first + k]);
		else
			r = pvw_job(f->pid, &f->segs[j->first], j->n);
		j->failed = r < 0;
	}
}

static void run_workers(struct fill *f, uint64_t bytes)
{
	pthread_t t[FILL_THREADS - 1];
	size_t started = 0;
	if (bytes >= THREADS_MIN)
		for (; started < ARRAY_SIZE(t); started++)
			if (pthread_create(&t[started], NULL, worker, f) != 0)
				break;
	worker(f);
	for (size_t i = 0; i < started; i++)
		pthread_join(t[i], NULL);
}

/* Jobs the fast paths could not do (partial copy, EFAULT): one segment at a time, through
 * remote_write which falls back to /proc/PID/mem. Only after the uffd is unregistered. */
static int redo_failed(struct restore_ctx *c, struct fill *f)
{
	for (size_t i = 0; i < f->njobs; i++) {
		const struct job *j = &f->jobs[i];
		for (size_t k = 0; j->failed && k < j->n; k++) {
			const struct seg *s = &f->segs[j->first + k];
			int r = remote_write(f->pid, s->dst, s->src, s->len);
			if (r < 0)
				return err_set(c->e, r, "pid %d: cannot write memory at %#lx: %s",
					       f->pid, (unsigned long)s->dst, strerror(-r));
		}
	}
	return 0;
}

int pages_fill(struct restore_ctx *c, struct rproc *p)
{
	struct fill f = {.pid = p->m->p.pid, .ufd = -1};
	uint64_t bytes = 0, t0 = mono_ns();
	int r;

	for (size_t i = 0; i < p->m->nruns; i++)
		bytes += p->m->runs[i].npages * IMG_PAGE;
	f.vma_uffd = calloc(p->m->nvmas ? p->m->nvmas : 1, 1);
	if (!f.vma_uffd)
		return -ENOMEM;
	if (anon_page_bytes(p) >= UFFD_MIN) {
		r = uffd_take(c, p, &f.ufd);
		if (r < 0)
			goto out;
		if (f.ufd >= 0 && uffd_register(&f, p) == 0)
			f.ufd = safe_close(f.ufd);
	}
	r = plan(&f, p);
	/* the workers need both CPUs: our main thread leaves the seeds' CPU meanwhile */
	colocate_pause(&c->pin);
	if (r == 0)
		run_workers(&f, bytes);
	colocate_resume(&c->pin);
	if (f.ufd >= 0) {
		int r2 = uffd_unregister(c, &f, p);
		r = r ? r : r2;
		f.ufd = safe_close(f.ufd);
	}
	if (r == 0)
		r = redo_failed(c, &f);
out:
	free(f.vma_uffd);
	free(f.segs);
	free(f.jobs);
	c->st->fill_ns += mono_ns() - t0;
	return r;
}
