#!/bin/bash
# SPDX-License-Identifier: MIT
# Tests of `ferry testbed` (docs/testbed.md): up 3, status, addresses only inside the namespaces,
# ping and TCP between nodes, per-node PID namespace, private /tmp, shared root filesystem, exec
# status/stdio, cgroup limits set and enforced (CPU quota measured, memory limit hit), ferryd
# start with a stand-in daemon, down removes everything, down again is a no-op, down after
# crashed inits, after lost state and after a failed up. Prints "N passed, N failed[, N skipped]".
# Needs root and iproute2; the test bed is always taken down again (trap), also on failure.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FERRY=${FERRY:-$ROOT/build/ferry}
REAPER=${REAPER:-$ROOT/build/tests/tools/reaper}
STATE=/run/ferry-testbed

# Killed node inits are re-parented to us; PID 1 here reaps late (KERNEL-FACTS.md quirks).
if [ -z "${FERRY_TB_UNDER_REAPER:-}" ] && [ -x "$REAPER" ]; then
	export FERRY_TB_UNDER_REAPER=1
	exec "$REAPER" bash "$0" "$@"
fi
for fd in $(ls /proc/$$/fd); do
	[ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
done

npass=0 nfail=0 nskip=0
ok() { echo "ok   $1"; npass=$((npass + 1)); }
bad() { echo "FAIL $1${2:+: $2}"; nfail=$((nfail + 1)); }
skip() { echo "skip $1${2:+: $2}"; nskip=$((nskip + 1)); }
summary() {
	if [ "$nskip" -gt 0 ]; then
		echo "$npass passed, $nfail failed, $nskip skipped"
	else
		echo "$npass passed, $nfail failed"
	fi
}
# t NAME COMMAND...: one check; its output is shown only when it fails.
t() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$name"; else bad "$name" "$(tail -3 <<<"$out" | tr '\n' ' ')"; fi
}

if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null || [ ! -x "$FERRY" ]; then
	skip "testbed" "needs root, iproute2 and $FERRY"
	summary
	exit 0
fi
if [ -e $STATE ] || [ -e /run/netns/ferry-tb-hub ]; then
	skip "testbed" "a test bed is already up here; not touching it"
	summary
	exit 0
fi

# A work directory on the shared filesystem (the nodes' /tmp is private).
mkdir -p "$ROOT/build/tests"
WORK=$(mktemp -d "$ROOT/build/tests/testbed.XXXXXX")
BGPIDS=()
OURS=" " # init pids of the test beds this script made
cleanup() {
	local p
	for p in "${BGPIDS[@]}"; do kill "$p" 2>/dev/null; done
	# The machine is shared: take down only a test bed this script made (or remains of none).
	p=$(awk '{print $1}' $STATE/n1/init 2>/dev/null)
	if [ ! -e $STATE ] || [[ "$OURS" == *" $p "* ]]; then
		"$FERRY" testbed down >/dev/null 2>&1
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

tb() {
	"$FERRY" testbed "$@" || return
	if [ "$1" = up ]; then OURS+="$(awk '{print $1}' $STATE/n1/init) "; fi
}
in_node() { local n=$1; shift; "$FERRY" testbed exec "$n" -- "$@"; }
init_pid() { awk '{print $1}' $STATE/$1/init; }
cg_dirs() { cat $STATE/$1/cgroups; }

# cpu_usage_us NODE: CPU time used by the node's cgroup so far (v2 cpu.stat or v1 cpuacct).
cpu_usage_us() {
	local d
	for d in $(cg_dirs "$1"); do
		if [ -f "$d/cpu.stat" ] && grep -q '^usage_usec' "$d/cpu.stat"; then
			awk '/^usage_usec/ {print $2}' "$d/cpu.stat"
			return
		fi
		if [ -f "$d/cpuacct.usage" ]; then
			echo $(($(cat "$d/cpuacct.usage") / 1000))
			return
		fi
	done
	echo "no CPU usage file in $(cg_dirs "$1")" >&2
	return 1
}

# nothing_left PID...: no test bed netns, cgroup, state, or listed process remains.
nothing_left() {
	local p st left=""
	ls /run/netns 2>/dev/null | grep -q '^ferry-tb-' && left+="netns: $(ls /run/netns | grep '^ferry-tb-' | tr '\n' ' ') "
	local cgs
	cgs=$(find /sys/fs/cgroup -maxdepth 6 -type d -name ferry-testbed 2>/dev/null)
	[ -n "$cgs" ] && left+="cgroups: $cgs "
	[ -e $STATE ] && left+="state dir $STATE "
	for p in "$@"; do
		st=$(awk '{print $3}' /proc/"$p"/stat 2>/dev/null)
		[ -n "$st" ] && [ "$st" != Z ] && left+="pid $p ($st) "
	done
	[ -z "$left" ] || { echo "left over: $left"; return 1; }
}

# ---------------------------------------------------------------- up 3
t0=$EPOCHREALTIME
if tb up 3 --cpu-quota 10 --mem-limit 128 --daemon "$WORK/no-such-ferryd" >"$WORK/out" 2>&1; then
	out=$(cat "$WORK/out")
	ok "up 3 ($(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.0f ms", (b-a)*1000}'))"
