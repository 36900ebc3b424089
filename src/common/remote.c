/* SPDX-License-Identifier: MIT */
/* ptrace helpers: seize, wait, and remote system calls in a stopped thread. A remote syscall
 * points the thread at a `syscall` instruction, runs it between PTRACE_SYSCALL entry and exit
 * stops (no int3 needed), then puts the saved registers back, so an interrupted syscall of the
 * target still restarts normally when it is finally resumed. */
#include "common/remote.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

int remote_wait_stop(pid_t tid, int *ret_status)
{
	int status;
	for (;;) {
		pid_t r = waitpid(tid, &status, __WALL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return -ESRCH;
		if (WIFSTOPPED(status)) {
			*ret_status = status;
			return 0;
		}
	}
}

/* With CAP_SYS_ADMIN the tracee's seccomp protections are suspended while it is traced, so
 * injected syscalls are neither filtered nor fatal to a strict-mode thread. Without it the
 * seccomp resource refuses such threads before anything is injected. */
static int with_suspended_seccomp(enum __ptrace_request req, pid_t tid, long options)
{
	if (ptrace(req, tid, 0, options | PTRACE_O_SUSPEND_SECCOMP) == 0)
		return 0;
	if (errno != EPERM && errno != EINVAL)
		return neg_errno();
	return ptrace(req, tid, 0, options) < 0 ? neg_errno() : 0;
}

static int seize(pid_t tid, long options)
{
	return with_suspended_seccomp(PTRACE_SEIZE, tid, options);
}

int remote_set_options(pid_t tid, long options)
{
	return with_suspended_seccomp(PTRACE_SETOPTIONS, tid, options);
}

int remote_seize(pid_t tid, long options)
{
	int status;
	int r = seize(tid, options);
	if (r < 0)
		return r;
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0)
		return neg_errno();
	for (;;) {
		int r = remote_wait_stop(tid, &status);
		if (r < 0)
			return r;
		if (status >> 16 == PTRACE_EVENT_STOP)
			return 0;
		/* A signal-delivery stop came first: let the signal through (it stays the
		 * target's business) and wait for the interrupt's event stop. */
		if (ptrace(PTRACE_CONT, tid, 0, WSTOPSIG(status)) < 0)
			return neg_errno();
	}
}

int remote_detach(pid_t tid)
{
	return ptrace(PTRACE_DETACH, tid, 0, 0) < 0 ? neg_errno() : 0;
}

/* Resume until the next syscall stop (entry or exit), swallowing event stops on the way. */
static int step_to_syscall_stop(pid_t tid)
{
	int status;
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, tid, 0, 0) < 0)
			return neg_errno();
		int r = remote_wait_stop(tid, &status);
		if (r < 0)
			return r;
		if (WSTOPSIG(status) == (SIGTRAP | 0x80))
			return 0;
		/* PTRACE_EVENT_CLONE and other event stops: keep going. A signal-delivery stop
		 * cannot happen for blocked signals; SIGKILL ends the wait with -ESRCH. */
	}
}

int remote_syscall(pid_t tid, uint64_t sys_ip, long nr, const uint64_t a[6], int64_t *ret)
{
	struct user_regs_struct saved, regs;
	uint64_t oldmask, all = ~0ULL;
	int r;

	if (ptrace(PTRACE_GETREGS, tid, 0, &saved) < 0)
		return neg_errno();
	if (ptrace(PTRACE_GETSIGMASK, tid, sizeof(oldmask), &oldmask) < 0)
		return neg_errno();
	if (ptrace(PTRACE_SETSIGMASK, tid, sizeof(all), &all) < 0)
		return neg_errno();
	regs = saved;
	regs.rip = sys_ip;
	regs.rax = nr;
	regs.orig_rax = -1; /* no restart handling of whatever the thread was doing */
	regs.rdi = a[0];
	regs.rsi = a[1];
	regs.rdx = a[2];
	regs.r10 = a[3];
	regs.r8 = a[4];
	regs.r9 = a[5];
	if (ptrace(PTRACE_SETREGS, tid, 0, &regs) < 0)
		return neg_errno();
	r = step_to_syscall_stop(tid); /* entry */
	if (r == 0)
		r = step_to_syscall_stop(tid); /* exit */
	if (r == 0 && ptrace(PTRACE_GETREGS, tid, 0, &regs) < 0)
		r = neg_errno();
	if (r == 0)
		*ret = (int64_t)regs.rax;
	if (r != -ESRCH) {
		if (ptrace(PTRACE_SETREGS, tid, 0, &saved) < 0 && r == 0)
			r = neg_errno();
		if (ptrace(PTRACE_SETSIGMASK, tid, sizeof(oldmask), &oldmask) < 0 && r == 0)
			r = neg_errno();
	}
	return r;
}

