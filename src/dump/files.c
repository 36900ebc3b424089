/* SPDX-License-Identifier: MIT */
/* Open files: every fd is described (path, stat, fdinfo) and handed to the resource kind that
 * matches it (src/res/); a kind may refuse it. One open file description used by several fds
 * or processes becomes one REC_FILE (found with kcmp), so its offset stays shared, followed by
 * the kind's own REC_FILE_DATA records. An fd no kind matches is refused with the pid, fd and
 * kind named. */
#include <fcntl.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "dump/internal.h"
#include "res/fdinfo.h"
#include "res/locks.h"
#include "res/res.h"

static const char *mode_name(mode_t m)
{
	return S_ISCHR(m)    ? "character device"
	       : S_ISBLK(m)  ? "block device"
	       : S_ISFIFO(m) ? "fifo"
	       : S_ISSOCK(m) ? "socket"
	       : S_ISREG(m)  ? "file"
	       : S_ISDIR(m)  ? "directory"
			     : "special file";
}

/* A socket's protocol ("TCP", "UDPv6", "UNIX", "NETLINK"...), which the socket kinds match on. */
static void note_sock_proto(struct fd_desc *d, const char *fd_path)
{
	if (!S_ISSOCK(d->st.st_mode))
		return;
	ssize_t n =
		getxattr(fd_path, "system.sockprotoname", d->sock_proto, sizeof(d->sock_proto) - 1);
	d->sock_proto[n > 0 ? n : 0] = 0;
}

static int read_fd_facts(struct dump_ctx *c, pid_t pid, int fd, struct fd_desc *d)
{
	char path[96], target[IMG_MAX_PATH];
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n < 0 || stat(path, &d->st) < 0)
		return err_set(c->e, neg_errno(), "pid %d fd %d: cannot inspect: %m", pid, fd);
	target[n] = 0;
	/* any length: an epoll or inotify fd lists one line per registration */
	int r = res_fdinfo_read(pid, fd, &d->fdinfo) < 0 ? -EIO : 0;
	if (r == 0)
		r = proc_fdinfo_parse(d->fdinfo, &d->pos, &d->flags);
	if (r < 0)
		return err_set(c->e, r, "pid %d fd %d: cannot read fdinfo", pid, fd);
	note_sock_proto(d, path);
	d->path = strdup(target);
	return d->path ? 0 : -ENOMEM;
}

/* Describe one fd and let its kind refuse what it cannot handle. */
static int describe_fd(struct dump_ctx *c, struct dproc *p, int fd, struct fd_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->pid = p->pid;
	d->fd = fd;
	int r = read_fd_facts(c, p->pid, fd, d);
	if (r < 0)
		return r;
	d->ops = res_file_match(d);
	if (!d->ops) {
		if (strstr(d->path, " (deleted)"))
			return err_set(c->e, -EOPNOTSUPP,
				       "pid %d fd %d: %s: open files that were deleted are not "
				       "supported yet",
				       p->pid, fd, d->path);
		if (d->sock_proto[0])
			return err_set(c->e, -EOPNOTSUPP,
				       "pid %d fd %d: %s (%s socket) is not supported", p->pid, fd,
				       d->path, d->sock_proto);
		return err_set(c->e, -EOPNOTSUPP, "pid %d fd %d: %s (%s) is not supported yet",
			       p->pid, fd, d->path, mode_name(d->st.st_mode));
	}
	d->kind = d->ops->kind;
	if ((r = res_locks_check(c, p, d)) < 0) /* file locks: src/res/locks.c */
		return r;
	return d->ops->check ? d->ops->check(c, p, d) : 0;
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
		r = describe_fd(c, p, fds[i], &p->fds[i]);
		p->nfds = i + 1; /* so files_free() releases a half-described entry too */
	}
	return r;
}

void files_free(struct dproc *p)
{
	for (size_t i = 0; i < p->nfds; i++) {
		free(p->fds[i].path);
		free(p->fds[i].fdinfo);
		free(p->fds[i].priv);
	}
	free(p->fds);
	p->fds = NULL;
	p->nfds = 0;
}

/* The REC_FILE id of d's open file description, writing the record on first sight. */
static int file_id(struct dump_ctx *c, struct dproc *p, const struct fd_desc *d, uint32_t *ret)
{
	for (size_t i = 0; i < c->nfiles; i++) {
		struct dfile *f = &c->files[i];
		if (f->dev == d->st.st_dev && f->ino == d->st.st_ino &&
		    syscall(SYS_kcmp, f->pid, p->pid, KCMP_FILE, f->fd, d->fd) == 0) {
			*ret = f->id;
			return 0;
		}
	}
	struct dfile *nf = array_reserve(c->files, &c->files_cap, c->nfiles + 1, sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	c->files = nf;
	nf[c->nfiles] = (struct dfile){c->nfiles + 1, p->pid, d->fd, d->st.st_dev, d->st.st_ino};
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
	int r = img_writer_add(c->w, REC_FILE, &f, sizeof(f), d->path, f.path_len);
	if (r == 0 && d->ops->dump)
		r = d->ops->dump(c, p, d, &f);
	return r;
}

int dump_files(struct dump_ctx *c, struct dproc *p)
{
	int r = 0;
	for (size_t i = 0; r == 0 && i < p->nfds; i++) {
		const struct fd_desc *d = &p->fds[i];
		struct img_fd f = {.pid = p->pid, .fd = d->fd, .cloexec = !!(d->flags & O_CLOEXEC)};
		r = file_id(c, p, d, &f.file_id);
		if (r == 0)
			r = img_writer_add(c->w, REC_FD, &f, sizeof(f), NULL, 0);
		c->st->nfds++;
	}
	return r;
}
