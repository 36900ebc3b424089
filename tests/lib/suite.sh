# SPDX-License-Identifier: MIT
# Shared helpers of the shell test suites tests/*/check.sh (sourced, not run). Each suite:
#   . "$(dirname "$0")/../lib/suite.sh"; suite_init "$@"; t_begin NAME; ...; t_ok | t_fail WHY;
#   suite_end   (prints "N passed, N failed[, N skipped]" last, as scripts/check.sh expects).
# Environment: FERRY (default build/ferry), CASEDIR (build/tests/cases), KEEP=1 keeps temp dirs.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FERRY=${FERRY:-$ROOT/build/ferry}
CASEDIR=${CASEDIR:-$ROOT/build/tests/cases}
REAPER=${REAPER:-$ROOT/build/tests/tools/reaper}
npass=0 nfail=0 nskip=0 tname="" tmp="" tpids=()

# Re-run the calling suite under a child subreaper (PID 1 here reaps orphans late), with only
# stdin/stdout/stderr open (tools may leak fds into what they start).
suite_init() {
	if [ -z "${FERRY_SUITE_UNDER_REAPER:-}" ] && [ -x "$REAPER" ]; then
		export FERRY_SUITE_UNDER_REAPER=1
		exec "$REAPER" bash "$0" "$@"
	fi
	local fd
	for fd in $(ls /proc/$$/fd); do
		[ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
	done
	if [ ! -x "$FERRY" ]; then
		echo "$0: $FERRY not found (run make first)"
		echo "0 passed, 1 failed"
		exit 1
	fi
}

# t_begin NAME: start a test with a fresh temp dir $tmp; processes it starts go into tpids.
t_begin() {
	tname=$1
	tmp=$(mktemp -d /tmp/ferry-suite."$1".XXXXXX)
	chmod 755 "$tmp"
	tpids=()
}

# kill_started: SIGKILL every pid in tpids and every process in a session one of them leads
# (test workloads run as session leaders; their children may have been re-parented).
kill_started() {
	local s pid sid p
	declare -A lead=()
	for p in ${tpids[@]+"${tpids[@]}"}; do lead[$p]=1; done
	for s in /proc/[0-9]*/stat; do
		{ read -r s <"$s"; } 2>/dev/null || continue
		pid=${s%% *}
		s=${s##*) }
		read -r _ _ _ sid _ <<<"$s"
		[ -n "${lead[$sid]:-}" ] && kill -KILL "$pid" 2>/dev/null
	done
	for p in ${tpids[@]+"${tpids[@]}"}; do kill -KILL "$p" 2>/dev/null; done
}

t_cleanup() {
	local p
	kill_started
	for p in ${tpids[@]+"${tpids[@]}"}; do wait "$p" 2>/dev/null; done
	# a test that mounted something under its temp dir and died before unmounting it
	[ -n "$tmp" ] && grep -q " $tmp/" /proc/self/mounts &&
		awk -v t="$tmp/" 'index($2, t) == 1 {print $2}' /proc/self/mounts | xargs -r umount -l
	if [ "${KEEP:-0}" = 1 ]; then echo "  kept $tmp"; else rm -rf "$tmp"; fi
}

t_ok() {
	echo "ok   $tname"
	npass=$((npass + 1))
	t_cleanup
}

# t_fail WHY: report, show the temp dir's *.err files, clean up.
t_fail() {
	local f
	echo "FAIL $tname: $*"
	for f in "$tmp"/*.err "$tmp"/*.log; do
		[ -s "$f" ] || continue
		echo "---- $(basename "$f")"
		tail -n 15 "$f" | sed 's/^/  | /'
	done
	nfail=$((nfail + 1))
	t_cleanup
}

t_skip() {
	echo "skip $tname ($*)"
	nskip=$((nskip + 1))
	t_cleanup
}

suite_end() {
	local s="$npass passed, $nfail failed"
	((nskip)) && s+=", $nskip skipped"
	echo "$s"
	((nfail == 0))
}

# wait_until SECONDS COMMAND...: poll every 50 ms; 0 once COMMAND succeeds, 1 on timeout.
wait_until() {
	local end=$((SECONDS + $1 + 1))
	shift
	until "$@"; do
		((SECONDS >= end)) && return 1
		sleep 0.05
	done
}

# proc_state PID: the state letter of /proc/PID/stat (empty if gone).
proc_state() {
	local st
	st=$(cat /proc/"$1"/stat 2>/dev/null) || return 0
	st=${st##*) }
	echo "${st%% *}"
}
running() { local s; s=$(proc_state "$1"); [ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]; }
not_running() { ! running "$1"; }
# intact PID: running, not stopped or traced, no tracer attached.
intact() {
	local s
	s=$(proc_state "$1")
	[ "$s" = S ] || [ "$s" = R ] || [ "$s" = D ] || return 1
	grep -q '^TracerPid:[[:space:]]*0$' /proc/"$1"/status
}
has_line() { grep -qx "$2" "$1" 2>/dev/null; }
file_exists() { [ -e "$1" ]; }
fd_list() { ls /proc/"$1"/fd 2>/dev/null | sort -n | tr '\n' ' '; }
# thread_view PID: per thread its state (R, S and D shown as "running", anything else as is),
# tracer and blocked/pending signal masks: a refused or failed dump must not change them.
thread_view() {
	local t
	for t in /proc/"$1"/task/*; do
		echo "${t##*/} $(grep -E '^(State|SigBlk|SigPnd|ShdPnd|TracerPid):' "$t"/status 2>/dev/null |
			sed -E 's/^State:[[:space:]]+[RSD] .*/State: running/' | tr -s '\t\n' '  ')"
	done
}

# start_case NAME LOG [ARGS...]: run build/tests/cases/NAME in its own session, output to LOG,
# wait for its "ready"; its pid is in $case_pid (also added to tpids).
start_case() {
	local name=$1 log=$2
	shift 2
	(cd "$tmp" && exec setsid "$CASEDIR/$name" "$@" >"$log" 2>&1 </dev/null) &
	case_pid=$!
	tpids+=("$case_pid")
	wait_until 10 has_line "$log" ready
}

# pidns_of PID: the inode of its PID namespace; procs_in_pidns INODE: pids living in it.
pidns_of() { readlink /proc/"$1"/ns/pid 2>/dev/null; }
procs_in_pidns() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p"/ns/pid 2>/dev/null)" = "$1" ] && [ "$(proc_state "${p#/proc/}")" != Z ] &&
			echo "${p#/proc/}"
	done
}

# session_pids SID: the live processes of a session (test workloads lead their own session).
session_pids() {
	local s pid sid st
	for s in /proc/[0-9]*/stat; do
		{ read -r s <"$s"; } 2>/dev/null || continue
		pid=${s%% *}
		s=${s##*) }
		read -r st _ _ sid _ <<<"$s"
		[ "$sid" = "$1" ] && [ "$st" != Z ] && echo "$pid"
	done | sort -n
}

# tree_snapshot SID: everything a failed or refused dump must leave exactly as it was, for every
# process of the session: its mappings (no scratch area left), its fds (none injected), and per
# thread the state (not stopped), tracer (none) and blocked/pending signal masks (none lost).
tree_snapshot() {
	local p
	for p in $(session_pids "$1"); do
		echo "== pid $p fds: $(fd_list "$p")"
		cat /proc/"$p"/maps 2>/dev/null
		thread_view "$p"
	done
}

# tree_intact SID: every process of the session running, neither stopped nor traced.
tree_intact() {
	local p n=0
	for p in $(session_pids "$1"); do
		intact "$p" || return 1
		n=$((n + 1))
	done
	((n > 0))
}

# ---- after a dump that had to fail ($rc, $tmp/dump.err, $before = tree_snapshot taken first) ----
no_image() { [ ! -e "$1/image.ferry" ] && [ ! -e "$1/.image.ferry.partial" ]; }

# after_failed_dump SID WANT_RC PATTERN DIR: the checks every failed dump must pass; prints why not
after_failed_dump() {
	local sid=$1 want=$2 pat=$3 dir=$4
	if [ "$rc" -ne "$want" ]; then
		echo "ferry dump exited $rc, want $want"
	elif ! grep -Eq "$pat" "$tmp/dump.err"; then
		echo "stderr does not match /$pat/: $(head -c 300 "$tmp/dump.err")"
	elif [ -n "$dir" ] && ! no_image "$dir"; then
		echo "an image was left in $dir"
	elif ! wait_until 5 tree_intact "$sid"; then
		echo "the tree is not intact (stopped, traced or gone)"
	elif [ "$(tree_snapshot "$sid")" != "$before" ]; then
		diff <(echo "$before") <(tree_snapshot "$sid") | head -10
		echo "the tree's mappings, fds or signal state changed"
	fi
}

# finish_case: SIGTERM the case, which checks every detail itself; PASS and status 0 expected,
# else why says what went wrong. (Not in $(...): wait works only in the case's parent shell.)
finish_case() {
	kill -TERM "$case_pid"
	wait "$case_pid"
	local st=$?
	if [ "$st" -ne 0 ] || [ "$(tail -n 1 "$tmp/case.log")" != PASS ]; then
		why="the case's own check failed after the dump (status $st): $(tail -n 1 "$tmp/case.log")"
	fi
}

# restore_finish DIR WHAT: restore the image in DIR, SIGTERM the restored case once it is ready
# (it checks every detail itself); PASS and status 0 expected, else why says what went wrong,
# starting with WHAT. (Not in $(...): wait works only in the restore's parent shell.)
restore_finish() {
	local dir=$1 what=$2 rpid st
	"$FERRY" restore --dir "$dir" --ready-file "$tmp/rf" >/dev/null 2>"$tmp/restore.err" &
	rpid=$!
	tpids+=("$rpid")
	if ! wait_until 10 file_exists "$tmp/rf"; then
		why="$what did not restore: $(cat "$tmp/restore.err")"
		return
	fi
	kill -TERM "$case_pid"
	wait "$rpid"
	st=$?
	[ "$st" -eq 0 ] && [ "$(tail -n 1 "$tmp/case.log")" = PASS ] ||
		why="$what restored but its check failed (status $st)"
}

# report WHY...: t_ok when WHY is empty
report() { if [ -z "$*" ]; then t_ok; else t_fail "$*"; fi; }
