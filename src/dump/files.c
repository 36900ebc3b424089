/* SPDX-License-Identifier: MIT */
/* Open files of the basic kinds: regular files, directories, the harmless character devices,
 * and (with --shell-job) the dumping terminal. One open file description used by several fds
 * or processes becomes one REC_FILE (found with kcmp), so its offset stays shared. Every other
 * kind is refused with the pid, fd and kind named. */
#include <fcntl.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "dump/internal.h"

static int harmless_chr(dev_t rdev)
{
	/* null, zero, full, random, urandom */
	unsigned mi = minor(rdev);
	return major(rdev) == 1 && (mi == 3 || mi == 5 || mi == 7 || mi == 8 || mi == 9);
}

static int is_terminal(dev_t rdev)
{
	unsigned ma = major(rdev);
	return ma == 136 || ma == 4 || (ma == 5 && minor(rdev) <= 1);
}

static int describe_fd(struct dump_ctx *c, pid_t pid, int fd, struct fd_desc *d)
{
	char path[96], info[4096], target[IMG_MAX_PATH];
	memset(d, 0, sizeof(*d));
	d->fd = fd;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n < 0 || stat(path, &d->st) < 0)
		return err_set(c->e, neg_errno(), "pid %d fd %d: cannot inspect: %m", pid, fd);
	target[n] = 0;
	d->path = strdup(target);
	if (!d->path)
		return -ENOMEM;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	int r = proc_read_text(path, info, sizeof(info)) < 0 ? -EIO : 0;
	if (r == 0)
		r = proc_fdinfo_parse(info, &d->pos, &d->flags);
	if (r < 0)
		return err_set(c->e, r, "pid %d fd %d: cannot read fdinfo", pid, fd);
	if (d->path[0] != '/')
		return err_set(c->e, -EOPNOTSUPP, "pid %d fd %d: %s is not supported yet", pid, fd,
			       d->path);
	if (strstr(d->path, " (deleted)"))
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d fd %d: %s: open files that were deleted are not supported yet",
			       pid, fd, d->path);
	if (S_ISREG(d->st.st_mode))
		d->kind = FILE_REG;
	else if (S_ISDIR(d->st.st_mode))
		d->kind = FILE_DIR;
	else if (S_ISCHR(d->st.st_mode) && harmless_chr(d->st.st_rdev))
		d->kind = FILE_CHR;
	else if (S_ISCHR(d->st.st_mode) && is_terminal(d->st.st_rdev)) {
		if (!c->o->shell_job)
			return err_set(c->e, -EOPNOTSUPP,
				       "pid %d fd %d is a terminal (%s): use --shell-job to dump a "
				       "tree attached to the terminal ferry runs in",
				       pid, fd, d->path);
		d->kind = FILE_CHR;
		d->is_tty = 1;
	} else
		return err_set(c->e, -EOPNOTSUPP, "pid %d fd %d: %s (%s) is not supported yet", pid,
			       fd, d->path,
			       S_ISCHR(d->st.st_mode)	? "character device"
			       : S_ISBLK(d->st.st_mode) ? "block device"
			       : S_ISFIFO(d->st.st_mode) ? "fifo"
							 : "special file");
	if (d->kind == FILE_REG || d->kind == FILE_DIR) {
		struct stat now;
		if (stat(d->path, &now) < 0 || now.st_ino != d->st.st_ino ||
		    now.st_dev != d->st.st_dev)
			return err_set(c->e, -EOPNOTSUPP,
				       "pid %d fd %d: the path %s no longer names the open file", pid,
				       fd, d->path);
	}
	return 0;
}

static int list_fds(struct dump_ctx *c, pid_t pid, int **ret, size_t *ret_n)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	int r = proc_list_dir_ints(path, ret, ret_n);
	if (r < 0)
		return err_set(c->e, r, "pid %d: cannot list fds: %s", pid, strerror(-r));
	if (*ret_n > IMG_MAX_FDS)
		return err_set(c->e, -E2BIG, "pid %d has more than %d fds", pid, IMG_MAX_FDS);
	return 0;
}

/* Describe every fd of p into p->fds, refusing unsupported kinds before anything is touched. */
int files_check(struct dump_ctx *c, struct dproc *p)
{
	_cleanup_free_ int *fds = NULL;
	size_t n;
	if (p->zombie)
		return 0;
	int r = list_fds(c, p->pid, &fds, &n);
	if (r < 0)
		return r;
	p->fds = calloc(n ? n : 1, sizeof(*p->fds));
	if (!p->fds)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = describe_fd(c, p->pid, fds[i], &p->fds[i]);
		p->nfds = i + 1; /* so files_free() releases a half-described entry too */
	}
	return r;
}

void files_free(struct dproc *p)
{
	for (size_t i = 0; i < p->nfds; i++)
		free(p->fds[i].path);
	free(p->fds);
	p->fds = NULL;
	p->nfds = 0;
}

/* The REC_FILE id of d's open file description, writing the record on first sight. */
static int file_id(struct dump_ctx *c, pid_t pid, const struct fd_desc *d, uint32_t *ret)
{
	for (size_t i = 0; i < c->nfiles; i++) {
		struct dfile *f = &c->files[i];
		if (f->dev == d->st.st_dev && f->ino == d->st.st_ino &&
		    syscall(SYS_kcmp, f->pid, pid, KCMP_FILE, f->fd, d->fd) == 0) {
			*ret = f->id;
			return 0;
		}
	}
	struct dfile *nf = array_reserve(c->files, &c->files_cap, c->nfiles + 1, sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	c->files = nf;
	nf[c->nfiles] = (struct dfile){c->nfiles + 1, pid, d->fd, d->st.st_dev, d->st.st_ino};
	*ret = nf[c->nfiles].id;
	c->nfiles++;

	struct img_file f = {.id = *ret, .kind = d->kind, .pos = d->pos};
	f.flags = d->flags & ~O_CLOEXEC;
	f.dev = d->st.st_dev;
	f.ino = d->st.st_ino;
	f.size = d->st.st_size;
	f.rdev = d->st.st_rdev;
	f.is_tty = d->is_tty;
	f.path_len = strlen(d->path);
	return img_writer_add(c->w, REC_FILE, &f, sizeof(f), d->path, f.path_len);
}

int dump_files(struct dump_ctx *c, struct dproc *p)
{
	int r = 0;
	for (size_t i = 0; r == 0 && i < p->nfds; i++) {
		const struct fd_desc *d = &p->fds[i];
		struct img_fd f = {.pid = p->pid, .fd = d->fd, .cloexec = !!(d->flags & O_CLOEXEC)};
		r = file_id(c, p->pid, d, &f.file_id);
		if (r == 0)
			r = img_writer_add(c->w, REC_FD, &f, sizeof(f), NULL, 0);
		c->st->nfds++;
	}
	return r;
}
