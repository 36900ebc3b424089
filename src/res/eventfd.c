/* SPDX-License-Identifier: MIT */
/* eventfd (FILE_EVENTFD): the counter and the semaphore mode, from fdinfo. Restored with
 * eventfd() and one write of the counter. EVENTFD_TAG_STATE (struct res_eventfd_state) is the
 * only record. The eventfd-id shown in fdinfo is not kept (the kernel assigns it). */
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dump/internal.h"
#include "res/fdinfo.h"
#include "res/res.h"
#include "restore/internal.h"

#define EVENTFD_TAG_STATE 1
#define EVENTFD_MAX	  0xfffffffffffffffeULL
#define EVENTFD_FLAGS_OK  (O_ACCMODE | O_NONBLOCK)

struct res_eventfd_state {
	uint64_t count;
	uint32_t semaphore; /* 0 or 1 */
	uint32_t pad;	    /* 0 */
};

static int eventfd_match(const struct fd_desc *d)
{
	return !strcmp(d->path, "anon_inode:[eventfd]");
}

static int eventfd_check(struct dump_ctx *c, struct dproc *p, struct fd_desc *d)
{
	uint64_t count;
	uint32_t sem;
	if (res_parse_eventfd(d->fdinfo, &count, &sem) < 0)
		return err_set(c->e, -EOPNOTSUPP, "pid %d fd %d (eventfd): unreadable fdinfo",
			       p->pid, d->fd);
	if (d->flags & ~(uint32_t)(EVENTFD_FLAGS_OK | O_CLOEXEC))
		return err_set(c->e, -EOPNOTSUPP, "pid %d fd %d (eventfd): flags 0%o not supported",
			       p->pid, d->fd, d->flags);
	return 0;
}

static int eventfd_dump(struct dump_ctx *c, struct dproc *p, const struct fd_desc *d,
			struct img_file *f)
{
	struct res_eventfd_state s = {0};
	if (res_parse_eventfd(d->fdinfo, &s.count, &s.semaphore) < 0)
		return -EBADMSG;
	return res_write_data(c, f, EVENTFD_TAG_STATE, &s, sizeof(s));
}

static int eventfd_validate(const struct img_model *m, const struct img_file_model *f,
			    struct ferry_err *e)
{
	struct res_eventfd_state s;
	const struct img_data *d = res_data(f, EVENTFD_TAG_STATE);
	if (f->ndata != 1 || !d || d->len != sizeof(s))
		return err_set(e, -EBADMSG,
			       "image: eventfd file %u: needs exactly one state record", f->f.id);
	memcpy(&s, d->data, sizeof(s));
	if (s.count > EVENTFD_MAX || s.semaphore > 1 || s.pad)
		return err_set(e, -EBADMSG, "image: eventfd file %u: invalid state", f->f.id);
	if ((f->f.flags & ~(uint32_t)EVENTFD_FLAGS_OK) || (f->f.flags & O_ACCMODE) != O_RDWR)
		return err_set(e, -EBADMSG, "image: eventfd file %u: flags 0%o invalid", f->f.id,
			       f->f.flags);
	return 0;
}

static int eventfd_open(struct restore_ctx *c, const struct img_file_model *f, int *ret_fd)
{
	struct res_eventfd_state s;
	memcpy(&s, res_data(f, EVENTFD_TAG_STATE)->data, sizeof(s));
	int flags = EFD_CLOEXEC | (s.semaphore ? EFD_SEMAPHORE : 0) |
		    (f->f.flags & O_NONBLOCK ? EFD_NONBLOCK : 0);
	int fd = eventfd(0, flags);
	if (fd < 0)
		return err_set(c->e, neg_errno(), "eventfd file %u: eventfd: %m", f->f.id);
	if (s.count && write(fd, &s.count, sizeof(s.count)) != sizeof(s.count)) {
		int r = err_set(c->e, neg_errno(), "eventfd file %u: cannot set counter %llu: %m",
				f->f.id, (unsigned long long)s.count);
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

const struct res_file_ops res_eventfd = {
	.kind = FILE_EVENTFD,
	.name = "eventfd",
	.match = eventfd_match,
	.check = eventfd_check,
	.dump = eventfd_dump,
	.validate = eventfd_validate,
	.open = eventfd_open,
};
