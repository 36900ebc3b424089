/* SPDX-License-Identifier: MIT */
/* memfd as an fd (FILE_MEMFD): name, exact size, seals, offset, flags and content. When some
 * process of the tree also maps the memfd, its pages are already in the image as a shared memory
 * object (REC_SHM, src/dump/mem.c); the fd must stay that same object, so the dump records one
 * mapping of it (pid, address) instead of the content, and each seed opens the restorer's object
 * through /proc (fixup) — then fds of it no longer share one open file description (offsets are
 * kept per fd). An unmapped memfd is re-created in the restorer with its content (holes kept),
 * and several open file descriptions of it stay one object. Seals go on last.
 * MEMFD_TAG_INFO (struct res_memfd_info) on every file; MEMFD_TAG_DATA content chunks
 * (content.h) only on the first file of an unmapped memfd. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "dump/internal.h"
#include "res/content.h"
#include "res/res.h"
#include "restore/internal.h"

#define MEMFD_TAG_INFO	 1
#define MEMFD_TAG_DATA	 2
#define MEMFD_NAME_MAX	 249 /* MFD_NAME_MAX_LEN */
#define MEMFD_SEALS_ALL	 0x3f
#define KERNEL_LARGEFILE 0100000
#define HUGETLBFS_MAGIC	 0x958458f6
#define MEMFD_FLAGS_OK	 (O_ACCMODE | O_APPEND | O_NONBLOCK | KERNEL_LARGEFILE)

struct res_memfd_info {
	uint64_t size;	   /* exact st_size */
	uint32_t seals;	   /* F_GET_SEALS */
	uint32_t map_pid;  /* 0: not mapped; else a process of the tree mapping it ... */
	uint64_t map_addr; /* ... at this address (a VMA_SHM of the image) */
	char name[256];	   /* without "memfd:", NUL-terminated, NUL-padded */
};

/* ---- dump ---- */

static int memfd_match(const struct fd_desc *d)
{
	size_t n = strlen(d->path), s = strlen(" (deleted)");
	return S_ISREG(d->st.st_mode) && !strncmp(d->path, "/memfd:", 7) && n > 7 + s &&
	       !(d->flags & O_PATH) && !strcmp(d->path + n - s, " (deleted)");
}

static int memfd_check(struct dump_ctx *c, struct dproc *p, struct fd_desc *d)
{
	size_t n = strlen(d->path) - 7 - strlen(" (deleted)");
	if (n > MEMFD_NAME_MAX)
		return err_set(c->e, -EOPNOTSUPP, "pid %d fd %d (%s): memfd name too long", p->pid,
			       d->fd, d->path);
	if ((uint64_t)d->st.st_size > RES_CONTENT_MAX)
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d fd %d (%s): memfd of %lld bytes, above the %llu ferry saves",
			       p->pid, d->fd, d->path, (long long)d->st.st_size,
			       (unsigned long long)RES_CONTENT_MAX);
	if (d->flags & ~(uint32_t)(MEMFD_FLAGS_OK | O_CLOEXEC))
		return err_set(c->e, -EOPNOTSUPP, "pid %d fd %d (%s): flags 0%o not supported",
			       p->pid, d->fd, d->path, d->flags);
	char path[64];
	struct statfs fs;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", p->pid, d->fd);
	if (statfs(path, &fs) == 0 && fs.f_type == HUGETLBFS_MAGIC)
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d fd %d (%s): a MFD_HUGETLB memfd is not supported", p->pid,
			       d->fd, d->path);
	return 0;
}

/* A shared mapping of this memfd anywhere in the tree (mem.c saves its pages). */
static void find_mapping(struct dump_ctx *c, const struct fd_desc *d, struct res_memfd_info *mi)
{
	for (size_t i = 0; i < c->nprocs; i++)
		for (size_t k = 0; k < c->procs[i].nvmas; k++) {
			const struct proc_vma *v = &c->procs[i].vmas[k];
			if (c->procs[i].vma_kinds[k] == VMA_SHM && v->ino == d->st.st_ino &&
			    !strncmp(v->path, "/memfd:", 7)) {
				mi->map_pid = c->procs[i].pid;
				mi->map_addr = v->start;
				return;
			}
		}
}

static int memfd_dump(struct dump_ctx *c, struct dproc *p, const struct fd_desc *d,
		      struct img_file *f)
{
	struct res_memfd_info mi = {.size = d->st.st_size};
	char who[IMG_MAX_PATH + 64];
	int first = 1;
	snprintf(who, sizeof(who), "pid %d fd %d (%s)", p->pid, d->fd, d->path);
	size_t n = strlen(d->path) - 7 - strlen(" (deleted)");
	memcpy(mi.name, d->path + 7, n);
	_cleanup_close_ int fd = res_getfd(p->pid, d->fd, c->e);
	if (fd < 0)
		return fd;
	int seals = fcntl(fd, F_GET_SEALS);
	mi.seals = seals > 0 ? seals : 0;
	find_mapping(c, d, &mi);
	int r = res_write_data(c, f, MEMFD_TAG_INFO, &mi, sizeof(mi));
	for (size_t i = 0; i + 1 < c->nfiles; i++)
		first &= !(c->files[i].dev == d->st.st_dev && c->files[i].ino == d->st.st_ino);
	if (r < 0 || mi.map_pid || !first)
		return r;
	return res_content_dump(c, f, MEMFD_TAG_DATA, fd, mi.size, who);
}

