/* SPDX-License-Identifier: MIT */
/* Test bed networking through iproute2 (`ip`, fork/exec): the hub namespace with its bridge, one
 * veth per node from the hub into the node's namespace, addresses 10.77.0.K/24 that exist only
 * inside these namespaces. The host namespace gets no interface, address or route. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "testbed/testbed.h"

#define IP_MAX_ARGS 24

static void ip_child(int errfd, char *const argv[])
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
	}
	dup2(errfd, 2);
	close_range(3, ~0U, 0);
	execvp("ip", argv);
	execv("/usr/sbin/ip", argv);
	execv("/sbin/ip", argv);
	dprintf(2, "cannot run ip (iproute2): %s", strerror(errno));
	_exit(127);
}

static void join_args(char *buf, size_t size, char *const argv[])
{
	size_t len = 0;
	buf[0] = 0;
	for (int i = 0; argv[i] && len + 1 < size; i++)
		len += snprintf(buf + len, size - len, "%s%s", i ? " " : "", argv[i]);
}

/* Run `ip ARGS...` (NULL-terminated). On failure the detail is
 * "STEP: `ip ARGS` failed: <ip's first line of stderr>". */
int tb__ip(struct ferry_err *e, const char *step, ...)
{
	char *argv[IP_MAX_ARGS + 2];
	char msg[512], cmd[400];
	int argc = 0, pfd[2], st;
	va_list ap;

	argv[argc++] = "ip";
	va_start(ap, step);
	for (char *a; (a = va_arg(ap, char *)) && argc <= IP_MAX_ARGS;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	join_args(cmd, sizeof(cmd), argv + 1);

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return err_set(e, neg_errno(), "%s: pipe for ip: %s", step, strerror(errno));
	pid_t pid = fork();
	if (pid < 0) {
		int r = neg_errno();
		close(pfd[0]);
		close(pfd[1]);
		return err_set(e, r, "%s: fork for `ip %s`: %s", step, cmd, strerror(-r));
	}
	if (pid == 0)
		ip_child(pfd[1], argv);
	close(pfd[1]);
	size_t len = 0;
	for (ssize_t n; len + 1 < sizeof(msg);) {
		n = read(pfd[0], msg + len, sizeof(msg) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	msg[len] = 0;
	close(pfd[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return err_set(e, neg_errno(), "%s: wait for ip: %s", step,
				       strerror(errno));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	msg[strcspn(msg, "\n")] = 0;
	int r = strstr(msg, "File exists") ? -EEXIST : -EIO;
	return err_set(e, r, "%s: `ip %s` failed: %s", step, cmd,
		       msg[0] ? msg : "exited without a message");
}

/* The hub namespace: lo and the bridge every node's veth plugs into. */
int tb__net_hub_up(struct ferry_err *e)
{
	int r = tb__ip(e, "create hub netns " TB_HUB_NETNS, "netns", "add", TB_HUB_NETNS, NULL);
	if (r == 0)
		r = tb__ip(e, "hub lo up", "-n", TB_HUB_NETNS, "link", "set", "lo", "up", NULL);
	if (r == 0)
		r = tb__ip(e, "create bridge " TB_BRIDGE " in " TB_HUB_NETNS, "-n", TB_HUB_NETNS,
			   "link", "add", TB_BRIDGE, "type", "bridge", NULL);
	if (r == 0)
		r = tb__ip(e, "bridge " TB_BRIDGE " up", "-n", TB_HUB_NETNS, "link", "set",
			   TB_BRIDGE, "up", NULL);
	return r;
}

/* Node K: netns ferry-tb-nK, veth nK (hub side, on the bridge) <-> eth0 (node side) with
 * 10.77.0.K/24, lo up. The veth is created inside the hub, so it never exists in the host. */
int tb__net_node_up(int index, struct ferry_err *e)
{
	char ns[32], hubif[16], addr[32], step[96];
	int r;
	snprintf(ns, sizeof(ns), TB_NETNS_PFX "n%d", index);
	snprintf(hubif, sizeof(hubif), "n%d", index);
	snprintf(addr, sizeof(addr), TB_SUBNET ".%d/24", index);

	snprintf(step, sizeof(step), "create netns %s", ns);
	r = tb__ip(e, step, "netns", "add", ns, NULL);
	if (r < 0)
		return r;
	snprintf(step, sizeof(step), "create veth %s (hub) <-> %s (%s)", hubif, TB_NODE_IF, ns);
	r = tb__ip(e, step, "-n", TB_HUB_NETNS, "link", "add", hubif, "type", "veth", "peer",
		   "name", TB_NODE_IF, "netns", ns, NULL);
	if (r < 0)
		return r;
	snprintf(step, sizeof(step), "attach veth %s to bridge " TB_BRIDGE, hubif);
	r = tb__ip(e, step, "-n", TB_HUB_NETNS, "link", "set", hubif, "master", TB_BRIDGE, "up",
		   NULL);
	if (r < 0)
		return r;
	snprintf(step, sizeof(step), "lo up in %s", ns);
	r = tb__ip(e, step, "-n", ns, "link", "set", "lo", "up", NULL);
	if (r < 0)
		return r;
	snprintf(step, sizeof(step), "address %s on %s in %s", addr, TB_NODE_IF, ns);
	r = tb__ip(e, step, "-n", ns, "addr", "add", addr, "dev", TB_NODE_IF, NULL);
	if (r < 0)
		return r;
	snprintf(step, sizeof(step), "%s up in %s", TB_NODE_IF, ns);
	return tb__ip(e, step, "-n", ns, "link", "set", TB_NODE_IF, "up", NULL);
}

/* Delete a named netns; its veth ends (and a hub's bridge) go with it. Absent = done. */
int tb__netns_del(const char *name, struct ferry_err *e)
{
	char path[128], step[96];
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	snprintf(step, sizeof(step), "delete netns %s", name);
	return tb__ip(e, step, "netns", "del", name, NULL);
}
