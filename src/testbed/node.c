/* SPDX-License-Identifier: MIT */
/* A node's init process and entering a node. The init is pid 1 of the node's PID namespace: it
 * sets up the node's mount namespace (private /run, /tmp, /dev/shm; /proc of the node; the root
 * filesystem shared with the host like a cluster's shared storage), holds the namespaces, and
 * reaps orphans until it is killed. `testbed exec` and daemon start enter through its pidfd. */
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "testbed/testbed.h"

/* Report a setup failure to `up` through the ready pipe and die. */
static void __attribute__((noreturn)) init_fail(int ready, const char *step, const char *what)
{
	dprintf(ready, "%s %s: %s", step, what, strerror(errno));
	_exit(1);
}

static void close_all_but(const int *keep, int n)
{
	int lo = 3;
	for (int i = 0; i < n; i++) { /* keep[] is ascending */
		if (keep[i] > lo)
			close_range(lo, keep[i] - 1, 0);
		lo = keep[i] + 1;
	}
	close_range(lo, ~0U, 0);
}

/* The tree ferry runs from (the parent of the directory holding the ferry binary, e.g. a
 * checkout with build/ferry). It is shared storage like the rest of the file system, but if it
 * lies under /tmp, /run or /dev/shm the node's private tmpfs would hide it: then it is bound
 * back in at the same path. Returns an O_PATH fd of it to bind, or -1 when nothing is needed. */
static int open_hidden_exe_tree(char *path, size_t size)
{
	static const char *const privates[] = {"/tmp/", "/run/", "/dev/shm/"};
	ssize_t n = readlink("/proc/self/exe", path, size - 1);
	if (n <= 0)
		return -1;
	path[n] = 0;
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(path, '/');
		if (!slash || slash == path)
			return -1;
		*slash = 0;
	}
	for (size_t i = 0; i < sizeof(privates) / sizeof(privates[0]); i++)
		if (!strncmp(path, privates[i], strlen(privates[i])))
			return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return -1;
}

static void mkdir_p(char *path)
{
	for (char *p = path + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			mkdir(path, 0755);
			*p = '/';
		}
	mkdir(path, 0755);
}

