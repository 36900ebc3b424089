/* SPDX-License-Identifier: MIT */
/* `ferry` entry point: global options and subcommand dispatch. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/control.h"
#include "common/log.h"

static const char usage[] =
	"Usage: ferry [--verbose] COMMAND [OPTIONS]\n"
	"\n"
	"Checkpoint, restore and migrate running Linux process trees.\n"
	"\n"
	"Commands:\n"
	"  dump      freeze a process tree and write its image to a directory\n"
	"  restore   rebuild a process tree from an image directory\n"
	"  keygen    write a new cluster key file for the daemons' peer channel\n"
	"  migrate   move a process tree to another node (through ferryd)\n"
	"  clone     copy a process tree to another node, both continue\n"
	"  run       start a managed process here or on another node\n"
	"  ps        list the cluster's managed processes\n"
	"  where     show the node a managed process runs on\n"
	"  testbed   a cluster of N nodes on this machine (up, down, exec, status)\n"
	"\n"
	"Options:\n"
	"  -v, --verbose   log more (repeat for debug)\n"
	"  -h, --help      show this help; `ferry COMMAND --help` for a command\n"
	"  -V, --version   show the version\n"
	"\n"
	"Exit status: 0 success, 1 failure, 2 usage error, 3 refused (unsupported state,\n"
	"incompatible host, PID in use). `ferry restore` without --detach exits with the\n"
	"restored root's status. See ferry(1).\n";

int cli_exit_code(int r)
{
	if (r >= 0)
		return EXIT_OK;
	switch (-r) {
	case EOPNOTSUPP:
	case EXDEV:
	case EEXIST:
	case ESTALE:
	case EBUSY:
		return EXIT_REFUSED;
	default:
		return EXIT_FAIL;
	}
}

void cli_report(const char *what, int r, const char *detail)
{
	if (detail && detail[0])
		fprintf(stderr, "ferry: %s: %s\n", what, detail);
	else
		fprintf(stderr, "ferry: %s: %s\n", what, strerror(-r));
}

static int progress_shown;

void cli_progress(uint64_t bytes, uint64_t elapsed_ns)
{
	if (elapsed_ns < 1000000000ULL || !isatty(2))
		return;
	double s = elapsed_ns / 1e9;
	fprintf(stderr, "\r%8.1f MiB  %7.1f MiB/s  %5.1f s", bytes / 1048576.0,
		bytes / 1048576.0 / s, s);
	progress_shown = 1;
}

void cli_progress_done(void)
{
	if (progress_shown)
		fputc('\n', stderr);
	progress_shown = 0;
}

struct json_object *cli_phases_json(const struct cli_phase *ph, size_t n)
{
	json_object *o = json_object_new_object();
	for (size_t i = 0; i < n; i++)
		json_object_object_add(o, ph[i].name, json_object_new_double(ph[i].ns / 1e6));
	return o;
}

int main(int argc, char **argv)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage, stdout);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("ferry %s\n", FERRY_VERSION);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			if (log_max_level < LOG_DEBUG)
				log_max_level++;
			continue;
		}
		fprintf(stderr, "ferry: unknown option %s\n%s", argv[i], usage);
		return EXIT_USAGE;
	}
	if (i >= argc) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[i], "dump"))
		return cmd_dump(argc - i, argv + i);
	if (!strcmp(argv[i], "restore"))
		return cmd_restore(argc - i, argv + i);
	if (!strcmp(argv[i], "keygen"))
		return cmd_keygen(argc - i, argv + i);
	if (!strcmp(argv[i], "migrate"))
		return cmd_migrate(argc - i, argv + i);
	if (!strcmp(argv[i], "clone"))
		return cmd_clone(argc - i, argv + i);
	if (!strcmp(argv[i], "run"))
		return cmd_run(argc - i, argv + i);
	if (!strcmp(argv[i], "ps"))
		return cmd_ps(argc - i, argv + i);
	if (!strcmp(argv[i], "where"))
		return cmd_where(argc - i, argv + i);
	if (!strcmp(argv[i], "testbed"))
		return cmd_testbed(argc - i, argv + i);
	fprintf(stderr, "ferry: unknown command '%s'\n%s", argv[i], usage);
	return EXIT_USAGE;
}
