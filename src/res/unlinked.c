/* SPDX-License-Identifier: MIT */
/* Regular files deleted while open (FILE_UNLINKED, path "/dir/name (deleted)", no link left):
 * their content exists only in the kernel, so the dump saves it (holes skipped, at most
 * UNLINKED_MAX bytes; bigger ones are refused) with size, mode and owner. The restore creates
 * an unlinked file in the same directory (O_TMPFILE, or create + unlink where the filesystem
 * lacks O_TMPFILE), fills it, and opens every open file description of it from that one inode
 * with its access mode, flags, offset and file locks (locks.c). The new file's /proc name is the
 * kernel's O_TMPFILE name ("/dir/#1234 (deleted)"), not the old one. UNLINKED_TAG_INFO (struct
 * res_unlinked_info) on every file; UNLINKED_TAG_DATA content chunks (content.h) on the first file
 * of an inode. */
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump/internal.h"
#include "res/content.h"
#include "res/locks.h"
#include "res/res.h"
#include "restore/internal.h"

#define UNLINKED_TAG_INFO 1
#define UNLINKED_TAG_DATA 2
#define UNLINKED_MAX	  (256ULL << 20)
#define DELETED		  " (deleted)"
#define KERNEL_LARGEFILE  0100000
#define UNLINKED_FLAGS_OK                                                                          \
	(O_ACCMODE | O_APPEND | O_NONBLOCK | KERNEL_LARGEFILE | O_NOATIME | O_DSYNC | O_SYNC)

struct res_unlinked_info {
	uint64_t size;
	uint32_t mode; /* permission bits (07777) */
	uint32_t uid, gid;
	uint32_t pad; /* 0 */
};

/* ---- dump ---- */

static int has_deleted_suffix(const char *path)
{
	size_t n = strlen(path), s = strlen(DELETED);
	return n > s + 1 && !strcmp(path + n - s, DELETED);
}

static int unlinked_match(const struct fd_desc *d)
{
	return S_ISREG(d->st.st_mode) && d->path[0] == '/' && has_deleted_suffix(d->path) &&
	       strncmp(d->path, "/memfd:", 7) && !(d->flags & O_PATH);
}

static int unlinked_check(struct dump_ctx *c, struct dproc *p, struct fd_desc *d)
{
	if (d->st.st_nlink != 0)
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d fd %d (%s): its path was deleted but the file still has %lu "
			       "link(s) elsewhere",
			       p->pid, d->fd, d->path, (unsigned long)d->st.st_nlink);
	if ((uint64_t)d->st.st_size > UNLINKED_MAX)
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d fd %d (%s): deleted file of %lld bytes, above the %llu "
			       "ferry saves in an image",
			       p->pid, d->fd, d->path, (long long)d->st.st_size, UNLINKED_MAX);
	if (d->flags & ~(uint32_t)(UNLINKED_FLAGS_OK | O_CLOEXEC))
		return err_set(c->e, -EOPNOTSUPP, "pid %d fd %d (%s): flags 0%o not supported",
			       p->pid, d->fd, d->path, d->flags);
	return 0;
}

static int unlinked_dump(struct dump_ctx *c, struct dproc *p, const struct fd_desc *d,
			 struct img_file *f)
{
	struct res_unlinked_info ui = {d->st.st_size, d->st.st_mode & 07777, d->st.st_uid,
				       d->st.st_gid, 0};
	char who[IMG_MAX_PATH + 64];
	int first = 1;
	snprintf(who, sizeof(who), "pid %d fd %d (%s)", p->pid, d->fd, d->path);
	int r = res_write_data(c, f, UNLINKED_TAG_INFO, &ui, sizeof(ui));
	if (r == 0)
		r = res_locks_dump(c, p, d, f);
	for (size_t i = 0; i + 1 < c->nfiles; i++)
		first &= !(c->files[i].dev == d->st.st_dev && c->files[i].ino == d->st.st_ino);
	if (r < 0 || !first)
		return r;
	/* a new read-only description: the tree's fd may be write-only or O_APPEND */
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", p->pid, d->fd);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOATIME);
	if (fd < 0)
		return err_set(c->e, neg_errno(), "%s: cannot open it to save its content: %m",
			       who);
	return res_content_dump(c, f, UNLINKED_TAG_DATA, fd, ui.size, who);
}

/* ---- validate ---- */

static int unlinked_validate(const struct img_model *m, const struct img_file_model *f,
			     struct ferry_err *e)
{
	struct res_unlinked_info ui;
	const struct img_data *d = res_data(f, UNLINKED_TAG_INFO);
	size_t ninfo = 0, ndata = 0, nlock = 0;
	for (size_t i = 0; i < f->ndata; i++) {
		ninfo += f->data[i].tag == UNLINKED_TAG_INFO;
		ndata += f->data[i].tag == UNLINKED_TAG_DATA;
		nlock += f->data[i].tag == RES_TAG_LOCK;
	}
	if (!d || ninfo != 1 || d->len != sizeof(ui) || ninfo + ndata + nlock != f->ndata)
		return err_set(e, -EBADMSG, "image: deleted file %u: bad records", f->f.id);
	memcpy(&ui, d->data, sizeof(ui));
	if (ui.size > UNLINKED_MAX || (ui.mode & ~07777u) || ui.pad)
		return err_set(e, -EBADMSG, "image: deleted file %u: size, mode or pad invalid",
			       f->f.id);
	if (f->path[0] != '/' || !has_deleted_suffix(f->path))
		return err_set(e, -EBADMSG, "image: deleted file %u: path '%s' invalid", f->f.id,
			       f->path);
	if ((f->f.flags & ~(uint32_t)UNLINKED_FLAGS_OK) || (f->f.flags & O_ACCMODE) == 3)
		return err_set(e, -EBADMSG, "image: deleted file %u: flags 0%o invalid", f->f.id,
			       f->f.flags);
	int r = res_locks_validate_recs(m, f, 1, e);
	return r ? r : res_content_validate(f, UNLINKED_TAG_DATA, ui.size, e);
}

