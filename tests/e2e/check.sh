#!/bin/bash
# SPDX-License-Identifier: MIT
# End-to-end tests of ferryd and migration on a 3-node cluster on this machine (tests/e2e/lib.sh:
# `ferry testbed`, or PID namespaces on loopback when a test bed is already up):
# 50 round trips n1->n2->n3->n1 of a counter (output continuous, memory intact, image size and
# time flat, no fd or process leaks in the daemons), fault injection at each protocol step
# (exactly one live copy remains and its output continues), security refusals, the home
# registry, remote run, clone, lock file and clean shutdown. Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/lib.sh"
trap e2e_cleanup EXIT
pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
bad() { echo "FAIL - $*"; fail=$((fail + 1)); }
expect() { # NAME CMD...: CMD must succeed
	local n=$1
	shift
	if "$@"; then ok "$n"; else bad "$n"; fi
}
COUNTER=$ROOT/build/tests/tools/counter
OUT=$E2E/c.out

one_copy_on() { # K: exactly one live counter, on node K
	local c
	c=$(live_copies "$COUNTER")
	[ "$(wc -l <<<"$c")" = 1 ] && [ "${c%% *}" = "$1" ] || { echo "live copies: [$c]"; return 1; }
}

fd_count() { ls /proc/"$(node_pid "$1")"/fd 2>/dev/null | wc -l; }
kids() { pgrep -P "$(node_pid "$1")" | wc -l; }
rss_kb() { awk '/^VmRSS/ {print $2}' /proc/"$(node_pid "$1")"/status; }

e2e_start || { echo "0 passed, 1 failed"; exit 1; }
ok "3 nodes up ($E2E_BACKEND backend)"

# ---- a managed process, the home registry ----
node_pid_base 1 20000
ID=$(cd "$E2E" && fr 1 run --stdout "$OUT" --stderr "$E2E/c.err" "$COUNTER")
P=$(cut -d: -f2 <<<"$ID")
sleep 0.5
expect "ferry run gives an id (home n1)" test "${ID%%:*}" = n1
expect "ps shows it on n1" test "$(copies 2 "$ID")" = "n1 $P"
expect "where (asked at n3) says n1" test "$(fr 3 where "$ID")" = n1
expect "dry run is accepted" fr 1 migrate "$P" --to n2 --dry-run
expect "dry run leaves it on n1" one_copy_on 1

# ---- 50 round trips ----
sleep 0.3
fd0="$(fd_count 1) $(fd_count 2) $(fd_count 3)"
cur=1 hops=0 errs=0
: >"$E2E/hops"
for ((i = 0; i < 50; i++)); do
	# daemons' memory after warm-up (first use of the channel, allocator arenas)
	[ $i = 5 ] && rss0="$(rss_kb 1) $(rss_kb 2) $(rss_kb 3)"
	for next in 2 3 1; do
		comp=none
		((hops % 7 == 3)) && comp=zstd
		if fr $cur migrate "$P" --to n$next --compress $comp --json >>"$E2E/hops" 2>>"$E2E/hops.err"; then
			cur=$next
		else
			errs=$((errs + 1))
		fi
		hops=$((hops + 1))
	done
done
expect "150 migrations without error ($errs errors)" test "$errs" = 0
expect "after 50 round trips it is on n1" one_copy_on 1
expect "where says n1 after 150 hops" test "$(fr 2 where "$ID")" = n1
stats=$(python3 - "$E2E/hops" <<'PY'
import json, sys, statistics as s
h = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
size = [x["image_bytes"] for x in h]
t = [x["total_ms"] for x in h]
fz = [x["frozen_ms"] for x in h]
print(len(h), size[0], size[-1], max(size), round(s.median(t[:15]), 1), round(s.median(t[-15:]), 1),
      round(s.median(fz), 1))
PY
)
read -r n s0 s1 smax t0 t1 fz <<<"$stats"
echo "# hops $n, image bytes first $s0 last $s1 max $smax, median total ms first15 $t0 last15 $t1, median frozen ms $fz"
expect "image size does not grow ($s0 -> $s1)" python3 -c "import sys; sys.exit(not ($smax <= $s0 * 1.05 + 65536))"
expect "migration time does not grow ($t0 -> $t1 ms)" python3 -c "import sys; sys.exit(not ($t1 <= 2 * $t0 + 20))"
sleep 0.5
fd1="$(fd_count 1) $(fd_count 2) $(fd_count 3)"
expect "no fds leaked in the daemons ($fd0 -> $fd1)" test "$fd0" = "$fd1"
rss1="$(rss_kb 1) $(rss_kb 2) $(rss_kb 3)"
expect "daemon memory does not grow over rounds 5..50 (RSS kB $rss0 -> $rss1)" python3 -c "
import sys
a, b = [int(x) for x in '$rss0'.split()], [int(x) for x in '$rss1'.split()]
sys.exit(any(y > x + 512 for x, y in zip(a, b)))"
expect "no workers left (children: n1 $(kids 1), n2 $(kids 2), n3 $(kids 3))" \
	test "$(kids 1) $(kids 2) $(kids 3)" = "1 0 0"
