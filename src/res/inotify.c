/* SPDX-License-Identifier: MIT */
/* inotify (FILE_INOTIFY): each watch (wd, mask) from fdinfo, with the path of its inode found
 * from the file handle fdinfo prints (open_by_handle_at on a mount of that device) and checked
 * to be that inode; a watch whose path cannot be found, and unread events (they cannot be read
 * without consuming them), are refused. Restore: inotify_init1, then each watch re-added by path
 * (IN_DONT_FOLLOW, the exact inode) and the path checked again; a watch gets its old number by
 * adding and removing it until the kernel's cyclic counter reaches it, and the IN_IGNORED events
 * those removals queue are drained before the tree sees the fd. One INOTIFY_TAG_WATCH record per
 * watch: struct res_inotify_rec + path bytes (no NUL), in increasing wd order. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/proc.h"
#include "dump/internal.h"
#include "res/fdinfo.h"
#include "res/res.h"
#include "restore/internal.h"

#define INOTIFY_TAG_WATCH 1
#define INOTIFY_FLAGS_OK  (O_ACCMODE | O_NONBLOCK)
#define INOTIFY_MASK_OK	  (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK)
#define INOTIFY_MAX_WD	  (1 << 20) /* re-numbering costs one add+remove per skipped number */

struct res_inotify_rec {
	uint32_t wd;   /* 1..INOTIFY_MAX_WD, increasing across the file's records */
	uint32_t mask; /* INOTIFY_MASK_OK bits, not 0 */
	uint64_t dev;  /* st_dev (user-space encoding) and st_ino of the watched inode */
	uint64_t ino;
	uint32_t path_len; /* bytes of absolute path that follow, 1..IMG_MAX_PATH */
	uint32_t pad;	   /* 0 */
};

static int inotify_match(const struct fd_desc *d)
{
	return !strcmp(d->path, "anon_inode:inotify");
}

/* A mount point of device dev (from /proc/self/mountinfo); open_by_handle_at() refuses an
 * O_PATH one. */
static int mount_of(dev_t dev)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192];
	struct proc_mount m;
	int fd = -1;
	while (f && fd < 0 && fgets(line, sizeof(line), f))
		if (proc_mountinfo_line_parse(line, &m) == 0 && m.dev_major == major(dev) &&
		    m.dev_minor == minor(dev))
			fd = open(m.mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f)
		fclose(f);
	return fd;
}

/* The path of the watched inode, checked to be it; -ENOENT if it cannot be found. */
static int watch_path(const struct res_inotify_watch *w, char *out, size_t n, dev_t *ret_dev)
{
	dev_t dev = makedev(w->sdev >> 20, w->sdev & 0xfffff);
	struct stat st;
	char link[64];
	if (!w->fh_bytes)
		return -ENOENT;
	_cleanup_close_ int mfd = mount_of(dev);
	if (mfd < 0)
		return -ENOENT;
	struct {
		struct file_handle h;
		uint8_t bytes[RES_FHANDLE_MAX];
	} fh;
	fh.h.handle_bytes = w->fh_bytes;
	fh.h.handle_type = w->fh_type;
	memcpy(fh.h.f_handle, w->fh, w->fh_bytes);
	_cleanup_close_ int fd = open_by_handle_at(mfd, &fh.h, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t len = readlink(link, out, n - 1);
	if (len <= 0)
		return -ENOENT;
	out[len] = 0;
	if (out[0] != '/' || lstat(out, &st) < 0 || st.st_ino != w->ino || st.st_dev != dev)
		return -ENOENT;
	*ret_dev = dev;
	return 0;
}

static int unread_bytes(struct dump_ctx *c, struct dproc *p, int fd, int *n)
{
	_cleanup_close_ int dup = res_getfd(p->pid, fd, c->e);
	if (dup < 0)
		return dup;
	return ioctl(dup, FIONREAD, n) < 0 ? neg_errno() : 0;
}

static int inotify_check(struct dump_ctx *c, struct dproc *p, struct fd_desc *d)
{
	_cleanup_free_ struct res_inotify_watch *w = NULL;
	size_t n;
	char path[IMG_MAX_PATH];
	dev_t dev;
	int unread = 0;
	if (d->flags & ~(uint32_t)(INOTIFY_FLAGS_OK | O_CLOEXEC))
		return err_set(c->e, -EOPNOTSUPP, "pid %d fd %d (inotify): flags 0%o not supported",
			       p->pid, d->fd, d->flags);
	if (res_parse_inotify(d->fdinfo, &w, &n) < 0)
		return err_set(c->e, -EOPNOTSUPP, "pid %d fd %d (inotify): unreadable fdinfo",
			       p->pid, d->fd);
	for (size_t i = 0; i < n; i++) {
		if (w[i].wd > INOTIFY_MAX_WD || (w[i].mask & ~INOTIFY_MASK_OK) || !w[i].mask)
			return err_set(c->e, -EOPNOTSUPP,
				       "pid %d fd %d (inotify): watch %u (mask 0x%x) not supported",
				       p->pid, d->fd, w[i].wd, w[i].mask);
		if (watch_path(&w[i], path, sizeof(path), &dev) < 0)
			return err_set(
				c->e, -EOPNOTSUPP,
				"pid %d fd %d (inotify): watch %u is on inode %llu of device "
				"%u:%u, whose path cannot be found",
				p->pid, d->fd, w[i].wd, (unsigned long long)w[i].ino,
				w[i].sdev >> 20, w[i].sdev & 0xfffff);
	}
	int r = unread_bytes(c, p, d->fd, &unread);
	if (r < 0)
		return r;
	if (unread > 0)
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d fd %d (inotify) has %d bytes of unread events, which cannot "
			       "be saved without consuming them",
			       p->pid, d->fd, unread);
	return 0;
}