/* ---- restore ---- */

struct unlinked_obj {
	uint64_t dev, ino;
	int fd; /* O_RDWR on the new unlinked inode */
};

struct unlinked_state {
	size_t n, cap;
	struct unlinked_obj *o;
};

/* The directory the file was in: its path without " (deleted)" and without the name. */
static void dir_of(const struct img_file_model *f, char *out, size_t n)
{
	snprintf(out, n, "%.*s", (int)(strlen(f->path) - strlen(DELETED)), f->path);
	char *slash = strrchr(out, '/');
	if (slash == out)
		slash[1] = 0;
	else if (slash)
		*slash = 0;
}

/* An unlinked regular file in dir: O_TMPFILE, else create + unlink. */
static int create_in(const char *dir, mode_t mode)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR))
		return fd;
	char tmp[IMG_MAX_PATH + 32];
	snprintf(tmp, sizeof(tmp), "%s/.ferry-unlinked-XXXXXX", dir);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd >= 0)
		unlink(tmp);
	return fd;
}

static const struct img_file_model *content_file(struct restore_ctx *c,
						 const struct img_file_model *f)
{
	for (size_t i = 0; i < c->m->nfiles; i++) {
		const struct img_file_model *o = &c->m->files[i];
		if (o->f.kind == FILE_UNLINKED && o->f.dev == f->f.dev && o->f.ino == f->f.ino &&
		    res_data(o, UNLINKED_TAG_DATA))
			return o;
	}
	return f;
}

static int create_object(struct restore_ctx *c, const struct img_file_model *f,
			 struct unlinked_obj *o)
{
	struct res_unlinked_info ui;
	char dir[IMG_MAX_PATH];
	memcpy(&ui, res_data(f, UNLINKED_TAG_INFO)->data, sizeof(ui));
	dir_of(f, dir, sizeof(dir));
	o->fd = create_in(dir, ui.mode);
	if (o->fd < 0)
		return err_set(c->e, neg_errno(),
			       "deleted file %u (%s): cannot create an unlinked file in %s: %m",
			       f->f.id, f->path, dir);
	int r = res_content_fill(c, content_file(c, f), UNLINKED_TAG_DATA, o->fd, ui.size);
	if (r == 0 && (fchown(o->fd, ui.uid, ui.gid) < 0 || fchmod(o->fd, ui.mode) < 0))
		r = err_set(c->e, neg_errno(), "deleted file %u (%s): owner or mode: %m", f->f.id,
			    f->path);
	return r;
}

static int object_get(struct restore_ctx *c, const struct img_file_model *f,
		      struct unlinked_obj **ret)
{
	if (!c->file_state[FILE_UNLINKED])
		c->file_state[FILE_UNLINKED] = calloc(1, sizeof(struct unlinked_state));
	struct unlinked_state *s = c->file_state[FILE_UNLINKED];
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++)
		if (s->o[i].dev == f->f.dev && s->o[i].ino == f->f.ino) {
			*ret = &s->o[i];
			return 0;
		}
	struct unlinked_obj *o = array_reserve(s->o, &s->cap, s->n + 1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	s->o = o;
	o = &s->o[s->n++];
	*o = (struct unlinked_obj){f->f.dev, f->f.ino, -1};
	*ret = o;
	return create_object(c, f, o);
}

static int unlinked_open(struct restore_ctx *c, const struct img_file_model *f, int *ret_fd)
{
	struct unlinked_obj *o;
	char path[64];
	int r = object_get(c, f, &o);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", o->fd);
	int fd = open(path, (f->f.flags & (UNLINKED_FLAGS_OK & ~KERNEL_LARGEFILE)) | O_CLOEXEC);
	if (fd < 0 || lseek(fd, f->f.pos, SEEK_SET) < 0) {
		r = err_set(c->e, neg_errno(), "deleted file %u (%s): cannot reopen it: %m",
			    f->f.id, f->path);
		if (fd >= 0)
			close(fd);
		return r;
	}
	if ((r = res_locks_apply_desc(c, f, fd)) < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

static void close_all(struct restore_ctx *c)
{
	struct unlinked_state *s = c->file_state[FILE_UNLINKED];
	for (size_t i = 0; s && i < s->n; i++)
		if (s->o[i].fd >= 0) {
			close(s->o[i].fd);
			s->o[i].fd = -1;
		}
}

static int unlinked_finish(struct restore_ctx *c, const struct img_file_model *f, int table_fd)
{
	close_all(c);
	return 0;
}

static void unlinked_cleanup(struct restore_ctx *c, int failed)
{
	struct unlinked_state *s = c->file_state[FILE_UNLINKED];
	close_all(c);
	if (s)
		free(s->o);
	free(s);
	c->file_state[FILE_UNLINKED] = NULL;
}

const struct res_file_ops res_unlinked = {
	.kind = FILE_UNLINKED,
	.name = "deleted file",
	.match = unlinked_match,
	.check = unlinked_check,
	.dump = unlinked_dump,
	.validate = unlinked_validate,
	.open = unlinked_open,
	.fixup = res_locks_fixup,
	.finish = unlinked_finish,
	.cleanup = unlinked_cleanup,
};
