/* SPDX-License-Identifier: MIT */
/* The basic kinds: regular files and directories (reopened by path, checked to be the same
 * inode, offset restored) and the harmless character devices (null, zero, full, random,
 * urandom) plus, with --shell-job, the dumping terminal (restored as ferry's /dev/tty). File
 * locks on regular files and directories are saved and taken again by locks.c. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dump/internal.h"
#include "res/locks.h"
#include "res/res.h"
#include "restore/internal.h"

/* ---- dump ---- */

static int path_is_file(const struct fd_desc *d)
{
	return d->path[0] == '/' && !strstr(d->path, " (deleted)");
}

static int reg_match(const struct fd_desc *d)
{
	return S_ISREG(d->st.st_mode) && path_is_file(d);
}

static int dir_match(const struct fd_desc *d)
{
	return S_ISDIR(d->st.st_mode) && path_is_file(d);
}

static int harmless_chr(dev_t rdev)
{
	unsigned mi = minor(rdev);
	return major(rdev) == 1 && (mi == 3 || mi == 5 || mi == 7 || mi == 8 || mi == 9);
}

static int is_terminal(dev_t rdev)
{
	unsigned ma = major(rdev);
	return ma == 136 || ma == 4 || (ma == 5 && minor(rdev) <= 1);
}

static int chr_match(const struct fd_desc *d)
{
	return S_ISCHR(d->st.st_mode) && d->path[0] == '/' &&
	       (harmless_chr(d->st.st_rdev) || is_terminal(d->st.st_rdev));
}

/* The path must still name the open file, or the restore would open another one. */
static int path_check(struct dump_ctx *c, struct dproc *p, struct fd_desc *d)
{
	struct stat now;
	if (stat(d->path, &now) < 0 || now.st_ino != d->st.st_ino || now.st_dev != d->st.st_dev)
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d fd %d: the path %s no longer names the open file", p->pid,
			       d->fd, d->path);
	return 0;
}

static int chr_check(struct dump_ctx *c, struct dproc *p, struct fd_desc *d)
{
	if (!is_terminal(d->st.st_rdev))
		return 0;
	if (!c->o->shell_job)
		return err_set(c->e, -EOPNOTSUPP,
			       "pid %d fd %d is a terminal (%s): use --shell-job to dump a tree "
			       "attached to the terminal ferry runs in",
			       p->pid, d->fd, d->path);
	d->is_tty = 1;
	return 0;
}

/* ---- restore ---- */

static int reopen(struct restore_ctx *c, const struct img_file_model *f, int *ret_fd)
{
	int flags = f->f.flags & ~(O_CREAT | O_TRUNC | O_EXCL | O_NOCTTY | O_CLOEXEC);
	const char *path = f->f.is_tty ? "/dev/tty" : f->path;
	struct stat st;

	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return err_set(c->e, neg_errno(), "file %s: cannot open: %m", path);
	if (fstat(fd, &st) < 0) {
		close(fd);
		return neg_errno();
	}
	if ((f->f.kind == FILE_REG || f->f.kind == FILE_DIR) &&
	    (st.st_ino != f->f.ino || st.st_dev != f->f.dev)) {
		close(fd);
		return err_set(c->e, -ESTALE, "file %s is not the file that was open at the dump",
			       path);
	}
	if (f->f.kind == FILE_REG && !(f->f.flags & O_PATH) && lseek(fd, f->f.pos, SEEK_SET) < 0) {
		close(fd);
		return err_set(c->e, neg_errno(), "file %s: cannot seek to %llu: %m", path,
			       (unsigned long long)f->f.pos);
	}
	int r = res_locks_apply_desc(c, f, fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

const struct res_file_ops res_reg = {
	.kind = FILE_REG,
	.name = "regular file",
	.match = reg_match,
	.check = path_check,
	.open = reopen,
	/* file locks (locks.c) */
	.dump = res_locks_dump,
	.validate = res_locks_validate,
	.fixup = res_locks_fixup,
};

const struct res_file_ops res_dir = {
	.kind = FILE_DIR,
	.name = "directory",
	.match = dir_match,
	.check = path_check,
	.open = reopen,
	/* file locks (locks.c) */
	.dump = res_locks_dump,
	.validate = res_locks_validate,
	.fixup = res_locks_fixup,
};

const struct res_file_ops res_chr = {
	.kind = FILE_CHR,
	.name = "character device",
	.match = chr_match,
	.check = chr_check,
	.open = reopen,
};
