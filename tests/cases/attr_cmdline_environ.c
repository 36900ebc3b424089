/* SPDX-License-Identifier: MIT */
/* Argument and environment areas: /proc/self/cmdline and /proc/self/environ byte-identical after
 * restore, including an argument rewritten in place (as setproctitle does); args/env from .desc. */
#include "caselib.h"

#include <stdlib.h>
#include <string.h>

static char cmd_before[4096], env_before[65536], buf[65536];

int main(int argc, char **argv)
{
	long nc, ne, n;

	case_init();
	if (argc != 4 || !getenv("FERRY_CASE_A") || !getenv("FERRY_CASE_B") ||
	    strcmp(getenv("FERRY_CASE_B"), "hello"))
		case_fail("run me with the args and env of attr_cmdline_environ.desc");
	memcpy(argv[1], "ALPHA", 5); /* rewrite in place: /proc shows the process's memory */
	nc = case_read_file("/proc/self/cmdline", cmd_before, sizeof(cmd_before));
	ne = case_read_file("/proc/self/environ", env_before, sizeof(env_before));
	CASE_CHECK(nc > 0 && ne > 0 && memmem(cmd_before, (size_t)nc, "ALPHA", 5));
	case_ready();
	case_wait();
	n = case_read_file("/proc/self/cmdline", buf, sizeof(buf));
	if (n != nc || memcmp(buf, cmd_before, (size_t)n))
		case_fail("cmdline differs (%ld vs %ld bytes)", n, nc);
	n = case_read_file("/proc/self/environ", buf, sizeof(buf));
	if (n != ne || memcmp(buf, env_before, (size_t)n))
		case_fail("environ differs (%ld vs %ld bytes)", n, ne);
	CASE_CHECK(!strcmp(argv[1], "ALPHA") && !strcmp(argv[2], "beta") && !strcmp(argv[3], "--gamma=42"));
	CASE_CHECK(!strcmp(getenv("FERRY_CASE_A"), "1"));
	case_pass();
}
