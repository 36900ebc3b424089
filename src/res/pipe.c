/* SPDX-License-Identifier: MIT */
/* Pipes (FILE_PIPE), plus the helpers FIFOs share (pipe.h). Dump: the pipe's size, its unread
 * bytes copied with tee(2) so the tree loses nothing, and the processes outside the tree that hold
 * the same pipe. Restore: the first end of a pipe re-creates it (or, on the same host, reattaches
 * to the very pipe an outside process still holds, whose bytes never left the kernel); every end
 * becomes its own open file description of that pipe with the dumped flags. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump/internal.h"
#include "res/pipe.h"
#include "restore/internal.h"

#define KERNEL_O_LARGEFILE 0100000 /* glibc defines O_LARGEFILE as 0 on x86-64 */
#define PIPE_FLAGS_OK	   (O_ACCMODE | O_NONBLOCK | KERNEL_O_LARGEFILE)

/* ---- dump ---- */

static int pipe_match(const struct fd_desc *d)
{
	return S_ISFIFO(d->st.st_mode) && !strncmp(d->path, "pipe:[", 6) && !(d->flags & O_PATH);
}

int res_pipe_check(struct dump_ctx *c, struct dproc *p, struct fd_desc *d)
{
	if (d->flags & ~(uint32_t)(PIPE_FLAGS_OK | O_CLOEXEC))
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d fd %d (%s): flags 0%o are not supported on a pipe (packet "
			       "mode O_DIRECT, O_ASYNC signal-driven I/O...)",
			       p->pid, d->fd, d->path, d->flags & ~(uint32_t)PIPE_FLAGS_OK);
	if ((d->flags & O_ACCMODE) == 3)
		return err_set(c->e, -EOPNOTSUPP, "pid %d fd %d (%s): access mode 3", p->pid, d->fd,
			       d->path);
	return 0;
}

/* Does /proc/PID/fd/FD name the file `target` (readlink text) with dev/ino? */
static int same_file(const char *fdpath, const char *target, dev_t dev, ino_t ino)
{
	char link[IMG_MAX_PATH];
	struct stat st;
	ssize_t n = readlink(fdpath, link, sizeof(link) - 1);
	if (n < 0)
		return 0;
	link[n] = 0;
	return !strcmp(link, target) && stat(fdpath, &st) == 0 && st.st_dev == dev &&
	       st.st_ino == ino;
}

static void scan_proc_fds(pid_t pid, const struct fd_desc *d, struct res_pipe_info *info)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	DIR *dir = opendir(path);
	struct dirent *e;
	while (dir && info->noutside < PIPE_MAX_OUTSIDE && (e = readdir(dir))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		char fdpath[320];
		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, e->d_name);
		if (same_file(fdpath, d->path, d->st.st_dev, d->st.st_ino)) {
			info->outside[info->noutside].pid = pid;
			info->outside[info->noutside].fd = atoi(e->d_name);
			info->noutside++;
		}
	}
	if (dir)
		closedir(dir);
}

/* Processes outside the tree (and not ferry) holding the pipe of d. */
static void find_outside(struct dump_ctx *c, const struct fd_desc *d, struct res_pipe_info *info)
{
	DIR *proc = opendir("/proc");
	struct dirent *e;
	while (proc && info->noutside < PIPE_MAX_OUTSIDE && (e = readdir(proc))) {
		pid_t pid = atoi(e->d_name);
		if (pid > 0 && pid != getpid() && !dump_in_tree(c, pid))
			scan_proc_fds(pid, d, info);
	}
	if (proc)
		closedir(proc);
}

/* Copy the n unread bytes of the pipe behind `fd` without consuming them: a new read end (the
 * tree's fd may be a write end) tee(2)'d into a private pipe of the same size. */
static int peek(struct dump_ctx *c, const char *who, int fd, uint32_t size, int n, uint8_t *buf)
{
	char path[64];
	int tmp[2];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	_cleanup_close_ int rd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (rd < 0)
		return err_set(c->e, neg_errno(), "%s: cannot open a read end to copy it: %m", who);
	if (pipe2(tmp, O_CLOEXEC | O_NONBLOCK) < 0)
		return neg_errno();
	_cleanup_close_ int t0 = tmp[0], t1 = tmp[1];
	if (fcntl(t1, F_SETPIPE_SZ, size) < 0)
		return err_set(c->e, neg_errno(), "%s: a %u-byte copy pipe: %m", who, size);
	ssize_t got = tee(rd, t1, n, SPLICE_F_NONBLOCK);
	if (got != n)
		return err_set(c->e, got < 0 ? neg_errno() : -EIO,
			       "%s: tee copied %zd of its %d unread bytes", who, got, n);
	for (ssize_t off = 0; off < n;) {
		ssize_t r = read(t0, buf + off, n - off);
		if (r <= 0)
			return err_set(c->e, r < 0 ? neg_errno() : -EIO, "%s: reading the copy",
				       who);
		off += r;
	}
	return 0;
}

