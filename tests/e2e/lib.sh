# SPDX-License-Identifier: MIT
# Helpers for the end-to-end tests: a cluster of 3 ferryd nodes on this machine, on one of two
# backends (E2E_BACKEND):
#   testbed  `ferry testbed up 3` (src/testbed: netns + bridge, PID/mount namespaces, cgroups;
#            ferryd is started in every node by the test bed). Default when no test bed is up.
#   ns       lighter: each node is a ferryd that is PID 1 of its own PID and mount namespaces
#            (unshare), listening on 127.0.0.1:PORT. Used when a test bed is already up
#            (someone else's) or when asked for; also by bench/bench-migrate.sh.
# A crashed daemon: `node_kill K` SIGKILLs node K's ferryd (on the ns backend this ends the
# whole node, as its ferryd is the node's PID 1). Everything is removed by e2e_cleanup.
# Files shared by the nodes (process output) live in $E2E under /var/tmp: /tmp is per node.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FERRY=${FERRY:-$ROOT/build/ferry}
FERRYD=${FERRYD:-$ROOT/build/ferryd}
REAPER=$ROOT/build/tests/tools/reaper
E2E=$(mktemp -d /var/tmp/ferry-e2e.XXXXXX)
chmod 755 "$E2E"
E2E_PORT=${E2E_PORT:-$((17000 + RANDOM % 2000))}
E2E_NODES=${E2E_NODES:-3}
TB=/run/ferry-testbed
if [ -z "${E2E_BACKEND:-}" ]; then
	if "$FERRY" testbed status 2>&1 | grep -q "not up"; then E2E_BACKEND=testbed; else E2E_BACKEND=ns; fi
fi

