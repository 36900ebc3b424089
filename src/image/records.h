/* SPDX-License-Identifier: MIT */
/* The image stream's record kinds: one fixed-layout, little-endian payload struct per kind.
 * This header is the schema (docs/image-format.md explains it); src/image/validate.c checks every
 * field of every record before any other code uses it. x86-64 only, so no byte swapping. */
#ifndef FERRY_IMAGE_RECORDS_H
#define FERRY_IMAGE_RECORDS_H

#include <stdint.h>

#define IMG_MAGIC   "FERRYIMG"
#define IMG_VERSION                                                                                \
	4 /* 2: per-thread attributes appended to struct img_thread; 3: XXH3 csum;                 \
		 4: content_hash is XXH3 too (img_file_hash) */

/* Limits: anything above is refused as corrupt (-E2BIG/-EBADMSG). */
#define IMG_MAX_PROCS	    4096
#define IMG_MAX_THREADS	    65536
#define IMG_MAX_VMAS	    65536 /* per process */
#define IMG_MAX_FDS	    65536 /* per process */
#define IMG_MAX_PATH	    4096
#define IMG_MAX_XSTATE	    8192
#define IMG_MAX_SIGINFO	    1024	 /* pending signals per thread or per process */
#define IMG_MAX_PAGES_REC   (64UL << 20) /* bytes of page data in one REC_PAGES */
#define IMG_MAX_META_REC    (1UL << 20)	 /* bytes in one non-page record */
#define IMG_MAX_GROUPS	    65536
#define IMG_MAX_TIMERS	    4096
#define IMG_MAX_DATA_REC    (64UL << 20)      /* bytes in one REC_FILE_DATA / REC_TREE_DATA */
#define IMG_USER_ADDR_LIMIT 0x7ffffffff000ULL /* TASK_SIZE for 4-level paging */
#define IMG_PAGE	    4096ULL

/* File header, at offset 0. */
struct img_header {
	char magic[8];	   /* IMG_MAGIC, no NUL */
	uint32_t version;  /* IMG_VERSION */
	uint32_t hdr_size; /* sizeof(struct img_header) */
	uint64_t flags;	   /* reserved, 0 */
};

/* Every record: this header, then `len` payload bytes. `csum` is XXH3-64(payload, seed 0). */
struct img_rec_hdr {
	uint32_t type; /* enum img_rec_type */
	uint32_t pad;  /* 0 */
	uint64_t len;
	uint64_t csum;
};

enum img_rec_type {
	REC_INFO = 1,  /* struct img_info: first record */
	REC_PROC,      /* struct img_proc */
	REC_THREAD,    /* struct img_thread + xstate bytes */
	REC_SIGACTS,   /* struct img_sigacts */
	REC_SIGINFO,   /* struct img_siginfo_hdr + count * 128-byte siginfo */
	REC_VMA,       /* struct img_vma + path bytes */
	REC_SHM,       /* struct img_shm: a shared-memory object (shared anon, memfd) */
	REC_PAGES,     /* struct img_pages + npages * 4096 bytes */
	REC_FILE,      /* struct img_file + path bytes: one open file description */
	REC_FD,	       /* struct img_fd */
	REC_TIMER,     /* struct img_timer: one POSIX timer */
	REC_GROUPS,    /* struct img_groups + count * uint32 supplementary gids */
	REC_MM,	       /* struct img_mm + auxv words */
	REC_END,       /* struct img_end: last record; without it the image is incomplete */
	REC_FILE_DATA, /* struct img_file_data + bytes: kind-specific state of the REC_FILE before
			  it */
	REC_TREE_DATA, /* struct img_tree_data + bytes: a tree-wide resource (SysV IPC, seccomp...)
			*/
	REC_TYPE_MAX,
};

/* REC_INFO */
struct img_info {
	uint64_t dump_time_ns;	   /* CLOCK_REALTIME at freeze */
	uint64_t frozen_ns;	   /* how long the tree was frozen while dumping */
	uint64_t xcr0;		   /* XSAVE feature mask of the dumping CPU */
	uint32_t xstate_size;	   /* NT_X86_XSTATE size on the dumping CPU */
	uint32_t nprocs;	   /* REC_PROC records that follow */
	uint32_t root_pid;	   /* pid of the tree's root (in the dumped pid namespace) */
	uint32_t flags;		   /* IMG_INFO_* */
	uint64_t vdso_fingerprint; /* XXH64 of the vdso text + layout of vvar/vvar_vclock/vdso */
	char kernel_release[65];   /* uname -r, NUL-terminated */
	char pad[7];
};
#define IMG_INFO_SHELL_JOB 0x1 /* stdio was the dumping terminal; restore needs --shell-job */

enum img_proc_state {
	PROC_ALIVE = 0,
	PROC_ZOMBIE = 1,
};

