/* SPDX-License-Identifier: MIT */
/* Restore: validate an image completely, then rebuild its process tree with the original PIDs
 * and TIDs and resume it exactly where it was frozen. Nothing is left behind on failure. */
#ifndef FERRY_RESTORE_RESTORE_H
#define FERRY_RESTORE_RESTORE_H

#include <stdint.h>
#include <sys/types.h>

#include "common/log.h"

struct restore_opts {
	const char *dir;
	int shell_job;		/* attach terminal fds to the terminal ferry runs in */
	const char *ready_file; /* created once the restored tree runs (for scripts) */
	const void *image_buf;	/* optional: restore from this image in memory instead of dir */
	size_t image_len;
	/* Optional: called once the tree is rebuilt, still stopped. 0 = resume it; nonzero =
	 * kill everything restored and fail with -ECANCELED. */
	int (*before_resume)(void *userdata);
	void *userdata;
};

struct restore_stats {
	uint64_t image_bytes, page_bytes;
	uint64_t load_ns, total_ns; /* validation; until the tree runs */
	uint32_t nprocs, nthreads;
	pid_t root_pid;
};

/* Rebuild the tree as children of the caller (the root's parent is the caller). Errors:
 * -ENOENT no image, -EBADMSG corrupt image, -EEXIST a PID is taken, -ESTALE a mapped file
 * changed, -EXDEV incompatible host (vDSO, CPU features), -EPERM not allowed. */
int restore_tree(const struct restore_opts *o, struct restore_stats *st, struct ferry_err *e)
	__attribute__((warn_unused_result));

#endif
