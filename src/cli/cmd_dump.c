/* SPDX-License-Identifier: MIT */
/* `ferry dump`: freeze a process tree and write its image into a directory. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "dump/dump.h"

static const char usage[] =
	"Usage: ferry dump --pid PID --dir DIR [--leave-running] [--shell-job] [--json]\n"
	"\n"
	"Freeze the process tree rooted at PID (every process, every thread), write its\n"
	"complete state into DIR/image.ferry, then kill the tree. DIR is created if missing\n"
	"and must otherwise be empty. The image appears under its final name only once it is\n"
	"complete. If anything fails or is unsupported, the tree continues untouched.\n"
	"\n"
	"  -p, --pid PID        root of the tree to dump\n"
	"  -d, --dir DIR        image directory\n"
	"  -R, --leave-running  let the tree continue after the dump instead of killing it\n"
	"      --shell-job      accept stdio on the terminal ferry runs in (restore it with\n"
	"                       `ferry restore --shell-job`)\n"
	"      --json           print a summary as JSON on stdout\n"
	"  -h, --help           show this help\n";

static void on_progress(const struct dump_progress *p, void *userdata)
{
	(void)userdata;
	cli_progress(p->bytes, p->elapsed_ns);
}

static void print_json(const struct dump_stats *st)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "processes", json_object_new_int(st->nprocs));
	json_object_object_add(o, "threads", json_object_new_int(st->nthreads));
	json_object_object_add(o, "vmas", json_object_new_int(st->nvmas));
	json_object_object_add(o, "fds", json_object_new_int(st->nfds));
	json_object_object_add(o, "image_bytes", json_object_new_int64(st->image_bytes));
	json_object_object_add(o, "page_bytes", json_object_new_int64(st->page_bytes));
	json_object_object_add(o, "total_ms", json_object_new_double(st->total_ns / 1e6));
	json_object_object_add(o, "frozen_ms", json_object_new_double(st->frozen_ns / 1e6));
	const struct cli_phase ph[] = {{"freeze", st->freeze_ns},    {"prepare", st->prep_ns},
				       {"task", st->task_ns},	     {"memory", st->mem_ns},
				       {"files", st->files_ns},	     {"commit", st->commit_ns},
				       {"release_hook", st->hook_ns}};
	json_object_object_add(o, "phases_ms", cli_phases_json(ph, ARRAY_SIZE(ph)));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{"pid", required_argument, NULL, 'p'},	 {"dir", required_argument, NULL, 'd'},
		{"leave-running", no_argument, NULL, 'R'}, {"shell-job", no_argument, NULL, 'S'},
		{"json", no_argument, NULL, 'J'},	 {"help", no_argument, NULL, 'h'},
		{0},
	};
	struct dump_opts o = {.out_fd = -1, .progress = on_progress};
	struct dump_stats st;
	struct ferry_err e = {{0}};
	int json = 0, c;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:d:Rh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o.pid = strtol(optarg, &end, 10);
			if (*end || o.pid <= 0) {
				fprintf(stderr, "ferry dump: invalid pid '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'd':
			o.dir = optarg;
			break;
		case 'R':
			o.leave_running = 1;
			break;
		case 'S':
			o.shell_job = 1;
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
	if (!o.pid || !o.dir || optind != argc) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	int r = dump_tree(&o, &st, &e);
	cli_progress_done();
	if (r < 0) {
		char what[64];
		snprintf(what, sizeof(what), "dump of pid %d failed", o.pid);
		cli_report(what, r, e.msg);
		return cli_exit_code(r);
	}
	if (json)
		print_json(&st);
	return EXIT_OK;
}
