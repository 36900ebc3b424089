#!/bin/bash
# The main demo: a 3-node cluster on this machine (ferry testbed), three CPU-bound processes
# started on n1 with `ferry run`, `ferry ps` before, each migrated live to another node with
# `ferry migrate`, `ferry ps` after, their output shown continuing on the new node, then the
# test bed taken down. scripts/demo-checkpoint.sh is the single-machine dump/restore demo.
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
F=$ROOT/build/ferry
SPIN=$ROOT/build/tests/tools/spinner
# Descriptors inherited from whatever started us must not reach the managed processes.
for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null || true; done
# The nodes share the root file system but not /tmp: keep the outputs where every node sees them.
work=$(mktemp -d "$ROOT/build/demo.XXXXXX")
chmod 755 "$work"
cleanup() {
	"$F" testbed down >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
on() { "$F" testbed exec "$1" -- "${@:2}"; }
pids_on_n1() { on n1 "$F" ps --json | python3 -c '
import json, sys
for p in json.load(sys.stdin)["procs"]:
    if p["node"] == "n1":
        print(p["pid"])'; }

"$F" testbed down >/dev/null 2>&1 || true
echo "== ferry testbed up 3   (3 nodes: own network, PID and mount namespaces, cgroup, ferryd)"
"$F" testbed up 3
"$F" testbed status
echo
# A migrated process keeps its PID, and ferryd refuses a migration whose PID is taken on the
# destination (each node numbers its own processes from 1). Move n1's numbering past the low
# PIDs the other nodes' daemons use, so the three demo processes have free PIDs everywhere.
on n1 sh -c 'for i in $(seq 300); do /bin/true; done'
echo "== three CPU-bound processes started on n1 with ferry run"
for i in 1 2 3; do
	on n1 "$F" run --stdout "$work/spin$i.out" --stderr "$work/spin$i.out" "$SPIN"
done
sleep 2.5
echo "== ferry ps (before)"
on n1 "$F" ps
echo
targets=(n2 n3 n2)
i=0
for pid in $(pids_on_n1); do
	echo "== ferry migrate $pid --to ${targets[$i]}"
	on n1 "$F" migrate "$pid" --to "${targets[$i]}"
	i=$((i + 1))
done
sleep 2.5
echo
echo "== ferry ps (after)"
on n1 "$F" ps
echo
for i in 1 2 3; do
	echo "== output of process $i (last 4 lines: it moved and kept counting, memory intact)"
	tail -n 4 "$work/spin$i.out"
done
echo
echo "== ferry testbed down"
"$F" testbed down
echo "demo done"
