/* SPDX-License-Identifier: MIT */
/* POSIX message queues opened by the tree. The dump receives every message through a
 * duplicate of the target's fd (with a timeout in the past, so the shared O_NONBLOCK flag is
 * never touched) and sends each straight back, which rebuilds the queue in the same order with
 * the same priorities; the copy goes into the image. A queue with an mq_notify registration
 * is refused (the registration cannot be read back for another process).
 *
 * On restore a queue that still exists under its name is the same queue (it outlived the tree
 * on this host) and is opened as it is; otherwise it is created with the image's attributes,
 * owner and mode and refilled, and removed again if the restore fails.
 *
 * REC_FILE path = the queue's name ("/name"); one REC_FILE_DATA, tag MQ_TAG_STATE:
 *   struct mq_state, then nmsgs times (struct mq_msg + len bytes). */
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "dump/internal.h"
#include "res/ipc.h"
#include "res/res.h"
#include "restore/internal.h"

#define MQUEUE_MAGIC 0x19800202
#define MQ_NAME_MAX  255

/* Queues created by this restore, unlinked again if it fails. */
struct mq_created {
	size_t n;
	char *names[64];
};

/* ---- dump ---- */

static int mq_match(const struct fd_desc *d)
{
	char path[64];
	struct statfs sf;
	if (!S_ISREG(d->st.st_mode) || d->path[0] != '/')
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", d->pid, d->fd);
	return statfs(path, &sf) == 0 && sf.f_type == MQUEUE_MAGIC;
}

/* Our own read-write descriptor of d's queue, opened by name (the target's fd may be
 * write-only): refused if the name is gone or names another queue now. */
static int open_same_queue(struct dump_ctx *c, const struct fd_desc *d)
{
	struct stat st;
	mqd_t q = mq_open(d->path, O_RDWR | O_CLOEXEC);
	if (q < 0)
		return err_set(c->e, errno == ENOENT ? -EOPNOTSUPP : neg_errno(),
			       "pid %d fd %d: message queue %s: cannot open it by name (%m); "
			       "unlinked queues are not supported",
			       d->pid, d->fd, d->path);
	if (fstat(q, &st) < 0 || st.st_ino != d->st.st_ino || st.st_dev != d->st.st_dev) {
		mq_close(q);
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d fd %d: message queue %s: the name now names another queue",
			       d->pid, d->fd, d->path);
	}
	return q;
}

/* The queue's status line, e.g. "QSIZE:12 NOTIFY:0 SIGNO:0 NOTIFY_PID:0". */
static int mq_check(struct dump_ctx *c, struct dproc *p, struct fd_desc *d)
{
	char text[256];
	int fd = open_same_queue(c, d);
	if (fd < 0)
		return fd;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = 0;
	const char *np = strstr(text, "NOTIFY_PID:");
	if (n <= 0 || !np)
		return err_set(c->e, -EIO, "pid %d fd %d: message queue %s: cannot read its status",
			       p->pid, d->fd, d->path);
	if (atoi(np + 11) != 0)
		return err_set(
			c->e, -EOPNOTSUPP,
			"pid %d fd %d: message queue %s has an mq_notify registration, which "
			"is not supported",
			p->pid, d->fd, d->path);
	return 0;
}

/* Take every message out (highest priority first, FIFO within one), then put them all back in
 * that order, which rebuilds the same queue; append each to buf. */
static int copy_queue(struct dump_ctx *c, int fd, const struct mq_attr *a, uint8_t **buf,
		      size_t *len, uint32_t *nmsgs)
{
	struct timespec past = {0, 0};
	size_t start = *len;
	int r = 0;
	for (long i = 0; i < a->mq_curmsgs; i++) {
		uint8_t *nb = realloc(*buf, *len + sizeof(struct mq_msg) + a->mq_msgsize);
		if (!nb) {
			r = -ENOMEM;
			break;
		}
		*buf = nb;
		unsigned prio;
		ssize_t n = mq_timedreceive(fd, (char *)nb + *len + sizeof(struct mq_msg),
					    a->mq_msgsize, &prio, &past);
		if (n < 0)
			break; /* fewer than mq_curmsgs: someone outside the tree took one */
		struct mq_msg h = {prio, (uint32_t)n};
		memcpy(nb + *len, &h, sizeof(h));
		*len += sizeof(h) + n;
		(*nmsgs)++;
	}
	for (size_t off = start; off < *len;) {
		struct mq_msg h;
		memcpy(&h, *buf + off, sizeof(h));
		if (mq_timedsend(fd, (const char *)*buf + off + sizeof(h), h.len, h.prio, &past) <
		    0)
			return err_set(
				c->e, neg_errno(),
				"message queue: cannot put a message back: %m (the queue lost "
				"it)");
		off += sizeof(h) + h.len;
	}
	return r;
}

