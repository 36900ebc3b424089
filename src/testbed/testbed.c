/* SPDX-License-Identifier: MIT */
/* `ferry testbed` operations: up (hub, then per node: state, cgroups, netns+veth, init; then the
 * daemons), down (kill, remove cgroups, namespaces and state; also sweeps leftovers by name, so it
 * works after any crash), and exec (enter a node's namespaces and cgroup and run a command). */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "testbed/testbed.h"

#define INIT_WAIT_MS 5000

/* Record node K (before anything is created, so `down` finds it after a crash) and build it. */
static int node_up(int k, const struct testbed_up_opts *o, struct ferry_err *e)
{
	char dir[256], path[300];
	struct tb_cgroups cg;
	int r = tb__node_dir(dir, sizeof(dir), k);
	if (r < 0 || mkdir(dir, 0755) < 0)
		return err_set(e, r < 0 ? r : neg_errno(), "create state dir %s: %s", dir,
			       strerror(r < 0 ? -r : errno));
	snprintf(path, sizeof(path), "%s/addr", dir);
	r = tb__write_file(path, TB_SUBNET ".%d\n", k);
	snprintf(path, sizeof(path), "%s/netns", dir);
	if (r == 0)
		r = tb__write_file(path, TB_NETNS_PFX "n%d\n", k);
	if (r < 0)
		return err_set(e, r, "write %s: %s", path, strerror(-r));
	r = tb__cg_plan(k, &cg, e);
	if (r < 0)
		return r;
	char lines[sizeof(cg.dir) + TB_MAX_CGDIRS] = "";
	for (int i = 0; i < cg.n; i++)
		strcat(strcat(lines, cg.dir[i]), "\n");
	snprintf(path, sizeof(path), "%s/cgroups", dir);
	r = tb__write_file(path, "%s", lines);
	if (r < 0)
		return err_set(e, r, "write %s: %s", path, strerror(-r));
	r = tb__cg_create(&cg, o->cpu_pct, o->mem_mib, e);
	if (r == 0)
		r = tb__net_node_up(k, e);
	if (r < 0)
		return r;
	pid_t pid = tb__node_spawn(k, &cg, e);
	if (pid < 0)
		return pid;
	snprintf(path, sizeof(path), "%s/init", dir);
	r = tb__write_file(path, "%d %llu\n", (int)pid, tb__proc_start_time(pid));
	if (r < 0) {
		kill(pid, SIGKILL);
		return err_set(e, r, "write %s: %s", path, strerror(-r));
	}
	return 0;
}

/* Start ferryd in every node when the binary exists; problems are warnings, the nodes stay. */
static void daemons_up(const struct testbed_up_opts *o)
{
	const char *key = TB_STATE_DIR "/cluster.key";
	struct ferry_err e = {{0}};
	if (!o->daemon_path || access(o->daemon_path, X_OK) < 0) {
		log_warn("no ferryd at %s: the nodes run without daemons",
			 o->daemon_path ? o->daemon_path : "(none)");
		return;
	}
	if (tb__daemon_key(key, &e) < 0) {
		log_warn("no cluster key: %s; ferryd configs name no key", e.msg);
		key = NULL;
	}
	for (int k = 1; k <= o->nodes; k++) {
		struct testbed_node n;
		struct ferry_err de = {{0}};
		if (tb__read_node(k, &n) < 0 ||
		    tb__daemon_start(&n, o->nodes, o->daemon_path, key, &de) < 0)
			log_warn("node n%d: %s", k, de.msg[0] ? de.msg : "state unreadable");
	}
}

static int down_locked(int *removed, struct ferry_err *e);

