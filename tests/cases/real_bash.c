/* SPDX-License-Identifier: MIT */
/* A real program: bash running a counter loop in a shell variable, printing "count N" and running
 * an external sleep each round (so a transient child is often part of the dumped tree). On SIGTERM
 * it reads its own log back and checks every count 1..N appears exactly once, in order. */
#include "caselib.h"

#include <unistd.h>

static const char script[] =
	"stop=0; count=0; trap 'stop=1' TERM\n"
	"while [ $count -lt 20 ]; do count=$((count + 1)); echo \"count $count\"; done\n"
	"echo ready\n"
	"while [ $stop = 0 ]; do count=$((count + 1)); echo \"count $count\"; sleep 0.02; done\n"
	"expect=1\n"
	"while read -r word n; do\n"
	"  [ \"$word\" = count ] || continue\n"
	"  if [ \"$n\" != \"$expect\" ]; then echo \"FAIL: log line count $n, expected $expect\"; exit 1; fi\n"
	"  expect=$((expect + 1))\n"
	"done < /proc/$$/fd/1\n"
	"if [ $((expect - 1)) != $count ]; then echo \"FAIL: log has $((expect - 1)) counts, counter $count\"; exit 1; fi\n"
	"echo PASS\n";

int main(void)
{
	case_init();
	execl("/bin/bash", "bash", "-c", script, (char *)NULL);
	case_fail("bash not found");
}
