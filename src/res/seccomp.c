/* SPDX-License-Identifier: MIT */
/* seccomp: strict mode and BPF filters, per thread. The dump reads every thread's mode from
 * /proc and its filters with PTRACE_SECCOMP_GET_FILTER (and their LOG flag with
 * PTRACE_SECCOMP_GET_METADATA); one REC_TREE_DATA (TREE_SECCOMP) per confined thread holds
 * them, oldest filter first. The restore installs them in each thread as its very last
 * syscalls, after the scratch area is gone (a filter may forbid what the restore still needs),
 * through the vDSO's `syscall` instruction, with the filter program written just below the
 * thread's red zone on its own stack.
 *
 * Record layout (TREE_SECCOMP, pid = the thread group):
 *   struct seccomp_rec, then nfilters times: struct seccomp_filter_hdr + ninsns * 8 bytes. */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/remote.h"
#include "dump/internal.h"
#include "res/ipc.h"
#include "res/res.h"
#include "restore/internal.h"

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif
#ifndef PTRACE_SECCOMP_GET_METADATA
#define PTRACE_SECCOMP_GET_METADATA 0x420d
#endif

#define REG_RSP	 19 /* index of rsp in struct user_regs_struct */
#define RED_ZONE 128

/* ---- dump ---- */

static int thread_mode(pid_t pid, pid_t tid, uint32_t *mode)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	if (proc_read_text(path, buf, sizeof(buf)) < 0)
		return -EIO;
	const char *s = strstr(buf, "\nSeccomp:");
	*mode = s ? (uint32_t)strtoul(s + 9, NULL, 10) : 0;
	return 0;
}

/* Append filter `index` (0 = newest) of tid to the record buffer. */
static int get_filter(struct dump_ctx *c, pid_t tid, unsigned index, uint8_t **buf, size_t *len)
{
	long n = ptrace(PTRACE_SECCOMP_GET_FILTER, tid, index, NULL);
	if (n <= 0 || n > SECCOMP_MAX_INSNS)
		return err_set(c->e, n < 0 ? neg_errno() : -EINVAL,
			       "thread %d: cannot read seccomp filter %u: %m", tid, index);
	struct {
		uint64_t filter_off, flags;
	} meta = {index, 0};
	if (ptrace(PTRACE_SECCOMP_GET_METADATA, tid, sizeof(meta), &meta) < 0)
		meta.flags = 0;
	size_t add = sizeof(struct seccomp_filter_hdr) + n * sizeof(struct sock_filter);
	uint8_t *nb = realloc(*buf, *len + add);
	if (!nb)
		return -ENOMEM;
	*buf = nb;
	struct seccomp_filter_hdr h = {(uint32_t)n,
				       (uint32_t)(meta.flags & SECCOMP_FILTER_FLAG_LOG)};
	memcpy(nb + *len, &h, sizeof(h));
	if (ptrace(PTRACE_SECCOMP_GET_FILTER, tid, index, nb + *len + sizeof(h)) != n)
		return err_set(c->e, neg_errno(), "thread %d: seccomp filter %u changed size", tid,
			       index);
	*len += add;
	return 0;
}

