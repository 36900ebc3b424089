/* SPDX-License-Identifier: MIT */
/* Dump of a process's own state apart from memory and files: credentials, attributes, mm
 * fields, signal dispositions, threads (registers, xstate, masks, altstack, rseq, robust list,
 * clear_child_tid, names), pending signals, itimers and POSIX timers. Getters that only exist
 * as syscalls of the process itself run as remote syscalls writing into the scratch mapping. */
#include <elf.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <time.h>

#include "common/remote.h"
#include "dump/internal.h"

#ifndef PR_GET_TID_ADDRESS
#define PR_GET_TID_ADDRESS 40
#endif

#define ERESTARTSYS	      512
#define ERESTARTNOINTR	      513
#define ERESTARTNOHAND	      514
#define ERESTART_RESTARTBLOCK 516

struct rseq_config {
	uint64_t ptr;
	uint32_t size, sig, flags, pad;
};

int dump_inject(struct dump_ctx *c, struct dproc *p, pid_t tid, long nr, uint64_t a0, uint64_t a1,
		uint64_t a2, uint64_t a3, int64_t *ret)
{
	uint64_t a[6] = {a0, a1, a2, a3, 0, 0};
	int r = remote_syscall(tid, p->sys_ip, nr, a, ret);
	if (r < 0)
		return err_set(c->e, r, "pid %d thread %d: remote syscall %ld failed: %s", p->pid,
			       tid, nr, strerror(-r));
	return 0;
}

/* Inject a syscall whose result must be >= 0; the name is for the error detail. */
static int inject_ok(struct dump_ctx *c, struct dproc *p, pid_t tid, const char *what, long nr,
		     uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, int64_t *ret)
{
	int64_t v;
	int r = dump_inject(c, p, tid, nr, a0, a1, a2, a3, &v);
	if (r < 0)
		return r;
	if (v < 0 && v > -4096)
		return err_set(c->e, (int)v, "pid %d thread %d: %s: %s", p->pid, tid, what,
			       strerror((int)-v));
	if (ret)
		*ret = v;
	return 0;
}

/* Turn "stopped inside a syscall" into registers that re-run it, so the image holds no
 * kernel-internal restart codes. A relative nanosleep resumes with the remaining time the
 * kernel wrote to *rem; other restart-block syscalls re-run with their original arguments. */
static void resolve_syscall_restart(struct user_regs_struct *r)
{
	if ((int64_t)r->orig_rax < 0)
		return;
	int64_t ret = (int64_t)r->rax;
	if (ret == -ERESTARTSYS || ret == -ERESTARTNOINTR || ret == -ERESTARTNOHAND ||
	    ret == -ERESTART_RESTARTBLOCK) {
		if (ret == -ERESTART_RESTARTBLOCK) {
			if (r->orig_rax == SYS_nanosleep && r->rsi)
				r->rdi = r->rsi;
			else if (r->orig_rax == SYS_clock_nanosleep && !(r->rsi & TIMER_ABSTIME) &&
				 r->r10)
				r->rdx = r->r10;
		}
		r->rax = r->orig_rax;
		r->rip -= 2;
	}
	r->orig_rax = -1;
}

static int read_siginfo_queue(pid_t tid, int shared, uint8_t *buf, uint32_t *ret_n)
{
	uint32_t n = 0;
	while (n < IMG_MAX_SIGINFO) {
		struct __ptrace_peeksiginfo_args a = {.off = n, .flags = shared ? 1 : 0, .nr = 64};
		if (n + 64 > IMG_MAX_SIGINFO)
			a.nr = IMG_MAX_SIGINFO - n;
		long got = ptrace(PTRACE_PEEKSIGINFO, tid, &a, buf + n * 128UL);
		if (got < 0)
			return neg_errno();
		if (got == 0)
			break;
		n += got;
	}
	*ret_n = n;
	return 0;
}

static int write_siginfo(struct dump_ctx *c, struct dproc *p, pid_t tid, int shared)
{
	_cleanup_free_ uint8_t *buf = malloc(IMG_MAX_SIGINFO * 128UL);
	uint32_t n;
	if (!buf)
		return -ENOMEM;
	int r = read_siginfo_queue(tid, shared, buf, &n);
	if (r < 0)
		return err_set(c->e, r, "pid %d thread %d: cannot read pending signals: %s", p->pid,
			       tid, strerror(-r));
	if (!n)
		return 0;
	struct img_siginfo_hdr h = {.pid = p->pid, .tid = shared ? 0 : tid, .count = n};
	return img_writer_add(c->w, REC_SIGINFO, &h, sizeof(h), buf, n * 128UL);
}

