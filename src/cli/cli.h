/* SPDX-License-Identifier: MIT */
/* The `ferry` command: subcommand entry points and shared CLI helpers. */
#ifndef FERRY_CLI_CLI_H
#define FERRY_CLI_CLI_H

#include <stddef.h>
#include <stdint.h>

#define FERRY_VERSION "0.1.0"

/* Exit codes (documented in docs/ferry.1). */
#define EXIT_OK	     0
#define EXIT_FAIL    1
#define EXIT_USAGE   2
#define EXIT_REFUSED 3 /* unsupported state, incompatible host, pid taken */

int cmd_dump(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_testbed(int argc, char **argv);

/* Exit code for a library error. */
int cli_exit_code(int r);
/* Print "ferry: what: detail" (or strerror) on stderr. */
void cli_report(const char *what, int r, const char *detail);
/* Progress line on a terminal: bytes and rate, after the first second. */
void cli_progress(uint64_t bytes, uint64_t elapsed_ns);
void cli_progress_done(void);

/* A named duration, and an object of them in milliseconds ({"name": ms, ...}) for --json. */
struct cli_phase {
	const char *name;
	uint64_t ns;
};
struct json_object *cli_phases_json(const struct cli_phase *ph, size_t n);

#endif
