/* SPDX-License-Identifier: MIT */
/* File locks (see locks.h): parsed from the "lock:" lines of fdinfo, saved with the file they
 * were seen through, and taken again at restore — flock()/OFD locks by the restorer on the new
 * open file description, POSIX locks by the owning process's seed once its fds are final. A
 * POSIX lock is dropped by the kernel whenever its process closes any fd of the inode, so the
 * seed first closes every fd of that inode it inherited from the restorer (file table, keepers)
 * and ferry refuses POSIX locks on a file the process also maps (the restore of its mappings
 * opens and closes the file inside the process). */
#include "res/locks.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dump/internal.h"
#include "restore/internal.h"

/* ---- parsing ---- */

static int parse_line(const char *l, struct res_lock_line *out, int *skip, char *what,
		      size_t what_len)
{
	char kind[16], mode[16], type[16], end[24];
	unsigned maj, min;
	unsigned long ino;
	long long start;
	int pid;
	*skip = 0;
	if (sscanf(l, "lock: %*u: %15s", kind) == 1 && !strcmp(kind, "->")) {
		*skip = 1; /* a waiter blocked on this lock: its syscall restarts */
		return 0;
	}
	if (sscanf(l, "lock: %*u: %15s %15s %15s %d %x:%x:%lu %lld %23s", kind, mode, type, &pid,
		   &maj, &min, &ino, &start, end) != 9)
		return -EBADMSG;
	int k = !strcmp(kind, "FLOCK")	  ? RES_LOCK_FLOCK
		: !strcmp(kind, "POSIX")  ? RES_LOCK_POSIX
		: !strcmp(kind, "OFDLCK") ? RES_LOCK_OFD
					  : 0;
	if (!k || strcmp(mode, "ADVISORY")) {
		snprintf(what, what_len, "%s %s %s", kind, mode, type);
		return -EOPNOTSUPP;
	}
	int64_t e = -1;
	if (strcmp(end, "EOF")) {
		char *x;
		e = strtoll(end, &x, 10);
		if (*x || e < start)
			return -EBADMSG;
	}
	if (start < 0 || (strcmp(type, "READ") && strcmp(type, "WRITE")))
		return -EBADMSG;
	out->rec = (struct res_lock_rec){(uint32_t)k, !strcmp(type, "WRITE"), 0, 0, start, e};
	out->pid = pid;
	return 0;
}

int res_parse_locks(const char *fdinfo, struct res_lock_line **ret, size_t *n, char *what,
		    size_t what_len)
{
	size_t cap = 0;
	*ret = NULL;
	*n = 0;
	for (const char *l = fdinfo; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		struct res_lock_line line;
		int skip, r;
		if (strncmp(l, "lock:", 5))
			continue;
		char buf[256];
		snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(l, "\n"), l);
		if ((r = parse_line(buf, &line, &skip, what, what_len)) < 0 || skip) {
			if (r == 0)
				continue;
			free(*ret);
			*ret = NULL;
			*n = 0;
			return r;
		}
		struct res_lock_line *nl = array_reserve(*ret, &cap, *n + 1, sizeof(*nl));
		if (!nl) {
			free(*ret);
			*ret = NULL;
			return -ENOMEM;
		}
		*ret = nl;
		nl[(*n)++] = line;
	}
	return 0;
}

/* ---- dump ---- */

static int lock_kind_ok(int kind)
{
	return kind == FILE_REG || kind == FILE_DIR || kind == FILE_UNLINKED;
}

int res_locks_check(struct dump_ctx *c, struct dproc *p, struct fd_desc *d)
{
	_cleanup_free_ struct res_lock_line *l = NULL;
	size_t n;
	char what[64] = "";
	int r = res_parse_locks(d->fdinfo, &l, &n, what, sizeof(what));
	if (r == -EOPNOTSUPP)
		return err_set(c->e, r, "pid %d fd %d (%s) holds a %s, which ferry cannot restore",
			       p->pid, d->fd, d->path, what);
	if (r < 0)
		return err_set(c->e, -EOPNOTSUPP, "pid %d fd %d (%s): unreadable lock lines",
			       p->pid, d->fd, d->path);
	if (n && (!d->ops || !lock_kind_ok(d->ops->kind)))
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d fd %d (%s) holds a file lock: locks are restored on regular "
			       "files and directories only",
			       p->pid, d->fd, d->path);
	return 0;
}

static int maps_inode(const struct dproc *q, const struct stat *st)
{
	for (size_t i = 0; i < q->nvmas; i++)
		if (q->vmas[i].ino == st->st_ino &&
		    makedev(q->vmas[i].dev_major, q->vmas[i].dev_minor) == st->st_dev)
			return 1;
	return 0;
}

