#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs the state-checking cases (tests/cases/NAME.c, built into $CASEDIR/NAME) through
# dump -> kill -> restore cycles and checks each one ends with PASS.
#   tests/cases/run.sh [PATTERN...]     glob patterns on case names, e.g. 'mem_*' thread_fpu
# Environment:
#   FERRY    ferry binary (default build/ferry)     CASEDIR  built cases (default build/tests/cases)
#   MODE     none: no dump, only the case's own check;  1: one dump->kill->restore cycle;
#            2: two cycles in a row;  all (default): modes 1 and 2
#   KEEP=1   keep the temp dir (log, images, ferry's stderr) of failed runs
# Sidecar tests/cases/NAME.desc, "key: value" lines:
#   expect: refuse   the dump must refuse (status 3, no image) and leave the case running intact
#   refusal: REGEX   with expect: refuse, ferry's message must match this extended regex
#   cycles: 1        only single-cycle modes apply (mode 2 is reported as skipped)
#   skip: REASON     reported as skipped      args: ARGS  command-line args  env: K=V...  environment
#   between: CMD     shell command run after the dumped case is gone and before each restore
#                    ($CASE_BIN names the case's binary)
# Prints one line per case and mode (ok / FAIL / skip), then "N passed, N failed[, N skipped]";
# exits 1 iff something failed.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SRCDIR=$ROOT/tests/cases
FERRY=${FERRY:-$ROOT/build/ferry}
CASEDIR=${CASEDIR:-$ROOT/build/tests/cases}
MODE=${MODE:-all}
REAPER=${REAPER:-$ROOT/build/tests/tools/reaper}

# PID 1 here reaps orphans late, and a lingering zombie keeps the PID a same-PID restore needs
# (KERNEL-FACTS.md "Environment quirks"): run the whole harness under a child subreaper.
if [ -z "${FERRY_CASES_UNDER_REAPER:-}" ] && [ -x "$REAPER" ]; then
	export FERRY_CASES_UNDER_REAPER=1
	exec "$REAPER" "$0" "$@"
fi

# Tools that start us may leak fds (a pipe on a high number); the cases must not inherit them.
for fd in $(ls /proc/$$/fd); do
	[ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
done

case $MODE in
none) MODES="none" ;; 1) MODES="1" ;; 2) MODES="2" ;; all) MODES="1 2" ;;
*) echo "run.sh: MODE must be none, 1, 2 or all" >&2; exit 2 ;;
esac
if [ "$MODES" != none ] && [ ! -x "$FERRY" ]; then
	echo "run.sh: $FERRY not found (build it, or MODE=none)" >&2
	exit 2
fi

npass=0 nfail=0 nskip=0

# wait_until SECONDS COMMAND...: poll COMMAND every 50 ms; status 0 once it succeeds, 1 on timeout.
wait_until() {
	local end=$((SECONDS + $1 + 1)) t0=$EPOCHREALTIME limit=$1
	shift
	while ! "$@"; do
		if ((SECONDS >= end)) ||
			awk -v a="$t0" -v b="$EPOCHREALTIME" -v l="$limit" 'BEGIN { exit !(b - a > l) }'; then
			return 1
		fi
		sleep 0.05
	done
}