else
	bad "up 3" "$(cat "$WORK/out")"
	summary
	exit 1
fi
t "up says in one line that there is no daemon" grep -q "no ferryd at $WORK/no-such-ferryd" <<<"$out"
INITS=$(for n in n1 n2 n3; do init_pid $n; done)

status=$(tb status)
t "status lists n1..n3 with addresses, live inits, limits" awk '
	/^n[123] / { n++; if ($2 != "10.77.0." substr($1, 2)) bad = 1; if ($3 !~ /^[0-9]+$/) bad = 1
		     if ($4 != "10%" || $5 != "128") bad = 1 }
	END { exit !(n == 3 && !bad) }' <<<"$status"
t "status says no ferryd runs" test "$(grep -c 'not running' <<<"$status")" = 3
t "second up is refused while one is up (status 3)" bash -c \
	"'$FERRY' testbed up 2 >/dev/null 2>&1; test \$? = 3"

# ---------------------------------------------------------------- network
t "host has no 10.77 address or route" bash -c '! ip -br addr | grep -q "10\.77\." && ! ip route | grep -q "10\.77\."'
t "n2 has its address on eth0" bash -c "'$FERRY' testbed exec n2 -- ip -br addr show eth0 | grep -q '10.77.0.2/24'"
if command -v ping >/dev/null; then
	t "n1 pings n2" in_node n1 ping -c 1 -W 2 10.77.0.2
	t "n3 pings n1" in_node n3 ping -c 1 -W 2 10.77.0.1
	t "no reply from an unused address" bash -c "! '$FERRY' testbed exec n1 -- ping -c 1 -W 1 10.77.0.9"
else
	skip "ping between nodes" "no ping (iputils-ping)"
fi
if [ -x /usr/bin/python3 ]; then
	"$FERRY" testbed exec n2 -- /usr/bin/python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.0.2", 7099)); s.listen(1); s.settimeout(10)
c, peer = s.accept(); c.sendall(("hello %s from n2\n" % peer[0]).encode()); c.close()' >/dev/null 2>&1 &
	BGPIDS+=($!)
	tcp_ok() {
		local i
		for i in $(seq 50); do
			out=$(in_node n1 bash -c 'exec 3<>/dev/tcp/10.77.0.2/7099 && head -1 <&3' 2>/dev/null) &&
				[ "$out" = "hello 10.77.0.1 from n2" ] && return 0
			sleep 0.1
		done
		echo "got '$out'"
		return 1
	}
	t "TCP from n1 to n2 (peer sees 10.77.0.1)" tcp_ok
else
	skip "TCP between nodes" "no /usr/bin/python3"
fi

# ---------------------------------------------------------------- namespaces
t "pid 1 in n1 is n1's init" test "$(in_node n1 cat /proc/1/comm)" = ferry-init-n1
t "pid 1 in n2 is n2's init" test "$(in_node n2 cat /proc/1/comm)" = ferry-init-n2
t "n1 runs in the init's PID namespace, not the host's" test \
	"$(in_node n1 readlink /proc/self/ns/pid)" = "$(readlink /proc/"$(init_pid n1)"/ns/pid)"