struct lock_list {
	struct res_lock_rec *r;
	size_t n, cap;
};

static int add_rec(struct lock_list *ll, const struct res_lock_rec *rec)
{
	for (size_t i = 0; i < ll->n; i++)
		if (!memcmp(&ll->r[i], rec, sizeof(*rec)))
			return 0;
	struct res_lock_rec *nr = array_reserve(ll->r, &ll->cap, ll->n + 1, sizeof(*nr));
	if (!nr)
		return -ENOMEM;
	ll->r = nr;
	nr[ll->n++] = *rec;
	return 0;
}

/* POSIX locks of process q on the inode of st, from its fds of that inode. */
static int posix_of(struct dump_ctx *c, const struct dproc *q, const struct stat *st,
		    struct lock_list *ll)
{
	for (size_t i = 0; i < q->nfds; i++) {
		const struct fd_desc *e = &q->fds[i];
		_cleanup_free_ struct res_lock_line *l = NULL;
		size_t n;
		char what[64];
		if (e->st.st_dev != st->st_dev || e->st.st_ino != st->st_ino ||
		    res_parse_locks(e->fdinfo, &l, &n, what, sizeof(what)) < 0)
			continue;
		for (size_t k = 0; k < n; k++) {
			if (l[k].rec.kind != RES_LOCK_POSIX)
				continue;
			if (maps_inode(q, st))
				return err_set(c->e, -EOPNOTSUPP,
					       "pid %d fd %d (%s) holds a POSIX lock on a file it "
					       "also maps, which ferry cannot restore",
					       q->pid, e->fd, e->path);
			struct res_lock_rec r = l[k].rec;
			r.pid = q->pid;
			if (add_rec(ll, &r) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

int res_locks_dump(struct dump_ctx *c, struct dproc *p, const struct fd_desc *d, struct img_file *f)
{
	_cleanup_free_ struct res_lock_line *l = NULL;
	struct lock_list ll = {0};
	size_t n;
	char what[64];
	int first = 1, r = res_parse_locks(d->fdinfo, &l, &n, what, sizeof(what));
	for (size_t i = 0; r == 0 && i < n; i++)
		if (l[i].rec.kind != RES_LOCK_POSIX)
			r = add_rec(&ll, &l[i].rec);
	for (size_t i = 0; i + 1 < c->nfiles; i++)
		first &= !(c->files[i].dev == d->st.st_dev && c->files[i].ino == d->st.st_ino);
	for (size_t i = 0; r == 0 && first && i < c->nprocs; i++)
		r = posix_of(c, &c->procs[i], &d->st, &ll);
	if (r == 0 && ll.n)
		r = res_write_data(c, f, RES_TAG_LOCK, ll.r, ll.n * sizeof(*ll.r));
	free(ll.r);
	return r;
}

/* ---- validate ---- */

static int check_rec(const struct img_model *m, const struct img_file_model *f,
		     const struct res_lock_rec *l, struct ferry_err *e)
{
	int ok = l->kind >= RES_LOCK_FLOCK && l->kind <= RES_LOCK_OFD && l->write <= 1 && !l->pad &&
		 l->start >= 0 && (l->end == -1 || l->end >= l->start);
	if (ok && l->kind == RES_LOCK_FLOCK)
		ok = !l->pid && l->start == 0 && l->end == -1;
	if (ok && l->kind == RES_LOCK_OFD)
		ok = !l->pid;
	if (ok && l->kind == RES_LOCK_POSIX)
		ok = img_model_proc((struct img_model *)m, l->pid) != NULL;
	return ok ? 0
		  : err_set(e, -EBADMSG, "image: file %u (%s): lock record invalid", f->f.id,
			    f->path);
}

int res_locks_validate_recs(const struct img_model *m, const struct img_file_model *f,
			    int others_ok, struct ferry_err *e)
{
	int seen = 0;
	for (size_t i = 0; i < f->ndata; i++) {
		const struct img_data *d = &f->data[i];
		if (d->tag != RES_TAG_LOCK) {
			if (!others_ok)
				return err_set(e, -EBADMSG,
					       "image: file %u (%s): unexpected tag %u", f->f.id,
					       f->path, d->tag);
			continue;
		}
		if (seen++ || d->len == 0 || d->len % sizeof(struct res_lock_rec))
			return err_set(e, -EBADMSG, "image: file %u (%s): bad lock records",
				       f->f.id, f->path);
		for (uint64_t off = 0; off < d->len; off += sizeof(struct res_lock_rec)) {
			struct res_lock_rec l;
			memcpy(&l, d->data + off, sizeof(l));
			int r = check_rec(m, f, &l, e);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int res_locks_validate(const struct img_model *m, const struct img_file_model *f,
		       struct ferry_err *e)
{
	return res_locks_validate_recs(m, f, 0, e);
}

/* ---- restore ---- */

static struct flock range(const struct res_lock_rec *l)
{
	struct flock fl = {.l_type = l->write ? F_WRLCK : F_RDLCK, .l_whence = SEEK_SET};
	fl.l_start = l->start;
	fl.l_len = l->end < 0 ? 0 : l->end - l->start + 1;
	return fl;
}

int res_locks_apply_desc(struct restore_ctx *c, const struct img_file_model *f, int fd)
{
	const struct img_data *d = res_data(f, RES_TAG_LOCK);
	for (uint64_t off = 0; d && off < d->len; off += sizeof(struct res_lock_rec)) {
		struct res_lock_rec l;
		memcpy(&l, d->data + off, sizeof(l));
		struct flock fl = range(&l);
		int r = l.kind == RES_LOCK_FLOCK
				? flock(fd, (l.write ? LOCK_EX : LOCK_SH) | LOCK_NB)
			: l.kind == RES_LOCK_OFD ? fcntl(fd, F_OFD_SETLK, &fl)
						 : 0;
		if (r < 0)
			return err_set(
				c->e, neg_errno(),
				"file %u (%s): cannot take its %s %s lock again: %m (held by "
				"another process?)",
				f->f.id, f->path, l.kind == RES_LOCK_FLOCK ? "flock" : "OFD",
				l.write ? "write" : "read");
	}
	return 0;
}

static int same_inode(const struct img_file_model *a, const struct img_file_model *b)
{
	return a->f.dev == b->f.dev && a->f.ino == b->f.ino && lock_kind_ok(a->f.kind) &&
	       lock_kind_ok(b->f.kind);
}

static int is_image_fd(const struct img_proc_model *p, int fd)
{
	for (size_t i = 0; i < p->nfds; i++)
		if (p->fds[i].fd == fd)
			return 1;
	return 0;
}

/* Close every fd of this seed on the inode of `fd` that the image does not name. */
static void close_strays(const struct img_proc_model *p, int fd)
{
	struct stat want, st;
	int strays[256], n = 0;
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	if (fstat(fd, &want) < 0 || !dir)
		goto out;
	while ((e = readdir(dir)) && n < 256) {
		int x = atoi(e->d_name);
		if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && x != dirfd(dir) &&
		    !is_image_fd(p, x) && fstat(x, &st) == 0 && st.st_dev == want.st_dev &&
		    st.st_ino == want.st_ino)
			strays[n++] = x;
	}
out:
	if (dir)
		closedir(dir);
	for (int i = 0; i < n; i++)
		close(strays[i]);
}

/* Does the image hold any lock record? (Cached: fixup runs for every fd of every seed.) */
static int image_has_locks(const struct img_model *m)
{
	static const struct img_model *cached;
	static int has;
	if (cached != m) {
		has = 0;
		for (size_t i = 0; i < m->nfiles && !has; i++)
			has = res_data(&m->files[i], RES_TAG_LOCK) != NULL;
		cached = m;
	}
	return has;
}

int res_locks_fixup(struct restore_ctx *c, const struct img_proc_model *p, const struct img_fd *fd,
		    const struct img_file_model *f, const char **what)
{
	if (!image_has_locks(c->m))
		return 0;
	for (size_t i = 0; i < p->nfds && &p->fds[i] != fd; i++)
		if (same_inode(img_model_file(c->m, p->fds[i].file_id), f))
			return 0; /* done through p's first fd of this inode */
	int closed = 0;
	for (size_t i = 0; i < c->m->nfiles; i++) {
		const struct img_data *d = res_data(&c->m->files[i], RES_TAG_LOCK);
		if (!d || !same_inode(&c->m->files[i], f))
			continue;
		for (uint64_t off = 0; off < d->len; off += sizeof(struct res_lock_rec)) {
			struct res_lock_rec l;
			memcpy(&l, d->data + off, sizeof(l));
			if (l.kind != RES_LOCK_POSIX || l.pid != p->p.pid)
				continue;
			if (!closed++)
				close_strays(p, fd->fd);
			struct flock fl = range(&l);
			if (fcntl(fd->fd, F_SETLK, &fl) < 0) {
				*what = "taking a POSIX lock again (held by another process?)";
				return neg_errno();
			}
		}
	}
	return 0;
}
