/* SPDX-License-Identifier: MIT */
/* Everything of a restored process after its memory: threads (clone3 with set_tid, auto-attached
 * through PTRACE_O_TRACECLONE), per-thread kernel state, signal dispositions, pending signals,
 * attributes, timers, credentials last (they drop the privileges the earlier steps need), and
 * finally each thread's registers and xstate, ready for the detach that resumes it. */
#include <elf.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <time.h>

#include "common/remote.h"
#include "res/res.h"
#include "restore/internal.h"

#ifndef PR_TIMER_CREATE_RESTORE_IDS
#define PR_TIMER_CREATE_RESTORE_IDS 77
#endif

static int create_thread(struct restore_ctx *c, struct rproc *p, size_t i)
{
	pid_t pid = p->m->p.pid, tid = p->m->threads[i].t.tid;
	struct clone_args a = {0};
	int status;

	a.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
	a.set_tid = SCR(p, 512);
	a.set_tid_size = 1;
	int r = scratch_put(c, p, 0, &a, sizeof(a));
	if (r == 0)
		r = scratch_put(c, p, 512, &tid, sizeof(tid));
	if (r == 0)
		r = rinject(c, p, pid, SYS_clone3, SCR(p, 0), sizeof(a), 0, 0, 0, 0, NULL);
	if (r < 0)
		return err_set(c->e, r, "pid %u: cannot create thread %d", pid, tid);
	r = remote_wait_stop(tid, &status);
	if (r < 0)
		return err_set(c->e, r, "pid %u: new thread %d vanished", pid, tid);
	p->tids[i] = tid;
	return 0;
}

static int thread_state(struct restore_ctx *c, struct rproc *p, const struct img_thread *t)
{
	pid_t tid = t->tid;
	stack_t ss = {.ss_sp = (void *)t->altstack_sp, .ss_size = t->altstack_size};
	int r;

	ss.ss_flags = t->altstack_flags;
	if ((r = rinject(c, p, tid, SYS_set_robust_list, t->robust_list,
			 t->robust_list_len ? t->robust_list_len : 24, 0, 0, 0, 0, NULL)) < 0 ||
	    (r = rinject(c, p, tid, SYS_set_tid_address, t->clear_child_tid, 0, 0, 0, 0, 0, NULL)) <
		    0)
		return r;
	if (!(ss.ss_flags & SS_DISABLE) || ss.ss_sp) {
		if ((r = scratch_put(c, p, 0, &ss, sizeof(ss))) < 0 ||
		    (r = rinject(c, p, tid, SYS_sigaltstack, SCR(p, 0), 0, 0, 0, 0, 0, NULL)) < 0)
			return r;
	}
	if (t->rseq_len && (r = rinject(c, p, tid, SYS_rseq, t->rseq_ptr, t->rseq_len, 0,
					t->rseq_sig, 0, 0, NULL)) < 0)
		return err_set(c->e, r, "pid %u thread %d: cannot register rseq", p->m->p.pid, tid);
	if ((r = scratch_put(c, p, 0, t->comm, sizeof(t->comm))) < 0)
		return r;
	return rinject(c, p, tid, SYS_prctl, PR_SET_NAME, SCR(p, 0), 0, 0, 0, 0, NULL);
}

static int restore_sigact(struct restore_ctx *c, struct rproc *p, int sig)
{
	pid_t pid = p->m->p.pid;
	int r = scratch_put(c, p, 0, &p->m->sigacts.act[sig - 1], sizeof(struct img_sigaction));
	if (r == 0)
		r = rinject(c, p, pid, SYS_rt_sigaction, sig, SCR(p, 0), 0, 8, 0, 0, NULL);
	return r < 0 ? err_set(c->e, r, "pid %u: cannot restore the action of signal %d", pid, sig)
		     : 0;
}

/* One batch (remote_batch) for every action but SIGTRAP's: the batch ends at an int3, whose
 * SIGTRAP would reset an ignored SIGTRAP action to the default, so that one is set afterwards
 * with a plain remote syscall. */