int res_pipe_dump(struct dump_ctx *c, struct dproc *p, const struct fd_desc *d,
		  const struct img_file *f, int first_of_pipe)
{
	struct res_pipe_info info = {0};
	char who[IMG_MAX_PATH + 64];
	int n = 0;
	snprintf(who, sizeof(who), "pid %d fd %d (%s)", p->pid, d->fd, d->path);
	_cleanup_close_ int fd = res_getfd(p->pid, d->fd, c->e);
	if (fd < 0)
		return fd;
	int size = fcntl(fd, F_GETPIPE_SZ);
	if (size < (int)PIPE_MIN_SIZE || (uint32_t)size > PIPE_MAX_SIZE || ioctl(fd, FIONREAD, &n))
		return err_set(c->e, -EOPNOTSUPP, "%s: pipe size %d not supported", who, size);
	info.pipe_size = size;
	find_outside(c, d, &info);
	int r = res_write_data(c, f, PIPE_TAG_INFO, &info, sizeof(info));
	if (r < 0 || !first_of_pipe || n <= 0)
		return r;
	_cleanup_free_ uint8_t *buf = malloc(n);
	if (!buf)
		return -ENOMEM;
	if ((r = peek(c, who, fd, info.pipe_size, n, buf)) < 0)
		return r;
	return res_write_data(c, f, PIPE_TAG_DATA, buf, n);
}

/* The first REC_FILE written for this pipe inode is the current one (the last in c->files). */
static int first_file_of(struct dump_ctx *c, const struct fd_desc *d)
{
	for (size_t i = 0; i + 1 < c->nfiles; i++)
		if (c->files[i].dev == d->st.st_dev && c->files[i].ino == d->st.st_ino)
			return 0;
	return 1;
}

static int pipe_dump(struct dump_ctx *c, struct dproc *p, const struct fd_desc *d,
		     struct img_file *f)
{
	return res_pipe_dump(c, p, d, f, first_file_of(c, d));
}

/* ---- validate (shared with fifo.c) ---- */

static int check_info(const struct img_file_model *f, const struct res_pipe_info *i,
		      struct ferry_err *e)
{
	if (i->pipe_size < PIPE_MIN_SIZE || i->pipe_size > PIPE_MAX_SIZE ||
	    (i->pipe_size & (i->pipe_size - 1)))
		return err_set(e, -EBADMSG, "image: pipe file %u: pipe_size %u invalid", f->f.id,
			       i->pipe_size);
	if (i->noutside > PIPE_MAX_OUTSIDE)
		return err_set(e, -EBADMSG, "image: pipe file %u: noutside %u above %d", f->f.id,
			       i->noutside, PIPE_MAX_OUTSIDE);
	for (uint32_t k = 0; k < PIPE_MAX_OUTSIDE; k++) {
		int used = k < i->noutside;
		if (used ? (i->outside[k].pid == 0 || i->outside[k].fd < 0)
			 : (i->outside[k].pid || i->outside[k].fd))
			return err_set(e, -EBADMSG, "image: pipe file %u: outside entry %u invalid",
				       f->f.id, k);
	}
	return 0;
}

int res_pipe_check_records(const struct img_file_model *f, struct ferry_err *e)
{
	const struct img_data *info = NULL, *data = NULL;
	for (size_t i = 0; i < f->ndata; i++) {
		const struct img_data *d = &f->data[i];
		const struct img_data **slot = d->tag == PIPE_TAG_INFO	 ? &info
					       : d->tag == PIPE_TAG_DATA ? &data
									 : NULL;
		if (!slot || *slot)
			return err_set(e, -EBADMSG,
				       "image: pipe file %u: unexpected or repeated tag %u",
				       f->f.id, d->tag);
		*slot = d;
	}
	if (!info || info->len != sizeof(struct res_pipe_info))
		return err_set(e, -EBADMSG, "image: pipe file %u: no valid info record", f->f.id);
	struct res_pipe_info pi;
	memcpy(&pi, info->data, sizeof(pi));
	int r = check_info(f, &pi, e);
	if (r < 0)
		return r;
	if (data && (data->len == 0 || data->len > pi.pipe_size))
		return err_set(e, -EBADMSG,
			       "image: pipe file %u: %llu unread bytes for a %u-byte pipe", f->f.id,
			       (unsigned long long)data->len, pi.pipe_size);
	return 0;
}