/* ---- validate ---- */

static void info_get(const struct img_file_model *f, struct res_memfd_info *mi)
{
	memcpy(mi, res_data(f, MEMFD_TAG_INFO)->data, sizeof(*mi));
}

/* The REC_SHM index of the VMA_SHM at (pid, addr), -1 if none is a memfd. */
static long shm_index(const struct img_model *m, uint32_t pid, uint64_t addr)
{
	const struct img_proc_model *p = img_model_proc((struct img_model *)m, pid);
	for (size_t i = 0; p && i < p->nvmas; i++) {
		const struct img_vma *v = &p->vmas[i].v;
		if (v->start != addr || v->kind != VMA_SHM)
			continue;
		const struct img_shm_model *s = img_model_shm((struct img_model *)m, v->shm_id);
		return s && s->s.kind == SHM_MEMFD ? s - m->shms : -1;
	}
	return -1;
}

static int check_info(const struct img_model *m, const struct img_file_model *f,
		      const struct res_memfd_info *mi, struct ferry_err *e)
{
	size_t nlen = strnlen(mi->name, sizeof(mi->name));
	if (nlen > MEMFD_NAME_MAX)
		return err_set(e, -EBADMSG, "image: memfd file %u: name not terminated", f->f.id);
	for (size_t k = nlen; k < sizeof(mi->name); k++)
		if (mi->name[k])
			return err_set(e, -EBADMSG, "image: memfd file %u: name padding", f->f.id);
	if (mi->size > RES_CONTENT_MAX || (mi->seals & ~MEMFD_SEALS_ALL))
		return err_set(e, -EBADMSG, "image: memfd file %u: size or seals invalid", f->f.id);
	if (mi->map_pid) {
		long idx = shm_index(m, mi->map_pid, mi->map_addr);
		if (idx < 0 || strncmp(m->shms[idx].s.name, mi->name, sizeof(mi->name)) ||
		    mi->size > m->shms[idx].s.size)
			return err_set(e, -EBADMSG,
				       "image: memfd file %u: no matching memfd mapping at pid %u "
				       "address 0x%llx",
				       f->f.id, mi->map_pid, (unsigned long long)mi->map_addr);
	} else if (mi->map_addr)
		return err_set(e, -EBADMSG, "image: memfd file %u: address without pid", f->f.id);
	return 0;
}

static int memfd_validate(const struct img_model *m, const struct img_file_model *f,
			  struct ferry_err *e)
{
	struct res_memfd_info mi;
	const struct img_data *d = res_data(f, MEMFD_TAG_INFO);
	size_t ninfo = 0, ndata = 0;
	for (size_t i = 0; i < f->ndata; i++) {
		ninfo += f->data[i].tag == MEMFD_TAG_INFO;
		ndata += f->data[i].tag == MEMFD_TAG_DATA;
	}
	if (!d || ninfo != 1 || d->len != sizeof(mi) || ninfo + ndata != f->ndata)
		return err_set(e, -EBADMSG, "image: memfd file %u: bad records", f->f.id);
	if ((f->f.flags & ~(uint32_t)MEMFD_FLAGS_OK) || (f->f.flags & O_ACCMODE) == 3)
		return err_set(e, -EBADMSG, "image: memfd file %u: flags 0%o invalid", f->f.id,
			       f->f.flags);
	memcpy(&mi, d->data, sizeof(mi));
	int r = check_info(m, f, &mi, e);
	if (r == 0 && mi.map_pid && ndata)
		return err_set(e, -EBADMSG, "image: memfd file %u: mapped yet has content",
			       f->f.id);
	return r ? r : res_content_validate(f, MEMFD_TAG_DATA, mi.size, e);
}

/* ---- restore ---- */

struct memfd_obj {
	uint64_t ino;
	int fd;		/* O_RDWR, the object; -1 for a mapped memfd */
	uint32_t seals; /* added in finish() */
};

struct memfd_state {
	pid_t restorer;
	size_t n, cap;
	struct memfd_obj *o;
};

static struct memfd_state *state(struct restore_ctx *c)
{
	struct memfd_state *s = c->file_state[FILE_MEMFD];
	if (!s && (s = calloc(1, sizeof(*s))))
		s->restorer = getpid();
	c->file_state[FILE_MEMFD] = s;
	return s;
}