static int restore_sigacts(struct restore_ctx *c, struct rproc *p)
{
	struct remote_call call[64];
	size_t n = 0, done;
	pid_t pid = p->m->p.pid;
	if (!p->m->has_sigacts)
		return 0;
	int r = scratch_put(c, p, 0, p->m->sigacts.act, sizeof(p->m->sigacts.act));
	for (int sig = 1; r == 0 && sig <= 64; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig != SIGTRAP)
			call[n++] = (struct remote_call){
				SYS_rt_sigaction,
				{sig, SCR(p, (sig - 1) * sizeof(struct img_sigaction)), 0, 8, 0, 0},
				0};
	if (r == 0)
		r = remote_batch(pid, p->scratch + SCRATCH_BATCH_CODE, SCR(p, BATCH_TABLE), call, n,
				 &done);
	if (r < 0)
		return err_set(c->e, r, "pid %u: cannot restore its signal actions: %s", pid,
			       strerror(-r));
	size_t bad;
	if ((r = remote_batch_result(call, n, done, &bad)) < 0)
		return err_set(c->e, r, "pid %u: cannot restore the action of signal %d: %s", pid,
			       (int)call[bad].a[0], strerror(-r));
	return restore_sigact(c, p, SIGTRAP);
}

/* Pending signals are queued by the process to itself (only then any si_code is allowed);
 * every signal is blocked at this point, so nothing is delivered before the final masks. */
static int queue_signals(struct restore_ctx *c, struct rproc *p, uint32_t tid, const uint8_t *si,
			 uint32_t n)
{
	pid_t pid = p->m->p.pid;
	for (uint32_t i = 0; i < n; i++) {
		const siginfo_t *info = (const siginfo_t *)(si + i * 128UL);
		int r = scratch_put(c, p, 0, info, 128);
		if (r < 0)
			return r;
		/* The kernel allows any si_code only when the target thread sends to itself. */
		if (tid)
			r = rinject(c, p, tid, SYS_rt_tgsigqueueinfo, pid, tid, info->si_signo,
				    SCR(p, 0), 0, 0, NULL);
		else
			r = rinject(c, p, pid, SYS_rt_sigqueueinfo, pid, info->si_signo, SCR(p, 0),
				    0, 0, 0, NULL);
		if (r < 0)
			return err_set(c->e, r, "pid %u: cannot queue pending signal %d", pid,
				       info->si_signo);
	}
	return 0;
}

