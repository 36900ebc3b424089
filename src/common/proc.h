/* SPDX-License-Identifier: MIT */
/* Parsers for /proc/PID files (stat, status, maps+smaps, children, task lists, fdinfo).
 * Each parser takes text and fills a plain struct, so it can be unit-tested on literal input;
 * the *_read() wrappers only add the file read. Non-logging. */
#ifndef FERRY_COMMON_PROC_H
#define FERRY_COMMON_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/util.h"

struct proc_stat {
	char state;
	char comm[16];
	int ppid, pgrp, session;
	uint32_t flags; /* PF_* of the kernel (field 9), e.g. PF_EXITING 0x4 */
	long nice;
	uint64_t utime, stime; /* clock ticks of CPU time (fields 14, 15) */
	uint64_t start_time;   /* clock ticks after boot at which it started (field 22) */
	unsigned rt_priority, policy;
	int exit_signal;
	int exit_code;
	uint64_t start_code, end_code, start_stack;
	uint64_t start_data, end_data, start_brk;
	uint64_t arg_start, arg_end, env_start, env_end;
};

struct proc_status {
	uint32_t uid[4], gid[4];
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	uint32_t umask;
	int tracer_pid;
	int no_new_privs;
	uint64_t sig_pnd, shd_pnd; /* pending signals: the thread's, the process's (bit sig-1) */
	int nthreads;
	uint32_t ngroups;
	uint32_t groups[256];
};

#define PROC_VMF_GROWSDOWN  0x01
#define PROC_VMF_DONTFORK   0x02
#define PROC_VMF_DONTDUMP   0x04
#define PROC_VMF_HUGEPAGE   0x08
#define PROC_VMF_NOHUGEPAGE 0x10
#define PROC_VMF_LOCKED	    0x20
#define PROC_VMF_WIPEONFORK 0x40
#define PROC_VMF_IO	    0x200 /* VM_IO / VM_PFNMAP: device memory, never dumpable */
#define PROC_VMF_SHARED	    0x400

struct proc_vma {
	uint64_t start, end, pgoff;
	uint32_t prot;	   /* PROT_* */
	int shared;	   /* 's' in maps */
	uint32_t dev_major, dev_minor;
	uint64_t ino;
	uint32_t vmflags;  /* PROC_VMF_* from smaps VmFlags */
	char path[4096];   /* may be empty, "[heap]", "/x (deleted)"... */
};

int proc_stat_parse(const char *text, struct proc_stat *ret) MUST_CHECK;
int proc_stat_read(pid_t pid, struct proc_stat *ret) MUST_CHECK;
int proc_status_parse(const char *text, struct proc_status *ret) MUST_CHECK;
int proc_status_read(pid_t pid, struct proc_status *ret) MUST_CHECK;

/* One maps line ("start-end perms off dev ino path") into v (vmflags left 0). */
int proc_maps_line_parse(const char *line, struct proc_vma *v) MUST_CHECK;
/* The "VmFlags: rd wr ..." line into PROC_VMF_* bits. */
uint32_t proc_vmflags_parse(const char *line);
/* All VMAs of pid from smaps (so VmFlags are filled); *ret is malloc'd. */
int proc_vmas_read(pid_t pid, struct proc_vma **ret, size_t *ret_n) MUST_CHECK;

/* Numeric entries of a /proc directory (e.g. /proc/PID/task), malloc'd. */
int proc_list_dir_ints(const char *dir, int **ret, size_t *ret_n) MUST_CHECK;
/* Children of every thread of pid (/proc/PID/task/TID/children), malloc'd. */
int proc_children_read(pid_t pid, int **ret, size_t *ret_n) MUST_CHECK;

/* Whole small file into buf (NUL-terminated); returns the length or -errno. */
ssize_t proc_read_text(const char *path, char *buf, size_t size) MUST_CHECK;

/* The fields of a /proc/PID/mountinfo line that ferry uses. Paths are as the kernel writes them
 * (a space, tab, newline or backslash in them is escaped in octal). */
struct proc_mount {
	unsigned dev_major, dev_minor;
	char root[4096]; /* the mounted directory of the filesystem */
	char mnt[4096];	 /* where it is mounted */
	char fstype[32];
	char super_opts[512]; /* the filesystem's own options, after " - TYPE SOURCE " */
};
/* One mountinfo line into m: 0, or -EBADMSG (malformed, or a field too long for m). */
int proc_mountinfo_line_parse(const char *line, struct proc_mount *m) MUST_CHECK;

/* "pos:" and "flags:" of /proc/PID/fdinfo/FD text. */
int proc_fdinfo_parse(const char *text, uint64_t *ret_pos, uint32_t *ret_flags) MUST_CHECK;

#endif
