/* SPDX-License-Identifier: MIT */
/* The multi-node test bed (`ferry testbed`): N "nodes" on one machine, each a network, PID, mount,
 * UTS and IPC namespace plus a cgroup with real CPU and memory limits, wired to a private bridge.
 * Layout and state files: docs/testbed.md. Functions return 0 or -errno and fill a ferry_err. */
#ifndef FERRY_TESTBED_TESTBED_H
#define FERRY_TESTBED_TESTBED_H

#include <stdint.h>
#include <sys/types.h>

#include "common/log.h"
#include "common/util.h"

#define TB_STATE_DIR  "/run/ferry-testbed"
#define TB_LOCK_FILE  "/run/ferry-testbed.lock"
#define TB_NETNS_PFX  "ferry-tb-" /* named netns: ferry-tb-hub, ferry-tb-n1, ... */
#define TB_HUB_NETNS  TB_NETNS_PFX "hub"
#define TB_BRIDGE     "br0"	      /* the bridge, inside the hub namespace */
#define TB_NODE_IF    "eth0"	      /* a node's end of its veth */
#define TB_SUBNET     "10.77.0"	      /* node nK = 10.77.0.K/24 */
#define TB_CG_NAME    "ferry-testbed" /* parent cgroup directory in every hierarchy used */
#define TB_MAX_NODES  64
#define TB_PORT	      7070 /* ferryd listen port on every node */
#define TB_MAX_CGDIRS 4

/* Namespaces a node owns (and `testbed exec` enters). */
#define TB_NODE_NS (CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC)

struct testbed_up_opts {
	int nodes;		 /* 1..TB_MAX_NODES */
	unsigned cpu_pct;	 /* CPU quota per node in % of one CPU; 0 = unlimited */
	unsigned mem_mib;	 /* memory limit per node in MiB; 0 = unlimited */
	const char *daemon_path; /* ferryd binary; NULL or missing file = no daemons */
};

/* One node as recorded under TB_STATE_DIR/nK and observed now. */
struct testbed_node {
	int index; /* K of nK */
	char name[16];
	char addr[32];
	pid_t init_pid;		       /* host view; 0 if none recorded */
	unsigned long long init_start; /* start time (clock ticks) to detect PID reuse */
	int init_alive;
	int ncg;
	char cg[TB_MAX_CGDIRS][512]; /* node cgroup directories, one per hierarchy */
	long long cpu_quota_us;	     /* per 100 ms period; -1 = unlimited, -2 = unknown */
	long long mem_limit;	     /* bytes; -1 = unlimited, -2 = unknown */
	pid_t ferryd_pid;	     /* a process named ferryd in the node's cgroup, 0 if none */
};

/* Build the test bed. On failure everything created so far is removed again. */
int testbed_up(const struct testbed_up_opts *o, struct ferry_err *e) MUST_CHECK;

/* Remove every trace of a test bed: processes, cgroups, namespaces, state. Works after crashes
 * (also sweeps resources by name); a no-op when nothing is there. *removed counts what went. */
int testbed_down(int *removed, struct ferry_err *e) MUST_CHECK;

/* Read the recorded nodes (sorted by index). Returns the count (0 = no test bed). Caller frees. */
int testbed_nodes(struct testbed_node **ret, struct ferry_err *e) MUST_CHECK;

/* Run argv inside node `name` (its namespaces and cgroup), wait, return its wait status (>= 0).
 * The calling process itself joins the node's namespaces (not its cgroup). */
int testbed_exec(const char *name, char *const argv[], struct ferry_err *e) MUST_CHECK;

/* --- internals shared by the files of src/testbed/ --- */

/* state.c */
/* snprintf for paths: -ENAMETOOLONG (and a truncated path) when it does not fit. */
int tb__path(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int tb__write_file(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tb__node_dir(char *buf, size_t size, int index);
int tb__lock(struct ferry_err *e);
int tb__read_node(int index, struct testbed_node *n);
unsigned long long tb__proc_start_time(pid_t pid);
int tb__rm_rf(const char *path);

/* ip.c: run `ip ARGS...`; a failure names the step and carries ip's own message. */
int tb__ip(struct ferry_err *e, const char *step, ...) __attribute__((sentinel));
int tb__net_hub_up(struct ferry_err *e);
int tb__net_node_up(int index, struct ferry_err *e);
int tb__netns_del(const char *name, struct ferry_err *e);

/* cgroup.c */
struct tb_cgroups {
	int n;
	char dir[TB_MAX_CGDIRS][512]; /* node directories */
	int cpu, mem, acct, v2;	      /* index into dir[] doing that job; -1 if none */
	int cpu_v2, mem_v2;	      /* whether that job is done the cgroup v2 way */
};
int tb__cg_plan(int index, struct tb_cgroups *cg, struct ferry_err *e) MUST_CHECK;
int tb__cg_create(const struct tb_cgroups *cg, unsigned cpu_pct, unsigned mem_mib,
		  struct ferry_err *e) MUST_CHECK;
int tb__cg_join(const struct tb_cgroups *cg, pid_t pid, struct ferry_err *e) MUST_CHECK;
void tb__cg_limits(const char *dirs[], int n, long long *cpu_quota_us, long long *mem_limit);
pid_t tb__cg_find_comm(const char *dirs[], int n, const char *comm);
int tb__cg_kill_remove(const char *dirs[], int n, struct ferry_err *e) MUST_CHECK;
int tb__cg_sweep(int *removed, struct ferry_err *e) MUST_CHECK;
void tb__cg_remove_parents(void);

/* node.c */
pid_t tb__node_spawn(int index, const struct tb_cgroups *cg, struct ferry_err *e) MUST_CHECK;
int tb__node_pidfd(const struct testbed_node *n, struct ferry_err *e) MUST_CHECK;

/* daemon.c: the one place that knows ferryd's command line and config format. */
int tb__daemon_start(const struct testbed_node *n, int nodes, const char *daemon_path,
		     const char *key, struct ferry_err *e) MUST_CHECK;
int tb__daemon_key(const char *path, struct ferry_err *e) MUST_CHECK;

#endif
