/* SPDX-License-Identifier: MIT */
/* A real program: python3 running a counter loop that prints "count N" to its log, with a dict of
 * 20000 entries on its heap. On SIGTERM it checks its own log (every count 1..N exactly once, in
 * order, so nothing was lost or rewritten across restores) and its dict, then prints PASS. */
#include "caselib.h"

#include <unistd.h>

static const char script[] =
	"import signal, sys, time\n"
	"stop = False\n"
	"def on_term(s, f):\n"
	"    global stop\n"
	"    stop = True\n"
	"signal.signal(signal.SIGTERM, on_term)\n"
	"data = {i: i * i for i in range(20000)}\n"
	"count = 0\n"
	"def emit(line):\n"
	"    sys.stdout.write(line + '\\n')\n"
	"    sys.stdout.flush()\n"
	"while count < 20:\n"
	"    count += 1\n"
	"    emit('count %d' % count)\n"
	"emit('ready')\n"
	"while not stop:\n"
	"    count += 1\n"
	"    emit('count %d' % count)\n"
	"    time.sleep(0.01)\n"
	"with open('/proc/self/fd/1') as f:\n"
	"    nums = [int(l.split()[1]) for l in f.read().splitlines() if l.startswith('count ')]\n"
	"if nums != list(range(1, count + 1)):\n"
	"    bad = [n for i, n in enumerate(nums) if n != i + 1][:5]\n"
	"    emit('FAIL: log has %d counts, counter is %d, first wrong: %s' % (len(nums), count, bad))\n"
	"    sys.exit(1)\n"
	"if any(data[i] != i * i for i in range(20000)):\n"
	"    emit('FAIL: dict changed')\n"
	"    sys.exit(1)\n"
	"emit('PASS')\n";

int main(void)
{
	case_init();
	execl("/usr/bin/python3", "python3", "-c", script, (char *)NULL);
	execlp("python3", "python3", "-c", script, (char *)NULL);
	case_fail("python3 not installed");
}