/* REC_PROC: one process; its threads, vmas, fds… follow as separate records naming its pid. */
struct img_proc {
	uint32_t pid, ppid, pgid, sid; /* ppid 0 for the root */
	uint32_t state;		       /* enum img_proc_state */
	int32_t exit_status;	       /* zombie: wait status (WIFEXITED/WIFSIGNALED encoding) */
	uint32_t nthreads;
	uint32_t uid[4]; /* real, effective, saved, fs */
	uint32_t gid[4];
	uint32_t pad0; /* 0; makes the implicit hole before cap_inh explicit */
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	uint32_t securebits;
	uint32_t umask;
	uint32_t personality;
	int32_t nice;
	uint32_t sched_policy;
	uint32_t sched_priority;
	uint64_t timerslack_ns;
	uint32_t no_new_privs;
	uint32_t dumpable;
	int32_t pdeathsig;
	uint32_t child_subreaper;
	uint64_t rlim_cur[16], rlim_max[16];
	/* itimers: ITIMER_REAL, VIRTUAL, PROF; value = remaining */
	int64_t itimer_value_us[3], itimer_interval_us[3];
	uint32_t exit_signal; /* signal sent to the parent on exit (SIGCHLD normally) */
	uint32_t pad;
	char comm[16];
	char cwd[IMG_MAX_PATH];
	char root[IMG_MAX_PATH];
};

/* REC_MM: mm fields of one process (PR_SET_MM_MAP) and its auxv. */
struct img_mm {
	uint32_t pid;
	uint32_t auxv_words; /* uint64 words of auxv that follow, <= 128, even */
	uint64_t start_code, end_code, start_data, end_data, start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
	char exe_path[IMG_MAX_PATH];
};

/* REC_THREAD: one thread; the payload ends with xstate_size bytes of NT_X86_XSTATE. */
struct img_thread {
	uint32_t pid, tid;
	uint64_t regs[27];    /* struct user_regs_struct, syscall restart already resolved */
	uint64_t sigmask;     /* blocked signals */
	uint64_t altstack_sp; /* sigaltstack */
	uint64_t altstack_size;
	int32_t altstack_flags;
	uint32_t rseq_len; /* 0: no rseq registered */
	uint64_t rseq_ptr;
	uint32_t rseq_sig;
	uint32_t xstate_size;
	uint64_t robust_list;
	uint64_t robust_list_len;
	uint64_t clear_child_tid;
	char comm[16];
	/* Per-thread attributes (version 2). Scheduling, timer slack and credentials belong to
	 * each thread in the kernel; the REC_PROC copies are the leader's. */
	int32_t nice;
	uint32_t sched_policy;	      /* SCHED_*, without SCHED_RESET_ON_FORK */
	uint32_t sched_priority;
	uint32_t sched_reset_on_fork; /* 0 or 1 */
	uint64_t timerslack_ns;
	uint32_t uid[4]; /* real, effective, saved, fs */
	uint32_t gid[4];
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
};

/* REC_SIGACTS: the 64 dispositions of one process (index = signal - 1). */
struct img_sigaction {
	uint64_t handler, flags, restorer, mask;
};
struct img_sigacts {
	uint32_t pid, pad;
	struct img_sigaction act[64];
};

/* REC_SIGINFO: pending signals of a thread (tid != 0) or process-wide (tid == 0). */
struct img_siginfo_hdr {
	uint32_t pid, tid;
	uint32_t count; /* 128-byte siginfo_t entries that follow */
	uint32_t pad;
};

enum img_vma_kind {
	VMA_ANON_PRIVATE = 1, /* private anonymous, incl. heap and stacks */
	VMA_FILE_PRIVATE, /* private mapping of a file: re-mapped by path, dirty pages overlaid */
	VMA_FILE_SHARED,  /* shared mapping of a file on the shared filesystem */
	VMA_SHM,	  /* shared anonymous or memfd: content in REC_SHM + REC_PAGES(shm_id) */
	VMA_VDSO,	  /* [vdso] */
	VMA_VVAR,	  /* [vvar] */
	VMA_VVAR_VCLOCK,  /* [vvar_vclock] */
	VMA_KIND_MAX,
};

/* Dumped VmFlags that restore re-applies with madvise/mlock. */
#define VMA_F_GROWSDOWN	 0x01
#define VMA_F_DONTFORK	 0x02
#define VMA_F_DONTDUMP	 0x04
#define VMA_F_HUGEPAGE	 0x08
#define VMA_F_NOHUGEPAGE 0x10
#define VMA_F_LOCKED	 0x20
#define VMA_F_WIPEONFORK 0x40
#define VMA_F_HEAP	 0x80  /* [heap] */
#define VMA_F_STACK	 0x100 /* [stack] */
#define VMA_F_ALL	 0x1ff

