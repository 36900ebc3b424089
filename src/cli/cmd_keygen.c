/* SPDX-License-Identifier: MIT */
/* `ferry keygen FILE`: write a new random cluster key (mode 0600) for the daemons' peer
 * channel. Refuses to overwrite an existing file. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "net/channel.h"

static const char usage[] =
	"Usage: ferry keygen FILE\n"
	"\n"
	"Write a new random cluster key to FILE (mode 0600; an existing file is never\n"
	"overwritten). Copy the same file to every node of the cluster: ferryd peers\n"
	"authenticate each other with it, and a peer without it is refused.\n"
	"\n"
	"  -h, --help   show this help\n";

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	struct ferry_err e = {{0}};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return EXIT_OK;
		}
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	int r = chan_keygen(argv[optind], &e);
	if (r < 0) {
		cli_report("keygen", r, e.msg);
		return cli_exit_code(r);
	}
	return EXIT_OK;
}
