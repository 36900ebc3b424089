/* SPDX-License-Identifier: MIT */
/* `ferry restore`: rebuild a process tree from an image directory and, unless detached, wait
 * for its root and exit with its status (or die by its signal), so scripts can use it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "cli/cli.h"
#include "restore/restore.h"

static const char usage[] =
	"Usage: ferry restore --dir DIR [--detach] [--pidns] [--shell-job] [--ready-file FILE]\n"
	"                     [--json]\n"
	"\n"
	"Rebuild the process tree saved in DIR with its original PIDs and TIDs and resume it.\n"
	"The image is validated completely before any process is created. Without --detach,\n"
	"ferry stays the parent of the restored root, forwards SIGINT/SIGTERM/SIGHUP to it,\n"
	"and exits with its exit status (or dies by the same signal).\n"
	"If a PID of the image is in use, the restore is refused unless --pidns is given.\n"
	"\n"
	"  -d, --dir DIR          image directory written by `ferry dump`\n"
	"  -D, --detach           return as soon as the tree runs\n"
	"      --pidns            restore into a new PID namespace (and a mount namespace\n"
	"                         with its own /proc), where the original PIDs are free; its\n"
	"                         init is a child of ferry and the root's parent (ppid 1);\n"
	"                         the namespace ends when the root exits (needs root)\n"
	"      --shell-job        attach terminal fds to the terminal ferry runs in\n"
	"      --ready-file FILE  create FILE once the restored tree runs, holding the root's\n"
	"                         PID as seen by ferry (with --pidns: outside the namespace)\n"
	"      --json             print a summary as JSON on stdout (before waiting)\n"
	"  -h, --help             show this help\n";

static volatile pid_t forward_to;

static void forward(int sig)
{
	if (forward_to > 0)
		kill(forward_to, sig);
}

static void print_json(const struct restore_stats *st)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "root_pid", json_object_new_int(st->root_pid));
	if (st->root_host_pid != st->root_pid)
		json_object_object_add(o, "root_host_pid", json_object_new_int(st->root_host_pid));
	json_object_object_add(o, "processes", json_object_new_int(st->nprocs));
	json_object_object_add(o, "threads", json_object_new_int(st->nthreads));
	json_object_object_add(o, "image_bytes", json_object_new_int64(st->image_bytes));
	json_object_object_add(o, "page_bytes", json_object_new_int64(st->page_bytes));
	json_object_object_add(o, "validate_ms", json_object_new_double(st->load_ns / 1e6));
	json_object_object_add(o, "total_ms", json_object_new_double(st->total_ns / 1e6));
	const struct cli_phase ph[] = {{"validate", st->load_ns},
				       {"prepare", st->prep_ns},
				       {"layout", st->layout_ns},
				       {"page_fill", st->fill_ns},
				       {"state", st->state_ns}};
	json_object_object_add(o, "phases_ms", cli_phases_json(ph, ARRAY_SIZE(ph)));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	fflush(stdout);
	json_object_put(o);
}

static void forward_signals(pid_t root)
{
	struct sigaction sa = {.sa_handler = forward};
	forward_to = root;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Exit as the root did: same exit code, or death by the same signal. */
static int pass_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	signal(WTERMSIG(st), SIG_DFL);
	prctl(PR_SET_DUMPABLE, 0); /* no core file of ferry for the root's crash */
	kill(getpid(), WTERMSIG(st));
	return 128 + WTERMSIG(st);
}

/* Wait for the root, reaping any orphan we adopted as subreaper meanwhile. */
static int wait_root(pid_t root)
{
	int st;
	forward_signals(root);
	for (;;) {
		pid_t p = waitpid(-1, &st, 0);
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			return EXIT_FAIL;
		if (p == root)
			return pass_status(st);
	}
}

/* --pidns: the namespace's init waits for the root and reports its status. */
static int wait_root_pidns(struct pidns_init *ns, pid_t host_root)
{
	struct ferry_err e = {{0}};
	int st;
	forward_signals(host_root);
	int r = pidns_wait(ns, &st, &e);
	if (r < 0) {
		cli_report("restore", r, e.msg);
		return EXIT_FAIL;
	}
	return pass_status(st);
}

int cmd_restore(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},	  {"detach", no_argument, NULL, 'D'},
		{"shell-job", no_argument, NULL, 'S'},	  {"ready-file", required_argument, NULL, 'F'},
		{"json", no_argument, NULL, 'J'},	  {"help", no_argument, NULL, 'h'},
		{"pidns", no_argument, NULL, 'P'},
		{0},
	};
	struct restore_opts o = {0};
	struct pidns_init ns = {.init = 0, .fd = -1};
	struct restore_stats st;
	struct ferry_err e = {{0}};
	int json = 0, detach = 0, c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:Dh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o.dir = optarg;
			break;
		case 'D':
			detach = 1;
			break;
		case 'P':
			o.pidns = 1;
			break;
		case 'S':
			o.shell_job = 1;
			break;
		case 'F':
			o.ready_file = optarg;
			break;
		case 'J':
			json = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (!o.dir || optind != argc) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	/* PID 1 here reaps orphans late (KERNEL-FACTS.md): adopt and reap the tree's orphans. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	int r = o.pidns ? restore_tree_pidns(&o, &st, &e, &ns) : restore_tree(&o, &st, &e);
	if (r < 0) {
		cli_report("restore failed", r, e.msg);
		return cli_exit_code(r);
	}
	if (json)
		print_json(&st);
	if (o.ready_file) {
		int fd = open(o.ready_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dprintf(fd, "%d\n", st.root_host_pid);
			close(fd);
		}
	}
	if (o.pidns && detach)
		pidns_release(&ns);
	if (detach)
		return EXIT_OK;
	return o.pidns ? wait_root_pidns(&ns, st.root_host_pid) : wait_root(st.root_pid);
}
