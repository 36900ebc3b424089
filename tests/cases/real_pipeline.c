/* SPDX-License-Identifier: MIT */
/* Real programs: bash running the pipeline
 *     { seq 1 60000; read go < FIFO; seq 60001 120000; } | sed 's/^/n=/' | sort -t= -k2 -nr |
 * sha256sum that is dumped mid-way: the first 60000 lines went through sed into sort (which holds
 * them in memory), the producer subshell is blocked opening a FIFO, and pipes between the stages
 * may hold unread bytes. On SIGTERM bash opens the FIFO, the rest flows, and sha256sum's output
 * must equal the hash of the same pipeline run in one go before the dump. */
#include "caselib.h"

#include <unistd.h>

static const char script[] =
	"set -u\n"
	"d=/tmp/ferry-case-pipeline.$$\n"
	"mkdir -p $d && mkfifo $d/go || exit 1\n"
	"want=$( { seq 1 60000; seq 60001 120000; } | sed 's/^/n=/' | sort -t= -k2 -nr | "
	"sha256sum)\n"
	"{ seq 1 60000; read -r _ < $d/go; seq 60001 120000; } | sed 's/^/n=/' | sort -t= -k2 -nr |"
	" sha256sum > $d/got &\n"
	"sleep 0.3\n"
	"stop=0; trap 'stop=1' TERM\n"
	"echo ready\n"
	"while [ $stop = 0 ]; do sleep 0.05; done\n"
	"echo go > $d/go\n"
	"wait\n"
	"got=$(cat $d/got); rm -rf $d\n"
	"if [ \"$got\" != \"$want\" ]; then echo \"FAIL: pipeline output '$got', want '$want'\"; "
	"exit 1; fi\n"
	"echo PASS\n";

int main(void)
{
	case_init();
	execl("/bin/bash", "bash", "-c", script, (char *)NULL);
	case_fail("bash not found");
}