static int thread_comm(pid_t pid, pid_t tid, char comm[16])
{
	char path[96], buf[64];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
	ssize_t n = proc_read_text(path, buf, sizeof(buf));
	if (n < 0)
		return n;
	buf[strcspn(buf, "\n")] = 0;
	memset(comm, 0, 16);
	memcpy(comm, buf, strnlen(buf, 15));
	return 0;
}

/* Scheduling, timer slack and credentials, which the kernel keeps per thread. */
static int thread_attrs(struct dump_ctx *c, struct dproc *p, pid_t tid, struct img_thread *t)
{
	char path[96];
	_cleanup_free_ char *buf = malloc(8192);
	struct proc_status st;
	struct sched_param sp;
	int64_t v;

	if (!buf)
		return -ENOMEM;
	errno = 0;
	int policy = sched_getscheduler(tid);
	int nice = getpriority(PRIO_PROCESS, tid);
	if (policy < 0 || (nice == -1 && errno) || sched_getparam(tid, &sp) < 0)
		return err_set(c->e, neg_errno(), "pid %d thread %d: cannot read its scheduling: %m",
			       p->pid, tid);
	t->sched_policy = policy & ~SCHED_RESET_ON_FORK;
	t->sched_reset_on_fork = !!(policy & SCHED_RESET_ON_FORK);
	t->sched_priority = sp.sched_priority;
	t->nice = nice;
	int r = inject_ok(c, p, tid, "prctl(PR_GET_TIMERSLACK)", SYS_prctl, PR_GET_TIMERSLACK, 0,
			  0, 0, &v);
	if (r < 0)
		return r;
	t->timerslack_ns = v;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", p->pid, tid);
	ssize_t n = proc_read_text(path, buf, 8192);
	if (n < 0 || (n = proc_status_parse(buf, &st)) < 0)
		return err_set(c->e, n, "pid %d thread %d: cannot read %s", p->pid, tid, path);
	memcpy(t->uid, st.uid, sizeof(t->uid));
	memcpy(t->gid, st.gid, sizeof(t->gid));
	t->cap_inh = st.cap_inh;
	t->cap_prm = st.cap_prm;
	t->cap_eff = st.cap_eff;
	t->cap_bnd = st.cap_bnd;
	t->cap_amb = st.cap_amb;
	return 0;
}

static int dump_thread(struct dump_ctx *c, struct dproc *p, pid_t tid)
{
	struct img_thread t = {.pid = p->pid, .tid = tid};
	struct user_regs_struct regs;
	uint8_t xstate[IMG_MAX_XSTATE];
	struct iovec iov = {xstate, sizeof(xstate)};
	struct rseq_config rc = {0};
	int64_t v;
	int r;

	if (ptrace(PTRACE_GETREGS, tid, 0, &regs) < 0 ||
	    ptrace(PTRACE_GETREGSET, tid, NT_X86_XSTATE, &iov) < 0 ||
	    ptrace(PTRACE_GETSIGMASK, tid, sizeof(t.sigmask), &t.sigmask) < 0)
		return err_set(c->e, neg_errno(), "pid %d thread %d: cannot read registers: %m",
			       p->pid, tid);
	resolve_syscall_restart(&regs);
	memcpy(t.regs, &regs, sizeof(regs));
	t.xstate_size = iov.iov_len;
	if (ptrace(PTRACE_GET_RSEQ_CONFIGURATION, tid, sizeof(rc), &rc) > 0 && rc.size) {
		t.rseq_ptr = rc.ptr;
		t.rseq_len = rc.size;
		t.rseq_sig = rc.sig;
	}
	size_t rl_len = 0;
	void *rl_head = NULL;
	if (syscall(SYS_get_robust_list, tid, &rl_head, &rl_len) == 0) {
		t.robust_list = (uint64_t)rl_head;
		t.robust_list_len = rl_len;
	}
	r = inject_ok(c, p, tid, "sigaltstack", SYS_sigaltstack, 0, p->scratch, 0, 0, NULL);
	if (r < 0)
		return r;
	stack_t ss;
	r = remote_read(p->pid, p->scratch, &ss, sizeof(ss));
	if (r < 0)
		return r;
	t.altstack_sp = (uint64_t)ss.ss_sp;
	t.altstack_size = ss.ss_size;
	t.altstack_flags = ss.ss_flags & ~SS_ONSTACK;
	r = inject_ok(c, p, tid, "prctl(PR_GET_TID_ADDRESS)", SYS_prctl, PR_GET_TID_ADDRESS,
		      p->scratch, 0, 0, &v);
	if (r < 0)
		return r;
	r = remote_read(p->pid, p->scratch, &t.clear_child_tid, sizeof(t.clear_child_tid));
	if (r < 0)
		return r;
	if (thread_comm(p->pid, tid, t.comm) < 0)
		memcpy(t.comm, p->stat.comm, sizeof(t.comm));
	if ((r = thread_attrs(c, p, tid, &t)) < 0)
		return r;
	r = img_writer_add(c->w, REC_THREAD, &t, sizeof(t), xstate, t.xstate_size);
	if (r < 0)
		return r;
	return write_siginfo(c, p, tid, 0);
}

