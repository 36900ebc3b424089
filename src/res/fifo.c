/* SPDX-License-Identifier: MIT */
/* FIFOs (FILE_FIFO): named pipes reopened by path. The dump saves what pipe.c saves for a pipe
 * (size, unread bytes, outside holders). The restore first opens the FIFO O_RDWR so that no end's
 * open blocks or fails for want of a partner, checks it is the dumped inode, and puts the unread
 * bytes back unless a process outside the tree kept the FIFO open (then they never left the
 * kernel). Each end is then opened by path with its own access mode and flags. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump/internal.h"
#include "res/pipe.h"
#include "restore/internal.h"

static int fifo_match(const struct fd_desc *d)
{
	return S_ISFIFO(d->st.st_mode) && d->path[0] == '/' && !strstr(d->path, " (deleted)") &&
	       !(d->flags & O_PATH);
}

static int fifo_check(struct dump_ctx *c, struct dproc *p, struct fd_desc *d)
{
	struct stat now;
	if (stat(d->path, &now) < 0 || now.st_ino != d->st.st_ino || now.st_dev != d->st.st_dev)
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d fd %d: the path %s no longer names the open FIFO", p->pid,
			       d->fd, d->path);
	return res_pipe_check(c, p, d);
}

static int fifo_dump(struct dump_ctx *c, struct dproc *p, const struct fd_desc *d,
		     struct img_file *f)
{
	int first = 1;
	for (size_t i = 0; i + 1 < c->nfiles; i++)
		if (c->files[i].dev == d->st.st_dev && c->files[i].ino == d->st.st_ino)
			first = 0;
	return res_pipe_dump(c, p, d, f, first);
}

static int fifo_validate(const struct img_model *m, const struct img_file_model *f,
			 struct ferry_err *e)
{
	int r = res_pipe_check_flags(f, e);
	if (r == 0)
		r = res_pipe_check_records(f, e);
	for (size_t i = 0; r == 0 && res_data(f, PIPE_TAG_DATA) && i < m->nfiles; i++) {
		const struct img_file_model *o = &m->files[i];
		if (o != f && o->f.kind == FILE_FIFO && o->f.dev == f->f.dev &&
		    o->f.ino == f->f.ino && res_data(o, PIPE_TAG_DATA))
			r = err_set(e, -EBADMSG, "image: FIFO files %u and %u both hold its data",
				    f->f.id, o->f.id);
	}
	return r;
}

/* ---- restore ---- */

struct fifo_keeper {
	uint64_t dev, ino;
	int fd;
};

struct fifo_state {
	size_t n, cap;
	struct fifo_keeper *k;
};

static int same_inode(struct restore_ctx *c, const struct img_file_model *f, int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode) || st.st_dev != f->f.dev ||
	    st.st_ino != f->f.ino)
		return err_set(c->e, -ESTALE, "FIFO %s is not the FIFO that was open at the dump",
			       f->path);
	return 0;
}

/* Open the FIFO O_RDWR, check it, size it and put back its bytes (first file only). */
static int keeper_open(struct restore_ctx *c, const struct img_file_model *f, int *ret)
{
	struct res_pipe_info info;
	int fd = open(f->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return err_set(c->e, neg_errno(), "FIFO %s: cannot open: %m", f->path);
	*ret = fd;
	int r = same_inode(c, f, fd);
	if (r < 0)
		return r;
	res_pipe_info_get(f, &info);
	int kept = res_pipe_reattach(&info, f->f.dev, f->f.ino);
	if (kept >= 0) {
		close(kept); /* held open outside: size and bytes are still in the kernel */
		return 0;
	}
	if (fcntl(fd, F_SETPIPE_SZ, info.pipe_size) < 0)
		return err_set(c->e, neg_errno(), "FIFO %s: cannot size it to %u: %m", f->path,
			       info.pipe_size);
	for (size_t i = 0; i < c->m->nfiles; i++) {
		const struct img_file_model *o = &c->m->files[i];
		if (o->f.kind == FILE_FIFO && o->f.dev == f->f.dev && o->f.ino == f->f.ino &&
		    res_data(o, PIPE_TAG_DATA))
			return res_pipe_fill(c, o, fd);
	}
	return 0;
}

static int keeper_get(struct restore_ctx *c, const struct img_file_model *f)
{
	if (!c->file_state[FILE_FIFO])
		c->file_state[FILE_FIFO] = calloc(1, sizeof(struct fifo_state));
	struct fifo_state *s = c->file_state[FILE_FIFO];
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++)
		if (s->k[i].dev == f->f.dev && s->k[i].ino == f->f.ino)
			return 0;
	struct fifo_keeper *k = array_reserve(s->k, &s->cap, s->n + 1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	s->k = k;
	k = &s->k[s->n++];
	*k = (struct fifo_keeper){f->f.dev, f->f.ino, -1};
	return keeper_open(c, f, &k->fd);
}

static int fifo_open(struct restore_ctx *c, const struct img_file_model *f, int *ret_fd)
{
	int r = keeper_get(c, f);
	if (r < 0)
		return r;
	int fd = open(f->path, (f->f.flags & O_ACCMODE) | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return err_set(c->e, neg_errno(), "FIFO %s: cannot open: %m", f->path);
	if ((r = same_inode(c, f, fd)) < 0 || (r = res_pipe_set_flags(c, f, fd)) < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

static void close_keepers(struct restore_ctx *c)
{
	struct fifo_state *s = c->file_state[FILE_FIFO];
	for (size_t i = 0; s && i < s->n; i++)
		if (s->k[i].fd >= 0) {
			close(s->k[i].fd);
			s->k[i].fd = -1;
		}
}

static int fifo_finish(struct restore_ctx *c, const struct img_file_model *f, int table_fd)
{
	close_keepers(c);
	return 0;
}

static void fifo_cleanup(struct restore_ctx *c, int failed)
{
	struct fifo_state *s = c->file_state[FILE_FIFO];
	close_keepers(c);
	if (s)
		free(s->k);
	free(s);
	c->file_state[FILE_FIFO] = NULL;
}

const struct res_file_ops res_fifo = {
	.kind = FILE_FIFO,
	.name = "FIFO",
	.match = fifo_match,
	.check = fifo_check,
	.dump = fifo_dump,
	.validate = fifo_validate,
	.open = fifo_open,
	.finish = fifo_finish,
	.cleanup = fifo_cleanup,
};