sleep 0.5
expect "output continuous and memory intact" counter_ok "$OUT"

# ---- fault injection at each step: the copy on n1 continues ----
for step in dst-refuse dst-stream dst-oom dst-restore dst-hang dst-rebuilt src-before-commit; do
	node=2
	[ "${step%%-*}" = src ] && node=1
	fault $node "$step"
	fr 1 migrate "$P" --to n2 >"$E2E/fault.out" 2>&1
	rc=$?
	fault $node ""
	sleep 0.3
	expect "fault $step: migration fails (status $rc: $(tail -1 "$E2E/fault.out"))" test $rc != 0
	case $step in # the failure is the injected one, not another
	dst-refuse) why="n2 refused: refused by fault injection" ;;
	dst-stream) why="sending the image to n2" ;;
	dst-oom) why="not enough memory on n2" ;;
	dst-restore) why="restore failed by fault injection" ;;
	dst-hang) why="nothing received for" ;;
	dst-rebuilt) why="closed the channel" ;;
	src-before-commit) why="cancelled before commit" ;;
	esac
	expect "fault $step: the reason is '$why'" grep -q "$why" "$E2E/fault.out"
	expect "fault $step: one live copy, on n1" one_copy_on 1
	expect "fault $step: where says n1" test "$(fr 3 where "$ID")" = n1
done
# The destination's "resumed" is lost: the source asks for the outcome and commits.
fault 2 dst-resumed
expect "fault dst-resumed: migration completes" fr 1 migrate "$P" --to n2
fault 2 ""
sleep 0.3
expect "fault dst-resumed: one live copy, on n2" one_copy_on 2
expect "back to n1" fr 2 migrate "$P" --to n1
# A worker SIGKILLed inside the commit: the copy it traces dies with it (PTRACE_O_EXITKILL) and
# its daemon settles the outcome from the tree's state, so one copy remains.
fault 2 dst-die-holding # after "rebuilt", before the commit: the source thaws its copy
fr 1 migrate "$P" --to n2 >"$E2E/fault.out" 2>&1
rc=$?
fault 2 ""
sleep 0.3
expect "fault dst-die-holding: migration fails (status $rc: $(tail -1 "$E2E/fault.out"))" test $rc != 0
expect "fault dst-die-holding: one live copy, on n1" one_copy_on 1
expect "fault dst-die-holding: n2 settled it as aborted" grep -q "is gone: aborted" "$(node_log 2)"
fault 2 dst-die-released # the tree runs on n2, its worker dies before saying so
expect "fault dst-die-released: migration completes" fr 1 migrate "$P" --to n2
fault 2 ""
sleep 0.3
expect "fault dst-die-released: one live copy, on n2" one_copy_on 2
expect "fault dst-die-released: n2 settled it as resumed" grep -q "runs here: resumed" "$(node_log 2)"
expect "fault dst-die-released: n2 manages it (back to n1)" fr 2 migrate "$P" --to n1
fault 1 src-die-after-commit # the source's worker dies once the commit is sent
fr 1 migrate "$P" --to n2 >"$E2E/fault.out" 2>&1
rc=$?
fault 1 ""
sleep 0.5
expect "fault src-die-after-commit: the command reports the loss (status $rc: $(tail -1 "$E2E/fault.out"))" \
	grep -q "worker for this request ended before answering" "$E2E/fault.out"
expect "fault src-die-after-commit: one live copy, on n2" one_copy_on 2
expect "fault src-die-after-commit: where says n2" test "$(fr 3 where "$ID")" = n2
expect "back to n1 again" fr 2 migrate "$P" --to n1
# The destination node crashes mid-transfer.
fault 2 dst-stall
fr 1 migrate "$P" --to n2 >"$E2E/fault.out" 2>&1 &
mig=$!
sleep 1
node_kill 2
wait $mig
rc=$?
expect "destination crash: migration fails (status $rc: $(tail -1 "$E2E/fault.out"))" test $rc != 0
expect "destination crash: one live copy, on n1" one_copy_on 1
node_up 2 && ok "n2's daemon restarted"
fault 2 ""
sleep 0.5
expect "after the faults: output continuous and memory intact" counter_ok "$OUT"

# ---- security ----
"$FERRY" keygen "$E2E/other.key" >/dev/null
rogue_up "$E2E/other.key"
rogue_fr ps >/dev/null 2>"$E2E/n4.err"
expect "a node with another key is not answered" grep -q "n1 did not answer" "$E2E/n4.err"
expect "the wrong-key peer is dropped and logged by n1" grep -q "dropped a peer connection" "$(node_log 1)"
expect "n1 unharmed after the wrong-key peer" fr 1 ps >/dev/null
node_exec 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$FERRY" migrate "$P" --to n2 \
	2>"$E2E/perm.err"