int res_pipe_check_flags(const struct img_file_model *f, struct ferry_err *e)
{
	if ((f->f.flags & ~(uint32_t)PIPE_FLAGS_OK) || (f->f.flags & O_ACCMODE) == 3)
		return err_set(e, -EBADMSG, "image: pipe file %u: flags 0%o invalid", f->f.id,
			       f->f.flags);
	return 0;
}

/* At most one file of a pipe (same kind, dev, ino) carries its unread bytes. */
static int one_data_per_pipe(const struct img_model *m, const struct img_file_model *f,
			     struct ferry_err *e)
{
	if (!res_data(f, PIPE_TAG_DATA))
		return 0;
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct img_file_model *o = &m->files[i];
		if (o != f && o->f.kind == f->f.kind && o->f.dev == f->f.dev &&
		    o->f.ino == f->f.ino && res_data(o, PIPE_TAG_DATA))
			return err_set(e, -EBADMSG, "image: files %u and %u both hold pipe data",
				       f->f.id, o->f.id);
	}
	return 0;
}

static int pipe_validate(const struct img_model *m, const struct img_file_model *f,
			 struct ferry_err *e)
{
	int r = res_pipe_check_flags(f, e);
	if (r == 0)
		r = res_pipe_check_records(f, e);
	if (r == 0)
		r = one_data_per_pipe(m, f, e);
	return r;
}

/* ---- restore helpers (shared with fifo.c) ---- */

void res_pipe_info_get(const struct img_file_model *f, struct res_pipe_info *info)
{
	memcpy(info, res_data(f, PIPE_TAG_INFO)->data, sizeof(*info));
}

int res_pipe_reattach(const struct res_pipe_info *info, uint64_t dev, uint64_t ino)
{
	for (uint32_t k = 0; k < info->noutside; k++) {
		char path[64];
		struct stat st;
		snprintf(path, sizeof(path), "/proc/%u/fd/%d", info->outside[k].pid,
			 info->outside[k].fd);
		int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && st.st_dev == dev &&
		    st.st_ino == ino)
			return fd;
		close(fd);
	}
	return -1;
}

int res_pipe_fill(struct restore_ctx *c, const struct img_file_model *f, int wfd)
{
	const struct img_data *d = res_data(f, PIPE_TAG_DATA);
	for (uint64_t off = 0; d && off < d->len;) {
		ssize_t n = write(wfd, d->data + off, d->len - off);
		if (n <= 0)
			return err_set(c->e, n < 0 ? neg_errno() : -EIO,
				       "file %u (%s): cannot put back %llu unread bytes: %m",
				       f->f.id, f->path, (unsigned long long)d->len);
		off += n;
	}
	return 0;
}

int res_pipe_set_flags(struct restore_ctx *c, const struct img_file_model *f, int fd)
{
	if (fcntl(fd, F_SETFL, f->f.flags & O_NONBLOCK) < 0)
		return err_set(c->e, neg_errno(), "file %u (%s): cannot set its flags: %m", f->f.id,
			       f->path);
	return 0;
}

/* ---- restore ---- */

/* One pipe being rebuilt: `keeper` holds it open (O_RDWR) until finish(); ends[] are the two
 * ends of a freshly created pipe not yet handed to a file (-1 once used). */
struct pipe_group {
	uint64_t dev, ino;
	int keeper;
	int ends[2];
};

struct pipe_state {
	size_t n, cap;
	struct pipe_group *g;
};

static struct pipe_state *state(struct restore_ctx *c)
{
	if (!c->file_state[FILE_PIPE])
		c->file_state[FILE_PIPE] = calloc(1, sizeof(struct pipe_state));
	return c->file_state[FILE_PIPE];
}

/* The file of this pipe that carries its unread bytes, if any. */
static const struct img_file_model *data_file(struct restore_ctx *c, const struct img_file_model *f)
{
	for (size_t i = 0; i < c->m->nfiles; i++) {
		const struct img_file_model *o = &c->m->files[i];
		if (o->f.kind == FILE_PIPE && o->f.dev == f->f.dev && o->f.ino == f->f.ino &&
		    res_data(o, PIPE_TAG_DATA))
			return o;
	}
	return NULL;
}

