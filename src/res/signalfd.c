/* SPDX-License-Identifier: MIT */
/* signalfd (FILE_SIGNALFD): the signal mask from fdinfo ("sigmask:", bit N-1 = signal N) and
 * O_NONBLOCK. Restored with signalfd(-1, mask). SIGNALFD_TAG_MASK (uint64 mask) is the only
 * record. Pending signals belong to the process, not to the signalfd: task.c restores them. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "dump/internal.h"
#include "res/fdinfo.h"
#include "res/res.h"
#include "restore/internal.h"

#define SIGNALFD_TAG_MASK 1
#define SIGNALFD_FLAGS_OK (O_ACCMODE | O_NONBLOCK)
/* SIGKILL and SIGSTOP can never be in a signalfd mask. */
#define SIGNALFD_NEVER ((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)))

static int signalfd_match(const struct fd_desc *d)
{
	return !strcmp(d->path, "anon_inode:[signalfd]");
}

static int signalfd_check(struct dump_ctx *c, struct dproc *p, struct fd_desc *d)
{
	uint64_t mask;
	if (res_parse_signalfd(d->fdinfo, &mask) < 0)
		return err_set(c->e, -EOPNOTSUPP, "pid %d fd %d (signalfd): unreadable fdinfo",
			       p->pid, d->fd);
	if (d->flags & ~(uint32_t)(SIGNALFD_FLAGS_OK | O_CLOEXEC))
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d fd %d (signalfd): flags 0%o not supported", p->pid, d->fd,
			       d->flags);
	return 0;
}

static int signalfd_dump(struct dump_ctx *c, struct dproc *p, const struct fd_desc *d,
			 struct img_file *f)
{
	uint64_t mask;
	if (res_parse_signalfd(d->fdinfo, &mask) < 0)
		return -EBADMSG;
	return res_write_data(c, f, SIGNALFD_TAG_MASK, &mask, sizeof(mask));
}

static int signalfd_validate(const struct img_model *m, const struct img_file_model *f,
			     struct ferry_err *e)
{
	uint64_t mask;
	const struct img_data *d = res_data(f, SIGNALFD_TAG_MASK);
	if (f->ndata != 1 || !d || d->len != sizeof(mask))
		return err_set(e, -EBADMSG,
			       "image: signalfd file %u: needs exactly one mask record", f->f.id);
	memcpy(&mask, d->data, sizeof(mask));
	if (mask & SIGNALFD_NEVER)
		return err_set(e, -EBADMSG, "image: signalfd file %u: mask has SIGKILL or SIGSTOP",
			       f->f.id);
	if ((f->f.flags & ~(uint32_t)SIGNALFD_FLAGS_OK) || (f->f.flags & O_ACCMODE) != O_RDWR)
		return err_set(e, -EBADMSG, "image: signalfd file %u: flags 0%o invalid", f->f.id,
			       f->f.flags);
	return 0;
}

static int signalfd_open(struct restore_ctx *c, const struct img_file_model *f, int *ret_fd)
{
	uint64_t mask;
	sigset_t set;
	memcpy(&mask, res_data(f, SIGNALFD_TAG_MASK)->data, sizeof(mask));
	/* Word 0 of the kernel's sigset directly: glibc's sigaddset() refuses its own signals
	 * 32 and 33, which a program may still have in a signalfd mask. */
	sigemptyset(&set);
	memcpy(&set, &mask, sizeof(mask));
	int fd = signalfd(-1, &set, SFD_CLOEXEC | (f->f.flags & O_NONBLOCK ? SFD_NONBLOCK : 0));
	if (fd < 0)
		return err_set(c->e, neg_errno(), "signalfd file %u: signalfd: %m", f->f.id);
	*ret_fd = fd;
	return 0;
}

const struct res_file_ops res_signalfd = {
	.kind = FILE_SIGNALFD,
	.name = "signalfd",
	.match = signalfd_match,
	.check = signalfd_check,
	.dump = signalfd_dump,
	.validate = signalfd_validate,
	.open = signalfd_open,
};