rc=$?
expect "non-root cannot migrate root's process (status $rc: $(cat "$E2E/perm.err"))" \
	grep -q "permission denied" "$E2E/perm.err"
expect "refused migration leaves it on n1" one_copy_on 1
as_nobody() { # K ferry-args...: run ferry as uid 65534 against node K
	local k=$1
	shift
	node_exec "$k" setpriv --reuid=65534 --regid=65534 --clear-groups "$FERRY" "$@"
}
mkdir -m 777 "$E2E/nobody"
NID=$(cd "$E2E/nobody" && as_nobody 1 run --stdout "$E2E/nobody/out" sleep 600)
NP=$(cut -d: -f2 <<<"$NID")
expect "a user migrates its own process" as_nobody 1 migrate "$NP" --to n2
expect "it runs on n2 as that user" grep -q "^Uid:.65534" \
	"/proc/$(live_copies "sleep 600" | awk '$1 == 2 {print $2}')/status"
reply=$(node_exec 1 python3 - "$(node_sock 1)" <<'PY'
import socket, struct, sys
out = []
for body in [b"{not json", b'{"v":99,"cmd":"ps"}', b'{"v":1,"cmd":"migrate","pid":"x"}', b"\xff" * 40]:
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
    s.sendall(struct.pack(">I", len(body)) + body)
    n = struct.unpack(">I", s.recv(4))[0]; out.append(s.recv(n).decode()); s.close()
print("\n".join(out))
PY
)
expect "malformed control requests get clear errors" test "$(grep -c '"ok":false' <<<"$reply")" = 4
expect "unknown protocol version named in the error" grep -q "version 99 is not supported" <<<"$reply"
expect "n1 unharmed after malformed requests" fr 1 ps >/dev/null
rogue_down

# ---- state the engine refuses: the reason reaches the user, the process stays ----
# (TCP, UDP and UNIX sockets migrate now; a netlink socket is still refused)
SID=$(cd "$E2E" && fr 1 run python3 -c 'import socket, time; s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0); time.sleep(600)')
sleep 0.5
fr 1 migrate "$(cut -d: -f2 <<<"$SID")" --to n2 2>"$E2E/refuse.err"
rc=$?
expect "a socket is refused with status 3 ($(cat "$E2E/refuse.err"))" test $rc = 3
expect "the refusal names the socket" grep -q "NETLINK socket" "$E2E/refuse.err"
expect "the refused process still runs on n1" test "$(copies 2 "$SID" | cut -d' ' -f1)" = n1

# ---- remote run, exit recording, clone ----
RID=$(cd "$E2E" && fr 1 run --on n3 sleep 1)
expect "remote run on n3 has home n1 ($RID)" test "${RID%%:*}" = n1
expect "where says n3" test "$(fr 2 where "$RID")" = n3
sleep 1.5
expect "its exit is recorded at home ($(fr 1 where "$RID"))" grep -q "exited on n3, status 0" <<<"$(fr 1 where "$RID")"
expect "clone to n3" fr 1 clone "$P" --to n3
sleep 0.3
expect "clone: one copy on n1 and one on n3" test "$(live_copies "$COUNTER" | cut -d' ' -f1 | sort | tr '\n' ' ')" = "1 3 "
expect "clone: n3's copy is a new process whose home is n3" grep -q "^n3 $P" <<<"$(fr 1 ps | awk '$3 == "n3" {print $2, $4}')"

# ---- after the commit the source holds nothing: its daemon dies, the process lives on ----
expect "migrate n1 -> n2" fr 1 migrate "$P" --to n2
node_kill 1
lines=$(wc -l <"$OUT")
sleep 1
expect "with n1's daemon dead, the copy on n2 runs" test "$(live_copies "$COUNTER" | cut -d' ' -f1 | sort | tr '\n' ' ')" = "2 3 "
expect "and its output continues ($lines -> $(wc -l <"$OUT") lines)" test "$(wc -l <"$OUT")" -gt "$lines"
node_up 1 && ok "n1's daemon restarted"

# ---- lock file, clean shutdown ----
node_exec 1 "$FERRYD" -c "$(node_conf 1)" 2>"$E2E/lock.err"
expect "a second ferryd on a node is refused" grep -q "another ferryd" "$E2E/lock.err"
p=$(node_pid 3)
kill -TERM "$p"
for ((i = 0; i < 50; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
expect "SIGTERM stops ferryd and removes its socket" node_exec 3 test ! -e "$(node_sock 3)"
expect "ferryd logged a clean stop" grep -q "stopped" "$(node_log 3)"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