static int create_fresh(struct restore_ctx *c, const struct img_file_model *f,
			const struct res_pipe_info *info, struct pipe_group *g)
{
	int p[2];
	char path[64];
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return err_set(c->e, neg_errno(), "file %u (%s): pipe: %m", f->f.id, f->path);
	g->ends[0] = p[0];
	g->ends[1] = p[1];
	if (fcntl(p[0], F_SETPIPE_SZ, info->pipe_size) < 0)
		return err_set(c->e, neg_errno(), "file %u (%s): cannot size the pipe to %u: %m",
			       f->f.id, f->path, info->pipe_size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
	g->keeper = open(path, O_RDWR | O_CLOEXEC);
	if (g->keeper < 0)
		return neg_errno();
	const struct img_file_model *df = data_file(c, f);
	return df ? res_pipe_fill(c, df, p[1]) : 0;
}

static int group_get(struct restore_ctx *c, const struct img_file_model *f, struct pipe_group **ret)
{
	struct pipe_state *s = state(c);
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++)
		if (s->g[i].dev == f->f.dev && s->g[i].ino == f->f.ino) {
			*ret = &s->g[i];
			return 0;
		}
	struct pipe_group *g = array_reserve(s->g, &s->cap, s->n + 1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	s->g = g;
	g = &s->g[s->n++];
	*g = (struct pipe_group){f->f.dev, f->f.ino, -1, {-1, -1}};
	*ret = g;
	struct res_pipe_info info;
	res_pipe_info_get(f, &info);
	g->keeper = res_pipe_reattach(&info, f->f.dev, f->f.ino);
	if (g->keeper >= 0) {
		log_info("file %u (%s): reattached to the pipe a process outside the tree still "
			 "holds",
			 f->f.id, f->path);
		return 0;
	}
	if (info.noutside)
		log_warn("file %u (%s): the processes outside the tree that held this pipe are "
			 "gone; restoring it with only the tree's ends",
			 f->f.id, f->path);
	return create_fresh(c, f, &info, g);
}

static int pipe_open(struct restore_ctx *c, const struct img_file_model *f, int *ret_fd)
{
	struct pipe_group *g;
	char path[64];
	int r = group_get(c, f, &g);
	if (r < 0)
		return r;
	int acc = f->f.flags & O_ACCMODE, fd = -1;
	if (acc != O_RDWR && g->ends[acc == O_WRONLY] >= 0) {
		fd = g->ends[acc == O_WRONLY];
		g->ends[acc == O_WRONLY] = -1;
	} else {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", g->keeper);
		fd = open(path, acc | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			return err_set(c->e, neg_errno(), "file %u (%s): cannot open an end: %m",
				       f->f.id, f->path);
	}
	if ((r = res_pipe_set_flags(c, f, fd)) < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

static void close_group(struct pipe_group *g)
{
	int *fds[] = {&g->keeper, &g->ends[0], &g->ends[1]};
	for (size_t k = 0; k < ARRAY_SIZE(fds); k++)
		if (*fds[k] >= 0) {
			close(*fds[k]);
			*fds[k] = -1;
		}
}

/* Before the tree resumes, ferry lets go of its own ends: a reader must see EOF once the tree's
 * writers are gone. */
static int pipe_finish(struct restore_ctx *c, const struct img_file_model *f, int table_fd)
{
	struct pipe_state *s = c->file_state[FILE_PIPE];
	for (size_t i = 0; s && i < s->n; i++)
		close_group(&s->g[i]);
	return 0;
}

static void pipe_cleanup(struct restore_ctx *c, int failed)
{
	struct pipe_state *s = c->file_state[FILE_PIPE];
	for (size_t i = 0; s && i < s->n; i++)
		close_group(&s->g[i]);
	if (s)
		free(s->g);
	free(s);
	c->file_state[FILE_PIPE] = NULL;
}

const struct res_file_ops res_pipe = {
	.kind = FILE_PIPE,
	.name = "pipe",
	.match = pipe_match,
	.check = res_pipe_check,
	.dump = pipe_dump,
	.validate = pipe_validate,
	.open = pipe_open,
	.finish = pipe_finish,
	.cleanup = pipe_cleanup,
};
