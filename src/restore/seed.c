/* SPDX-License-Identifier: MIT */
/* Seeds: the restorer forks one process per image process with clone3(set_tid), each from its
 * image parent's seed, so PIDs, parent links, sessions and process groups come out right.
 * A seed installs its fds from the inherited file table, maps a scratch area with a `syscall`
 * instruction at an address the image leaves free, reports to the restorer and waits to be
 * seized. Zombie processes are seeds that exit at once with the dumped status. */
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "common/proc.h"
#include "common/remote.h"
#include "res/res.h"
#include "restore/internal.h"

static void seed_report(struct restore_ctx *c, int index, int err, uint64_t scratch,
			const char *what)
{
	struct seed_msg m = {.index = index, .err = err, .scratch = scratch};
	if (what)
		snprintf(m.what, sizeof(m.what), "%s", what);
	if (write(c->ready_pipe[1], &m, sizeof(m)) != sizeof(m))
		_exit(127);
}

static void __attribute__((noreturn)) seed_fail(struct restore_ctx *c, int index, const char *what)
{
	seed_report(c, index, neg_errno(), 0, what);
	_exit(127);
}

static pid_t clone_with_pid(pid_t pid, int exit_signal)
{
	struct clone_args a = {0};
	a.exit_signal = exit_signal;
	a.set_tid = (uint64_t)&pid;
	a.set_tid_size = 1;
	return syscall(SYS_clone3, &a, sizeof(a));
}

static void __attribute__((noreturn)) seed_main(struct restore_ctx *c, int index);

static void set_session(struct restore_ctx *c, int index)
{
	const struct img_proc *p = &c->m->procs[index].p;
	if (p->sid == p->pid) {
		if (setsid() < 0)
			seed_fail(c, index, "setsid");
	} else if (p->pgid == p->pid) {
		if (setpgid(0, 0) < 0)
			seed_fail(c, index, "setpgid");
	} else if (img_model_proc(c->m, p->pgid) && getpgrp() != (pid_t)p->pgid) {
		if (setpgid(0, p->pgid) < 0)
			seed_fail(c, index, "joining its process group");
	}
}

static void zombie_exit(const struct img_proc *p)
{
	int st = p->exit_status;
	if (WIFSIGNALED(st)) {
		sigset_t all;
		signal(WTERMSIG(st), SIG_DFL);
		sigfillset(&all);
		sigprocmask(SIG_UNBLOCK, &all, NULL);
		raise(WTERMSIG(st));
	}
	_exit(WEXITSTATUS(st));
}

static int leads_group(const struct img_proc *p)
{
	return p->pgid == p->pid || p->sid == p->pid;
}

/* Group and session leaders first, so siblings can join their groups. */
static void fork_children(struct restore_ctx *c, int index)
{
	const struct img_proc *me = &c->m->procs[index].p;
	for (size_t k = 0; k < 2 * c->m->nprocs; k++) {
		size_t i = k % c->m->nprocs;
		const struct img_proc *p = &c->m->procs[i].p;
		if (p->ppid != me->pid || (int)i == index || i == 0 ||
		    leads_group(p) != (k < c->m->nprocs))
			continue;
		pid_t pid = clone_with_pid(p->pid, p->exit_signal ? p->exit_signal : SIGCHLD);
		if (pid < 0) {
			char what[96];
			snprintf(what, sizeof(what), "creating pid %u", p->pid);
			seed_fail(c, i, what);
		}
		if (pid == 0)
			seed_main(c, i);
		/* Also from this side, as shells do: a sibling may join the group right away. */
		if (p->pgid == p->pid && p->sid != p->pid)
			setpgid(pid, pid);
		if (p->state == PROC_ZOMBIE) {
			/* Wait until it is a zombie (not reaped: WNOWAIT), and drop its SIGCHLD. */
			siginfo_t si;
			sigset_t chld;
			struct timespec zero = {0, 0};
			waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
			sigemptyset(&chld);
			sigaddset(&chld, SIGCHLD);
			sigtimedwait(&chld, &si, &zero);
		}
	}
}

static void install_fds(struct restore_ctx *c, int index)
{
	const struct img_proc_model *p = &c->m->procs[index];
	for (size_t k = 0; k < p->nfds; k++) {
		const struct img_fd *f = &p->fds[k];
		/* files_open_table() put m->files[i] at table_base + i; the loader checked the id.
		 */
		int src = c->table_base + (img_model_file(c->m, f->file_id) - c->m->files);
		if (dup2(src, f->fd) < 0 || fcntl(f->fd, F_SETFD, f->cloexec ? FD_CLOEXEC : 0) < 0)
			seed_fail(c, index, "installing fds");
	}
	/* Kinds that need the final fd numbers (epoll registrations...). */
	for (size_t k = 0; k < p->nfds; k++) {
		const struct img_file_model *fm = img_model_file(c->m, p->fds[k].file_id);
		const struct res_file_ops *o = res_file_kind(fm->f.kind);
		const char *what = "restoring an fd";
		if (o->fixup && o->fixup(c, p, &p->fds[k], fm, &what) < 0)
			seed_fail(c, index, what);
	}
	/* Close everything below the table that the image does not name. */
	for (int fd = 0; fd < c->table_base; fd++) {
		int used = 0;
		for (size_t k = 0; k < p->nfds && !used; k++)
			used = p->fds[k].fd == fd;
		if (!used && fd != c->ready_pipe[1])
			close(fd);
	}
}