static int mq_dump(struct dump_ctx *c, struct dproc *p, const struct fd_desc *d, struct img_file *f)
{
	struct mq_attr a;
	struct mq_state st = {
		.mode = d->st.st_mode & 07777, .uid = d->st.st_uid, .gid = d->st.st_gid};
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len = sizeof(st);
	int fd = open_same_queue(c, d);
	if (fd < 0)
		return fd;
	int r = mq_getattr(fd, &a) < 0 ? err_set(c->e, neg_errno(), "message queue %s: %m", d->path)
				       : 0;
	if (r == 0 && (a.mq_curmsgs > MQ_MAX_MSGS || a.mq_msgsize > MQ_MAX_SIZE))
		r = err_set(c->e, -E2BIG,
			    "message queue %s: %ld messages of up to %ld bytes is too big", d->path,
			    a.mq_curmsgs, a.mq_msgsize);
	if (r == 0 && !(buf = calloc(1, len)))
		r = -ENOMEM;
	if (r == 0)
		r = copy_queue(c, fd, &a, &buf, &len, &st.nmsgs);
	close(fd);
	if (r < 0)
		return r;
	st.maxmsg = a.mq_maxmsg;
	st.msgsize = a.mq_msgsize;
	memcpy(buf, &st, sizeof(st));
	return res_write_data(c, f, MQ_TAG_STATE, buf, len);
}

/* ---- restore ---- */

static int mq_validate(const struct img_model *m, const struct img_file_model *f,
		       struct ferry_err *e)
{
	const struct img_data *d = res_data(f, MQ_TAG_STATE);
	struct mq_state st;
	size_t nl = strlen(f->path);
	if (nl < 2 || nl > MQ_NAME_MAX || f->path[0] != '/' || strchr(f->path + 1, '/'))
		return err_set(e, -EBADMSG, "image: file %u: message queue name invalid", f->f.id);
	if (!d || f->ndata != 1 || d->len < sizeof(st))
		return err_set(e, -EBADMSG, "image: message queue %s: state missing", f->path);
	memcpy(&st, d->data, sizeof(st));
	if (st.maxmsg <= 0 || st.maxmsg > MQ_MAX_MSGS || st.msgsize <= 0 ||
	    st.msgsize > MQ_MAX_SIZE || st.nmsgs > (uint64_t)st.maxmsg || st.mode > 07777)
		return err_set(e, -EBADMSG, "image: message queue %s: attributes invalid", f->path);
	uint64_t off = sizeof(st);
	for (uint32_t i = 0; i < st.nmsgs; i++) {
		struct mq_msg h;
		if (d->len - off < sizeof(h))
			return err_set(e, -EBADMSG, "image: message queue %s: truncated", f->path);
		memcpy(&h, d->data + off, sizeof(h));
		off += sizeof(h);
		if (h.len > st.msgsize || d->len - off < h.len)
			return err_set(e, -EBADMSG, "image: message queue %s: message %u invalid",
				       f->path, i);
		off += h.len;
	}
	return off == d->len
		       ? 0
		       : err_set(e, -EBADMSG, "image: message queue %s: trailing bytes", f->path);
}

static int remember(struct restore_ctx *c, const char *name)
{
	struct mq_created *s = c->file_state[FILE_MQUEUE];
	if (!s && !(s = c->file_state[FILE_MQUEUE] = calloc(1, sizeof(*s))))
		return -ENOMEM;
	if (s->n == sizeof(s->names) / sizeof(s->names[0]))
		return -E2BIG;
	return (s->names[s->n++] = strdup(name)) ? 0 : -ENOMEM;
}

static int create_queue(struct restore_ctx *c, const struct img_file_model *f, int flags)
{
	const struct img_data *d = res_data(f, MQ_TAG_STATE);
	struct mq_state st;
	memcpy(&st, d->data, sizeof(st));
	struct mq_attr a = {.mq_maxmsg = st.maxmsg, .mq_msgsize = st.msgsize};
	mqd_t q = mq_open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.mode, &a);
	if (q < 0)
		return err_set(c->e, neg_errno(), "message queue %s: cannot create it: %m",
			       f->path);
	int r = remember(c, f->path);
	if (r == 0 && fchown(q, st.uid, st.gid) < 0)
		r = err_set(c->e, neg_errno(), "message queue %s: cannot set its owner: %m",
			    f->path);
	uint64_t off = sizeof(st);
	for (uint32_t i = 0; r == 0 && i < st.nmsgs; i++) {
		struct mq_msg h;
		memcpy(&h, d->data + off, sizeof(h));
		if (mq_send(q, (const char *)d->data + off + sizeof(h), h.len, h.prio) < 0)
			r = err_set(c->e, neg_errno(), "message queue %s: refilling message %u: %m",
				    f->path, i);
		off += sizeof(h) + h.len;
	}
	mq_close(q);
	return r;
}

static int mq_restore_open(struct restore_ctx *c, const struct img_file_model *f, int *ret_fd)
{
	int flags = (f->f.flags & (O_ACCMODE | O_NONBLOCK)) | O_CLOEXEC;
	mqd_t q = mq_open(f->path, flags);
	if (q < 0 && errno == ENOENT) {
		int r = create_queue(c, f, flags);
		if (r < 0)
			return r;
		q = mq_open(f->path, flags);
	}
	if (q < 0)
		return err_set(c->e, neg_errno(), "message queue %s: cannot open it: %m", f->path);
	*ret_fd = q;
	return 0;
}

static void mq_cleanup(struct restore_ctx *c, int failed)
{
	struct mq_created *s = c->file_state[FILE_MQUEUE];
	for (size_t i = 0; s && i < s->n; i++) {
		if (failed)
			mq_unlink(s->names[i]);
		free(s->names[i]);
	}
	free(s);
	c->file_state[FILE_MQUEUE] = NULL;
}

const struct res_file_ops res_mqueue = {
	.kind = FILE_MQUEUE,
	.name = "POSIX message queue",
	.match = mq_match,
	.check = mq_check,
	.dump = mq_dump,
	.validate = mq_validate,
	.open = mq_restore_open,
	.cleanup = mq_cleanup,
};