static void bind_exe_tree(int ready, int fd, char *path)
{
	char self[64];
	if (fd < 0)
		return;
	mkdir_p(path);
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if (mount(self, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		init_fail(ready, "bind mount", path);
	close(fd);
}

static void init_mounts(int ready)
{
	char self[64], tree[PATH_MAX];
	/* Host mounts keep propagating in (shared storage), ours never propagate out. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		init_fail(ready, "mount", "make / a slave");
	/* Opened here, in our copy of the mounts: a bind source must be in our mount namespace. */
	int statefd = open(TB_STATE_DIR, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (statefd < 0)
		init_fail(ready, "open", TB_STATE_DIR);
	int treefd = open_hidden_exe_tree(tree, sizeof(tree));
	umount2("/run/netns", MNT_DETACH); /* don't pin other nodes' netns from in here */
	if (mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
		init_fail(ready, "mount", "tmpfs on /run");
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		init_fail(ready, "mount", "tmpfs on /tmp");
	if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		init_fail(ready, "mount", "tmpfs on /dev/shm");
	mkdir("/run/lock", 01777);
	mkdir("/run/ferry", 0755);
	/* The test bed's state (configs, cluster key) stays visible inside at the same path. */
	if (mkdir(TB_STATE_DIR, 0755) < 0)
		init_fail(ready, "mkdir", TB_STATE_DIR);
	snprintf(self, sizeof(self), "/proc/self/fd/%d", statefd);
	if (mount(self, TB_STATE_DIR, NULL, MS_BIND, NULL) < 0)
		init_fail(ready, "bind mount", TB_STATE_DIR);
	close(statefd);
	bind_exe_tree(ready, treefd, tree);
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		init_fail(ready, "mount", "proc on /proc");
}

static void empty_handler(int sig)
{
}

static void shutdown_handler(int sig)
{
	_exit(0); /* the kernel then kills every process of the node */
}

/* pid 1 of node K: wait for `up` to place us in the cgroups, set the node up, report, reap. */
static void __attribute__((noreturn)) init_main(int index, int netfd, int go, int ready)
{
	char c, name[16];
	int keep[2] = {netfd < ready ? netfd : ready, netfd < ready ? ready : netfd};
	sigset_t all, none;

	if (read(go, &c, 1) != 1)
		_exit(1); /* `up` died or gave up before we were placed in our cgroups */
	close_all_but(keep, 2);
	snprintf(name, sizeof(name), "n%d", index);
	if (setns(netfd, CLONE_NEWNET) < 0)
		init_fail(ready, "setns", "node network namespace");
	close(netfd);
	if (sethostname(name, strlen(name)) < 0)
		init_fail(ready, "sethostname", name);
	init_mounts(ready);
	if (chdir("/") < 0)
		init_fail(ready, "chdir", "/");
	setsid();
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	snprintf(name, sizeof(name), "ferry-init-n%d", index);
	prctl(PR_SET_NAME, name);
	if (write(ready, "OK", 2) != 2)
		_exit(1);
	close(ready);

	/* SIGCHLD stays blocked except inside sigsuspend, so no exit is missed between checks. */
	sigfillset(&all);
	sigdelset(&all, SIGTERM);
	sigprocmask(SIG_SETMASK, &all, NULL);
	sigemptyset(&none);
	struct sigaction sa = {.sa_handler = empty_handler}; /* SIG_DFL would not wake us */
	sigaction(SIGCHLD, &sa, NULL);
	/* A PID namespace init ignores every signal it has no handler for (even from the host),
	 * except SIGKILL: make SIGTERM shut the node down. */
	sa.sa_handler = shutdown_handler;
	sigaction(SIGTERM, &sa, NULL);
	for (;;) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		sigsuspend(&none);
	}
}

/* Read the init's report: "OK" or the failed step. */
static int wait_ready(int fd, int index, struct ferry_err *e)
{
	char buf[512];
	ssize_t n, len = 0;
	while (len + 1 < (ssize_t)sizeof(buf) &&
	       ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
		len += n > 0 ? n : 0;
	buf[len] = 0;
	if (!strcmp(buf, "OK"))
		return 0;
	if (len)
		return err_set(e, -EIO, "node n%d init: %s", index, buf);
	return err_set(e, -EIO, "node n%d init exited during setup", index);
}

/* Start node K's init in new PID/mount/UTS/IPC namespaces, inside the netns ferry-tb-nK and the
 * node cgroups. Returns its host pid, or -errno (nothing left running). */
pid_t tb__node_spawn(int index, const struct tb_cgroups *cg, struct ferry_err *e)
{
	char path[128];
	int go[2], ready[2];
	snprintf(path, sizeof(path), "/run/netns/" TB_NETNS_PFX "n%d", index);
	_cleanup_close_ int netfd = open(path, O_RDONLY | O_CLOEXEC);
	if (netfd < 0)
		return err_set(e, neg_errno(), "open netns %s: %s", path, strerror(errno));
	if (pipe2(go, O_CLOEXEC) < 0)
		return err_set(e, neg_errno(), "pipe: %s", strerror(errno));
	if (pipe2(ready, O_CLOEXEC) < 0) {
		int r = neg_errno();
		close(go[0]);
		close(go[1]);
		return err_set(e, r, "pipe: %s", strerror(-r));
	}
	struct clone_args ca = {
		.flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC,
		.exit_signal = SIGCHLD,
	};
	pid_t pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0)
		init_main(index, netfd, go[0], ready[1]);
	int r = pid < 0 ? err_set(e, neg_errno(), "clone3 node n%d init: %s", index,
				  strerror(errno))
			: 0;
	close(go[0]);
	close(ready[1]);
	if (r == 0)
		r = tb__cg_join(cg, pid, e);
	if (r == 0 && write(go[1], "G", 1) != 1)
		r = err_set(e, neg_errno(), "start node n%d init: %s", index, strerror(errno));
	close(go[1]);
	if (r == 0)
		r = wait_ready(ready[0], index, e);
	close(ready[0]);
	if (r < 0 && pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return r < 0 ? r : pid;
}

/* A pidfd for the node's init, checked to be the recorded process (not a reused pid). */
int tb__node_pidfd(const struct testbed_node *n, struct ferry_err *e)
{
	if (!n->init_pid || !n->init_alive)
		return err_set(
			e, -ESRCH,
			"node %s: its init (pid %d) is not running; run `ferry testbed down` "
			"and `up` again",
			n->name, (int)n->init_pid);
	int fd = syscall(SYS_pidfd_open, n->init_pid, 0);
	if (fd < 0)
		return err_set(e, neg_errno(), "pidfd_open node %s init pid %d: %s", n->name,
			       (int)n->init_pid, strerror(errno));
	if (tb__proc_start_time(n->init_pid) != n->init_start) {
		close(fd);
		return err_set(e, -ESRCH, "node %s: init pid %d exited just now", n->name,
			       (int)n->init_pid);
	}
	return fd;
}
