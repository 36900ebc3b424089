/* SPDX-License-Identifier: MIT */
/* Resource kinds: one file of src/res/ per kind of open file (pipe, eventfd, socket...) or of
 * tree-wide resource (SysV IPC, seccomp...), holding both directions, dump and restore, and
 * registered in registry.c. The dump and restore cores only walk these tables, so adding a
 * kind never touches them.
 *
 * Order of calls, dump side: for every fd of every process, match() picks the kind, then
 * check() refuses what the kind cannot handle (before anything in the tree is touched). Once
 * per open file description, dump() writes the kind's REC_FILE_DATA records right after the
 * REC_FILE. Tree kinds: check() before any fd is looked at, dump() after every process.
 *
 * Restore side: validate() for every file and tree record before anything is created; open()
 * in the restorer before the seeds fork (the result lands in the shared file table); in each
 * seed, after all its fds are installed, fixup() for each of its fds; per process, tree kinds'
 * proc() before its final state and last() just before its registers; after every process is
 * rebuilt and before any is resumed, finish(); cleanup() always, last, with `failed` set when
 * the restore is being rolled back (remove what was created). */
#ifndef FERRY_RES_RES_H
#define FERRY_RES_RES_H

#include <stdint.h>
#include <sys/types.h>

#include "common/log.h"
#include "image/image.h"

struct dump_ctx;
struct dproc;
struct fd_desc;
struct restore_ctx;
struct rproc;

struct res_file_ops {
	int kind; /* enum img_file_kind */
	const char *name;

	/* dump */
	int (*match)(const struct fd_desc *d);
	int (*check)(struct dump_ctx *c, struct dproc *p, struct fd_desc *d);
	int (*dump)(struct dump_ctx *c, struct dproc *p, const struct fd_desc *d,
		    struct img_file *f);

	/* restore */
	int (*validate)(const struct img_model *m, const struct img_file_model *f,
			struct ferry_err *e);
	int (*open)(struct restore_ctx *c, const struct img_file_model *f, int *ret_fd);
	int (*fixup)(struct restore_ctx *c, const struct img_proc_model *p, const struct img_fd *fd,
		     const struct img_file_model *f, const char **what);
	int (*finish)(struct restore_ctx *c, const struct img_file_model *f, int table_fd);
	void (*cleanup)(struct restore_ctx *c, int failed);
};

struct res_tree_ops {
	const char *name;
	uint32_t tag; /* enum img_tree_tag of the REC_TREE_DATA records it owns, 0 for none */
	int (*check)(struct dump_ctx *c);
	int (*dump)(struct dump_ctx *c);
	int (*validate)(const struct img_model *m, const struct img_data *d, struct ferry_err *e);
	int (*prepare)(struct restore_ctx *c);		     /* before the seeds fork */
	int (*proc)(struct restore_ctx *c, struct rproc *p); /* seized, before its final state */
	/* The last syscalls of a process, after its scratch area is gone and just before its
	 * registers are set (inject through the vDSO's `syscall`; seccomp lives here). */
	int (*last)(struct restore_ctx *c, struct rproc *p);
	int (*finish)(struct restore_ctx *c);
	void (*cleanup)(struct restore_ctx *c, int failed);
	/* dump side, last: the image is committed and the tree is about to be killed
	 * (resumed == 0), or the dump failed / --leave-running and the tree is about to be thawed
	 * (resumed == 1): undo what check()/dump() did to the live tree. */
	void (*dump_done)(struct dump_ctx *c, int resumed);
};

/* registry.c */
const struct res_file_ops *res_file_match(const struct fd_desc *d);
const struct res_file_ops *res_file_kind(int kind);
const struct res_tree_ops *const *res_tree_all(void); /* NULL-terminated */
const struct res_tree_ops *res_tree_tag(uint32_t tag);

/* The cores' entry points (hooks.c): each walks the tables above. */
int res_dump_tree_check(struct dump_ctx *c) MUST_CHECK;
int res_dump_tree(struct dump_ctx *c) MUST_CHECK;
void res_dump_done(struct dump_ctx *c, int resumed);
int res_validate_all(const struct img_model *m, struct ferry_err *e) MUST_CHECK;
int res_restore_prepare(struct restore_ctx *c) MUST_CHECK;
int res_restore_proc(struct restore_ctx *c, struct rproc *p) MUST_CHECK;
int res_restore_last(struct restore_ctx *c, struct rproc *p) MUST_CHECK;
int res_restore_finish(struct restore_ctx *c) MUST_CHECK;
void res_restore_cleanup(struct restore_ctx *c, int failed);

/* Helpers for the kinds. */
/* Duplicate fd `fd` of process `pid` into ferry (pidfd_getfd): -errno, detail in e. */
int res_getfd(pid_t pid, int fd, struct ferry_err *e);
/* Append one REC_FILE_DATA for file f. */
int res_write_data(struct dump_ctx *c, const struct img_file *f, uint32_t tag, const void *data,
		   size_t len) MUST_CHECK;
/* The first REC_FILE_DATA of f with this tag, NULL if none. */
const struct img_data *res_data(const struct img_file_model *f, uint32_t tag);

#endif
