/* SPDX-License-Identifier: MIT */
/* Restore: validate an image completely, then rebuild its process tree with the original PIDs
 * and TIDs and resume it exactly where it was frozen. Nothing is left behind on failure. */
#ifndef FERRY_RESTORE_RESTORE_H
#define FERRY_RESTORE_RESTORE_H

#include <stdint.h>
#include <sys/types.h>

#include "common/log.h"
#include "common/vdso.h"

struct restore_opts {
	const char *dir;
	int shell_job;		/* attach terminal fds to the terminal ferry runs in */
	const char *ready_file; /* created once the restored tree runs (for scripts) */
	int pidns;		/* restoring inside a new PID namespace (restore_tree_pidns) */
	const void *image_buf;	/* optional: restore from this image in memory instead of dir */
	size_t image_len;
	/* Optional, with image_buf: the image is still arriving; image_len is the room's size
	 * and the loader waits through this (img_load_stream). */
	ssize_t (*image_wait)(void *ud, size_t need, int *ended); /* an img_wait_fn */
	void *image_wait_ud;
	/* Optional: called once the tree is rebuilt, still stopped. 0 = resume it; nonzero =
	 * kill everything restored and fail with -ECANCELED. */
	int (*before_resume)(void *userdata);
	void *userdata;
	/* Optional: the caller's vDSO layout and fingerprint (vdso_self), if it has them already
	 * (ferryd's workers: forks of the daemon, which read them once); NULL: read here. */
	const struct vdso_layout *vdso;
	uint64_t vdso_fp;
};

struct restore_stats {
	uint64_t image_bytes, page_bytes;
	uint64_t load_ns, total_ns; /* validation; until the tree runs */
	/* where total_ns went, for --verbose and the daemon's debug log: pre-flight, files and
	 * seeds; memory layout with page fill (fill_ns of it); the rest of each process's state;
	 * the before_resume hook (the daemon's wait for the commit) */
	uint64_t prep_ns, layout_ns, fill_ns, state_ns, hook_ns;
	uint32_t nprocs, nthreads;
	pid_t root_pid;	     /* in the namespace the tree was restored into (its original pid) */
	pid_t root_host_pid; /* the same process in the caller's namespace (== root_pid without
				--pidns) */
};

/* Grow the caller's fd table now to hold the files of a restore of up to 1024 open files,
 * and raise RLIMIT_NOFILE for them. For a caller that will have other threads during a
 * restore (ferryd's image receiver): the kernel grows a table that threads share only after an
 * RCU grace period, which can take tens of milliseconds. Call it while single-threaded.
 * Returns 0 or -errno (the restore then grows the table itself). */
int restore_reserve_fds(void);

/* Rebuild the tree as children of the caller (the root's parent is the caller). Errors:
 * -ENOENT no image, -EBADMSG corrupt image, -EEXIST a PID is taken, -ESTALE a mapped file
 * changed, -EXDEV incompatible host (vDSO, CPU features), -EPERM not allowed. */
int restore_tree(const struct restore_opts *o, struct restore_stats *st, struct ferry_err *e)
	__attribute__((warn_unused_result));

/* A new PID namespace holding a restored tree: its init (pid 1 inside) is a child of the caller
 * and reports on fd. */
struct pidns_init {
	pid_t init; /* in the caller's namespace */
	int fd;
};

/* Like restore_tree(), but into a fresh PID namespace (and a mount namespace with its own /proc)
 * whose init is a forked child of the caller. The tree's PIDs are free there whatever the caller's
 * namespace holds; the root's parent is that init (ppid 1). The init reaps the namespace's
 * orphans and exits when the root exits, which ends every process left in the namespace.
 * Needs root. On success ns describes the init; pidns_wait() or pidns_release() must follow. */
int restore_tree_pidns(const struct restore_opts *o, struct restore_stats *st, struct ferry_err *e,
		       struct pidns_init *ns) __attribute__((warn_unused_result));
/* Wait until the root exits: *ret_status is its wait status (waitpid encoding). Reaps the init. */
int pidns_wait(struct pidns_init *ns, int *ret_status, struct ferry_err *e)
	__attribute__((warn_unused_result));
/* Stop listening (--detach): the init keeps running on its own. */
void pidns_release(struct pidns_init *ns);

#endif
