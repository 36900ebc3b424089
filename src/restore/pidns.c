/* SPDX-License-Identifier: MIT */
/* `ferry restore --pidns`: restore into a fresh PID namespace, so the image's PIDs are free even
 * when the caller's namespace uses them. ferry forks an init (pid 1 of the new namespace, in its
 * own mount namespace with a /proc that matches it), and the init runs restore_tree() there: the
 * seeds get their original numbers through clone3(set_tid), and every /proc path and ptrace call
 * of the restore speaks the namespace's numbers. The init reports the result, then reaps the
 * namespace's orphans until the root exits, reports the root's wait status and exits, which
 * makes the kernel kill whatever is left in the namespace: nothing outlives the tree's root. */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "common/fdio.h"
#include "common/proc.h"
#include "restore/restore.h"

enum { MSG_RESULT = 1, MSG_EXIT = 2 };

/* What the init reports to ferry on its pipe: first the restore's result, later the root's end. */
struct pidns_msg {
	int32_t kind;
	int32_t r;	 /* MSG_RESULT: restore_tree()'s return */
	int32_t wstatus; /* MSG_EXIT: the root's wait status */
	int32_t pad;
	struct restore_stats st;
	char detail[sizeof(((struct ferry_err *)0)->msg)];
};

static void send_msg(int fd, const struct pidns_msg *m)
{
	(void)!fd_write_all(fd, m, sizeof(*m)); /* the reader sees a short message as EPIPE */
}

static int recv_msg(int fd, struct pidns_msg *m)
{
	ssize_t n = fd_read_full(fd, m, sizeof(*m));
	return n < 0 ? (int)n : n == sizeof(*m) ? 0 : -EPIPE;
}

/* The init's mount namespace: host mounts stay visible (slave), our /proc does not leak out. */
static int private_proc(struct ferry_err *e)
{
	if (unshare(CLONE_NEWNS) < 0)
		return err_set(e, neg_errno(), "cannot create a mount namespace: %m");
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return err_set(e, neg_errno(), "cannot make / a slave mount: %m");
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return err_set(e, neg_errno(), "cannot mount /proc for the new PID namespace: %m");
	return 0;
}

/* Reap everything until the root is gone; its wait status. */
static int reap_until_root(pid_t root)
{
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, __WALL);
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			return W_EXITCODE(127, 0);
		if (p == root)
			return st;
	}
}

static void detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int i = 0; fd >= 0 && i < 3; i++)
		dup2(fd, i);
	if (fd > 2)
		close(fd);
}

static void __attribute__((noreturn)) init_main(const struct restore_opts *o, int fd)
{
	struct pidns_msg m = {.kind = MSG_RESULT};
	struct ferry_err e = {{0}};

	prctl(PR_SET_NAME, "ferry-pidns");
	m.r = private_proc(&e);
	if (m.r == 0)
		m.r = restore_tree(o, &m.st, &e);
	memcpy(m.detail, e.msg, sizeof(m.detail));
	send_msg(fd, &m);
	if (m.r < 0)
		_exit(1);
	/* ferry may be gone (--detach): keep quiet and never hold its stdio open. */
	signal(SIGPIPE, SIG_IGN);
	detach_stdio();
	m.kind = MSG_EXIT;
	m.wstatus = reap_until_root(m.st.root_pid);
	send_msg(fd, &m);
	_exit(0);
}

static pid_t first_child(pid_t pid)
{
	_cleanup_free_ int *kids = NULL;
	size_t n = 0;
	if (proc_children_read(pid, &kids, &n) < 0 || n == 0)
		return 0;
	return kids[0];
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

int restore_tree_pidns(const struct restore_opts *o, struct restore_stats *st, struct ferry_err *e,
		       struct pidns_init *ns)
{
	struct pidns_msg m;
	int fds[2];

	memset(st, 0, sizeof(*st));
	if (geteuid() != 0)
		return err_set(e, -EPERM, "--pidns needs root (a new PID namespace)");
	if (pipe2(fds, O_CLOEXEC) < 0)
		return neg_errno();
	/* Our next child is the new namespace's pid 1; we ourselves stay where we are. */
	if (unshare(CLONE_NEWPID) < 0) {
		int r = err_set(e, neg_errno(), "cannot create a PID namespace: %m");
		close(fds[0]);
		close(fds[1]);
		return r;
	}
	pid_t init = fork();
	if (init == 0) {
		close(fds[0]);
		init_main(o, fds[1]);
	}
	int err = init < 0 ? neg_errno() : 0;
	close(fds[1]);
	if (init < 0) {
		close(fds[0]);
		return err_set(e, err, "cannot start the PID namespace's init: %m");
	}
	int r = recv_msg(fds[0], &m);
	if (r == 0 && m.kind == MSG_RESULT && m.r < 0) {
		m.detail[sizeof(m.detail) - 1] = 0;
		r = err_set(e, m.r, "%s", m.detail[0] ? m.detail : strerror(-m.r));
	} else if (r < 0 || m.kind != MSG_RESULT) {
		r = err_set(e, -EPROTO, "the PID namespace's init (pid %d) died during the restore",
			    init);
	}
	if (r < 0) {
		kill(init, SIGKILL); /* ends everything in the namespace */
		reap(init);
		close(fds[0]);
		return r;
	}
	*st = m.st;
	st->root_host_pid = first_child(init);
	ns->init = init;
	ns->fd = fds[0];
	return 0;
}

int pidns_wait(struct pidns_init *ns, int *ret_status, struct ferry_err *e)
{
	struct pidns_msg m;
	int r = recv_msg(ns->fd, &m);
	close(ns->fd);
	ns->fd = -1;
	reap(ns->init);
	if (r < 0 || m.kind != MSG_EXIT)
		return err_set(e, -EPROTO,
			       "the PID namespace's init (pid %d) ended without the root's status",
			       ns->init);
	*ret_status = m.wstatus;
	return 0;
}

void pidns_release(struct pidns_init *ns)
{
	ns->fd = safe_close(ns->fd);
}
