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
	json_object *q = control_request("where"), *r, *f;
	json_object_object_add(q, "id", json_object_new_string(argv[1]));
	int x = control_call("where", q, &r);
	json_object_put(q);
	if (x != EXIT_OK)
		return x;
	if (json) {
		puts(json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN));
	} else {
		const char *state =
			json_object_object_get_ex(r, "state", &f) ? json_object_get_string(f) : "?";
		const char *node =
			json_object_object_get_ex(r, "node", &f) ? json_object_get_string(f) : "?";
		if (!strcmp(state, "running"))
			printf("%s\n", node);
		else
			printf("%s (%s on %s, status %d)\n", node, state, node,
			       json_object_object_get_ex(r, "exit_status", &f)
				       ? json_object_get_int(f)
				       : 0);
	}
	json_object_put(r);
	return EXIT_OK;
}