static int read_sigact(struct dump_ctx *c, struct dproc *p, int sig, struct img_sigaction *act)
{
	int r = inject_ok(c, p, p->pid, "rt_sigaction", SYS_rt_sigaction, sig, 0, p->scratch, 8,
			  NULL);
	return r < 0 ? r : remote_read(p->pid, p->scratch, act, sizeof(*act));
}

/* Offsets in the scratch mapping for the batch: its second page becomes executable and holds
 * remote_batch_code; the actions and the batch's table follow. */
#define BATCH_CODE  4096
#define BATCH_ACTS  8192
#define BATCH_TABLE 12288

/* Every action but SIGTRAP's (read already) in one remote_batch: one stop instead of 122. Only
 * where the batch's int3 cannot disturb the process: SIGTRAP not ignored, none pending for the
 * leader, and the scratch page may become executable. 1 = done, 0 = not possible here (the
 * caller reads them one by one), or -errno. */
static int sigacts_batch(struct dump_ctx *c, struct dproc *p, struct img_sigacts *sa)
{
	const uint64_t trap = 1ULL << (SIGTRAP - 1), code = p->scratch + BATCH_CODE;
	struct remote_call call[64];
	struct proc_status ss;
	size_t n = 0, done;
	int64_t v;
	if (sa->act[SIGTRAP - 1].handler == (uint64_t)SIG_IGN ||
	    proc_status_read(p->pid, &ss) < 0 || ((ss.sig_pnd | ss.shd_pnd) & trap))
		return 0;
	int r = dump_inject(c, p, p->pid, SYS_mprotect, code, 4096,
			    PROT_READ | PROT_WRITE | PROT_EXEC, 0, &v);
	if (r < 0 || v < 0) /* v < 0: no executable scratch (memory-deny-write-execute...) */
		return r < 0 ? r : 0;
	if ((r = remote_write(p->pid, code, remote_batch_code, REMOTE_BATCH_CODE_LEN)) < 0)
		return err_set(c->e, r, "pid %d: cannot write its scratch mapping", p->pid);
	for (int sig = 1; sig <= 64; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig != SIGTRAP)
			call[n++] = (struct remote_call){
				SYS_rt_sigaction,
				{sig, 0, p->scratch + BATCH_ACTS + (sig - 1) * sizeof(sa->act[0]),
				 8},
				0};
	r = remote_batch(p->pid, code, p->scratch + BATCH_TABLE, call, n, &done);
	if (r == -EINTR) /* someone's SIGTRAP came in between; it is pending again */
		return 0;
	if (r < 0)
		return err_set(c->e, r, "pid %d: remote syscalls failed: %s", p->pid, strerror(-r));
	size_t bad;
	if ((r = remote_batch_result(call, n, done, &bad)) < 0)
		return err_set(c->e, r, "pid %d: rt_sigaction(%d): %s", p->pid, (int)call[bad].a[0],
			       strerror(-r));
	struct img_sigaction keep = sa->act[SIGTRAP - 1];
	r = remote_read(p->pid, p->scratch + BATCH_ACTS, sa->act, sizeof(sa->act));
	if (r < 0)
		return r;
	sa->act[SIGTRAP - 1] = keep;
	memset(&sa->act[SIGKILL - 1], 0, sizeof(sa->act[0]));
	memset(&sa->act[SIGSTOP - 1], 0, sizeof(sa->act[0]));
	return 1;
}