# ---------------------------------------------------------------- ns backend
ns_conf() { # K [KEYFILE]
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

ns_up() { # K [KEYFILE]
	local k=$1
	ns_conf "$k" "${2:-}"
	rm -f "$E2E/n$k/ferryd.sock"
	setsid unshare --pid --fork --mount-proc "$FERRYD" -c "$E2E/n$k.conf" \
		>>"$E2E/n$k.log" 2>&1 </dev/null 3>&- 251>&- &
	echo $! >"$E2E/n$k.upid"
}

# ---------------------------------------------------------------- testbed backend
tb_init() { cut -d' ' -f1 "$TB/n$1/init" 2>/dev/null; }

tb_up() { # K: (re)start node K's ferryd with the test bed's config
	node_exec "$1" sh -c "setsid $FERRYD --config $TB/n$1/ferryd.conf >>$TB/n$1/ferryd.log 2>&1 </dev/null &"
}

# ---------------------------------------------------------------- common API
e2e_start() { # bring up nodes 1..3 with daemons
	local k
	if [ "$E2E_BACKEND" = testbed ]; then
		"$REAPER" "$FERRY" testbed up "$E2E_NODES" --daemon "$FERRYD" >"$E2E/testbed.out" 2>&1 ||
			{ cat "$E2E/testbed.out"; return 1; }
		for ((k = 1; k <= E2E_NODES; k++)); do wait_sock "$k" || return 1; done
		return 0
	fi
	"$FERRY" keygen "$E2E/cluster.key" >/dev/null || return 1
	for ((k = 1; k <= E2E_NODES; k++)); do node_up "$k" || return 1; done
}

node_sock() { # K: control socket path as seen inside node K
	if [ "$E2E_BACKEND" = testbed ]; then echo /run/ferry/ferryd.sock; else echo "$E2E/n$1/ferryd.sock"; fi
}
node_conf() { if [ "$E2E_BACKEND" = testbed ]; then echo "$TB/n$1/ferryd.conf"; else echo "$E2E/n$1.conf"; fi; }
node_log() { if [ "$E2E_BACKEND" = testbed ]; then echo "$TB/n$1/ferryd.log"; else echo "$E2E/n$1.log"; fi; }

node_exec() { # K CMD...: run CMD inside node K, with FERRY_SOCKET set for it
	local k=$1
	shift
	if [ "$E2E_BACKEND" = testbed ]; then
		"$FERRY" testbed exec "n$k" -- env FERRY_SOCKET=/run/ferry/ferryd.sock "$@"
	else
		FERRY_SOCKET=$E2E/n$k/ferryd.sock "$@"
	fi
}

fr() { # K ferry-args...: run ferry against node K's daemon
	local k=$1
	shift
	node_exec "$k" "$FERRY" "$@"
}

wait_sock() { # K
	local i
	for ((i = 0; i < 100; i++)); do
		node_exec "$1" test -S "$(node_sock "$1")" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "node n$1: ferryd did not start:"
	tail -5 "$(node_log "$1")"
	return 1
}

node_up() { # K [KEYFILE]: (re)start node K's daemon
	if [ "$E2E_BACKEND" = testbed ]; then tb_up "$1"; else ns_up "$@"; fi
	wait_sock "$1"
}

node_pid() { # K: host pid of node K's ferryd
	local p ns
	if [ "$E2E_BACKEND" = ns ]; then
		pgrep -P "$(cat "$E2E/n$1.upid" 2>/dev/null)" 2>/dev/null | head -1
		return
	fi
	ns=$(readlink "/proc/$(tb_init "$1")/ns/pid" 2>/dev/null) || return 0
	for p in $(pgrep -x ferryd); do
		[ "$(readlink /proc/$p/ns/pid 2>/dev/null)" = "$ns" ] &&
			grep -qF "$TB/n$1/ferryd.conf" /proc/$p/cmdline 2>/dev/null &&
			[ "$(awk '{print $3}' /proc/$p/stat)" != Z ] && echo "$p" && return
	done
}

node_ns() { # K: the PID namespace of node K
	if [ "$E2E_BACKEND" = testbed ]; then
		readlink "/proc/$(tb_init "$1")/ns/pid" 2>/dev/null
	else
		readlink "/proc/$(node_pid "$1")/ns/pid" 2>/dev/null
	fi
}

node_kill() { # K: SIGKILL node K's ferryd (ns backend: the whole node)
	local p u i
	p=$(node_pid "$1")
	[ -n "$p" ] && kill -9 "$p" 2>/dev/null
	if [ "$E2E_BACKEND" = ns ]; then
		u=$(cat "$E2E/n$1.upid" 2>/dev/null) || return 0
		for ((i = 0; i < 100; i++)); do kill -0 "$u" 2>/dev/null || break; sleep 0.05; done
		rm -f "$E2E/n$1.upid"
	else
		for ((i = 0; i < 100; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
	fi
}

# A second daemon that does not hold the cluster key: node 4 of the ns backend, or on the test
# bed a ferryd inside n3 on port 7071 with its own socket. rogue_fr runs ferry against it.
rogue_up() { # KEYFILE
	if [ "$E2E_BACKEND" = ns ]; then
		E2E_NODES=4 ns_up 4 "$1"
		E2E_NODES=4 wait_sock 4
		return
	fi
	cat >"$E2E/rogue.conf" <<-EOC
		[node]
		name = n4
		listen = 10.77.0.3:7071
		control = /run/ferry/rogue.sock
		pidfile = /run/ferry/rogue.pid
		key = $1
		[peers]
		n1 = 10.77.0.1:7070
		n2 = 10.77.0.2:7070
		n3 = 10.77.0.3:7070
	EOC
	node_exec 3 sh -c "setsid $FERRYD --config $E2E/rogue.conf >>$E2E/rogue.log 2>&1 </dev/null &"
	for ((i = 0; i < 100; i++)); do node_exec 3 test -S /run/ferry/rogue.sock && return; sleep 0.05; done
}
rogue_fr() {
	if [ "$E2E_BACKEND" = ns ]; then
		FERRY_SOCKET=$E2E/n4/ferryd.sock "$FERRY" "$@"
	else
		"$FERRY" testbed exec n3 -- env FERRY_SOCKET=/run/ferry/rogue.sock "$FERRY" "$@"
	fi
}
rogue_down() {
	if [ "$E2E_BACKEND" = ns ]; then
		node_kill 4
	else
		node_exec 3 sh -c 'kill $(cat /run/ferry/rogue.pid)'
	fi
}

fault() { # K STEP|"": set or clear node K's fault-injection step
	local f
	f=$(dirname "$(node_sock "$1")")/fault
	if [ -n "$2" ]; then node_exec "$1" sh -c "echo $2 >$f"; else node_exec "$1" rm -f "$f"; fi
}

# Move node K's next PID to N: in fresh PID namespaces small PIDs are taken by the daemons'
# short-lived workers, and a migrated process needs its PID free on every node.
node_pid_base() { # K N
	if [ "$E2E_BACKEND" = testbed ]; then
		node_exec "$1" sh -c "echo $2 >/proc/sys/kernel/ns_last_pid"
	else
		nsenter -t "$(node_pid "$1")" -p -m sh -c "echo $2 >/proc/sys/kernel/ns_last_pid"
	fi
}

# Where the process ID runs according to ferry ps on node K: prints "NODE PID" lines.
copies() { # K ID
	fr "$1" ps --json | python3 -c '
import json, sys
for p in json.load(sys.stdin)["procs"]:
    if p["id"] == sys.argv[1]:
        print(p["node"], p["pid"])' "$2"
}

# Live (not zombie) processes whose command line starts with PATTERN, as "K HOSTPID" lines.
live_copies() { # PATTERN
	local k t ns st
	for ((k = 1; k <= E2E_NODES; k++)); do
		ns=$(node_ns "$k")
		[ -n "$ns" ] || continue
		for t in $(pgrep -f "^$1" 2>/dev/null); do
			st=$(awk '{print $3}' /proc/$t/stat 2>/dev/null)
			[ "$(readlink /proc/$t/ns/pid 2>/dev/null)" = "$ns" ] && [ "$st" != Z ] &&
				[ "$st" != X ] && [ -n "$st" ] && echo "$k $t"
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
	if [ "$E2E_BACKEND" = testbed ]; then
		[ -z "${KEEP:-}" ] || for ((k = 1; k <= E2E_NODES + 1; k++)); do
			cp "$(node_log "$k")" "$E2E/n$k.log" 2>/dev/null
		done
		"$FERRY" testbed down >/dev/null 2>&1
	else
		for ((k = 1; k <= E2E_NODES + 1; k++)); do node_kill "$k"; done
	fi
	[ -n "${KEEP:-}" ] || rm -rf "$E2E"
}
