/* SPDX-License-Identifier: MIT */
/* epoll (FILE_EPOLL): every registration (fd, events, data) from the fdinfo "tfd:" lines. A
 * registration names an fd number of the process that made it, so the dump finds a process of the
 * tree that holds both the epoll and, at that number, the registered file (kcmp KCMP_EPOLL_TFD)
 * and refuses one whose file is no longer open there. The restore creates an empty epoll in the
 * restorer; each registration is re-made by epoll_ctl(ADD) in that process's seed, once its fds
 * have their final numbers (fixup). EPOLL_TAG_REGS holds an array of struct res_epoll_reg (absent
 * when the set is empty). Readiness is recomputed by the kernel at ADD: an edge-triggered event
 * that was already consumed may be reported once more. A registered pidfd or mapped memfd is
 * made final (its own fixup) before it is registered. */
#include <fcntl.h>
#include <linux/kcmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dump/internal.h"
#include "res/fdinfo.h"
#include "res/res.h"
#include "restore/internal.h"

#define EPOLL_TAG_REGS	1
#define EPOLL_FLAGS_OK	(O_ACCMODE | O_NONBLOCK)
#define EPOLL_EVENTS_OK (0x3fffU | EPOLLEXCLUSIVE | EPOLLWAKEUP | EPOLLONESHOT | EPOLLET)

struct res_epoll_reg {
	uint32_t pid;	 /* the process whose fd table `tfd` is in (holds the epoll too) */
	int32_t tfd;	 /* >= 0 */
	uint32_t events; /* EPOLL_EVENTS_OK bits */
	uint32_t pad;	 /* 0 */
	uint64_t data;
};

static int epoll_match(const struct fd_desc *d)
{
	return !strcmp(d->path, "anon_inode:[eventpoll]");
}

static long kcmp(pid_t a, pid_t b, int type, unsigned long x, unsigned long y)
{
	return syscall(SYS_kcmp, a, b, type, x, y);
}

/* Does q hold the epoll file (pid p, fd epfd) at some fd? */
static int holds_file(const struct dproc *q, pid_t p, int epfd)
{
	for (size_t i = 0; i < q->nfds; i++)
		if (kcmp(q->pid, p, KCMP_FILE, q->fds[i].fd, epfd) == 0)
			return 1;
	return 0;
}

/* The tree process in which fd it->tfd is the registered file and that holds the epoll. */
static pid_t owner_of(struct dump_ctx *c, struct dproc *p, int epfd,
		      const struct res_epoll_item *it, uint32_t toff)
{
	struct kcmp_epoll_slot slot = {(uint32_t)epfd, (uint32_t)it->tfd, toff};
	if (kcmp(p->pid, p->pid, KCMP_EPOLL_TFD, it->tfd, (unsigned long)&slot) == 0)
		return p->pid;
	for (size_t i = 0; i < c->nprocs; i++) {
		struct dproc *q = &c->procs[i];
		if (q != p && !q->zombie &&
		    kcmp(q->pid, p->pid, KCMP_EPOLL_TFD, it->tfd, (unsigned long)&slot) == 0 &&
		    holds_file(q, p->pid, epfd))
			return q->pid;
	}
	return 0;
}

static int collect(struct dump_ctx *c, struct dproc *p, const struct fd_desc *d,
		   struct res_epoll_reg **ret, size_t *ret_n)
{
	_cleanup_free_ struct res_epoll_item *it = NULL;
	size_t n;
	int r = res_parse_epoll(d->fdinfo, &it, &n);
	if (r < 0)
		return err_set(c->e, r, "pid %d fd %d (epoll): cannot read its registrations",
			       p->pid, d->fd);
	struct res_epoll_reg *regs = calloc(n ? n : 1, sizeof(*regs));
	if (!regs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint32_t toff = 0;
		for (size_t k = 0; k < i; k++)
			toff += it[k].tfd == it[i].tfd;
		pid_t owner = owner_of(c, p, d->fd, &it[i], toff);
		if (!owner || (it[i].events & ~EPOLL_EVENTS_OK)) {
			free(regs);
			return err_set(c->e, -EOPNOTSUPP,
				       "pid %d fd %d (epoll): the registration of fd %d (events "
				       "0x%x) %s",
				       p->pid, d->fd, it[i].tfd, it[i].events,
				       owner ? "has unknown event bits"
					     : "names a file no longer open at that fd number in "
					       "a process of the tree that holds the epoll");
		}
		regs[i] = (struct res_epoll_reg){(uint32_t)owner, it[i].tfd, it[i].events, 0,
						 it[i].data};
	}
	*ret = regs;
	*ret_n = n;
	return 0;
}

static int epoll_check(struct dump_ctx *c, struct dproc *p, struct fd_desc *d)
{
	_cleanup_free_ struct res_epoll_item *it = NULL;
	size_t n = 0;
	if (d->flags & ~(uint32_t)(EPOLL_FLAGS_OK | O_CLOEXEC))
		return err_set(c->e, -EOPNOTSUPP, "pid %d fd %d (epoll): flags 0%o not supported",
			       p->pid, d->fd, d->flags);
	/* Owners are searched in dump(), once every process's fds are described. */
	if (res_parse_epoll(d->fdinfo, &it, &n) == -EBADMSG)
		return err_set(c->e, -EOPNOTSUPP, "pid %d fd %d (epoll): unreadable fdinfo", p->pid,
			       d->fd);
	return 0;
}