static int dump_sigacts(struct dump_ctx *c, struct dproc *p)
{
	struct img_sigacts sa = {.pid = p->pid};
	int r = read_sigact(c, p, SIGTRAP, &sa.act[SIGTRAP - 1]);
	if (r == 0)
		r = sigacts_batch(c, p, &sa);
	for (int sig = 1; r == 0 && sig <= 64; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig != SIGTRAP)
			r = read_sigact(c, p, sig, &sa.act[sig - 1]);
	if (r < 0)
		return r;
	return img_writer_add(c->w, REC_SIGACTS, &sa, sizeof(sa), NULL, 0);
}

static int read_link(const char *path, char *buf, size_t size)
{
	ssize_t n = readlink(path, buf, size - 1);
	if (n < 0)
		return neg_errno();
	buf[n] = 0;
	return 0;
}

static int dump_mm(struct dump_ctx *c, struct dproc *p)
{
	struct img_mm mm = {.pid = p->pid};
	uint64_t auxv[130];
	char path[64];
	int64_t brk;

	mm.start_code = p->stat.start_code;
	mm.end_code = p->stat.end_code;
	mm.start_data = p->stat.start_data;
	mm.end_data = p->stat.end_data;
	mm.start_brk = p->stat.start_brk;
	mm.start_stack = p->stat.start_stack;
	mm.arg_start = p->stat.arg_start;
	mm.arg_end = p->stat.arg_end;
	mm.env_start = p->stat.env_start;
	mm.env_end = p->stat.env_end;
	int r = inject_ok(c, p, p->pid, "brk", SYS_brk, 0, 0, 0, 0, &brk);
	if (r < 0)
		return r;
	mm.brk = brk;
	snprintf(path, sizeof(path), "/proc/%d/exe", p->pid);
	r = read_link(path, mm.exe_path, sizeof(mm.exe_path));
	if (r < 0)
		return err_set(c->e, r, "pid %d: cannot read its executable's path: %s", p->pid,
			       strerror(-r));
	snprintf(path, sizeof(path), "/proc/%d/auxv", p->pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, auxv, sizeof(auxv));
	if (n < 0 || n % 16 || n > 128 * 8)
		return err_set(c->e, -EIO, "pid %d: cannot read auxv", p->pid);
	mm.auxv_words = n / 8;
	return img_writer_add(c->w, REC_MM, &mm, sizeof(mm), auxv, n);
}

/* The limits are read with prlimit() from here where allowed (root, or a process of the
 * caller's own ids); prlimit() on a process of another user needs CAP_SYS_RESOURCE, which these
 * machines may lack (KERNEL-FACTS.md), and then the process reads its own limits. */
static int read_rlimits(struct dump_ctx *c, struct dproc *p, struct img_proc *ip)
{
	int direct = 1, r;
	for (int res = 0; res < 16; res++) {
		struct rlimit rl;
		if (direct && prlimit(p->pid, res, NULL, &rl) < 0) {
			if (errno != EPERM)
				return err_set(c->e, neg_errno(), "pid %d: prlimit(%d): %m", p->pid,
					       res);
			direct = 0;
		}
		if (!direct && ((r = inject_ok(c, p, p->pid, "prlimit64", SYS_prlimit64, 0, res, 0,
					       p->scratch, NULL)) < 0 ||
				(r = remote_read(p->pid, p->scratch, &rl, sizeof(rl))) < 0))
			return r;
		ip->rlim_cur[res] = rl.rlim_cur;
		ip->rlim_max[res] = rl.rlim_max;
	}
	return 0;
}