static int cmp_wd(const void *a, const void *b)
{
	const struct res_inotify_watch *x = a, *y = b;
	return (x->wd > y->wd) - (x->wd < y->wd);
}

static int inotify_dump(struct dump_ctx *c, struct dproc *p, const struct fd_desc *d,
			struct img_file *f)
{
	_cleanup_free_ struct res_inotify_watch *w = NULL;
	size_t n;
	int r = res_parse_inotify(d->fdinfo, &w, &n);
	if (n)
		qsort(w, n, sizeof(*w), cmp_wd);
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct {
			struct res_inotify_rec h;
			char path[IMG_MAX_PATH];
		} rec = {0};
		dev_t dev;
		if (watch_path(&w[i], rec.path, sizeof(rec.path), &dev) < 0)
			return err_set(c->e, -EOPNOTSUPP, "pid %d fd %d (inotify): watch %u lost",
				       p->pid, d->fd, w[i].wd);
		rec.h = (struct res_inotify_rec){
			w[i].wd, w[i].mask, dev, w[i].ino, (uint32_t)strlen(rec.path), 0};
		r = res_write_data(c, f, INOTIFY_TAG_WATCH, &rec, sizeof(rec.h) + rec.h.path_len);
	}
	return r;
}

/* ---- validate ---- */

static int check_rec(const struct img_file_model *f, const struct img_data *d, uint32_t prev_wd,
		     struct res_inotify_rec *h, struct ferry_err *e)
{
	if (d->tag != INOTIFY_TAG_WATCH || d->len < sizeof(*h))
		return err_set(e, -EBADMSG, "image: inotify file %u: bad record", f->f.id);
	memcpy(h, d->data, sizeof(*h));
	const uint8_t *path = d->data + sizeof(*h);
	if (h->wd <= prev_wd || h->wd > INOTIFY_MAX_WD || !h->mask ||
	    (h->mask & ~INOTIFY_MASK_OK) || h->pad)
		return err_set(e, -EBADMSG, "image: inotify file %u: watch %u invalid", f->f.id,
			       h->wd);
	if (h->path_len == 0 || h->path_len > IMG_MAX_PATH - 1 ||
	    d->len != sizeof(*h) + h->path_len || path[0] != '/' || memchr(path, 0, h->path_len))
		return err_set(e, -EBADMSG, "image: inotify file %u: watch %u path invalid",
			       f->f.id, h->wd);
	return 0;
}

static int inotify_validate(const struct img_model *m, const struct img_file_model *f,
			    struct ferry_err *e)
{
	struct res_inotify_rec h = {0};
	if ((f->f.flags & ~(uint32_t)INOTIFY_FLAGS_OK) || (f->f.flags & O_ACCMODE) != O_RDONLY)
		return err_set(e, -EBADMSG, "image: inotify file %u: flags 0%o invalid", f->f.id,
			       f->f.flags);
	for (size_t i = 0; i < f->ndata; i++) {
		int r = check_rec(f, &f->data[i], h.wd, &h, e);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- restore ---- */

static int add_watch(struct restore_ctx *c, const struct img_file_model *f, int fd,
		     const struct img_data *d)
{
	struct res_inotify_rec h;
	char path[IMG_MAX_PATH];
	struct stat st;
	memcpy(&h, d->data, sizeof(h));
	memcpy(path, d->data + sizeof(h), h.path_len);
	path[h.path_len] = 0;
	if (lstat(path, &st) < 0 || st.st_ino != h.ino || st.st_dev != h.dev)
		return err_set(c->e, -ESTALE,
			       "inotify file %u: watch %u: %s is not the inode watched at the dump",
			       f->f.id, h.wd, path);
	for (;;) {
		int wd = inotify_add_watch(fd, path, h.mask | IN_DONT_FOLLOW);
		if (wd < 0)
			return err_set(c->e, neg_errno(), "inotify file %u: watch %u on %s: %m",
				       f->f.id, h.wd, path);
		if ((uint32_t)wd == h.wd)
			return 0;
		if ((uint32_t)wd > h.wd || inotify_rm_watch(fd, wd) < 0)
			return err_set(c->e, -EEXIST,
				       "inotify file %u: watch %u on %s got number %d", f->f.id,
				       h.wd, path, wd);
	}
}

static int inotify_open(struct restore_ctx *c, const struct img_file_model *f, int *ret_fd)
{
	char drain[4096];
	int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK), r = 0;
	if (fd < 0)
		return err_set(c->e, neg_errno(), "inotify file %u: inotify_init1: %m", f->f.id);
	for (size_t i = 0; r == 0 && i < f->ndata; i++)
		r = add_watch(c, f, fd, &f->data[i]);
	while (r == 0 && read(fd, drain, sizeof(drain)) > 0)
		; /* the IN_IGNORED events of the renumbering */
	if (r == 0 && fcntl(fd, F_SETFL, f->f.flags & O_NONBLOCK) < 0)
		r = neg_errno();
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

const struct res_file_ops res_inotify = {
	.kind = FILE_INOTIFY,
	.name = "inotify",
	.match = inotify_match,
	.check = inotify_check,
	.dump = inotify_dump,
	.validate = inotify_validate,
	.open = inotify_open,
};