const unsigned char remote_batch_code[REMOTE_BATCH_CODE_LEN] = {
	0x48, 0x8b, 0x03,		    /* 0x00 loop: mov rax, [rbx] */
	0x48, 0x8b, 0x7b, 0x08,		    /* mov rdi, [rbx + 8] */
	0x48, 0x8b, 0x73, 0x10,		    /* mov rsi, [rbx + 16] */
	0x48, 0x8b, 0x53, 0x18,		    /* mov rdx, [rbx + 24] */
	0x4c, 0x8b, 0x53, 0x20,		    /* mov r10, [rbx + 32] */
	0x4c, 0x8b, 0x43, 0x28,		    /* mov r8, [rbx + 40] */
	0x4c, 0x8b, 0x4b, 0x30,		    /* mov r9, [rbx + 48] */
	0x0f, 0x05,			    /* syscall */
	0x48, 0x89, 0x43, 0x38,		    /* mov [rbx + 56], rax */
	0x48, 0x3d, 0x01, 0xf0, 0xff, 0xff, /* cmp rax, -4095 */
	0x73, 0x09,			    /* jae done */
	0x48, 0x83, 0xc3, 0x40,		    /* add rbx, 64 */
	0x49, 0xff, 0xcc,		    /* dec r12 */
	0x75, 0xce,			    /* jnz loop */
	0xcc,				    /* 0x32 done: int3 */
};

#define BATCH_SYSCALL_OFF 0x1b /* the code's `syscall` */

/* Resume with PTRACE_CONT until the batch's int3 stop; event stops are passed over. -EINTR if a
 * SIGTRAP of someone else's came first (its siginfo in *si). */
static int run_to_trap(pid_t tid, uint64_t trap_ip, siginfo_t *si)
{
	int status;
	for (;;) {
		if (ptrace(PTRACE_CONT, tid, 0, 0) < 0)
			return neg_errno();
		int r = remote_wait_stop(tid, &status);
		if (r < 0)
			return r;
		if (status >> 16 || WSTOPSIG(status) != SIGTRAP)
			continue; /* event stop; a stop signal cannot be blocked: it is discarded */
		struct user_regs_struct regs;
		if (ptrace(PTRACE_GETSIGINFO, tid, 0, si) < 0 ||
		    ptrace(PTRACE_GETREGS, tid, 0, &regs) < 0)
			return neg_errno();
		return si->si_code == SI_KERNEL && regs.rip == trap_ip ? 0 : -EINTR;
	}
}

/* A foreign SIGTRAP that the batch took goes back to the thread's queue, as the thread's own
 * rt_tgsigqueueinfo (the only sender allowed to keep any si_code), through scratch memory. */
static void requeue(pid_t tid, uint64_t code_ip, uint64_t scratch, const siginfo_t *si)
{
	uint64_t none[6] = {0};
	int64_t tgid, ret;
	if (remote_syscall(tid, code_ip + BATCH_SYSCALL_OFF, SYS_getpid, none, &tgid) < 0 ||
	    remote_write(tid, scratch, si, sizeof(*si)) < 0)
		return;
	uint64_t a[6] = {tgid, tid, SIGTRAP, scratch, 0, 0};
	if (remote_syscall(tid, code_ip + BATCH_SYSCALL_OFF, SYS_rt_tgsigqueueinfo, a, &ret) < 0)
		return;
}

