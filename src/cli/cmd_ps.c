/* SPDX-License-Identifier: MIT */
/* `ferry ps`: every managed process of the cluster (asked to this node's ferryd, which asks
 * its peers) with its id, command, current node, home node, age, CPU time and memory. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/control.h"

static const char usage[] =
	"Usage: ferry ps [--json]\n"
	"\n"
	"List the managed processes of the cluster: ID (home:pid:start),\n"
	"current NODE, HOME node, PID on its node, AGE, CPU seconds, RSS, COMMAND.\n";

static void print_table(json_object *r)
{
	json_object *procs, *down, *f;
	printf("%-28s %-8s %-8s %7s %8s %8s %9s  %s\n", "ID", "NODE", "HOME", "PID", "AGE", "CPU",
	       "RSS", "COMMAND");
	if (json_object_object_get_ex(r, "procs", &procs))
		for (size_t i = 0; i < json_object_array_length(procs); i++) {
			json_object *p = json_object_array_get_idx(procs, i);
			double cpu = json_object_object_get_ex(p, "cpu", &f)
					     ? json_object_get_double(f)
					     : 0;
			printf("%-28s %-8s %-8s %7lld %7llds %7.1fs %7.1fM  %s\n",
			       control_str(p, "id"), control_str(p, "node"), control_str(p, "home"),
			       (long long)control_int(p, "pid"), (long long)control_int(p, "age"),
			       cpu, control_int(p, "rss") / 1048576.0, control_str(p, "cmd"));
		}
	if (json_object_object_get_ex(r, "unreachable", &down))
		for (size_t i = 0; i < json_object_array_length(down); i++)
			fprintf(stderr, "ferry ps: node %s did not answer\n",
				json_object_get_string(json_object_array_get_idx(down, i)));
}

int cmd_ps(int argc, char **argv)
{
	int json = argc == 2 && !strcmp(argv[1], "--json");
	if (argc > 1 && !json) {
		fputs(usage,
		      !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ? stdout : stderr);
		return !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ? EXIT_OK : EXIT_USAGE;
	}
	json_object *r;
	int x = control_exchange("ps", control_request("ps"), json, &r);
	if (x != EXIT_OK || !r)
		return x;
	print_table(r);
	json_object_put(r);
	return EXIT_OK;
}