static int epoll_dump(struct dump_ctx *c, struct dproc *p, const struct fd_desc *d,
		      struct img_file *f)
{
	_cleanup_free_ struct res_epoll_reg *regs = NULL;
	size_t n = 0;
	int r = collect(c, p, d, &regs, &n);
	if (r < 0 || n == 0)
		return r;
	return res_write_data(c, f, EPOLL_TAG_REGS, regs, n * sizeof(*regs));
}

/* ---- restore ---- */

/* Does process pid of the image hold file `id` and have fd `fd`? */
static int proc_has(const struct img_model *m, uint32_t pid, uint32_t id, int32_t fd)
{
	const struct img_proc_model *p = img_model_proc((struct img_model *)m, pid);
	int file = 0, num = 0;
	for (size_t i = 0; p && i < p->nfds; i++) {
		file |= p->fds[i].file_id == id;
		num |= p->fds[i].fd == fd;
	}
	return file && num;
}

static int epoll_validate(const struct img_model *m, const struct img_file_model *f,
			  struct ferry_err *e)
{
	const struct img_data *d = res_data(f, EPOLL_TAG_REGS);
	if ((f->f.flags & ~(uint32_t)EPOLL_FLAGS_OK) || (f->f.flags & O_ACCMODE) != O_RDWR)
		return err_set(e, -EBADMSG, "image: epoll file %u: flags 0%o invalid", f->f.id,
			       f->f.flags);
	if (f->ndata != (d ? 1 : 0) ||
	    (d && (d->len == 0 || d->len % sizeof(struct res_epoll_reg))))
		return err_set(e, -EBADMSG, "image: epoll file %u: bad registration records",
			       f->f.id);
	for (uint64_t off = 0; d && off < d->len; off += sizeof(struct res_epoll_reg)) {
		struct res_epoll_reg g;
		memcpy(&g, d->data + off, sizeof(g));
		if (g.tfd < 0 || g.pad || (g.events & ~EPOLL_EVENTS_OK) ||
		    !proc_has(m, g.pid, f->f.id, g.tfd))
			return err_set(e, -EBADMSG,
				       "image: epoll file %u: registration of pid %u fd %d invalid",
				       f->f.id, g.pid, g.tfd);
	}
	return 0;
}

static int epoll_open(struct restore_ctx *c, const struct img_file_model *f, int *ret_fd)
{
	int fd = epoll_create1(EPOLL_CLOEXEC);
	if (fd < 0 || fcntl(fd, F_SETFL, f->f.flags & O_NONBLOCK) < 0) {
		int r = err_set(c->e, neg_errno(), "epoll file %u: %m", f->f.id);
		if (fd >= 0)
			close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* A registered fd that its own kind replaces in its fixup (a pidfd, a mapped memfd) must be the
 * final file before it is registered: run that fixup first (both are idempotent). */
static int settle_target(struct restore_ctx *c, const struct img_proc_model *p, int32_t tfd,
			 const char **what)
{
	for (size_t i = 0; i < p->nfds; i++) {
		if (p->fds[i].fd != tfd)
			continue;
		const struct img_file_model *tf = img_model_file(c->m, p->fds[i].file_id);
		const struct res_file_ops *o = res_file_kind(tf->f.kind);
		if ((tf->f.kind == FILE_PIDFD || tf->f.kind == FILE_MEMFD) && o && o->fixup)
			return o->fixup(c, p, &p->fds[i], tf, what);
		return 0;
	}
	return 0;
}

/* In the seed of p: add p's registrations through p's first fd of this epoll. */
static int epoll_fixup(struct restore_ctx *c, const struct img_proc_model *p,
		       const struct img_fd *fd, const struct img_file_model *f, const char **what)
{
	const struct img_data *d = res_data(f, EPOLL_TAG_REGS);
	for (size_t i = 0; i < p->nfds && &p->fds[i] != fd; i++)
		if (p->fds[i].file_id == fd->file_id)
			return 0; /* done through an earlier fd */
	for (uint64_t off = 0; d && off < d->len; off += sizeof(struct res_epoll_reg)) {
		struct res_epoll_reg g;
		memcpy(&g, d->data + off, sizeof(g));
		struct epoll_event ev = {.events = g.events, .data.u64 = g.data};
		if (g.pid != p->p.pid)
			continue;
		int r = settle_target(c, p, g.tfd, what);
		if (r < 0)
			return r;
		if (epoll_ctl(fd->fd, EPOLL_CTL_ADD, g.tfd, &ev) < 0) {
			*what = "re-registering an fd in an epoll set";
			return neg_errno();
		}
	}
	return 0;
}

const struct res_file_ops res_epoll = {
	.kind = FILE_EPOLL,
	.name = "epoll",
	.match = epoll_match,
	.check = epoll_check,
	.dump = epoll_dump,
	.validate = epoll_validate,
	.open = epoll_open,
	.fixup = epoll_fixup,
};