int testbed_up(const struct testbed_up_opts *o, struct ferry_err *e)
{
	if (o->nodes < 1 || o->nodes > TB_MAX_NODES)
		return err_set(e, -EINVAL, "node count %d out of range 1..%d", o->nodes,
			       TB_MAX_NODES);
	int lock = tb__lock(e);
	if (lock < 0)
		return lock;
	_cleanup_close_ int lockfd = lock;
	if (access(TB_STATE_DIR, F_OK) == 0 || access("/run/netns/" TB_HUB_NETNS, F_OK) == 0)
		return err_set(e, -EEXIST,
			       "a test bed is already up (or left over from a crash): %s exists; "
			       "run `ferry testbed down` first",
			       access(TB_STATE_DIR, F_OK) == 0 ? TB_STATE_DIR
							       : "/run/netns/" TB_HUB_NETNS);
	if (mkdir(TB_STATE_DIR, 0755) < 0)
		return err_set(e, neg_errno(), "create %s: %s", TB_STATE_DIR, strerror(errno));
	int r = tb__write_file(TB_STATE_DIR "/testbed", "nodes %d\ncpu_pct %u\nmem_mib %u\n",
			       o->nodes, o->cpu_pct, o->mem_mib);
	if (r < 0)
		err_set(e, r, "write %s/testbed: %s", TB_STATE_DIR, strerror(-r));
	if (r == 0)
		r = tb__net_hub_up(e);
	for (int k = 1; r == 0 && k <= o->nodes; k++)
		r = node_up(k, o, e);
	if (r < 0) {
		int removed = 0;
		struct ferry_err ce = {{0}};
		if (down_locked(&removed, &ce) < 0)
			log_warn("cleanup after the failed up was incomplete: %s", ce.msg);
		return r;
	}
	daemons_up(o);
	return 0;
}

/* SIGKILL the recorded inits that are still the recorded processes; wait for them to exit. */
static void kill_inits(const struct testbed_node *v, int n)
{
	int fds[TB_MAX_NODES], nfd = 0;
	for (int i = 0; i < n; i++) {
		struct ferry_err ignore = {{0}};
		int fd = tb__node_pidfd(&v[i], &ignore);
		if (fd < 0)
			continue;
		if (syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) < 0) {
			close(fd);
			continue;
		}
		fds[nfd++] = fd;
	}
	for (int i = 0; i < nfd; i++) {
		struct pollfd p = {.fd = fds[i], .events = POLLIN};
		poll(&p, 1, INIT_WAIT_MS); /* readable once the process has exited */
		close(fds[i]);
	}
}

/* Delete the recorded node namespaces and any ferry-tb-* left in /run/netns, the hub last. */
static int netns_remove(int *removed, struct ferry_err *e)
{
	int r = 0;
	DIR *d = opendir("/run/netns");
	if (!d)
		return 0;
	for (struct dirent *de; (de = readdir(d));) {
		if (strncmp(de->d_name, TB_NETNS_PFX, strlen(TB_NETNS_PFX)) ||
		    !strcmp(de->d_name, TB_HUB_NETNS))
			continue;
		int rr = tb__netns_del(de->d_name, e);
		r = r ? r : rr;
		*removed += rr == 0;
	}
	closedir(d);
	if (access("/run/netns/" TB_HUB_NETNS, F_OK) == 0) {
		int rr = tb__netns_del(TB_HUB_NETNS, e);
		r = r ? r : rr;
		*removed += rr == 0;
	}
	return r;
}

static int down_locked(int *removed, struct ferry_err *e)
{
	_cleanup_free_ struct testbed_node *v = NULL;
	int n = testbed_nodes(&v, e), r = 0, rr;
	if (n < 0)
		n = 0; /* unreadable state: the sweeps below still find everything by name */
	kill_inits(v, n);
	for (int i = 0; i < n; i++) {
		const char *dirs[TB_MAX_CGDIRS];
		for (int c = 0; c < v[i].ncg; c++)
			dirs[c] = v[i].cg[c];
		rr = tb__cg_kill_remove(dirs, v[i].ncg, e);
		r = r ? r : rr;
		*removed += rr == 0 && v[i].ncg > 0;
	}
	rr = tb__cg_sweep(removed, e);
	r = r ? r : rr;
	rr = netns_remove(removed, e);
	r = r ? r : rr;
	if (access(TB_STATE_DIR, F_OK) == 0) {
		rr = tb__rm_rf(TB_STATE_DIR);
		if (rr < 0)
			err_set(e, rr, "remove %s: %s", TB_STATE_DIR, strerror(-rr));
		r = r ? r : rr;
		*removed += rr == 0;
	}
	tb__cg_remove_parents();
	return r;
}