static uint64_t map_scratch(struct rproc *rp)
{
	static const unsigned char code[] = {0x0f, 0x05, 0xcc}; /* syscall; int3 */
	for (int i = 0; i < MAX_HOLES && rp->holes[i]; i++) {
		void *m =
			mmap((void *)rp->holes[i], SCRATCH_LEN, PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (m == MAP_FAILED)
			continue;
		if ((uint64_t)m != rp->holes[i]) {
			munmap(m, SCRATCH_LEN);
			continue;
		}
		memcpy(m, code, sizeof(code));
		memcpy((char *)m + SCRATCH_BATCH_CODE, remote_batch_code, REMOTE_BATCH_CODE_LEN);
		return (uint64_t)m;
	}
	return 0;
}

static void __attribute__((noreturn)) seed_main(struct restore_ctx *c, int index)
{
	const struct img_proc *p = &c->m->procs[index].p;

	close(c->ready_pipe[0]);
	set_session(c, index);
	if (p->state == PROC_ZOMBIE)
		zombie_exit(p);
	fork_children(c, index);
	install_fds(c, index);
	uint64_t scratch = map_scratch(&c->procs[index]);
	if (!scratch) {
		errno = ENOMEM;
		seed_fail(c, index, "finding a free address for the scratch area");
	}
	seed_report(c, index, 0, scratch, NULL);
	for (;;)
		pause();
}

/* Candidate scratch addresses: gaps of the image's layout, searched from the top. */
static void plan_holes(struct rproc *rp)
{
	const struct img_proc_model *m = rp->m;
	uint64_t need = SCRATCH_LEN + 2 * IMG_PAGE;
	uint64_t hi = IMG_USER_ADDR_LIMIT - (1ULL << 30);
	int n = 0;
	for (size_t i = m->nvmas + 1; i-- > 0 && n < MAX_HOLES - 1;) {
		uint64_t lo = i ? m->vmas[i - 1].v.end : 0x10000;
		uint64_t top = i < m->nvmas ? m->vmas[i].v.start : hi;
		if (top > hi)
			top = hi;
		if (top > lo && top - lo >= need)
			rp->holes[n++] = top - SCRATCH_LEN - IMG_PAGE;
	}
	rp->holes[n] = 0;
}

static const char *pid_in_use(const struct restore_ctx *c)
{
	return c->o->pidns ? " (the pid is in use)"
			   : " (the pid is in use; --pidns restores into a new PID namespace)";
}

static int read_reports(struct restore_ctx *c)
{
	for (int got = 0; got < c->nlive;) {
		struct pollfd pfd = {c->ready_pipe[0], POLLIN, 0};
		int r = poll(&pfd, 1, 10000);
		if (r == 0)
			return err_set(c->e, -ETIMEDOUT, "timed out waiting for the process tree");
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		struct seed_msg m;
		ssize_t n = read(c->ready_pipe[0], &m, sizeof(m));
		if (n != sizeof(m) || m.index < 0 || (size_t)m.index >= c->m->nprocs)
			return err_set(c->e, -EPROTO,
				       "a restored process died while being created");
		if (m.err) {
			m.what[sizeof(m.what) - 1] = 0;
			return err_set(c->e, m.err, "pid %u: %s: %s%s", c->m->procs[m.index].p.pid,
				       m.what, strerror(-m.err),
				       m.err == -EEXIST ? pid_in_use(c) : "");
		}
		c->procs[m.index].scratch = m.scratch;
		got++;
	}
	return 0;
}

int seeds_create(struct restore_ctx *c)
{
	sigset_t all, old;
	c->nlive = 0;
	for (size_t i = 0; i < c->m->nprocs; i++) {
		plan_holes(&c->procs[i]);
		c->nlive += c->m->procs[i].p.state == PROC_ALIVE;
	}
	if (pipe2(c->ready_pipe, O_CLOEXEC) < 0)
		return neg_errno();
	/* Above the file table: the seeds' dup2()s must never hit the pipe, and the final
	 * close_range(table_base, ~0) in each restored process closes it. */
	for (int i = 0; i < 2; i++) {
		int fd =
			fcntl(c->ready_pipe[i], F_DUPFD_CLOEXEC, c->table_base + (int)c->m->nfiles);
		if (fd < 0)
			return neg_errno();
		close(c->ready_pipe[i]);
		c->ready_pipe[i] = fd;
	}
	/* Seeds start with every signal blocked; the image's masks are set at the end. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	const struct img_proc *root = &c->m->procs[0].p;
	pid_t pid = clone_with_pid(root->pid, SIGCHLD);
	if (pid == 0)
		seed_main(c, 0);
	int err = pid < 0 ? neg_errno() : 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(c->ready_pipe[1]);
	c->ready_pipe[1] = -1;
	if (pid < 0)
		return err_set(c->e, err, "creating pid %u: %s%s", root->pid, strerror(-err),
			       err == -EEXIST ? pid_in_use(c) : "");
	c->root = pid;
	int r = read_reports(c);
	close(c->ready_pipe[0]);
	c->ready_pipe[0] = -1;
	return r;
}

static void kill_subtree(pid_t pid)
{
	_cleanup_free_ int *kids = NULL;
	size_t n = 0;
	int r = proc_children_read(pid, &kids, &n);
	kill(pid, SIGKILL);
	for (size_t i = 0; r == 0 && i < n; i++)
		kill_subtree(kids[i]);
}

void seeds_kill(struct restore_ctx *c)
{
	int st;
	if (c->root <= 0)
		return;
	kill_subtree(c->root);
	/* We are a child subreaper: every seed ends up as our child; reap them all. */
	while (waitpid(-1, &st, __WALL) > 0 || errno == EINTR)
		;
	c->root = 0;
}
