# SPDX-License-Identifier: MIT
# Helpers for the end-to-end tests: a small cluster of ferryd nodes on this machine. Each node
# is a ferryd that is PID 1 of its own PID namespace (and mount namespace, for its own /proc),
# listening on 127.0.0.1:PORT; killing a node's ferryd therefore ends everything on that node,
# like a crashed machine. Everything lives under $E2E (a temp dir) and is removed by e2e_cleanup.
# Sourced by tests/e2e/check.sh.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FERRY=${FERRY:-$ROOT/build/ferry}
FERRYD=${FERRYD:-$ROOT/build/ferryd}
E2E=$(mktemp -d /tmp/ferry-e2e.XXXXXX)
chmod 755 "$E2E"
E2E_PORT=${E2E_PORT:-$((17000 + RANDOM % 2000))}
E2E_NODES=${E2E_NODES:-3}

e2e_conf() { # K [extra lines]
	local k=$1 j
	mkdir -p "$E2E/n$k"
	chmod 755 "$E2E/n$k"
	{
		echo "[node]"
		echo "name = n$k"
		echo "listen = 127.0.0.1:$((E2E_PORT + k))"
		echo "control = $E2E/n$k/ferryd.sock"
		echo "key = ${2:-$E2E/cluster.key}"
		echo "timeout_ms = 3000"
		[ -n "${E2E_NODE_EXTRA:-}" ] && echo "$E2E_NODE_EXTRA"
		echo "[peers]"
		for ((j = 1; j <= E2E_NODES; j++)); do
			[ "$j" = "$k" ] || echo "n$j = 127.0.0.1:$((E2E_PORT + j))"
		done
	} >"$E2E/n$k.conf"
}

node_up() { # K [KEYFILE]
	local k=$1 i
	e2e_conf "$k" "${2:-}"
	rm -f "$E2E/n$k/ferryd.sock"
	setsid unshare --pid --fork --mount-proc "$FERRYD" -c "$E2E/n$k.conf" \
		>>"$E2E/n$k.log" 2>&1 </dev/null 3>&- 251>&- &
	echo $! >"$E2E/n$k.upid"
	for ((i = 0; i < 100; i++)); do
		[ -S "$E2E/n$k/ferryd.sock" ] && return 0
		sleep 0.05
	done
	echo "node n$k did not start:"; tail -5 "$E2E/n$k.log"
	return 1
}

node_pid() { # K: host pid of node K's ferryd
	pgrep -P "$(cat "$E2E/n$1.upid" 2>/dev/null)" 2>/dev/null | head -1
}

node_kill() { # K: crash node K (its ferryd is PID 1 of the node: everything in it dies)
	local p u
	u=$(cat "$E2E/n$1.upid" 2>/dev/null) || return 0
	p=$(node_pid "$1")
	[ -n "$p" ] && kill -9 "$p" 2>/dev/null
	for ((i = 0; i < 100; i++)); do kill -0 "$u" 2>/dev/null || break; sleep 0.05; done
	rm -f "$E2E/n$1.upid"
}

# Move node K's next PID to N: in fresh PID namespaces small PIDs are taken by the daemons'
# short-lived workers, and a migrated process needs its PID free on every node.
node_pid_base() { # K N
	nsenter -t "$(node_pid "$1")" -p -m sh -c "echo $2 >/proc/sys/kernel/ns_last_pid"
}

fr() { # K ferry-args...: run ferry against node K's daemon
	local k=$1
	shift
	FERRY_SOCKET=$E2E/n$k/ferryd.sock "$FERRY" "$@"
}

fault() { # K STEP|"": set or clear node K's fault-injection step
	if [ -n "$2" ]; then echo "$2" >"$E2E/n$1/fault"; else rm -f "$E2E/n$1/fault"; fi
}

# Where the process ID runs according to ferry ps on node K: prints "NODE PID" lines.
copies() { # K ID
	fr "$1" ps --json | python3 -c '
import json, sys
for p in json.load(sys.stdin)["procs"]:
    if p["id"] == sys.argv[1]:
        print(p["node"], p["pid"])' "$2"
}

# Live processes running PROG (by exe path) in every node, as "K PID" lines.
live_copies() { # PROGPATH
	local k p
	for ((k = 1; k <= E2E_NODES; k++)); do
		p=$(node_pid "$k") || continue
		[ -n "$p" ] || continue
		for t in $(pgrep -f "^$1" 2>/dev/null); do
			[ "$(readlink /proc/$t/ns/pid 2>/dev/null)" = \
				"$(readlink /proc/$p/ns/pid 2>/dev/null)" ] &&
				[ "$(awk '{print $3}' /proc/$t/stat 2>/dev/null)" != Z ] &&
				[ "$(awk '{print $3}' /proc/$t/stat 2>/dev/null)" != X ] &&
				echo "$k $t"
		done
	done
}

# Check the counter output: counts 0..N-1 each exactly once and every line "memory ok".
counter_ok() { # FILE
	awk '/MEMORY CORRUPT/ {bad = "memory corrupt at line " NR}
	     $3 == "count" { if ($4 != n) { bad = "count " $4 " where " n " expected (line " NR ")"; exit } n++ }
	     END { if (bad) { print bad; exit 1 } if (n < 5) { print "only " n " lines"; exit 1 } }' "$1"
}

e2e_cleanup() {
	local k
	for ((k = 1; k <= E2E_NODES + 1; k++)); do node_kill "$k"; done
	[ -n "${KEEP:-}" ] || rm -rf "$E2E"
}
