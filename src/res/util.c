/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the resource kinds: duplicating a target's fd into ferry, and
 * reading/writing the kind-specific REC_FILE_DATA records. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dump/internal.h"
#include "res/res.h"

int res_getfd(pid_t pid, int fd, struct ferry_err *e)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return err_set(e, neg_errno(), "pid %d: pidfd_open: %m", pid);
	int r = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	int err = neg_errno();
	close(pidfd);
	if (r < 0)
		return err_set(e, err, "pid %d fd %d: cannot duplicate it into ferry: %s", pid, fd,
			       strerror(-err));
	return r;
}

int res_write_data(struct dump_ctx *c, const struct img_file *f, uint32_t tag, const void *data,
		   size_t len)
{
	struct img_file_data d = {.file_id = f->id, .tag = tag};
	return img_writer_add(c->w, REC_FILE_DATA, &d, sizeof(d), data, len);
}

const struct img_data *res_data(const struct img_file_model *f, uint32_t tag)
{
	for (size_t i = 0; i < f->ndata; i++)
		if (f->data[i].tag == tag)
			return &f->data[i];
	return NULL;
}