t "n1's PID namespace differs from the host's and n2's" bash -c \
	"a=\$(readlink /proc/$(init_pid n1)/ns/pid); [ \"\$a\" != \"\$(readlink /proc/self/ns/pid)\" ] &&
	 [ \"\$a\" != \"\$(readlink /proc/$(init_pid n2)/ns/pid)\" ]"
t "n1 sees only its own processes in /proc" bash -c \
	"test \$('$FERRY' testbed exec n1 -- sh -c 'ls /proc | grep -c \"^[0-9]\"') -lt 10"
t "hostname of n2 is n2" test "$(in_node n2 hostname)" = n2
MARK=tb-mark-$$
t "n1 writes its private /tmp" in_node n1 sh -c "echo n1 > /tmp/$MARK && test \"\$(cat /tmp/$MARK)\" = n1"
t "n2 does not see n1's /tmp" in_node n2 test ! -e /tmp/$MARK
t "the host does not see n1's /tmp" test ! -e /tmp/$MARK
t "/run is private too" bash -c \
	"'$FERRY' testbed exec n1 -- sh -c ': > /run/$MARK && test -e /run/$MARK' && ! test -e /run/$MARK &&
	 '$FERRY' testbed exec n2 -- test ! -e /run/$MARK"
t "shared root: n1 writes, n2 reads" bash -c \
	"'$FERRY' testbed exec n1 -- sh -c 'echo shared > $WORK/shared' &&
	 test \"\$('$FERRY' testbed exec n2 -- cat $WORK/shared)\" = shared"
t "exec keeps the cwd on the shared filesystem" test "$(cd "$WORK" && in_node n3 pwd)" = "$WORK"

# ---------------------------------------------------------------- exec
t "exec forwards the exit status" bash -c "'$FERRY' testbed exec n1 -- sh -c 'exit 7'; test \$? = 7"
t "exec reports death by signal as 128+N" bash -c "'$FERRY' testbed exec n1 -- sh -c 'kill -9 \$\$'; test \$? = 137"
t "exec passes stdin and stdout through" test "$(echo through | in_node n2 cat)" = through
t "exec of an unknown node fails clearly" bash -c \
	"'$FERRY' testbed exec n9 -- true 2>&1 | grep -q 'node n9 is not up'"
t "exec'd command is in the node's cgroup" bash -c \
	"'$FERRY' testbed exec n2 -- cat /proc/self/cgroup | grep -q 'ferry-testbed/n2\$'"

# ---------------------------------------------------------------- cgroups
cg_set() {
	local n=$1 d cpu="" mem=""
	for d in $(cg_dirs "$n"); do
		[ -f "$d/cpu.max" ] && cpu=$(cat "$d/cpu.max")
		[ -f "$d/cpu.cfs_quota_us" ] && cpu="$(cat "$d/cpu.cfs_quota_us") $(cat "$d/cpu.cfs_period_us")"
		[ -f "$d/memory.max" ] && mem=$(cat "$d/memory.max")
		[ -f "$d/memory.limit_in_bytes" ] && mem=$(cat "$d/memory.limit_in_bytes")
	done
	[ "$cpu" = "10000 100000" ] && [ "$mem" = $((128 << 20)) ] || {
		echo "$n: cpu '$cpu' memory '$mem'"
		return 1
	}
}
t "n1 cgroup: CPU quota 10000/100000 us and memory 128 MiB" cg_set n1
t "n3 cgroup: CPU quota 10000/100000 us and memory 128 MiB" cg_set n3

# Two busy loops in n1 may use 10% of one CPU together; without the quota they would take up to
# two CPUs (still well above the bound when other work loads this 2-CPU machine).
cpu_limited() {
	"$FERRY" testbed exec n1 -- sh -c \
		'while :; do :; done & trap "kill $!; exit" TERM; while :; do :; done' >/dev/null 2>&1 &
	local loop=$! u0 u1 t0 t1 rc
	sleep 0.3
	u0=$(cpu_usage_us n1) && t0=$EPOCHREALTIME && sleep 1 && u1=$(cpu_usage_us n1) && t1=$EPOCHREALTIME
	rc=$?
	kill $loop # ferry passes SIGTERM on to the loop
	wait $loop 2>/dev/null
	[ $rc = 0 ] || return 1
	awk -v u=$((u1 - u0)) -v a="$t0" -v b="$t1" 'BEGIN {
		r = u / ((b - a) * 1e6); printf "2 busy loops used %.3f CPU (quota 0.10)\n", r
		exit !(r >= 0.02 && r <= 0.16) }'
}
if out=$(cpu_limited 2>&1); then ok "CPU quota enforced: $out"; else bad "CPU quota enforced" "$out"; fi

t "a 16 MB string fits in n2 (128 MiB limit)" test \
	"$(in_node n2 bash -c 'x=$(head -c 16000000 /dev/zero | tr "\0" a); echo ${#x}')" = 16000000
t "a 400 MB string in n2 is killed by the memory limit" bash -c \
	"'$FERRY' testbed exec n2 -- bash -c 'x=\$(head -c 400000000 /dev/zero | tr \"\\0\" a); echo \${#x}' >/dev/null 2>&1; test \$? = 137"
t "the node survives its OOM kill" test "$(in_node n2 cat /proc/1/comm)" = ferry-init-n2

# ---------------------------------------------------------------- down
"$FERRY" testbed exec n3 -- sleep 1000 >/dev/null 2>&1 &
BGPIDS+=($!)
sleep 0.2
t0=$EPOCHREALTIME
if out=$(tb down 2>&1); then
	ok "down ($(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.0f ms", (b-a)*1000}'))"
else
	bad "down" "$out"
fi
sleep 0.2 # let the reaper collect the killed inits
# shellcheck disable=SC2086
t "down removed netns, cgroups, state, inits" nothing_left $INITS
t "no process of the test bed is left" bash -c '! ps -eo comm | grep -q "^ferry-init-n"'
t "down again is a no-op" bash -c "'$FERRY' testbed down | grep -q 'nothing to remove'"
t "status after down: not up" bash -c "'$FERRY' testbed status | grep -q 'not up'"

