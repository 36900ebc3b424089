#!/bin/bash
# The demo: start a counter, dump it (which kills it), restore it from the image with the same
# PID, and show it continuing from where it stopped with its memory intact.
set -eu
cd "$(dirname "$0")/.."
F=build/ferry
# Descriptors inherited from whatever started us would be dumped with the counter; close them.
for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null || true; done
work=$(mktemp -d /tmp/ferry-demo.XXXXXX)
rpid=""
cleanup() {
	[ -n "${cpid:-}" ] && kill -9 "$cpid" 2>/dev/null || true
	[ -n "$rpid" ] && wait "$rpid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "== starting a counter"
setsid build/tests/tools/counter >"$work/out" 2>&1 </dev/null &
cpid=$!
sleep 1.2
tail -n 3 "$work/out"

echo "== ferry dump --pid $cpid --dir $work/img"
$F dump --pid "$cpid" --dir "$work/img" --json
wait "$cpid" 2>/dev/null || true
echo "counter is gone: $(ps -p "$cpid" >/dev/null && echo no || echo yes); image: $(du -h "$work/img/image.ferry" | cut -f1)"
sleep 0.6
echo "last line before restore: $(tail -n 1 "$work/out")"

echo "== ferry restore --dir $work/img"
$F restore --dir "$work/img" --json --ready-file "$work/ready" &
rpid=$!
for _ in $(seq 50); do [ -e "$work/ready" ] && break; sleep 0.1; done
sleep 1.2
tail -n 5 "$work/out"
echo "== stopping the restored counter (pid $cpid)"
kill -TERM "$cpid"
wait "$rpid" || echo "ferry restore exited with status $? (the counter died by SIGTERM)"
rpid=""
cpid=""