# running PID: the process exists and is not a zombie.
running() {
	local st
	st=$(cat /proc/"$1"/stat 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}
not_running() { ! running "$1"; }
# all_gone PID...: none of them exists any more, not even as a zombie (a restore needs the PIDs).
all_gone() {
	local p
	for p in "$@"; do [ -e /proc/"$p" ] && return 1; done
	return 0
}
has_ready() { grep -qx ready "$1" 2>/dev/null; }
file_exists() { [ -e "$1" ]; }
restore_settled() { [ -e "$1" ] || not_running "$2"; } # ready file, or ferry restore gave up

# tree_members CASEPID [PID...]: the given PIDs, every process in CASEPID's session (the case
# runs as a session leader; its orphans may have been re-parented to the reaper), and all their
# descendants (found through /proc/*/stat ppids), one per line.
tree_members() {
	local todo=("$@") p s pid ppid sid
	declare -A kids=()
	for s in /proc/[0-9]*/stat; do
		read -r s <"$s" 2>/dev/null || continue
		pid=${s%% *}
		s=${s##*) }
		read -r _ ppid _ sid _ <<<"$s"
		kids[$ppid]+=" $pid"
		[ "$sid" = "$1" ] && todo+=("$pid")
	done
	while ((${#todo[@]})); do
		p=${todo[0]}
		todo=("${todo[@]:1}")
		[ -n "$p" ] || continue
		echo "$p"
		for s in ${kids[$p]:-}; do todo+=("$s"); done
	done
}

# kill_tree CASEPID [PID...]: SIGKILL everything tree_members lists.
kill_tree() {
	local p
	for p in $(tree_members "$@"); do kill -KILL "$p" 2>/dev/null; done
}

desc_get() { # desc_get NAME KEY: value of "KEY:" in NAME.desc (empty if none)
	[ -f "$SRCDIR/$1.desc" ] || return 0
	sed -n "s/^$2:[[:space:]]*//p" "$SRCDIR/$1.desc" | head -n 1
}

# run_one NAME MODE: one case in one mode; prints its result line and counts it.
run_one() {
	local name=$1 mode=$2 tmp log step="" pid rpid="" rpids=() c ncyc rc expect args envs between
	local dumped
	expect=$(desc_get "$name" expect)
	between=$(desc_get "$name" between)
	args=$(desc_get "$name" args)
	envs=$(desc_get "$name" env)
	tmp=$(mktemp -d /tmp/ferry-case."$name".XXXXXX)
	log=$tmp/log
	ncyc=$mode
	[ "$mode" = none ] && ncyc=0

	fail() {
		echo "FAIL $name [mode $mode] step: $step"
		echo "---- last lines of $log"
		tail -n 20 "$log" 2>/dev/null | sed 's/^/  | /'
		local f
		for f in "$tmp"/*.err; do
			[ -s "$f" ] || continue
			echo "---- last lines of ferry's stderr ($(basename "$f"))"
			tail -n 20 "$f" | sed 's/^/  | /'
		done
		kill_tree "$pid" ${rpids[@]+"${rpids[@]}"}
		{ wait "$pid" ${rpids[@]+"${rpids[@]}"}; } 2>/dev/null
		# what a killed case could not clean up: cases name their temp files
		# /tmp/ferry-case-WHAT.PID[.N]
		rm -rf /tmp/ferry-case-*."$pid" /tmp/ferry-case-*."$pid".*
		if [ "${KEEP:-0}" = 1 ]; then echo "---- kept $tmp"; else rm -rf "$tmp"; fi
		nfail=$((nfail + 1))
	}

	# shellcheck disable=SC2086 # args and env are word lists by design
	(cd "$tmp" && exec env $envs setsid "$CASEDIR/$name" $args >"$log" 2>&1 </dev/null) &
	pid=$!
	step="start: wait for ready"
	wait_until 10 has_ready "$log" || { fail; return; }

	for ((c = 1; c <= ncyc; c++)); do
		step="cycle $c: ferry dump"
		dumped=$(tree_members "$pid")
		timeout -k 5 30 "$FERRY" dump --pid "$pid" --dir "$tmp/img$c" >"$tmp/dump$c.out" 2>"$tmp/dump$c.err"
		rc=$?
		if [ "$expect" = refuse ]; then
			# 3 is ferry's "refused" status: a crash or usage error must not pass as a refusal
			step="ferry dump must refuse with status 3 (got $rc)"
			[ "$rc" -eq 3 ] || { fail; return; }
			step="the refusal message does not match '$(desc_get "$name" refusal)'"
			grep -qE "$(desc_get "$name" refusal)" "$tmp/dump$c.err" || { fail; return; }
			step="a refused dump leaves no image behind"
			[ ! -e "$tmp/img$c/image.ferry" ] && [ ! -e "$tmp/img$c/.image.ferry.partial" ] ||
				{ fail; return; }
			step="original still running after the refused dump"
			running "$pid" || { fail; return; }
			break
		fi
		[ "$rc" -eq 0 ] || { step="$step: exit status $rc"; fail; return; }
		step="cycle $c: dumped tree still running"
		if [ "$c" = 1 ]; then
			wait_until 10 not_running "$pid" || { fail; return; }
			{ wait "$pid"; } 2>/dev/null
		else
			# the previous restore process exits once its root is killed: reap it
			wait_until 10 not_running "$rpid" || { fail; return; }
			{ wait "$rpid"; } 2>/dev/null
			wait_until 10 not_running "$pid" || { fail; return; }
		fi
		step="cycle $c: the dumped tree's PIDs are not free"
		# shellcheck disable=SC2086 # a list of pids
		wait_until 10 all_gone $dumped || { fail; return; }
		if [ -n "$between" ]; then
			step="cycle $c: between-command: $between"
			(cd "$tmp" && CASE_BIN="$CASEDIR/$name" bash -c "$between") >>"$tmp/between.err" 2>&1 ||
				{ fail; return; }
		fi
		step="cycle $c: ferry restore (ready file)"
		"$FERRY" restore --dir "$tmp/img$c" --ready-file "$tmp/rf$c" >"$tmp/restore$c.out" 2>"$tmp/restore$c.err" &
		rpid=$!
		rpids+=("$rpid")
		wait_until 10 restore_settled "$tmp/rf$c" "$rpid"
		[ -e "$tmp/rf$c" ] || { fail; return; }
		step="cycle $c: restored root $pid not running"
		running "$pid" || { fail; return; }
	done

	step="final SIGTERM: case did not exit"
	kill -TERM "$pid"
	if [ -n "$rpid" ]; then
		wait_until 10 not_running "$rpid" || { fail; return; }
		wait "$rpid"
		rc=$?
	else
		wait_until 10 not_running "$pid" || { fail; return; }
		wait "$pid"
		rc=$?
	fi
	step="final check: exit status $rc"
	[ "$rc" -eq 0 ] || { fail; return; }
	step="final check: log does not end with PASS"
	[ "$(tail -n 1 "$log")" = PASS ] || { fail; return; }
	echo "ok   $name [mode $mode]"
	npass=$((npass + 1))
	rm -rf "$tmp"
}

names=()
for f in "$CASEDIR"/*; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	n=${f##*/}
	if (($#)); then
		m=0
		for pat in "$@"; do
			# shellcheck disable=SC2053 # glob match on purpose
			[[ $n == $pat ]] && m=1
		done
		((m)) || continue
	fi
	names+=("$n")
done
if ((${#names[@]} == 0)); then
	echo "run.sh: no cases found in $CASEDIR${1:+ matching $*}" >&2
	echo "0 passed, 0 failed"
	exit 1
fi

for mode in $MODES; do
	for n in "${names[@]}"; do
		reason=$(desc_get "$n" skip)
		if [ -z "$reason" ] && [ "$mode" = 2 ] &&
			{ [ "$(desc_get "$n" cycles)" = 1 ] || [ "$(desc_get "$n" expect)" = refuse ]; }; then
			reason="single cycle only"
		fi
		if [ -n "$reason" ]; then
			echo "skip $n [mode $mode] ($reason)"
			nskip=$((nskip + 1))
			continue
		fi
		# bash reports background jobs killed by a signal ("line N: PID Killed ...") on stderr
		# whenever it notices them; dumps kill the case on purpose, so silence that. Everything
		# the harness itself reports goes to stdout.
		run_one "$n" "$mode" 2>/dev/null
	done
done

summary="$npass passed, $nfail failed"
((nskip)) && summary+=", $nskip skipped"
echo "$summary"
((nfail == 0))