# ---------------------------------------------------------------- daemons
mkdir -p "$WORK/bin"
cat >"$WORK/bin/ferryd" <<'EOF'
#!/bin/sh
# stand-in for ferryd: checks its command line, makes its control socket path, stays alive
[ "$1" = --config ] && [ -r "$2" ] || { echo "bad args: $*" >&2; exit 2; }
: >/run/ferry/ferryd.sock
echo "stand-in ferryd on $(hostname) with $2" >&2
while :; do sleep 1; done
EOF
chmod +x "$WORK/bin/ferryd"
if tb up 2 --daemon "$WORK/bin/ferryd" >"$WORK/out" 2>&1; then
	ok "up 2 with a daemon"
	t "status shows ferryd running on both nodes" test "$(tb status | grep -c 'running (pid')" = 2
	t "n1 config: name, listen, control socket, peer n2" bash -c \
		"grep -qx 'name = n1' $STATE/n1/ferryd.conf && grep -qx 'listen = 10.77.0.1:7070' $STATE/n1/ferryd.conf &&
		 grep -qx 'control = /run/ferry/ferryd.sock' $STATE/n1/ferryd.conf &&
		 grep -qx 'n2 = 10.77.0.2:7070' $STATE/n1/ferryd.conf && ! grep -q '^n1 =' $STATE/n1/ferryd.conf"
	t "config names the key iff ferry keygen made one" bash -c \
		"if [ -e $STATE/cluster.key ]; then grep -q '^key = ' $STATE/n2/ferryd.conf; else ! grep -q '^key' $STATE/n2/ferryd.conf; fi"
	t "daemon stderr goes to ferryd.log, and it runs in the node" \
		grep -q "stand-in ferryd on n2 with $STATE/n2/ferryd.conf" $STATE/n2/ferryd.log
	t "the control socket is in the node's private /run" bash -c \
		"'$FERRY' testbed exec n1 -- test -e /run/ferry/ferryd.sock && ! test -e /run/ferry/ferryd.sock"
	INITS=$(for n in n1 n2; do init_pid $n; done)
	t "down with daemons" tb down
	sleep 0.2
	# shellcheck disable=SC2086
	t "nothing left after down with daemons" nothing_left $INITS
else
	bad "up 2 with a daemon" "$(cat "$WORK/out")"
	tb down >/dev/null 2>&1
fi

# ---------------------------------------------------------------- crashes
if tb up 2 >/dev/null 2>&1; then
	INITS=$(for n in n1 n2; do init_pid $n; done)
	"$FERRY" testbed exec n1 -- sleep 1000 >/dev/null 2>&1 &
	victim=$!
	sleep 0.2
	kill -TERM "$(init_pid n1)" # SIGTERM shuts a node down, SIGKILL crashes it
	kill -9 "$(init_pid n2)"
	wait $victim
	t "a node's processes die with its init" test $? = 137
	sleep 0.2
	t "status shows crashed inits as dead" test "$(tb status | grep -c 'dead (')" = 2
	t "exec into a crashed node fails clearly" bash -c \
		"'$FERRY' testbed exec n1 -- true 2>&1 | grep -q 'is not running'"
	t "up refuses over the remains (status 3)" bash -c "'$FERRY' testbed up 2 >/dev/null 2>&1; test \$? = 3"
	t "down after killed inits" tb down
	# shellcheck disable=SC2086
	t "nothing left after killed inits" nothing_left $INITS
else
	bad "up 2 for the crash test"
fi

if tb up 2 >/dev/null 2>&1; then
	INITS=$(for n in n1 n2; do init_pid $n; done)
	rm -rf $STATE # as if `up` crashed before writing its state, or the state was lost
	t "down with the state lost still finds everything" bash -c "'$FERRY' testbed down | grep -q 'down in'"
	sleep 0.2
	# shellcheck disable=SC2086
	t "nothing left after down with lost state" nothing_left $INITS
else
	bad "up 2 for the lost-state test"
fi

ip netns add ferry-tb-n2 # makes node n2's step fail half-way through `up 3`
tb up 3 >"$WORK/out" 2>&1
rc=$?
out=$(cat "$WORK/out")
t "a failing up names the step and resource" bash -c "[ $rc != 0 ] && grep -q 'create netns ferry-tb-n2' <<<'$out'"
t "a failing up cleans up after itself" nothing_left
ip netns del ferry-tb-n2 2>/dev/null

t "up 0 is a usage error" bash -c "'$FERRY' testbed up 0 2>/dev/null; test \$? = 2"
summary
[ "$nfail" -eq 0 ]