static int dump_creds_attrs(struct dump_ctx *c, struct dproc *p, struct img_proc *ip)
{
	char path[64], buf[64];
	int64_t v;
	int r;

	memcpy(ip->uid, p->status.uid, sizeof(ip->uid));
	memcpy(ip->gid, p->status.gid, sizeof(ip->gid));
	ip->cap_inh = p->status.cap_inh;
	ip->cap_prm = p->status.cap_prm;
	ip->cap_eff = p->status.cap_eff;
	ip->cap_bnd = p->status.cap_bnd;
	ip->cap_amb = p->status.cap_amb;
	ip->umask = p->status.umask;
	ip->no_new_privs = p->status.no_new_privs;
	ip->nice = p->stat.nice;
	ip->sched_policy = p->stat.policy;
	ip->sched_priority = p->stat.rt_priority;
	ip->exit_signal = p->stat.exit_signal;
	snprintf(path, sizeof(path), "/proc/%d/personality", p->pid);
	if (proc_read_text(path, buf, sizeof(buf)) > 0)
		ip->personality = strtoul(buf, NULL, 16);
	snprintf(path, sizeof(path), "/proc/%d/timerslack_ns", p->pid);
	if (proc_read_text(path, buf, sizeof(buf)) > 0)
		ip->timerslack_ns = strtoull(buf, NULL, 10);
	if ((r = inject_ok(c, p, p->pid, "prctl(PR_GET_SECUREBITS)", SYS_prctl, PR_GET_SECUREBITS,
			   0, 0, 0, &v)) < 0)
		return r;
	ip->securebits = v;
	if ((r = inject_ok(c, p, p->pid, "prctl(PR_GET_DUMPABLE)", SYS_prctl, PR_GET_DUMPABLE, 0,
			   0, 0, &v)) < 0)
		return r;
	ip->dumpable = v;
	int32_t ints[2];
	if ((r = inject_ok(c, p, p->pid, "prctl(PR_GET_PDEATHSIG)", SYS_prctl, PR_GET_PDEATHSIG,
			   p->scratch, 0, 0, NULL)) < 0 ||
	    (r = inject_ok(c, p, p->pid, "prctl(PR_GET_CHILD_SUBREAPER)", SYS_prctl,
			   PR_GET_CHILD_SUBREAPER, p->scratch + 4, 0, 0, NULL)) < 0 ||
	    (r = remote_read(p->pid, p->scratch, ints, sizeof(ints))) < 0)
		return r;
	ip->pdeathsig = ints[0];
	ip->child_subreaper = ints[1];
	if ((r = read_rlimits(c, p, ip)) < 0)
		return r;
	for (int which = 0; which < 3; which++) {
		struct itimerval it;
		if ((r = inject_ok(c, p, p->pid, "getitimer", SYS_getitimer, which, p->scratch, 0,
				   0, NULL)) < 0 ||
		    (r = remote_read(p->pid, p->scratch, &it, sizeof(it))) < 0)
			return r;
		ip->itimer_value_us[which] = it.it_value.tv_sec * 1000000LL + it.it_value.tv_usec;
		ip->itimer_interval_us[which] =
			it.it_interval.tv_sec * 1000000LL + it.it_interval.tv_usec;
	}
	snprintf(path, sizeof(path), "/proc/%d/cwd", p->pid);
	if ((r = read_link(path, ip->cwd, sizeof(ip->cwd))) < 0)
		return err_set(c->e, r, "pid %d: cannot read cwd: %s", p->pid, strerror(-r));
	snprintf(path, sizeof(path), "/proc/%d/root", p->pid);
	if ((r = read_link(path, ip->root, sizeof(ip->root))) < 0)
		return err_set(c->e, r, "pid %d: cannot read root: %s", p->pid, strerror(-r));
	if (strstr(ip->cwd, " (deleted)"))
		return err_set(c->e, -EOPNOTSUPP, "pid %d: its cwd %s was deleted", p->pid,
			       ip->cwd);
	return 0;
}

/* One entry of /proc/PID/timers: "ID: n", "signal: s/val", "notify: kind/pid.N", "ClockID: c" */
static int parse_timers(const char *text, struct img_timer *out, size_t max, size_t *ret_n)
{
	size_t n = 0;
	/* Entries start with "ID: " at the start of a line ("ClockID: " also contains it). */
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, "ID: ", 4))
			continue;
		if (n >= max)
			return -E2BIG;
		struct img_timer *t = &out[n];
		char kind[16] = "";
		unsigned long long val = 0;
		unsigned tid = 0;
		memset(t, 0, sizeof(*t));
		if (sscanf(p, "ID: %d\nsignal: %d/%llx\nnotify: %15[a-z]/%*[a-z].%u\nClockID: %d",
			   &t->timer_id, &t->sigev_signo, &val, kind, &tid, &t->clock_id) != 6)
			return -EBADMSG;
		t->sigev_value = val;
		if (!strcmp(kind, "thread")) {
			t->sigev_notify = SIGEV_THREAD_ID;
			t->notify_tid = tid;
		}
		else if (!strcmp(kind, "signal"))
			t->sigev_notify = SIGEV_SIGNAL;
		else
			t->sigev_notify = SIGEV_NONE;
		n++;
	}
	*ret_n = n;
	return 0;
}

