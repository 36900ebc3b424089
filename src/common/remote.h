/* SPDX-License-Identifier: MIT */
/* ptrace helpers shared by dump and restore: seize/interrupt/wait, register access, and remote
 * system calls executed inside a stopped thread (KERNEL-FACTS.md §1: syscall injection). */
#ifndef FERRY_COMMON_REMOTE_H
#define FERRY_COMMON_REMOTE_H

#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/user.h>

#include "common/util.h"

#define REMOTE_SEIZE_OPTS 0x1 /* PTRACE_O_TRACESYSGOOD */

/* Requests that glibc's <sys/ptrace.h> may not name. */
#ifndef PTRACE_GETSIGMASK
#define PTRACE_GETSIGMASK 0x420a
#define PTRACE_SETSIGMASK 0x420b
#endif
#ifndef PTRACE_GET_RSEQ_CONFIGURATION
#define PTRACE_GET_RSEQ_CONFIGURATION 0x420f
#endif

/* PTRACE_SEIZE tid with options, PTRACE_INTERRUPT it and wait for the stop. */
/* PTRACE_SETOPTIONS on a seized thread, keeping seccomp suspended where remote_seize did. */
int remote_set_options(pid_t tid, long options) MUST_CHECK;
int remote_seize(pid_t tid, long options) MUST_CHECK;
/* Wait until tid reports a ptrace stop; a signal-delivery stop other than SIGSTOP/SIGTRAP is
 * recorded in *ret_sig (0 if none). -ESRCH if it exited. */
int remote_wait_stop(pid_t tid, int *ret_status) MUST_CHECK;
int remote_detach(pid_t tid);

/* Run syscall nr(a[0..5]) in stopped thread tid, using the `syscall` instruction at sys_ip.
 * All signals are blocked while it runs; registers and mask are restored afterwards.
 * Returns 0 and the syscall's raw return value in *ret, or -errno if ptrace failed. */
int remote_syscall(pid_t tid, uint64_t sys_ip, long nr, const uint64_t a[6],
		   int64_t *ret) MUST_CHECK;

/* A batch of syscalls run by a short code sequence in the target in one resume: one stop for
 * the whole batch instead of two per syscall. One entry, laid out as the code reads it. */
struct remote_call {
	int64_t nr;
	uint64_t a[6];
	int64_t ret; /* the syscall's raw return value, written by the target */
};
/* The code: for each entry, load nr and the arguments, `syscall`, store rax; stop after the
 * last entry or the first one that fails (-4095..-1) at the trailing int3. It expects the
 * table in rbx and the number of entries (at least 1) in r12. */
extern const unsigned char remote_batch_code[];
#define REMOTE_BATCH_CODE_LEN 51

/* Run calls[0..n) in stopped thread tid: code_ip is remote_batch_code in the target
 * (executable), table is target memory for n entries (writable). Every signal but SIGTRAP is
 * blocked while it runs; registers and mask are restored afterwards (the thread is then in a
 * signal-delivery stop whose SIGTRAP is discarded when it is resumed). *ndone is the number of
 * calls run; only the last of them can have failed (see its ret). A SIGTRAP other than the batch's
 * own (pending or sent meanwhile) ends it with -EINTR and is queued to the thread again (the
 * table's memory carries its siginfo); the calls may then have run in part. The thread's SIGTRAP
 * action must not be SIG_IGN (the int3 would reset it). Returns 0 or -errno. */
int remote_batch(pid_t tid, uint64_t code_ip, uint64_t table, struct remote_call *calls, size_t n,
		 size_t *ndone) MUST_CHECK;
/* After a remote_batch of n calls that returned 0 with *ndone == done: 0 if every call
 * succeeded, else the failed call's -errno (-EPROTO if the batch stopped early without a
 * failure), with *failed the index of that call. */
int remote_batch_result(const struct remote_call *calls, size_t n, size_t done, size_t *failed);

/* Copy to/from another process's memory (process_vm_*; /proc/PID/mem fallback for pages the
 * target cannot access itself, such as PROT_NONE areas). */
int remote_read(pid_t pid, uint64_t addr, void *buf, size_t len) MUST_CHECK;
int remote_write(pid_t pid, uint64_t addr, const void *buf, size_t len) MUST_CHECK;

/* Address of a `syscall` instruction in pid's code between start and end (its [vdso], which
 * never changes while the process runs). -ENOEXEC if there is none. */
int remote_find_syscall_insn(pid_t pid, uint64_t start, uint64_t end, uint64_t *ret_ip) MUST_CHECK;

#endif
