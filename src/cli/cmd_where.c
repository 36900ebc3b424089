/* SPDX-License-Identifier: MIT */
/* `ferry where ID`: one question to the process's home node, which always knows where it is. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/control.h"

static const char usage[] = "Usage: ferry where ID [--json]\n"
			    "\n"
			    "Print the node a managed process (ID from `ferry ps`) runs on now,\n"
			    "asking only its home node.\n";

int cmd_where(int argc, char **argv)
{
	int json = argc == 3 && !strcmp(argv[2], "--json");
	if (argc < 2 || (argc > 2 && !json) || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "--help")) {
		int help = argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"));
		fputs(usage, help ? stdout : stderr);
		return help ? EXIT_OK : EXIT_USAGE;
	}
	json_object *q = control_request("where"), *r;
	json_object_object_add(q, "id", json_object_new_string(argv[1]));
	int x = control_exchange("where", q, json, &r);
	if (x != EXIT_OK || !r)
		return x;
	const char *state = control_str(r, "state"), *node = control_str(r, "node");
	if (!strcmp(state, "running"))
		printf("%s\n", node);
	else
		printf("%s (%s on %s, status %d)\n", node, state, node,
		       (int)control_int(r, "exit_status"));
	json_object_put(r);
	return EXIT_OK;
}
