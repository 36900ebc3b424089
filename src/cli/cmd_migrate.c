/* SPDX-License-Identifier: MIT */
/* `ferry migrate PID --to NODE` and `ferry clone PID --to NODE`: ask this node's ferryd to move
 * (or copy) a process tree to another node, and report the result. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/control.h"

static const char migrate_usage[] =
	"Usage: ferry migrate PID --to NODE [--dry-run] [--compress none|zstd] [--json]\n"
	"\n"
	"Move the process tree rooted at PID to NODE: negotiate, freeze, stream the image,\n"
	"rebuild it on NODE, commit, then kill the frozen copy here. If anything fails before\n"
	"the commit the tree continues here as if nothing happened. It keeps its PIDs.\n"
	"\n"
	"  -t, --to NODE        destination node (a [peers] name of this node's ferryd)\n"
	"  -n, --dry-run        only negotiate: would NODE accept it?\n"
	"  -c, --compress ALG   compress the stream: none (default from ferryd.conf) or zstd\n"
	"      --json           print the result as JSON\n"
	"  -h, --help           show this help\n";

static const char clone_usage[] =
	"Usage: ferry clone PID --to NODE [--compress none|zstd] [--json]\n"
	"\n"
	"Remote fork: copy the process tree rooted at PID to NODE; both continue. The copy has\n"
	"the same PIDs (in NODE's PID namespace), memory, registers, cwd and files opened by\n"
	"path (the file system is shared: both write to the same files); it is a new managed\n"
	"process whose home is NODE.\n";

static int run(int argc, char **argv, const char *cmd, const char *usage)
{
	static const struct option opts[] = {
		{"to", required_argument, NULL, 't'},	    {"dry-run", no_argument, NULL, 'n'},
		{"compress", required_argument, NULL, 'c'}, {"json", no_argument, NULL, 'J'},
		{"help", no_argument, NULL, 'h'},	    {0},
	};
	const char *to = NULL, *comp = NULL;
	int dry = 0, json = 0, c;
	char *end;
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:nc:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			to = optarg;
			break;
		case 'n':
			dry = 1;
			break;
		case 'c':
			comp = optarg;
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
	if (!to || optind != argc - 1) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	long pid = strtol(argv[optind], &end, 10);
	if (*end || pid <= 0 || pid > 0x7fffffff) {
		fprintf(stderr, "ferry %s: invalid pid '%s'\n", cmd, argv[optind]);
		return EXIT_USAGE;
	}
	json_object *q = control_request(cmd), *r;
	json_object_object_add(q, "pid", json_object_new_int((int)pid));
	json_object_object_add(q, "to", json_object_new_string(to));
	json_object_object_add(q, "dry_run", json_object_new_boolean(dry));
	if (comp)
		json_object_object_add(q, "compress", json_object_new_string(comp));
	char what[96];
	snprintf(what, sizeof(what), "%s of pid %ld to %s", cmd, pid, to);
	int x = control_exchange(what, q, json, &r);
	if (x != EXIT_OK || !r)
		return x;
	if (dry)
		printf("%s would accept pid %ld\n", to, pid);
	else
		printf("pid %ld %s to %s (id %s): %.1f MiB, frozen %.1f ms, total %.1f ms\n", pid,
		       !strcmp(cmd, "clone") ? "cloned" : "migrated", to, control_str(r, "id"),
		       control_int(r, "image_bytes") / 1048576.0, control_double(r, "frozen_ms"),
		       control_double(r, "total_ms"));
	json_object_put(r);
	return EXIT_OK;
}

int cmd_migrate(int argc, char **argv)
{
	return run(argc, argv, "migrate", migrate_usage);
}

int cmd_clone(int argc, char **argv)
{
	return run(argc, argv, "clone", clone_usage);
}