/* REC_VMA; path bytes follow for file kinds (path_len, no NUL). */
struct img_vma {
	uint32_t pid;
	uint32_t kind; /* enum img_vma_kind */
	uint64_t start, end;
	uint32_t prot;	 /* PROT_* */
	uint32_t flags;	 /* VMA_F_* */
	uint64_t pgoff;	 /* file offset in bytes (file and shm kinds) */
	uint32_t shm_id; /* VMA_SHM: the REC_SHM id */
	uint32_t path_len;
	/* File identity, checked before re-mapping (VMA_FILE_*). */
	uint64_t dev, ino, size;
	int64_t mtime_ns;
	uint64_t content_hash; /* img_file_hash: XXH3-64 of the first min(size, 1 MiB) bytes */
};

enum img_shm_kind {
	SHM_ANON = 1, /* MAP_SHARED|MAP_ANONYMOUS ("/dev/zero (deleted)") */
	SHM_MEMFD,    /* memfd ("/memfd:NAME (deleted)") */
};

/* REC_SHM: one shared-memory object; its pages follow as REC_PAGES with pid 0, shm_id = id. */
struct img_shm {
	uint32_t id; /* 1.. */
	uint32_t kind;
	uint64_t size;
	uint32_t seals; /* memfd seals (F_GET_SEALS) */
	uint32_t pad;
	char name[256]; /* memfd name without "memfd:", NUL-terminated */
};

/* REC_PAGES: page data of process pid at vaddr, or of shm object shm_id (pid 0) at offset vaddr. */
struct img_pages {
	uint32_t pid;
	uint32_t shm_id;
	uint64_t vaddr;
	uint64_t npages;
};

/* Kinds of open file description. Each kind is one file of src/res/ (see src/res/res.h), which
 * also documents the REC_FILE_DATA records it writes. Values are fixed: new kinds are appended. */
enum img_file_kind {
	FILE_REG = 1,
	FILE_DIR,
	FILE_CHR, /* /dev/null, /dev/zero, /dev/urandom, /dev/random, /dev/full, and the shell-job
		     tty */
	FILE_PIPE,
	FILE_FIFO,
	FILE_EVENTFD,
	FILE_TIMERFD,
	FILE_SIGNALFD,
	FILE_EPOLL,
	FILE_INOTIFY,
	FILE_PIDFD,
	FILE_MEMFD,
	FILE_UNIX,
	FILE_TCP,
	FILE_UDP,
	FILE_MQUEUE,
	FILE_PTY,
	FILE_UNLINKED, /* a regular file deleted while open (src/res/unlinked.c) */
	FILE_KIND_MAX,
};

/* REC_FILE: one open file description; path bytes follow (path_len, no NUL). For the kinds
 * REG, DIR, CHR and FIFO the path is absolute and required; for the others it is optional and
 * informative (e.g. "pipe:[1234]", used in messages). */
struct img_file {
	uint32_t id; /* 1.., referenced by REC_FD */
	uint32_t kind;
	uint32_t flags; /* open(2) flags from fdinfo (O_ACCMODE, O_APPEND, O_NONBLOCK, ...) */
	uint32_t path_len;
	uint64_t pos;
	uint64_t dev, ino, size;
	uint32_t rdev;	 /* FILE_CHR */
	uint32_t is_tty; /* the shell-job terminal */
};

/* REC_FD */
struct img_fd {
	uint32_t pid;
	int32_t fd;
	uint32_t file_id;
	uint32_t cloexec;
};

/* REC_TIMER: one POSIX timer with its remaining time. */
struct img_timer {
	uint32_t pid;
	int32_t timer_id;
	int32_t clock_id;
	int32_t sigev_notify; /* SIGEV_* (SIGEV_THREAD_ID with notify_tid) */
	int32_t sigev_signo;
	uint32_t notify_tid;
	uint64_t sigev_value;
	int64_t value_ns, interval_ns; /* remaining, period */
	int32_t overrun;
	uint32_t pad;
};

/* REC_GROUPS */
struct img_groups {
	uint32_t pid;
	uint32_t count;
};

/* REC_FILE_DATA: kind-specific state of one open file description, `len - 8` bytes follow.
 * It follows its REC_FILE (or another REC_FILE_DATA of the same file) directly. The tag and
 * bytes are defined by the kind's file in src/res/; there may be several per file. */
struct img_file_data {
	uint32_t file_id;
	uint32_t tag; /* kind-specific, not 0 */
};

/* REC_TREE_DATA: one tree-wide resource that is not an fd (SysV IPC objects, seccomp filters...),
 * `len - 8` bytes follow, defined by the src/res/ file that owns the tag. */
enum img_tree_tag {
	TREE_SYSV_SHM = 1,
	TREE_SYSV_SEM,
	TREE_SYSV_MSG,
	TREE_SECCOMP,
	TREE_NS,
	TREE_TAG_MAX,
};
struct img_tree_data {
	uint32_t tag; /* enum img_tree_tag */
	uint32_t pid; /* the process it belongs to, 0 for the whole tree */
};

/* REC_END */
struct img_end {
	uint64_t nrecords; /* records before this one, REC_INFO included */
	uint64_t page_bytes;
};

#endif
