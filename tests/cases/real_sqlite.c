/* SPDX-License-Identifier: MIT */
/* A real program: the sqlite3 shell writing a database (rollback journal) with statements fed by
 * a bash loop through a pipe. Each transaction stays open ~20 ms (BEGIN; INSERT; UPDATE; sleep;
 * COMMIT), so the dump usually catches sqlite3 holding its POSIX locks on the database with the
 * journal file open. On SIGTERM the loop stops; sqlite3 reports count, sum and integrity_check
 * and a fresh sqlite3 re-reads the file: every transaction the loop sent must be there, once. */
#include "caselib.h"

#include <unistd.h>

static const char script[] =
	"set -u\n"
	"d=/tmp/ferry-case-sqlite.$$; db=$d/t.db\n"
	"mkdir -p $d || exit 1\n"
	"{ echo 'PRAGMA journal_mode=DELETE; CREATE TABLE t(i INTEGER PRIMARY KEY, v TEXT, n "
	"INT);'\n"
	"  i=0\n"
	"  while [ ! -e $d/stop ]; do\n"
	"    i=$((i + 1))\n"
	"    echo \"BEGIN; INSERT INTO t VALUES($i, 'row $i', 0); UPDATE t SET n = n + 1;\"\n"
	"    sleep 0.02\n"
	"    echo 'COMMIT;'\n"
	"    [ $i = 5 ] && : > $d/ready\n"
	"  done\n"
	"  echo $i > $d/n\n"
	"  echo 'SELECT count(*), sum(i), min(n), max(n) FROM t; PRAGMA integrity_check;'\n"
	"} | sqlite3 -batch $db > $d/out 2>&1 &\n"
	"while [ ! -e $d/ready ]; do sleep 0.02; done\n"
	"stop=0; trap 'stop=1' TERM\n"
	"echo ready\n"
	"while [ $stop = 0 ]; do sleep 0.05; done\n"
	": > $d/stop\n"
	"wait\n"
	"n=$(cat $d/n); out=$(cat $d/out); again=$(sqlite3 $db 'SELECT count(*), sum(i) FROM t')\n"
	"rm -rf $d\n"
	"want=\"$n|$((n * (n + 1) / 2))|1|$n\"\n"
	"exp=$(printf 'delete\\n%s\\nok' \"$want\")\n"
	"if [ \"$out\" != \"$exp\" ]; then echo \"FAIL: sqlite3 said '$out', want '$exp'\"; exit "
	"1; fi\n"
	"if [ \"$again\" != \"$n|$((n * (n + 1) / 2))\" ]; then echo \"FAIL: re-read '$again'\"; "
	"exit 1; fi\n"
	"echo \"$n transactions\"\n"
	"echo PASS\n";

int main(void)
{
	case_init();
	execl("/bin/bash", "bash", "-c", script, (char *)NULL);
	case_fail("bash not found");
}