static int dump_thread(struct dump_ctx *c, pid_t pid, pid_t tid)
{
	struct seccomp_rec rec = {.tid = tid};
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len = 0;
	int r = thread_mode(pid, tid, &rec.mode);
	if (r < 0 || rec.mode == 0)
		return r < 0 ? err_set(c->e, r, "thread %d: cannot read its seccomp mode", tid) : 0;
	if (rec.mode == SECCOMP_MODE_FILTER) {
		/* Count the filters: GET_FILTER fails with ENOENT past the oldest one. */
		while (rec.nfilters < SECCOMP_MAX_FILTERS &&
		       ptrace(PTRACE_SECCOMP_GET_FILTER, tid, rec.nfilters, NULL) > 0)
			rec.nfilters++;
		if (rec.nfilters == 0 || rec.nfilters == SECCOMP_MAX_FILTERS)
			return err_set(
				c->e, -EOPNOTSUPP,
				"thread %d: %u seccomp filters cannot be read (need root; at "
				"most %d supported)",
				tid, rec.nfilters, SECCOMP_MAX_FILTERS - 1);
		for (unsigned i = rec.nfilters; i-- > 0;) /* oldest first */
			if ((r = get_filter(c, tid, i, &buf, &len)) < 0)
				return r;
	}
	struct img_tree_data d = {.tag = TREE_SECCOMP, .pid = pid};
	uint8_t head[sizeof(d) + sizeof(rec)];
	memcpy(head, &d, sizeof(d));
	memcpy(head + sizeof(d), &rec, sizeof(rec));
	return img_writer_add(c->w, REC_TREE_DATA, head, sizeof(head), buf, len);
}

/* Without root the threads were seized with their seccomp protections active: an injected
 * syscall could be filtered or kill a strict-mode thread, and the filters cannot be read. */
static int seccomp_check(struct dump_ctx *c)
{
	if (geteuid() == 0)
		return 0;
	for (size_t i = 0; i < c->nprocs; i++) {
		struct dproc *p = &c->procs[i];
		for (size_t t = 0; !p->zombie && t < p->nthreads; t++) {
			uint32_t mode = 0;
			if (thread_mode(p->pid, p->tids[t], &mode) == 0 && mode)
				return err_set(c->e, -EOPNOTSUPP,
					       "pid %d thread %d is confined by seccomp (mode %u): "
					       "only root can dump seccomp state",
					       p->pid, p->tids[t], mode);
		}
	}
	return 0;
}