static int restore_itimers(struct restore_ctx *c, struct rproc *p)
{
	const struct img_proc *ip = &p->m->p;
	for (int which = 0; which < 3; which++) {
		struct itimerval it = {0};
		if (!ip->itimer_value_us[which])
			continue;
		it.it_value.tv_sec = ip->itimer_value_us[which] / 1000000;
		it.it_value.tv_usec = ip->itimer_value_us[which] % 1000000;
		it.it_interval.tv_sec = ip->itimer_interval_us[which] / 1000000;
		it.it_interval.tv_usec = ip->itimer_interval_us[which] % 1000000;
		int r = scratch_put(c, p, 0, &it, sizeof(it));
		if (r == 0)
			r = rinject(c, p, ip->pid, SYS_setitimer, which, SCR(p, 0), 0, 0, 0, 0, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

/* POSIX timers get their dumped ids back through PR_TIMER_CREATE_RESTORE_IDS (Linux 6.16). */
static int restore_timers(struct restore_ctx *c, struct rproc *p)
{
	pid_t pid = p->m->p.pid;
	int r;
	if (!p->m->ntimers)
		return 0;
	if ((r = rinject(c, p, pid, SYS_prctl, PR_TIMER_CREATE_RESTORE_IDS, 1, 0, 0, 0, 0, NULL)) <
	    0)
		return err_set(c->e, r, "pid %u: this kernel cannot restore POSIX timer ids", pid);
	/* /proc/PID/timers lists the newest first: create in reverse to keep that order. */
	for (size_t i = p->m->ntimers; i-- > 0;) {
		const struct img_timer *t = &p->m->timers[i];
		struct sigevent sev;
		struct itimerspec its = {{t->interval_ns / 1000000000, t->interval_ns % 1000000000},
					 {t->value_ns / 1000000000, t->value_ns % 1000000000}};
		int32_t id = t->timer_id;
		memset(&sev, 0, sizeof(sev));
		sev.sigev_notify = t->sigev_notify;
		sev.sigev_signo = t->sigev_signo;
		sev.sigev_value.sival_ptr = (void *)t->sigev_value;
		sev._sigev_un._tid = t->notify_tid;
		if ((r = scratch_put(c, p, 0, &sev, sizeof(sev))) < 0 ||
		    (r = scratch_put(c, p, 256, &id, sizeof(id))) < 0 ||
		    (r = scratch_put(c, p, 512, &its, sizeof(its))) < 0 ||
		    (r = rinject(c, p, pid, SYS_timer_create, t->clock_id, SCR(p, 0), SCR(p, 256), 0,
				 0, 0, NULL)) < 0 ||
		    (r = rinject(c, p, pid, SYS_timer_settime, t->timer_id, 0, SCR(p, 512), 0, 0, 0,
				 NULL)) < 0)
			return err_set(c->e, r, "pid %u: cannot restore POSIX timer %d", pid,
				       t->timer_id);
	}
	return rinject(c, p, pid, SYS_prctl, PR_TIMER_CREATE_RESTORE_IDS, 0, 0, 0, 0, 0, NULL);
}

/* Scheduling and timer slack of thread i: per thread in the kernel and in the image. */
static int thread_sched(struct restore_ctx *c, struct rproc *p, size_t i)
{
	const struct img_thread *t = &p->m->threads[i].t;
	struct sched_param sp = {.sched_priority = t->sched_priority};
	int policy = t->sched_policy | (t->sched_reset_on_fork ? SCHED_RESET_ON_FORK : 0);
	if (sched_setscheduler(p->tids[i], policy, &sp) < 0 ||
	    setpriority(PRIO_PROCESS, p->tids[i], t->nice) < 0)
		return err_set(c->e, neg_errno(),
			       "pid %u thread %d: cannot set its scheduling (policy %u, "
			       "priority %u, nice %d): %m",
			       p->m->p.pid, p->tids[i], t->sched_policy, t->sched_priority, t->nice);
	return rinject(c, p, p->tids[i], SYS_prctl, PR_SET_TIMERSLACK, t->timerslack_ns, 0, 0, 0, 0,
		       NULL);
}

static int restore_attrs(struct restore_ctx *c, struct rproc *p)
{
	const struct img_proc *ip = &p->m->p;
	pid_t pid = ip->pid;
	int r;

	for (int res = 0; res < 16; res++) {
		struct rlimit rl = {ip->rlim_cur[res], ip->rlim_max[res]};
		if (prlimit(pid, res, &rl, NULL) < 0)
			return err_set(c->e, neg_errno(), "pid %u: cannot set rlimit %d: %m", pid,
				       res);
	}
	for (size_t t = 0; t < p->m->nthreads; t++)
		if ((r = thread_sched(c, p, t)) < 0)
			return r;
	if ((r = scratch_put(c, p, 0, ip->cwd, strlen(ip->cwd) + 1)) < 0 ||
	    (r = rinject(c, p, pid, SYS_chdir, SCR(p, 0), 0, 0, 0, 0, 0, NULL)) < 0)
		return err_set(c->e, r, "pid %u: cannot change to its directory %s", pid, ip->cwd);
	if (strcmp(ip->root, "/") &&
	    ((r = scratch_put(c, p, 0, ip->root, strlen(ip->root) + 1)) < 0 ||
	     (r = rinject(c, p, pid, SYS_chroot, SCR(p, 0), 0, 0, 0, 0, 0, NULL)) < 0))
		return err_set(c->e, r, "pid %u: cannot change its root to %s", pid, ip->root);
	if ((r = rinject(c, p, pid, SYS_umask, ip->umask, 0, 0, 0, 0, 0, NULL)) < 0 ||
	    (r = rinject(c, p, pid, SYS_personality, ip->personality, 0, 0, 0, 0, 0, NULL)) < 0 ||
	    (r = rinject(c, p, pid, SYS_prctl, PR_SET_CHILD_SUBREAPER, ip->child_subreaper, 0, 0, 0,
			 0, NULL)) < 0)
		return r;
	if ((r = restore_itimers(c, p)) < 0)
		return r;
	return restore_timers(c, p);
}

static int same_creds_as_seed(const struct img_proc_model *m)
{
	const struct img_proc *ip = &m->p;
	for (int i = 0; i < 4; i++)
		if (ip->uid[i] != getuid() || ip->gid[i] != getgid())
			return 0;
	/* Threads may differ from their leader (raw setresuid() and the like). */
	for (size_t t = 0; t < m->nthreads; t++) {
		const struct img_thread *th = &m->threads[t].t;
		if (memcmp(th->uid, ip->uid, sizeof(ip->uid)) ||
		    memcmp(th->gid, ip->gid, sizeof(ip->gid)) || th->cap_inh != ip->cap_inh ||
		    th->cap_prm != ip->cap_prm || th->cap_eff != ip->cap_eff ||
		    th->cap_bnd != ip->cap_bnd || th->cap_amb != ip->cap_amb)
			return 0;
	}
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return 0;
	uint64_t eff = d[0].effective | (uint64_t)d[1].effective << 32;
	uint64_t prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	uint64_t inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return eff == ip->cap_eff && prm == ip->cap_prm && inh == ip->cap_inh && !ip->cap_amb &&
	       m->ngroups == 0 && ip->securebits == 0;
}

/* The capability sets of one thread (effective, permitted, inheritable, then ambient), set in
 * the thread itself once its ids are final. */
static int thread_caps(struct restore_ctx *c, struct rproc *p, size_t i)
{
	const struct img_thread *t = &p->m->threads[i].t;
	pid_t tid = p->tids[i];
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, tid};
	struct __user_cap_data_struct d[2] = {
		{t->cap_eff, t->cap_prm, t->cap_inh},
		{t->cap_eff >> 32, t->cap_prm >> 32, t->cap_inh >> 32},
	};
	int r;
	if ((r = scratch_put(c, p, 0, &h, sizeof(h))) < 0 ||
	    (r = scratch_put(c, p, 64, d, sizeof(d))) < 0 ||
	    (r = rinject(c, p, tid, SYS_capset, SCR(p, 0), SCR(p, 64), 0, 0, 0, 0, NULL)) < 0)
		return err_set(c->e, r, "pid %u thread %d: cannot restore its capabilities",
			       p->m->p.pid, tid);
	for (int cap = 0; cap < 64; cap++)
		if ((t->cap_amb & (1ULL << cap)) &&
		    (r = rinject(c, p, tid, SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0,
				 0, 0, NULL)) < 0)
			return r;
	return 0;
}

/* Credentials of one thread (they are per thread in the kernel and in the image; groups and
 * securebits are the leader's). */
static int thread_creds(struct restore_ctx *c, struct rproc *p, size_t i)
{
	const struct img_proc *ip = &p->m->p;
	const struct img_thread *t = &p->m->threads[i].t;
	pid_t tid = p->tids[i];
	int r;
	/* Capabilities this kernel does not know (EINVAL) are simply absent. */
	for (int cap = 0; cap < 64 && prctl(PR_CAPBSET_READ, cap) >= 0; cap++)
		if (!(t->cap_bnd & (1ULL << cap)) &&
		    (r = rinject(c, p, tid, SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0, 0, NULL)) < 0)
			return r;
	if ((r = scratch_put(c, p, 0, p->m->groups, p->m->ngroups * 4)) < 0 ||
	    (r = rinject(c, p, tid, SYS_setgroups, p->m->ngroups, SCR(p, 0), 0, 0, 0, 0, NULL)) <
		    0 ||
	    (r = rinject(c, p, tid, SYS_setresgid, t->gid[0], t->gid[1], t->gid[2], 0, 0, 0,
			 NULL)) < 0 ||
	    (r = rinject(c, p, tid, SYS_setfsgid, t->gid[3], 0, 0, 0, 0, 0, NULL)) < 0 ||
	    (r = rinject(c, p, tid, SYS_prctl, PR_SET_SECUREBITS, ip->securebits | 0x10 /*KEEP*/, 0,
			 0, 0, 0, NULL)) < 0 ||
	    (r = rinject(c, p, tid, SYS_setresuid, t->uid[0], t->uid[1], t->uid[2], 0, 0, 0,
			 NULL)) < 0 ||
	    (r = rinject(c, p, tid, SYS_setfsuid, t->uid[3], 0, 0, 0, 0, 0, NULL)) < 0 ||
	    (r = rinject(c, p, tid, SYS_prctl, PR_SET_KEEPCAPS, !!(ip->securebits & 0x10), 0, 0, 0,
			 0, NULL)) < 0)
		return err_set(c->e, r, "pid %u thread %d: cannot restore credentials", ip->pid,
			       tid);
	return thread_caps(c, p, i);
}

int task_restore(struct restore_ctx *c, struct rproc *p)
{
	pid_t pid = p->m->p.pid;
	int r;

	/* EXITKILL: a tree that loses its restorer before it is released dies rather than runs
	 * half-built, or runs as a second copy of a migrating process whose commit never came. */
	if (ptrace(PTRACE_SETOPTIONS, pid, 0,
		   PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL) < 0)
		return neg_errno();
	p->tids[0] = pid;
	for (size_t i = 1; i < p->m->nthreads; i++)
		if ((r = create_thread(c, p, i)) < 0)
			return r;
	for (size_t i = 0; i < p->m->nthreads; i++)
		if ((r = thread_state(c, p, &p->m->threads[i].t)) < 0)
			return r;
	if ((r = restore_sigacts(c, p)) < 0 || (r = restore_attrs(c, p)) < 0)
		return r;
	for (size_t i = 0; i < p->m->nthreads; i++)
		if ((r = queue_signals(c, p, p->m->threads[i].t.tid, p->m->threads[i].siginfo,
				       p->m->threads[i].nsiginfo)) < 0)
			return r;
	if ((r = queue_signals(c, p, 0, p->m->shared_siginfo, p->m->nshared_siginfo)) < 0)
		return r;
	/* Without root, check.c allowed only images whose ids and groups are the caller's, so the
	 * only change left is lowering the capability sets the seed inherited from ferry. */
	if (!same_creds_as_seed(p->m))
		for (size_t i = 0; i < p->m->nthreads; i++)
			if ((r = geteuid() == 0 ? thread_creds(c, p, i) : thread_caps(c, p, i)) <
			    0)
				return r;
	/* These are reset by credential changes, so they come after. */
	const struct img_proc *ip = &p->m->p;
	if ((r = rinject(c, p, pid, SYS_prctl, PR_SET_DUMPABLE, ip->dumpable, 0, 0, 0, 0, NULL)) <
		    0 ||
	    (r = rinject(c, p, pid, SYS_prctl, PR_SET_PDEATHSIG, ip->pdeathsig, 0, 0, 0, 0, NULL)) <
		    0)
		return r;
	if (ip->no_new_privs &&
	    (r = rinject(c, p, pid, SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0, NULL)) < 0)
		return r;
	/* The seed's table fds and anything else above the image's fds. */
	return rinject(c, p, pid, SYS_close_range, c->table_base, ~0U, 0, 0, 0, 0, NULL);
}

static int set_thread_regs(struct restore_ctx *c, struct rproc *p, size_t i)
{
	const struct img_thread_model *tm = &p->m->threads[i];
	struct user_regs_struct regs;
	struct iovec iov = {(void *)tm->xstate, tm->t.xstate_size};
	pid_t tid = tm->t.tid;
	uint64_t mask = tm->t.sigmask;

	memcpy(&regs, tm->t.regs, sizeof(regs));
	regs.orig_rax = -1;
	if (ptrace(PTRACE_SETREGSET, tid, NT_X86_XSTATE, &iov) < 0 ||
	    ptrace(PTRACE_SETREGS, tid, 0, &regs) < 0 ||
	    ptrace(PTRACE_SETSIGMASK, tid, sizeof(mask), &mask) < 0)
		return err_set(c->e, neg_errno(), "pid %u thread %d: cannot set registers: %m",
			       p->m->p.pid, tid);
	return 0;
}

/* Last step before the detach: drop the scratch area (from the leader, whose registers are
 * replaced right after the munmap returns) and load every thread's registers. */
int task_finish(struct restore_ctx *c, struct rproc *p)
{
	int r = rinject(c, p, p->m->p.pid, SYS_munmap, p->scratch, SCRATCH_LEN, 0, 0, 0, 0, NULL);
	if (r < 0 || (r = res_restore_last(c, p)) < 0)
		return r;
	for (size_t i = 0; i < p->m->nthreads; i++)
		if ((r = set_thread_regs(c, p, i)) < 0)
			return r;
	return 0;
}
