/* SPDX-License-Identifier: MIT */
/* Dump: freeze a process tree with ptrace, write its complete state as an image stream, then
 * kill it (default) or let it continue. On any failure the tree is left exactly as it was. */
#ifndef FERRY_DUMP_DUMP_H
#define FERRY_DUMP_DUMP_H

#include <stdint.h>
#include <sys/types.h>

#include "common/log.h"
#include "image/image.h"

struct dump_progress {
	uint64_t bytes; /* written so far */
	uint64_t elapsed_ns;
};

/* The dump in progress, opaque: the frozen tree handed to before_release. */
struct dump_ctx;

struct dump_opts {
	pid_t pid;
	const char *dir;   /* image directory (img_writer_open_dir) */
	int out_fd;	   /* or a stream fd when dir is NULL */
	img_sink_fn sink;  /* or, when set, a callback taking the stream (img_writer_open_sink) */
	void *sink_ud;
	int leave_running; /* detach instead of killing after a successful dump */
	int shell_job;	   /* accept the dumping terminal as stdio */
	void (*progress)(const struct dump_progress *p, void *userdata);
	void *userdata;
	/* Optional: called with the tree still frozen once the image is complete. 0 = go on
	 * (kill, or thaw with leave_running); nonzero = thaw and fail with -ECANCELED. The hook
	 * may call dump_bind_tree(hold) before it commits to a copy elsewhere. */
	int (*before_release)(void *userdata, struct dump_ctx *hold);
};

/* From now on the frozen tree dies with the calling process (PTRACE_O_EXITKILL) instead of
 * running on: call it just before committing to a copy that runs elsewhere, so that losing the
 * tracer after the commit cannot leave two live copies. A later thaw still resumes the tree.
 * Returns 0 or -errno (the tree is then unchanged). */
int dump_bind_tree(struct dump_ctx *hold) __attribute__((warn_unused_result));

struct dump_stats {
	uint64_t image_bytes, page_bytes;
	uint64_t total_ns;
	uint64_t frozen_ns; /* from freezing the tree to SIGKILL sent, or to the tree thawed */
	/* where the frozen time went, for --json and the daemon's debug log: freezing; reading
	 * each process's maps and status and the tree-wide checks; threads, signals and other
	 * task state; memory; files and tree-wide resources; the image's end (with the removal
	 * of the helper mappings); the before_release hook (the daemon's wait for the
	 * destination) */
	uint64_t freeze_ns, prep_ns, task_ns, mem_ns, files_ns, commit_ns, hook_ns;
	uint32_t nprocs, nthreads, nvmas, nfds;
};

/* Errors: -ESRCH no such process, -EPERM not allowed to trace it, -EOPNOTSUPP unsupported
 * state (detail names pid, fd or mapping, and kind), -EBUSY already traced, -EEXIST/-ENOTDIR
 * bad image directory, or any I/O error. The detail in *e says which resource failed. */
int dump_tree(const struct dump_opts *o, struct dump_stats *st, struct ferry_err *e)
	__attribute__((warn_unused_result));

#endif