int remote_batch(pid_t tid, uint64_t code_ip, uint64_t table, struct remote_call *calls, size_t n,
		 size_t *ndone)
{
	siginfo_t si;
	struct user_regs_struct saved, regs;
	uint64_t oldmask, mask = ~(1ULL << (SIGTRAP - 1));
	size_t len = n * sizeof(*calls);
	int r;

	*ndone = 0;
	if (!n)
		return 0;
	if ((r = remote_write(tid, table, calls, len)) < 0)
		return r;
	if (ptrace(PTRACE_GETREGS, tid, 0, &saved) < 0 ||
	    ptrace(PTRACE_GETSIGMASK, tid, sizeof(oldmask), &oldmask) < 0 ||
	    ptrace(PTRACE_SETSIGMASK, tid, sizeof(mask), &mask) < 0)
		return neg_errno();
	regs = saved;
	regs.rip = code_ip;
	regs.orig_rax = -1;
	regs.rbx = table;
	regs.r12 = n;
	r = ptrace(PTRACE_SETREGS, tid, 0, &regs) < 0 ? neg_errno() : 0;
	if (r == 0)
		r = run_to_trap(tid, code_ip + REMOTE_BATCH_CODE_LEN, &si);
	if (r == 0 && ptrace(PTRACE_GETREGS, tid, 0, &regs) < 0)
		r = neg_errno();
	/* rbx: the failed entry, or one past the table when all ran */
	if (r == 0 && (regs.rbx < table || regs.rbx > table + len || (regs.rbx - table) % 64))
		r = -EPROTO;
	if (r == 0) {
		*ndone = regs.rbx == table + len ? n : (regs.rbx - table) / sizeof(*calls) + 1;
		r = remote_read(tid, table, calls, *ndone * sizeof(*calls));
	}
	if (r != -ESRCH) {
		if (ptrace(PTRACE_SETREGS, tid, 0, &saved) < 0 && r == 0)
			r = neg_errno();
		if (ptrace(PTRACE_SETSIGMASK, tid, sizeof(oldmask), &oldmask) < 0 && r == 0)
			r = neg_errno();
	}
	if (r == -EINTR)
		requeue(tid, code_ip, table, &si);
	return r;
}

int remote_batch_result(const struct remote_call *calls, size_t n, size_t done, size_t *failed)
{
	*failed = done ? done - 1 : 0;
	if (!n)
		return 0;
	int64_t ret = calls[*failed].ret;
	if (ret < 0 && ret > -4096)
		return (int)ret;
	return done < n ? -EPROTO : 0;
}

static int mem_fallback(pid_t pid, uint64_t addr, void *buf, size_t len, int write)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	_cleanup_close_ int fd = open(path, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	while (len) {
		ssize_t n = write ? pwrite(fd, buf, len, addr) : pread(fd, buf, len, addr);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? neg_errno() : -EIO;
		buf = (char *)buf + n;
		addr += n;
		len -= n;
	}
	return 0;
}

static int vm_copy(pid_t pid, uint64_t addr, void *buf, size_t len, int write)
{
	size_t done = 0;
	while (done < len) {
		struct iovec local = {(char *)buf + done, len - done};
		struct iovec rem = {(void *)(addr + done), len - done};
		ssize_t n = write ? process_vm_writev(pid, &local, 1, &rem, 1, 0)
				  : process_vm_readv(pid, &local, 1, &rem, 1, 0);
		if (n <= 0)
			return mem_fallback(pid, addr + done, (char *)buf + done, len - done,
					    write);
		done += n;
	}
	return 0;
}

int remote_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	return vm_copy(pid, addr, buf, len, 0);
}

int remote_write(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	return vm_copy(pid, addr, (void *)buf, len, 1);
}

int remote_find_syscall_insn(pid_t pid, uint64_t start, uint64_t end, uint64_t *ret_ip)
{
	size_t len = end - start;
	_cleanup_free_ unsigned char *buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	int r = remote_read(pid, start, buf, len);
	if (r < 0)
		return r;
	for (size_t k = 0; k + 1 < len; k++)
		if (buf[k] == 0x0f && buf[k + 1] == 0x05) {
			*ret_ip = start + k;
			return 0;
		}
	return -ENOEXEC;
}
