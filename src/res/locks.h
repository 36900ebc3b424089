/* SPDX-License-Identifier: MIT */
/* File locks (locks.c) of the kinds that can carry them: regular files, directories (basic.c)
 * and deleted files (unlinked.c). flock() and OFD locks belong to the open file description and
 * are taken again by the restorer on the new description (res_locks_apply_desc, from open());
 * POSIX record locks belong to a process and an inode and are taken again in that process's seed
 * (res_locks_fixup). Locks on any other kind, leases, and a POSIX lock on a file its process
 * also maps are refused (res_locks_check). Records: RES_TAG_LOCK, an array of struct
 * res_lock_rec, on the file the lock was seen through. */
#ifndef FERRY_RES_LOCKS_H
#define FERRY_RES_LOCKS_H

#include <stddef.h>
#include <stdint.h>

#include "res/res.h"

#define RES_TAG_LOCK 0x4c4b /* "LK": the same tag in every kind that carries locks */

enum res_lock_kind {
	RES_LOCK_FLOCK = 1,
	RES_LOCK_POSIX = 2,
	RES_LOCK_OFD = 3,
};

struct res_lock_rec {
	uint32_t kind;	/* enum res_lock_kind */
	uint32_t write; /* 0 read (shared), 1 write (exclusive) */
	uint32_t pid;	/* RES_LOCK_POSIX: the owner, a process of the image; else 0 */
	uint32_t pad;	/* 0 */
	int64_t start;	/* byte range (POSIX/OFD; 0 and -1 for flock) */
	int64_t end;	/* inclusive, -1 = to end of file */
};

/* Pure: the "lock:" lines of fdinfo text (waiters "->" skipped). -EOPNOTSUPP for a lease,
 * delegation or mandatory lock (*what names it), -EBADMSG for a malformed line. */
struct res_lock_line {
	struct res_lock_rec rec;
	int32_t pid; /* as printed: the locker, -1 for OFD locks */
};
int res_parse_locks(const char *fdinfo, struct res_lock_line **ret, size_t *n, char *what,
		    size_t what_len);

struct dump_ctx;
struct dproc;
struct fd_desc;
int res_locks_check(struct dump_ctx *c, struct dproc *p, struct fd_desc *d) MUST_CHECK;
int res_locks_dump(struct dump_ctx *c, struct dproc *p, const struct fd_desc *d,
		   struct img_file *f) MUST_CHECK;
/* Check f's RES_TAG_LOCK records (other tags are left to the caller when `others_ok`). */
int res_locks_validate_recs(const struct img_model *m, const struct img_file_model *f,
			    int others_ok, struct ferry_err *e) MUST_CHECK;
int res_locks_validate(const struct img_model *m, const struct img_file_model *f,
		       struct ferry_err *e) MUST_CHECK;
int res_locks_apply_desc(struct restore_ctx *c, const struct img_file_model *f, int fd) MUST_CHECK;
int res_locks_fixup(struct restore_ctx *c, const struct img_proc_model *p, const struct img_fd *fd,
		    const struct img_file_model *f, const char **what);

#endif
