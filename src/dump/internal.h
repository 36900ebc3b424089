/* SPDX-License-Identifier: MIT */
/* Dump internals shared by the per-concern files of src/dump/ (freeze, task, mem, files). */
#ifndef FERRY_DUMP_INTERNAL_H
#define FERRY_DUMP_INTERNAL_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/colocate.h"
#include "common/log.h"
#include "common/proc.h"
#include "dump/dump.h"
#include "image/image.h"

struct res_file_ops;

#define SCRATCH_LEN (64 * 1024)

/* One fd of a process, described once by files_check() and written by dump_files(). */
struct fd_desc {
	pid_t pid;
	int fd;
	struct stat st;
	char *path;   /* readlink of /proc/PID/fd/FD, malloc'd */
	char *fdinfo; /* text of /proc/PID/fdinfo/FD, malloc'd */
	char sock_proto[32]; /* sockets: "TCP", "UDPv6", "UNIX", "NETLINK"... ("" otherwise) */
	uint64_t pos;
	uint32_t flags;
	int kind; /* enum img_file_kind */
	int is_tty;
	const struct res_file_ops *ops; /* the kind that handles it (src/res/) */
	void *priv;			/* the kind's own data, freed by files_free() */
};

struct dproc {
	pid_t pid;
	pid_t ppid;
	int zombie;
	size_t nthreads;
	pid_t *tids; /* seized threads, tids[0] == pid */
	size_t tids_cap;
	uint64_t sys_ip;  /* a `syscall` instruction in its vdso */
	uint64_t scratch; /* injected scratch mapping while dumping, 0 if none */
	struct proc_stat stat;
	struct proc_status status;
	struct proc_vma *vmas;
	int *vma_kinds; /* enum img_vma_kind per vmas[i], 0 for one not dumped */
	size_t nvmas;
	struct fd_desc *fds;
	size_t nfds;
};

struct dfile {
	uint32_t id;
	pid_t pid;
	int fd;
	uint64_t dev, ino;
};

struct dshm {
	uint32_t id;
	uint64_t ino;
};

/* The content hash of a mapped file already read, keyed by its identity (mem.c). */
struct dfhash {
	uint64_t dev, ino, size;
	int64_t mtime_ns;
	uint64_t hash;
};
#define DUMP_FHASH 32

struct dump_ctx {
	const struct dump_opts *o;
	struct ferry_err *e;
	struct img_writer *w;
	struct dproc *procs;
	size_t nprocs, procs_cap;
	struct dfile *files;
	size_t nfiles, files_cap;
	struct dshm *shms;
	size_t nshms, shms_cap;
	uint64_t page_bytes;
	uint64_t start_ns;
	uint64_t last_progress_ns;
	uint64_t released_ns; /* when kill_tree sent SIGKILL or thaw_tree detached the last thread */
	struct dump_stats *st;
	uint8_t *buf;			 /* page copy buffer, DUMP_BUF bytes */
	struct colocate pin;		 /* our main thread and the frozen threads on one CPU */
	struct dfhash fhash[DUMP_FHASH]; /* a ring: a file mapped by several VMAs is read once */
	size_t nfhash;
	/* the last mapped file checked (mem.c): its next VMAs, mapping the same file under the same
	 * path, reuse its identity instead of opening the file again */
	const struct proc_vma *last_file_vma;
	struct img_vma last_file_id;
};

#define DUMP_BUF (8UL << 20)

/* freeze.c */
/* 1 if pid is one of the tree's processes found so far (freeze.c). */
int dump_in_tree(const struct dump_ctx *c, pid_t pid);
int freeze_tree(struct dump_ctx *c) MUST_CHECK;
void thaw_tree(struct dump_ctx *c);
void kill_tree(struct dump_ctx *c);

/* task.c: everything of a process but memory and files */
int dump_task(struct dump_ctx *c, struct dproc *p) MUST_CHECK;
int dump_inject(struct dump_ctx *c, struct dproc *p, pid_t tid, long nr, uint64_t a0, uint64_t a1,
		uint64_t a2, uint64_t a3, int64_t *ret) MUST_CHECK;

/* mem.c */
int mem_check_vmas(struct dump_ctx *c, struct dproc *p) MUST_CHECK;
int dump_mem(struct dump_ctx *c, struct dproc *p) MUST_CHECK;

/* files.c */
int files_check(struct dump_ctx *c, struct dproc *p) MUST_CHECK;
void files_free(struct dproc *p);
int dump_files(struct dump_ctx *c, struct dproc *p) MUST_CHECK;

#endif
