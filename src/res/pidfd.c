/* SPDX-License-Identifier: MIT */
/* pidfd (FILE_PIDFD): a pidfd that points into the dumped tree (fdinfo "Pid:") is reopened with
 * pidfd_open() on the restored pid; one that points outside the tree, or at a reaped process, is
 * refused naming the pid. The pids of the tree exist only once every seed runs, so open() puts a
 * placeholder in the file table and each seed replaces it (fixup) with its own pidfd_open(): a
 * pidfd shared by several fds or processes becomes one open file description per fd (its flags
 * are the only state, and they are kept). PIDFD_TAG_PID (uint32 pid) is the only record. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dump/internal.h"
#include "res/fdinfo.h"
#include "res/res.h"
#include "restore/internal.h"

#define PIDFD_TAG_PID	 1
#define PIDFD_THREAD_FL	 O_EXCL
#define PIDFD_FLAGS_OK	 (O_ACCMODE | O_NONBLOCK | PIDFD_THREAD_FL)
#define PIDFD_WAIT_TRIES 500 /* x 10 ms for the target's seed to exist */

static int pidfd_match(const struct fd_desc *d)
{
	return !strcmp(d->path, "anon_inode:[pidfd]") || !strncmp(d->path, "pidfd:", 6);
}

static int pidfd_check(struct dump_ctx *c, struct dproc *p, struct fd_desc *d)
{
	int32_t pid;
	if (res_parse_pidfd(d->fdinfo, &pid) < 0)
		return err_set(c->e, -EOPNOTSUPP, "pid %d fd %d (pidfd): unreadable fdinfo", p->pid,
			       d->fd);
	if (pid < 0)
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d fd %d is a pidfd of a process that exited and was reaped",
			       p->pid, d->fd);
	if (!dump_in_tree(c, pid))
		return err_set(
			c->e, -EOPNOTSUPP,
			"pid %d fd %d is a pidfd of pid %d, which is outside the dumped tree%s",
			p->pid, d->fd, pid,
			d->flags & PIDFD_THREAD_FL ? " (or a thread, not a process)" : "");
	if (d->flags & ~(uint32_t)(PIDFD_FLAGS_OK | O_CLOEXEC))
		return err_set(c->e, -EOPNOTSUPP, "pid %d fd %d (pidfd): flags 0%o not supported",
			       p->pid, d->fd, d->flags);
	return 0;
}

static int pidfd_dump(struct dump_ctx *c, struct dproc *p, const struct fd_desc *d,
		      struct img_file *f)
{
	int32_t pid;
	if (res_parse_pidfd(d->fdinfo, &pid) < 0)
		return -EBADMSG;
	uint32_t v = pid;
	return res_write_data(c, f, PIDFD_TAG_PID, &v, sizeof(v));
}

static int pidfd_validate(const struct img_model *m, const struct img_file_model *f,
			  struct ferry_err *e)
{
	uint32_t pid;
	const struct img_data *d = res_data(f, PIDFD_TAG_PID);
	if (f->ndata != 1 || !d || d->len != sizeof(pid))
		return err_set(e, -EBADMSG, "image: pidfd file %u: needs exactly one pid record",
			       f->f.id);
	memcpy(&pid, d->data, sizeof(pid));
	if (!img_model_proc((struct img_model *)m, pid))
		return err_set(e, -EBADMSG, "image: pidfd file %u: pid %u is not in the image",
			       f->f.id, pid);
	if ((f->f.flags & ~(uint32_t)PIDFD_FLAGS_OK) || (f->f.flags & O_ACCMODE) != O_RDWR)
		return err_set(e, -EBADMSG, "image: pidfd file %u: flags 0%o invalid", f->f.id,
			       f->f.flags);
	return 0;
}

static int pidfd_open_placeholder(struct restore_ctx *c, const struct img_file_model *f,
				  int *ret_fd)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(c->e, neg_errno(), "pidfd file %u: placeholder: %m", f->f.id);
	*ret_fd = fd;
	return 0;
}

/* In the seed: the target's seed may not exist yet (a sibling still being forked). */
static int pidfd_fixup(struct restore_ctx *c, const struct img_proc_model *p,
		       const struct img_fd *fd, const struct img_file_model *f, const char **what)
{
	uint32_t pid;
	struct timespec ten_ms = {0, 10000000};
	int pfd = -1;
	char path[32], link[32] = "";
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd->fd);
	if (readlink(path, link, sizeof(link) - 1) > 0 &&
	    (!strncmp(link, "anon_inode:[pidfd]", 18) || !strncmp(link, "pidfd:", 6)))
		return 0; /* done already (an epoll registering it ran this first) */
	memcpy(&pid, res_data(f, PIDFD_TAG_PID)->data, sizeof(pid));
	*what = "reopening a pidfd of a process of the tree";
	for (int i = 0; i < PIDFD_WAIT_TRIES && pfd < 0; i++) {
		pfd = syscall(SYS_pidfd_open, pid, f->f.flags & (O_NONBLOCK | PIDFD_THREAD_FL));
		if (pfd < 0 && errno != ESRCH)
			return neg_errno();
		if (pfd < 0)
			nanosleep(&ten_ms, NULL);
	}
	if (pfd < 0)
		return neg_errno();
	int r = dup2(pfd, fd->fd) < 0 || fcntl(fd->fd, F_SETFD, fd->cloexec ? FD_CLOEXEC : 0) < 0
			? neg_errno()
			: 0;
	close(pfd);
	return r;
}

const struct res_file_ops res_pidfd = {
	.kind = FILE_PIDFD,
	.name = "pidfd",
	.match = pidfd_match,
	.check = pidfd_check,
	.dump = pidfd_dump,
	.validate = pidfd_validate,
	.open = pidfd_open_placeholder,
	.fixup = pidfd_fixup,
};