static int seccomp_dump(struct dump_ctx *c)
{
	for (size_t i = 0; i < c->nprocs; i++) {
		struct dproc *p = &c->procs[i];
		for (size_t t = 0; !p->zombie && t < p->nthreads; t++) {
			int r = dump_thread(c, p->pid, p->tids[t]);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* ---- restore ---- */

static int seccomp_validate(const struct img_model *m, const struct img_data *d,
			    struct ferry_err *e)
{
	struct seccomp_rec rec;
	if (d->len < sizeof(rec))
		return err_set(e, -EBADMSG, "image: seccomp record of %llu bytes is too short",
			       (unsigned long long)d->len);
	memcpy(&rec, d->data, sizeof(rec));
	const struct img_proc_model *p = NULL;
	for (size_t i = 0; i < m->nprocs && !p; i++)
		if (m->procs[i].p.pid == d->pid)
			p = &m->procs[i];
	int known = 0;
	for (size_t t = 0; p && t < p->nthreads; t++)
		known |= p->threads[t].t.tid == rec.tid;
	if (!known || rec.pad ||
	    (rec.mode != SECCOMP_MODE_STRICT && rec.mode != SECCOMP_MODE_FILTER) ||
	    (rec.mode == SECCOMP_MODE_STRICT) != (rec.nfilters == 0) ||
	    rec.nfilters >= SECCOMP_MAX_FILTERS)
		return err_set(e, -EBADMSG, "image: seccomp record of pid %u thread %u is invalid",
			       d->pid, rec.tid);
	uint64_t off = sizeof(rec);
	for (uint32_t i = 0; i < rec.nfilters; i++) {
		struct seccomp_filter_hdr h;
		if (d->len - off < sizeof(h))
			return err_set(e, -EBADMSG,
				       "image: seccomp filter %u of thread %u truncated", i,
				       rec.tid);
		memcpy(&h, d->data + off, sizeof(h));
		off += sizeof(h);
		if (h.ninsns == 0 || h.ninsns > SECCOMP_MAX_INSNS ||
		    (h.flags & ~SECCOMP_FILTER_FLAG_LOG) ||
		    d->len - off < (uint64_t)h.ninsns * sizeof(struct sock_filter))
			return err_set(e, -EBADMSG,
				       "image: seccomp filter %u of thread %u is invalid", i,
				       rec.tid);
		off += (uint64_t)h.ninsns * sizeof(struct sock_filter);
	}
	if (off != d->len)
		return err_set(e, -EBADMSG, "image: seccomp record of thread %u has trailing bytes",
			       rec.tid);
	return 0;
}

static int inject(struct restore_ctx *c, pid_t tid, uint64_t ip, long nr, uint64_t a0, uint64_t a1,
		  uint64_t a2)
{
	uint64_t a[6] = {a0, a1, a2, 0, 0, 0};
	int64_t v;
	int r = remote_syscall(tid, ip, nr, a, &v);
	if (r == 0 && v < 0 && v > -4096)
		r = (int)v;
	return r < 0 ? err_set(c->e, r, "thread %d: cannot install its seccomp state: %s", tid,
			       strerror(-r))
		     : 0;
}

/* Write one filter program below the red zone of the thread's saved stack and load it. */
static int install_filter(struct restore_ctx *c, pid_t tid, uint64_t ip, uint64_t rsp,
			  const struct seccomp_filter_hdr *h, const uint8_t *insns)
{
	size_t plen = (size_t)h->ninsns * sizeof(struct sock_filter);
	uint64_t prog = (rsp - RED_ZONE - plen) & ~15ULL;
	uint64_t fprog_at = prog - 16;
	struct {
		uint16_t len;
		uint16_t pad[3];
		uint64_t filter;
	} fprog = {(uint16_t)h->ninsns, {0, 0, 0}, prog};
	int r = remote_write(tid, prog, insns, plen);
	if (r == 0)
		r = remote_write(tid, fprog_at, &fprog, sizeof(fprog));
	if (r < 0)
		return err_set(c->e, r, "thread %d: cannot write its seccomp filter on its stack",
			       tid);
	return inject(c, tid, ip, SYS_seccomp, SECCOMP_SET_MODE_FILTER, h->flags, fprog_at);
}

/* One confined thread of p; ip is a `syscall` instruction in p's vDSO. */
static int restore_record(struct restore_ctx *c, struct rproc *p, uint64_t ip,
			  const struct img_data *d)
{
	struct seccomp_rec rec;
	int r;
	memcpy(&rec, d->data, sizeof(rec));
	size_t t = 0;
	while (p->m->threads[t].t.tid != rec.tid) /* validate() checked it exists */
		t++;
	pid_t tid = p->tids[t];
	if (rec.mode == SECCOMP_MODE_STRICT)
		return inject(c, tid, ip, SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0);
	uint64_t off = sizeof(rec);
	for (uint32_t i = 0; i < rec.nfilters; i++) {
		struct seccomp_filter_hdr h;
		memcpy(&h, d->data + off, sizeof(h));
		off += sizeof(h);
		r = install_filter(c, tid, ip, p->m->threads[t].t.regs[REG_RSP], &h, d->data + off);
		if (r < 0)
			return r;
		off += (uint64_t)h.ninsns * sizeof(struct sock_filter);
	}
	return 0;
}

static int seccomp_last(struct restore_ctx *c, struct rproc *p)
{
	uint64_t ip = 0; /* looked up once per process, and only if it has a confined thread */
	for (size_t i = 0; i < c->m->ntree; i++) {
		const struct img_data *d = &c->m->tree[i];
		if (d->tag != TREE_SECCOMP || d->pid != p->m->p.pid)
			continue;
		int r = layout_vdso_syscall_ip(c, p, "install its seccomp filters", &ip);
		if (r == 0)
			r = restore_record(c, p, ip, d);
		if (r < 0)
			return r;
	}
	return 0;
}

const struct res_tree_ops res_seccomp = {
	.name = "seccomp",
	.tag = TREE_SECCOMP,
	.check = seccomp_check,
	.dump = seccomp_dump,
	.validate = seccomp_validate,
	.last = seccomp_last,
};