static int dump_timers(struct dump_ctx *c, struct dproc *p)
{
	char path[64];
	_cleanup_free_ char *text = malloc(1 << 20);
	_cleanup_free_ struct img_timer *t = calloc(IMG_MAX_TIMERS, sizeof(*t));
	size_t n;

	if (!text || !t)
		return -ENOMEM;
	snprintf(path, sizeof(path), "/proc/%d/timers", p->pid);
	ssize_t len = proc_read_text(path, text, 1 << 20);
	if (len < 0)
		return err_set(c->e, len, "pid %d: cannot read %s", p->pid, path);
	int r = parse_timers(text, t, IMG_MAX_TIMERS, &n);
	if (r < 0)
		return err_set(c->e, r, "pid %d: cannot parse %s", p->pid, path);
	for (size_t i = 0; i < n; i++) {
		struct itimerspec its;
		int64_t ov;
		t[i].pid = p->pid;
		if ((r = inject_ok(c, p, p->pid, "timer_gettime", SYS_timer_gettime, t[i].timer_id,
				   p->scratch, 0, 0, NULL)) < 0 ||
		    (r = remote_read(p->pid, p->scratch, &its, sizeof(its))) < 0 ||
		    (r = inject_ok(c, p, p->pid, "timer_getoverrun", SYS_timer_getoverrun,
				   t[i].timer_id, 0, 0, 0, &ov)) < 0)
			return r;
		t[i].value_ns = its.it_value.tv_sec * 1000000000LL + its.it_value.tv_nsec;
		t[i].interval_ns = its.it_interval.tv_sec * 1000000000LL + its.it_interval.tv_nsec;
		t[i].overrun = ov;
		r = img_writer_add(c->w, REC_TIMER, &t[i], sizeof(t[i]), NULL, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

static int dump_zombie(struct dump_ctx *c, struct dproc *p)
{
	struct img_proc ip;
	memset(&ip, 0, sizeof(ip));
	ip.pid = p->pid;
	ip.ppid = p->ppid;
	ip.pgid = p->stat.pgrp;
	ip.sid = p->stat.session;
	ip.state = PROC_ZOMBIE;
	ip.exit_status = p->stat.exit_code;
	ip.exit_signal = p->stat.exit_signal;
	memcpy(ip.comm, p->stat.comm, sizeof(ip.comm));
	strcpy(ip.cwd, "/");
	strcpy(ip.root, "/");
	return img_writer_add(c->w, REC_PROC, &ip, sizeof(ip), NULL, 0);
}

int dump_task(struct dump_ctx *c, struct dproc *p)
{
	if (p->zombie)
		return dump_zombie(c, p);
	_cleanup_free_ struct img_proc *ip = calloc(1, sizeof(*ip));
	if (!ip)
		return -ENOMEM;
	ip->pid = p->pid;
	ip->ppid = p->ppid;
	ip->pgid = p->stat.pgrp;
	ip->sid = p->stat.session;
	ip->state = PROC_ALIVE;
	ip->nthreads = p->nthreads;
	memcpy(ip->comm, p->stat.comm, sizeof(ip->comm));
	int r = dump_creds_attrs(c, p, ip);
	if (r < 0)
		return r;
	if ((r = img_writer_add(c->w, REC_PROC, ip, sizeof(*ip), NULL, 0)) < 0)
		return r;
	struct img_groups g = {.pid = p->pid, .count = p->status.ngroups};
	if ((r = img_writer_add(c->w, REC_GROUPS, &g, sizeof(g), p->status.groups,
				g.count * sizeof(uint32_t))) < 0)
		return r;
	if ((r = dump_mm(c, p)) < 0 || (r = dump_sigacts(c, p)) < 0)
		return r;
	for (size_t i = 0; i < p->nthreads; i++)
		if ((r = dump_thread(c, p, p->tids[i])) < 0)
			return r;
	if ((r = write_siginfo(c, p, p->pid, 1)) < 0)
		return r;
	return dump_timers(c, p);
}
