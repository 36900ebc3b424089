/* SPDX-License-Identifier: MIT */
/* ferryd in the test bed: the one place that knows the daemon's command line (`ferryd --config
 * FILE`), its INI config (node name, listen address, control socket, key, peers), the cluster key
 * made by `ferry keygen FILE`, and how a daemon is started inside a node. */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "testbed/testbed.h"

#define DAEMON_SOCKET  "/run/ferry/ferryd.sock" /* inside the node's private /run */
#define DAEMON_WAIT_MS 3000

/* Make the cluster key with `ferry keygen FILE` (this very binary). -ENOENT if that fails. */
int tb__daemon_key(const char *path, struct ferry_err *e)
{
	int st;
	pid_t pid = fork();
	if (pid < 0)
		return err_set(e, neg_errno(), "fork for keygen: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close_range(3, ~0U, 0);
		execl("/proc/self/exe", "ferry", "keygen", path, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return err_set(e, neg_errno(), "wait for keygen: %s", strerror(errno));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && access(path, R_OK) == 0)
		return 0;
	unlink(path);
	return err_set(e, -ENOENT, "`ferry keygen %s` failed (exit status %d)", path,
		       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

static int write_config(const char *path, const struct testbed_node *n, int nodes, const char *key,
			struct ferry_err *e)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return err_set(e, neg_errno(), "create %s: %s", path, strerror(errno));
	fprintf(f,
		"# written by `ferry testbed up`\n[node]\nname = %s\nlisten = %s:%d\n"
		"control = " DAEMON_SOCKET "\n",
		n->name, n->addr, TB_PORT);
	if (key)
		fprintf(f, "key = %s\n", key);
	fprintf(f, "[peers]\n");
	for (int i = 1; i <= nodes; i++)
		if (i != n->index)
			fprintf(f, "n%d = " TB_SUBNET ".%d:%d\n", i, i, TB_PORT);
	if (fclose(f) != 0)
		return err_set(e, neg_errno(), "write %s: %s", path, strerror(errno));
	return 0;
}

/* Grandchild: the daemon itself, in the node's namespaces; joins the node cgroups first. */
static void __attribute__((noreturn))
daemon_exec(const char *bin, const char *conf, int logfd, const int *cgfd, int ncg)
{
	for (int i = 0; i < ncg; i++)
		if (cgfd[i] < 0 || write(cgfd[i], "0", 1) != 1) {
			dprintf(logfd, "ferry testbed: joining the node cgroup failed: %s\n",
				strerror(errno));
			_exit(126);
		}
	setsid();
	int null = open("/dev/null", O_RDONLY);
	dup2(null, 0);
	dup2(logfd, 1);
	dup2(logfd, 2);
	close_range(3, ~0U, 0);
	if (chdir("/") < 0)
		_exit(126);
	execl(bin, "ferryd", "--config", conf, (char *)NULL);
	dprintf(2, "ferry testbed: exec %s: %s\n", bin, strerror(errno));
	_exit(127);
}

/* Start ferryd in node n; returns its host pid. The daemon's parent becomes the node init. */
static pid_t spawn_in_node(const struct testbed_node *n, const char *bin, const char *conf,
			   int logfd, struct ferry_err *e)
{
	int cgfd[TB_MAX_CGDIRS], pfd[2], st;
	pid_t child = 0;
	int nsfd = tb__node_pidfd(n, e);
	if (nsfd < 0)
		return nsfd;
	for (int i = 0; i < n->ncg; i++) {
		char path[600];
		snprintf(path, sizeof(path), "%s/cgroup.procs", n->cg[i]);
		cgfd[i] = open(path, O_WRONLY | O_CLOEXEC);
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		child = err_set(e, neg_errno(), "pipe: %s", strerror(errno));
		goto out;
	}
	pid_t mid = fork();
	if (mid == 0) {
		/* setns(CLONE_NEWPID) only moves our future children: fork once more. */
		if (setns(nsfd, TB_NODE_NS) < 0)
			_exit(125);
		pid_t d = fork();
		if (d == 0)
			daemon_exec(bin, conf, logfd, cgfd, n->ncg);
		_exit(write(pfd[1], &d, sizeof(d)) == sizeof(d) && d > 0 ? 0 : 1);
	}
	close(pfd[1]);
	if (mid < 0 || read(pfd[0], &child, sizeof(child)) != sizeof(child) || child <= 0)
		child = err_set(e, -EIO, "start ferryd in node %s: could not enter the node",
				n->name);
	close(pfd[0]);
	while (mid > 0 && waitpid(mid, &st, 0) < 0 && errno == EINTR)
		;
out:
	for (int i = 0; i < n->ncg; i++)
		safe_close(cgfd[i]);
	close(nsfd);
	return child;
}

/* Write node n's config and start `DAEMON --config TB_STATE_DIR/nK/ferryd.conf` in the node,
 * stderr to TB_STATE_DIR/nK/ferryd.log; key may be NULL. Waits until the daemon's control socket
 * exists; -EIO if the daemon exits first, -ETIMEDOUT if it is still starting after 3 s. */
int tb__daemon_start(const struct testbed_node *n, int nodes, const char *daemon_path,
		     const char *key, struct ferry_err *e)
{
	char dir[256], conf[300], logp[300], sock[128];
	int r = tb__node_dir(dir, sizeof(dir), n->index);
	if (r < 0)
		return err_set(e, r, "node %s state path too long", n->name);
	snprintf(conf, sizeof(conf), "%s/ferryd.conf", dir);
	snprintf(logp, sizeof(logp), "%s/ferryd.log", dir);
	r = write_config(conf, n, nodes, key, e);
	if (r < 0)
		return r;
	_cleanup_close_ int logfd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0)
		return err_set(e, neg_errno(), "create %s: %s", logp, strerror(errno));
	pid_t pid = spawn_in_node(n, daemon_path, conf, logfd, e);
	if (pid < 0)
		return pid;
	/* The socket lives in the node's private /run: look through the init's root. */
	snprintf(sock, sizeof(sock), "/proc/%d/root" DAEMON_SOCKET, (int)n->init_pid);
	for (int ms = 0; ms < DAEMON_WAIT_MS; ms += 10) {
		if (access(sock, F_OK) == 0)
			return 0;
		if (!tb__proc_start_time(pid))
			return err_set(e, -EIO, "ferryd in node %s exited at start; see %s",
				       n->name, logp);
		usleep(10000);
	}
	return err_set(e, -ETIMEDOUT, "ferryd in node %s (pid %d) has no %s after %d s; see %s",
		       n->name, (int)pid, DAEMON_SOCKET, DAEMON_WAIT_MS / 1000, logp);
}