int testbed_down(int *removed, struct ferry_err *e)
{
	int lock = tb__lock(e);
	if (lock < 0)
		return lock;
	_cleanup_close_ int lockfd = lock;
	*removed = 0;
	return down_locked(removed, e);
}

static int node_index(const char *name)
{
	int k;
	char c;
	if (sscanf(name, "n%d%c", &k, &c) != 1 || k < 1 || k > TB_MAX_NODES)
		return -1;
	return k;
}

static volatile pid_t exec_child;

static void forward_signal(int sig)
{
	if (exec_child > 0)
		kill(exec_child, sig);
}

static void __attribute__((noreturn))
exec_child_main(char *const argv[], const int *cgfd, int ncg, const char *cwd)
{
	for (int i = 0; i < ncg; i++)
		if (write(cgfd[i], "0", 1) != 1) {
			fprintf(stderr, "ferry: testbed exec: join node cgroup: %s\n",
				strerror(errno));
			_exit(126);
		}
	/* Same cwd when the shared filesystem has it (not in the node's private /tmp, /run). */
	if (!cwd || chdir(cwd) < 0)
		if (chdir("/") < 0)
			_exit(126);
	close_range(3, ~0U, 0);
	execvp(argv[0], argv);
	fprintf(stderr, "ferry: testbed exec: %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

int testbed_exec(const char *name, char *const argv[], struct ferry_err *e)
{
	struct testbed_node n;
	int cgfd[TB_MAX_CGDIRS], st, k = node_index(name), r = 0;
	char cwd[4096];
	if (k < 0)
		return err_set(e, -EINVAL, "'%s' is not a node name (n1, n2, ...)", name);
	if (tb__read_node(k, &n) < 0)
		return err_set(e, -ENOENT, "node %s is not up (`ferry testbed status`)", name);
	int nsfd = tb__node_pidfd(&n, e);
	if (nsfd < 0)
		return nsfd;
	for (int i = 0; i < n.ncg; i++) {
		char path[600];
		snprintf(path, sizeof(path), "%s/cgroup.procs", n.cg[i]);
		cgfd[i] = open(path, O_WRONLY | O_CLOEXEC);
		if (cgfd[i] < 0 && r == 0)
			r = err_set(e, neg_errno(), "open %s: %s", path, strerror(errno));
	}
	int have_cwd = getcwd(cwd, sizeof(cwd)) != NULL;
	if (r == 0 && setns(nsfd, TB_NODE_NS) < 0)
		r = err_set(e, neg_errno(), "enter node %s (setns to init pid %d): %s", name,
			    (int)n.init_pid, strerror(errno));
	pid_t pid = r == 0 ? fork() : -1;
	if (pid == 0)
		exec_child_main(argv, cgfd, n.ncg, have_cwd ? cwd : NULL);
	if (r == 0 && pid < 0)
		r = err_set(e, neg_errno(), "fork in node %s: %s", name, strerror(errno));
	for (int i = 0; i < n.ncg; i++)
		safe_close(cgfd[i]);
	close(nsfd);
	if (r < 0)
		return r;
	struct sigaction sa = {.sa_handler = forward_signal};
	exec_child = pid;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return err_set(e, neg_errno(), "wait for pid %d in node %s: %s", (int)pid,
				       name, strerror(errno));
	return st;
}
