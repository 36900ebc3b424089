/* SPDX-License-Identifier: MIT */
/* `ferry testbed up N | down | exec NODE -- CMD... | status`: the multi-node test bed on one
 * machine (src/testbed/, docs/testbed.md). */
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli/cli.h"
#include "testbed/testbed.h"

#define DEFAULT_CPU_PCT 50
#define DEFAULT_MEM_MIB 1024

static const char usage[] =
	"Usage: ferry testbed up N [--cpu-quota PCT] [--mem-limit MiB] [--daemon PATH]\n"
	"       ferry testbed down\n"
	"       ferry testbed exec NODE -- CMD [ARG...]\n"
	"       ferry testbed status\n"
	"\n"
	"A cluster of N nodes n1..nN on this machine. Each node has its own network namespace\n"
	"(10.77.0.K/24 on a bridge in a separate hub namespace), PID, mount (private /run, /tmp,\n"
	"/dev/shm), UTS and IPC namespaces, and a cgroup with a CPU quota and a memory limit.\n"
	"State lives in /run/ferry-testbed; `down` removes everything, also after a crash.\n"
	"\n"
	"  --cpu-quota PCT   CPU per node in % of one CPU (default 50; 0 = unlimited)\n"
	"  --mem-limit MiB   memory per node (default 1024; 0 = unlimited)\n"
	"  --daemon PATH     ferryd to start in every node (default: ferryd next to ferry;\n"
	"                    if it does not exist the nodes run without daemons)\n"
	"\n"
	"`exec` runs CMD in the node's namespaces and cgroup and exits with its status.\n";

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max || s[0] == '-')
		return -1;
	*out = (unsigned)v;
	return 0;
}

static const char *default_daemon(char *buf, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return NULL;
	self[n] = 0;
	snprintf(buf, size, "%s/ferryd", dirname(self));
	return buf;
}

static int tb_up(int argc, char **argv)
{
	static const struct option opts[] = {
		{"cpu-quota", required_argument, NULL, 'c'},
		{"mem-limit", required_argument, NULL, 'm'},
		{"daemon", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct testbed_up_opts o = {.cpu_pct = DEFAULT_CPU_PCT, .mem_mib = DEFAULT_MEM_MIB};
	char dpath[PATH_MAX + 16];
	unsigned nodes;
	int c;

	o.daemon_path = default_daemon(dpath, sizeof(dpath));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (parse_uint(optarg, 100000, &o.cpu_pct) < 0)
				goto bad;
			break;
		case 'm':
			if (parse_uint(optarg, 1U << 30, &o.mem_mib) < 0)
				goto bad;
			break;
		case 'd':
			o.daemon_path = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			goto bad;
		}
	}
	if (optind + 1 != argc || parse_uint(argv[optind], TB_MAX_NODES, &nodes) < 0 || !nodes)
		goto bad;
	o.nodes = (int)nodes;
	struct ferry_err e = {{0}};
	uint64_t t0 = mono_ns();
	int r = testbed_up(&o, &e);
	if (r < 0) {
		cli_report("testbed up", r, e.msg);
		return cli_exit_code(r);
	}
	char cpu[32] = "unlimited", mem[32] = "unlimited";
	if (o.cpu_pct)
		snprintf(cpu, sizeof(cpu), "%u%%", o.cpu_pct);
	if (o.mem_mib)
		snprintf(mem, sizeof(mem), "%u MiB", o.mem_mib);
	printf("testbed: %d node%s up in %.0f ms (each: cpu %s, memory %s)\n", o.nodes,
	       o.nodes > 1 ? "s" : "", (mono_ns() - t0) / 1e6, cpu, mem);
	return EXIT_OK;
bad:
	fputs(usage, stderr);
	return EXIT_USAGE;
}

static int tb_down(int argc, char **argv)
{
	struct ferry_err e = {{0}};
	int removed = 0;
	if (argc != 1) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	uint64_t t0 = mono_ns();
	int r = testbed_down(&removed, &e);
	if (r < 0) {
		cli_report("testbed down", r, e.msg);
		return cli_exit_code(r);
	}
	if (removed)
		printf("testbed: down in %.0f ms\n", (mono_ns() - t0) / 1e6);
	else
		printf("testbed: nothing to remove\n");
	return EXIT_OK;
}

static int tb_exec(int argc, char **argv)
{
	struct ferry_err e = {{0}};
	if (argc < 4 || strcmp(argv[2], "--")) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	int st = testbed_exec(argv[1], argv + 3, &e);
	if (st < 0) {
		cli_report("testbed exec", st, e.msg);
		return cli_exit_code(st);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void fmt_cpu(char *buf, size_t size, long long q)
{
	if (q == -1)
		snprintf(buf, size, "unlimited");
	else if (q < 0)
		snprintf(buf, size, "?");
	else
		snprintf(buf, size, "%lld%%", q / 1000);
}

static void fmt_mem(char *buf, size_t size, long long m)
{
	if (m == -1)
		snprintf(buf, size, "unlimited");
	else if (m < 0)
		snprintf(buf, size, "?");
	else
		snprintf(buf, size, "%lld MiB", m >> 20);
}

static int tb_status(int argc, char **argv)
{
	_cleanup_free_ struct testbed_node *v = NULL;
	struct ferry_err e = {{0}};
	if (argc != 1) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	int n = testbed_nodes(&v, &e);
	if (n < 0) {
		cli_report("testbed status", n, e.msg);
		return cli_exit_code(n);
	}
	if (n == 0) {
		printf("testbed: not up\n");
		return EXIT_OK;
	}
	printf("%-5s %-12s %-14s %-9s %-10s %s\n", "NODE", "ADDRESS", "INIT", "CPU", "MEMORY",
	       "FERRYD");
	for (int i = 0; i < n; i++) {
		char init[32], cpu[32], mem[32], d[48];
		if (v[i].init_alive)
			snprintf(init, sizeof(init), "%d", (int)v[i].init_pid);
		else
			snprintf(init, sizeof(init), "dead (%d)", (int)v[i].init_pid);
		fmt_cpu(cpu, sizeof(cpu), v[i].cpu_quota_us);
		fmt_mem(mem, sizeof(mem), v[i].mem_limit);
		if (v[i].ferryd_pid)
			snprintf(d, sizeof(d), "running (pid %d)", (int)v[i].ferryd_pid);
		else
			snprintf(d, sizeof(d), "not running");
		printf("%-5s %-12s %-14s %-9s %-10s %s\n", v[i].name, v[i].addr, init, cpu, mem, d);
	}
	return EXIT_OK;
}

int cmd_testbed(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "up"))
		return tb_up(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "down"))
		return tb_down(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "exec"))
		return tb_exec(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "status"))
		return tb_status(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	fputs(usage, stderr);
	return EXIT_USAGE;
}
