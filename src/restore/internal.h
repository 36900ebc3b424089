/* SPDX-License-Identifier: MIT */
/* Restore internals shared by the files of src/restore/. The tree is built in two stages:
 * seeds (forks of ferry with the right PIDs, sessions and fds, see seed.c) and then, under
 * ptrace, each seed's address space and state is replaced by the image's (layout.c, task.c). */
#ifndef FERRY_RESTORE_INTERNAL_H
#define FERRY_RESTORE_INTERNAL_H

#include <stdint.h>
#include <sys/types.h>

#include "common/colocate.h"
#include "common/log.h"
#include "common/vdso.h"
#include "image/image.h"
#include "restore/restore.h"

#define SCRATCH_LEN  (64 * 1024)
#define SCRATCH_DATA 4096 /* offset of the data area; offset 0 holds `syscall` */
#define MAX_HOLES    32
/* remote_batch_code sits at this offset of the scratch area, its table at SCR(p, BATCH_TABLE) */
#define SCRATCH_BATCH_CODE 16
#define BATCH_TABLE	   8192
#define BATCH_MAX	   ((SCRATCH_LEN - SCRATCH_DATA - BATCH_TABLE) / 64)
/* Address of offset `off` in process p's scratch data area. */
#define SCR(p, off) ((p)->scratch + SCRATCH_DATA + (off))

/* What a seed reports to the restorer through the ready pipe. */
struct seed_msg {
	int32_t index; /* in model->procs */
	int32_t err;   /* 0, or -errno of the step that failed */
	uint64_t scratch;
	char what[112];
};

struct rproc {
	struct img_proc_model *m;
	uint64_t holes[MAX_HOLES]; /* scratch candidates, 0-terminated */
	uint64_t scratch;
	int seized;
	pid_t *tids;		/* tids[i] is the host tid of m->threads[i] once created */
	uint8_t *vma_has_pages; /* per m->vmas[i]: the image holds pages for it */
	size_t nfdcache;	/* files opened inside the target for mappings */
	struct {
		int fd;
		const char *path;
	} fdcache[64];
};

struct restore_ctx {
	const struct restore_opts *o;
	struct restore_stats *st;
	struct vdso_layout vdso; /* ours, read by the pre-flight check; the seeds' too (forks) */
	struct ferry_err *e;
	struct img_model *m;
	struct rproc *procs;
	int table_base; /* fds table_base.. hold the model's files, in model order */
	int ready_pipe[2];
	pid_t root;
	int nlive;
	/* shared memory objects, created by the restorer and opened by the targets */
	int *shm_fds;	    /* memfd objects, -1 for shared anonymous ones */
	uint64_t *shm_addr; /* shared anonymous objects mapped in the restorer */
	/* per-restore state of the resource kinds (src/res/), freed by their cleanup() */
	void *file_state[FILE_KIND_MAX];
	void *tree_state[TREE_TAG_MAX + 1];
	/* our main thread and the seeds on one CPU while we drive them; the restored threads get
	 * our own mask (what they would have inherited) before they resume */
	struct colocate pin;
};

/* seed.c */
int seeds_create(struct restore_ctx *c) MUST_CHECK;
void seeds_kill(struct restore_ctx *c);

/* rfiles.c */
int files_open_table(struct restore_ctx *c) MUST_CHECK;
int shm_create_all(struct restore_ctx *c) MUST_CHECK;
void files_close_all(struct restore_ctx *c);

/* layout.c: memory */
int rinject(struct restore_ctx *c, struct rproc *p, pid_t tid, long nr, uint64_t a0, uint64_t a1,
	    uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, int64_t *ret) MUST_CHECK;
int scratch_put(struct restore_ctx *c, struct rproc *p, uint64_t off, const void *d,
		size_t len) MUST_CHECK;
int layout_restore(struct restore_ctx *c, struct rproc *p) MUST_CHECK;
/* Into *ip (unless it is set already), a syscall instruction of p's vDSO, for syscalls injected
 * after p's scratch area is gone; an error says p has no vDSO to `what` through. */
int layout_vdso_syscall_ip(struct restore_ctx *c, struct rproc *p, const char *what,
			   uint64_t *ip) MUST_CHECK;

/* pagefill.c: copy the image's pages into the VMAs layout.c mapped */
int pages_fill(struct restore_ctx *c, struct rproc *p) MUST_CHECK;

/* task.c: threads, signals, attributes, credentials, final registers */
int task_restore(struct restore_ctx *c, struct rproc *p) MUST_CHECK;
int task_finish(struct restore_ctx *c, struct rproc *p) MUST_CHECK;

/* check.c: pre-flight checks before anything is created */
int restore_preflight(struct restore_ctx *c) MUST_CHECK;

#endif
