/* SPDX-License-Identifier: MIT */
/* A real program: python3's selectors.EpollSelector driving an os.eventfd, a periodic 20 ms
 * timerfd (created through ctypes: Python has no binding) and a pipe. Every 10 timer ticks it
 * bumps the eventfd and writes a byte to the pipe; it counts what each fd delivers. On SIGTERM it
 * keeps the loop running 300 ms more (the timer must still tick after restore), then checks: the
 * selector still maps the same fds to the same data, eventfd total == pipe bytes == bumps, and the
 * timer ticked at least 10 times after SIGTERM and never more often than its period allows. */
#include "caselib.h"

#include <unistd.h>

static const char script[] =
	"import ctypes, os, selectors, signal, struct, sys, time\n"
	"libc = ctypes.CDLL(None, use_errno=True)\n"
	"class TS(ctypes.Structure): _fields_ = [('s', ctypes.c_long), ('ns', ctypes.c_long)]\n"
	"class ITS(ctypes.Structure): _fields_ = [('interval', TS), ('value', TS)]\n"
	"tfd = libc.timerfd_create(time.CLOCK_MONOTONIC, os.O_NONBLOCK | os.O_CLOEXEC)\n"
	"its = ITS(TS(0, 20000000), TS(0, 20000000))\n"
	"assert tfd >= 0 and libc.timerfd_settime(tfd, 0, ctypes.byref(its), None) == 0\n"
	"efd = os.eventfd(0, os.EFD_NONBLOCK)\n"
	"r, w = os.pipe(); os.set_blocking(r, False)\n"
	"sel = selectors.EpollSelector()\n"
	"sel.register(tfd, selectors.EVENT_READ, 'timer')\n"
	"sel.register(efd, selectors.EVENT_READ, 'event')\n"
	"sel.register(r, selectors.EVENT_READ, 'pipe')\n"
	"fds0 = sorted((k.fd, k.data) for k in sel.get_map().values())\n"
	"stop_at = None; ticks = 0; bumps = 0; evsum = 0; pbytes = 0; ticks_after = 0\n"
	"def on_term(s, f):\n"
	"    global stop_at\n"
	"    stop_at = time.monotonic() + 0.3\n"
	"signal.signal(signal.SIGTERM, on_term)\n"
	"t0 = time.monotonic(); ready = False\n"
	"while stop_at is None or time.monotonic() < stop_at:\n"
	"    for key, _ in sel.select(0.1):\n"
	"        if key.data == 'timer':\n"
	"            n = struct.unpack('Q', os.read(tfd, 8))[0]\n"
	"            for _ in range(n):\n"
	"                ticks += 1\n"
	"                if stop_at is not None: ticks_after += 1\n"
	"                if ticks % 10 == 0:\n"
	"                    bumps += 1; os.eventfd_write(efd, 1); os.write(w, b'x')\n"
	"        elif key.data == 'event': evsum += os.eventfd_read(efd)\n"
	"        else: pbytes += len(os.read(r, 4096))\n"
	"    if not ready and ticks >= 15:\n"
	"        ready = True; print('ready', flush=True)\n"
	"for key, _ in sel.select(0):\n"
	"    if key.data == 'event': evsum += os.eventfd_read(efd)\n"
	"    if key.data == 'pipe': pbytes += len(os.read(r, 4096))\n"
	"elapsed = time.monotonic() - t0\n"
	"fds1 = sorted((k.fd, k.data) for k in sel.get_map().values())\n"
	"errs = []\n"
	"if fds0 != fds1: errs.append('selector map %s -> %s' % (fds0, fds1))\n"
	"if not (evsum == pbytes == bumps): errs.append('eventfd %d pipe %d bumps %d' % (evsum, "
	"pbytes, bumps))\n"
	"if ticks_after < 10: errs.append('only %d ticks after SIGTERM' % ticks_after)\n"
	"if ticks > elapsed / 0.02 + 2: errs.append('%d ticks in %.2f s' % (ticks, elapsed))\n"
	"print('FAIL: ' + '; '.join(errs) if errs else 'PASS', flush=True)\n"
	"sys.exit(1 if errs else 0)\n";

int main(void)
{
	case_init();
	execl("/usr/bin/python3", "python3", "-c", script, (char *)NULL);
	execlp("python3", "python3", "-c", script, (char *)NULL);
	case_fail("python3 not installed");
}
