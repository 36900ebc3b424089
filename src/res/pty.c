/* SPDX-License-Identifier: MIT */
/* Pseudo-terminals (FILE_PTY) other than the shell-job terminal: a pty master (/dev/ptmx or
 * /dev/pts/ptmx) and a pty slave (/dev/pts/N) that is not the terminal ferry runs in. Pty pairs
 * are not restored: the dump refuses them, naming the pid, the fd and the side, and an image
 * holding one is refused as corrupt. The slave that is ferry's own terminal is the shell-job
 * terminal and is handled by the character-device kind (basic.c) with --shell-job. */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dump/internal.h"
#include "res/res.h"

#define PTMX_MAJOR	5
#define PTMX_MINOR	2
#define PTS_MAJOR_FIRST 136 /* UNIX98 pty slaves: majors 136..143 */
#define PTS_MAJOR_LAST	143

static int is_master(dev_t rdev)
{
	return major(rdev) == PTMX_MAJOR && minor(rdev) == PTMX_MINOR;
}

static int is_slave(dev_t rdev)
{
	return major(rdev) >= PTS_MAJOR_FIRST && major(rdev) <= PTS_MAJOR_LAST;
}

/* The terminal on ferry's own stdin, stdout or stderr (the shell-job terminal). */
static int ferrys_terminal(dev_t rdev)
{
	struct stat st;
	for (int fd = 0; fd <= 2; fd++)
		if (isatty(fd) && fstat(fd, &st) == 0 && st.st_rdev == rdev)
			return 1;
	return 0;
}

static int pty_match(const struct fd_desc *d)
{
	if (!S_ISCHR(d->st.st_mode))
		return 0;
	return is_master(d->st.st_rdev) ||
	       (is_slave(d->st.st_rdev) && !ferrys_terminal(d->st.st_rdev));
}

static int pty_check(struct dump_ctx *c, struct dproc *p, struct fd_desc *d)
{
	if (is_master(d->st.st_rdev))
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d fd %d is the master side of a pseudo-terminal (%s): pty "
			       "pairs are not supported (--shell-job covers only the terminal "
			       "ferry runs in)",
			       p->pid, d->fd, d->path);
	return err_set(c->e, -EOPNOTSUPP,
		       "pid %d fd %d is the slave side of a pseudo-terminal (%s) that is not the "
		       "terminal ferry runs in: pty pairs are not supported (--shell-job covers "
		       "only ferry's own terminal)",
		       p->pid, d->fd, d->path);
}

static int pty_validate(const struct img_model *m, const struct img_file_model *f,
			struct ferry_err *e)
{
	return err_set(e, -EBADMSG,
		       "image: file %u is a pseudo-terminal; pty pairs are not "
		       "restored",
		       f->f.id);
}

const struct res_file_ops res_pty = {
	.kind = FILE_PTY,
	.name = "pseudo-terminal",
	.match = pty_match,
	.check = pty_check,
	.validate = pty_validate,
};