static int create_object(struct restore_ctx *c, const struct img_file_model *f,
			 const struct res_memfd_info *mi, struct memfd_obj *o)
{
	o->fd = memfd_create(mi->name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (o->fd < 0)
		return err_set(c->e, neg_errno(), "memfd file %u (%s): memfd_create: %m", f->f.id,
			       f->path);
	for (size_t i = 0; i < c->m->nfiles; i++) {
		const struct img_file_model *df = &c->m->files[i];
		if (df->f.kind == FILE_MEMFD && df->f.ino == f->f.ino &&
		    res_data(df, MEMFD_TAG_DATA))
			return res_content_fill(c, df, MEMFD_TAG_DATA, o->fd, mi->size);
	}
	return res_content_fill(c, f, MEMFD_TAG_DATA, o->fd, mi->size);
}

static int object_get(struct restore_ctx *c, const struct img_file_model *f,
		      const struct res_memfd_info *mi, struct memfd_obj **ret)
{
	struct memfd_state *s = state(c);
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++)
		if (s->o[i].ino == f->f.ino) {
			*ret = &s->o[i];
			return 0;
		}
	struct memfd_obj *o = array_reserve(s->o, &s->cap, s->n + 1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	s->o = o;
	o = &s->o[s->n++];
	*o = (struct memfd_obj){f->f.ino, -1, mi->seals};
	*ret = o;
	return create_object(c, f, mi, o);
}

/* A new open file description of the object behind /proc/PID/fd/FD, like f. */
static int reopen_like(const struct img_file_model *f, pid_t pid, int objfd)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, objfd);
	int fd = open(path, (f->f.flags & (O_ACCMODE | O_APPEND | O_NONBLOCK)) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (lseek(fd, f->f.pos, SEEK_SET) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static int memfd_open(struct restore_ctx *c, const struct img_file_model *f, int *ret_fd)
{
	struct res_memfd_info mi;
	struct memfd_obj *o;
	info_get(f, &mi);
	if (mi.map_pid) { /* the object exists once shm_create_all() ran: see fixup */
		*ret_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		return *ret_fd < 0 ? neg_errno() : (state(c) ? 0 : -ENOMEM);
	}
	int r = object_get(c, f, &mi, &o);
	if (r < 0)
		return r;
	int fd = reopen_like(f, getpid(), o->fd);
	if (fd < 0)
		return err_set(c->e, fd, "memfd file %u (%s): cannot reopen it: %s", f->f.id,
			       f->path, strerror(-fd));
	*ret_fd = fd;
	return 0;
}

/* In the seed: a mapped memfd's fd becomes a new description of the restorer's shm object. */
static int memfd_fixup(struct restore_ctx *c, const struct img_proc_model *p,
		       const struct img_fd *fd, const struct img_file_model *f, const char **what)
{
	struct res_memfd_info mi;
	struct memfd_state *s = c->file_state[FILE_MEMFD];
	info_get(f, &mi);
	if (!mi.map_pid)
		return 0;
	char self[32], link[16] = "";
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd->fd);
	if (readlink(self, link, sizeof(link) - 1) > 0 && !strncmp(link, "/memfd:", 7))
		return 0; /* done already (an epoll registering it ran this first) */
	*what = "opening a memfd that is also mapped";
	long idx = shm_index(c->m, mi.map_pid, mi.map_addr);
	int objfd = c->shm_fds[idx];
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", s->restorer, objfd);
	_cleanup_close_ int rw = open(path, O_RDWR | O_CLOEXEC);
	if (rw < 0 || ftruncate(rw, mi.size) < 0)
		return neg_errno();
	int nfd = reopen_like(f, s->restorer, objfd);
	if (nfd < 0)
		return nfd;
	int r = dup2(nfd, fd->fd) < 0 || fcntl(fd->fd, F_SETFD, fd->cloexec ? FD_CLOEXEC : 0) < 0
			? neg_errno()
			: 0;
	close(nfd);
	return r;
}

/* Seals last: F_SEAL_WRITE would refuse the content written above. */
static int memfd_finish(struct restore_ctx *c, const struct img_file_model *f, int table_fd)
{
	struct memfd_state *s = c->file_state[FILE_MEMFD];
	for (size_t i = 0; s && i < s->n; i++) {
		struct memfd_obj *o = &s->o[i];
		if (o->fd < 0)
			continue;
		if (o->seals && fcntl(o->fd, F_ADD_SEALS, o->seals) < 0)
			return err_set(c->e, neg_errno(), "memfd %s: cannot seal it (0x%x): %m",
				       f->path, o->seals);
		close(o->fd);
		o->fd = -1;
	}
	return 0;
}

static void memfd_cleanup(struct restore_ctx *c, int failed)
{
	struct memfd_state *s = c->file_state[FILE_MEMFD];
	for (size_t i = 0; s && i < s->n; i++)
		if (s->o[i].fd >= 0)
			close(s->o[i].fd);
	if (s)
		free(s->o);
	free(s);
	c->file_state[FILE_MEMFD] = NULL;
}

const struct res_file_ops res_memfd = {
	.kind = FILE_MEMFD,
	.name = "memfd",
	.match = memfd_match,
	.check = memfd_check,
	.dump = memfd_dump,
	.validate = memfd_validate,
	.open = memfd_open,
	.fixup = memfd_fixup,
	.finish = memfd_finish,
	.cleanup = memfd_cleanup,
};
