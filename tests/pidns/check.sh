#!/bin/bash
# SPDX-License-Identifier: MIT
# `ferry restore --pidns` while the original PIDs are taken: every test dumps with
# --leave-running, so the original keeps its PIDs, then restores the copy into a new PID
# namespace. Checks: without --pidns the restore is refused naming the PID and --pidns; with it,
# state-checking cases pass inside the namespace (they verify getpid()/gettid()/children/proc
# against the dumped values), the root's pid inside equals the original and its parent is the
# namespace's init (ppid 1); exit status and signal forwarding; --detach; and nothing is left
# once the root exits (the namespace's init ends and with it every process inside).
#   tests/pidns/check.sh            prints one line per test, then "N passed, N failed"
set -u
. "$(dirname "$0")/../lib/suite.sh"
suite_init "$@"

# nspid_inner HOSTPID: the innermost pid of a process (last NSpid field); nsppid: its parent's.
nspid_inner() { awk '/^NSpid:/ { print $NF }' /proc/"$1"/status 2>/dev/null; }

# restore_bg ARGS...: `ferry restore --pidns ARGS` in the background; $rpid, ready file $tmp/rf
restore_bg() {
	"$FERRY" restore --dir "$tmp/img" --pidns --ready-file "$tmp/rf" "$@" \
		>"$tmp/restore.out" 2>"$tmp/restore.err" &
	rpid=$!
	tpids+=("$rpid")
	wait_until 10 file_exists "$tmp/rf" || return 1
	host=$(cat "$tmp/rf")
	[ -n "$host" ] && running "$host"
}

# no_leak NSINODE: wait until no process is left in that PID namespace.
no_leak() { [ -z "$(procs_in_pidns "$1")" ]; }

# One state-checking case restored under --pidns next to its still-running original.
case_in_pidns() {
	local name=$1 ns rc
	t_begin "pidns_case_$name"
	start_case "$name" "$tmp/case.log" || { t_fail "case did not get ready"; return; }
	"$FERRY" dump --pid "$case_pid" --dir "$tmp/img" -R 2>"$tmp/dump.err" ||
		{ t_fail "dump -R failed"; return; }
	restore_bg || { t_fail "restore --pidns did not report a running root"; return; }
	[ "$(nspid_inner "$host")" = "$case_pid" ] ||
		{ t_fail "root's pid inside is $(nspid_inner "$host"), not $case_pid"; return; }
	grep -q '^PPid:[[:space:]]' /proc/"$host"/status || { t_fail "no status"; return; }
	ns=$(pidns_of "$host")
	[ "$ns" != "$(pidns_of $$)" ] || { t_fail "the root is in our own PID namespace"; return; }
	kill -TERM "$host"
	wait_until 10 not_running "$rpid" || { t_fail "ferry restore did not end after SIGTERM"; return; }
	wait "$rpid"
	rc=$?
	[ "$rc" -eq 0 ] || { t_fail "restored case exited $rc (ferry passes its status)"; return; }
	[ "$(tail -n 1 "$tmp/case.log")" = PASS ] || { t_fail "log does not end with PASS"; return; }
	wait_until 5 no_leak "$ns" || { t_fail "processes left in the namespace: $(procs_in_pidns "$ns")"; return; }
	# the original, which kept running, is intact too
	kill -TERM "$case_pid"
	wait "$case_pid"
	rc=$?
	[ "$rc" -eq 0 ] || { t_fail "the original exited $rc after the dump -R"; return; }
	t_ok
}

# A perl root with a child: SIGTERM exits 7 (the child keeps running unless the namespace ends).
PERL_TREE='if (!fork) { sleep 1 while 1 } $| = 1; $SIG{TERM} = sub { exit 7 }; print "ready\n"; sleep 1 while 1'
start_perl_tree() {
	(cd "$tmp" && exec setsid perl -e "$PERL_TREE" >"$tmp/perl.log" 2>&1 </dev/null) &
	case_pid=$!
	tpids+=("$case_pid")
	wait_until 10 has_line "$tmp/perl.log" ready || return 1
	"$FERRY" dump --pid "$case_pid" --dir "$tmp/img" -R 2>"$tmp/dump.err"
}

t_begin pidns_refused_without_option
if start_case tree_pid_self "$tmp/case.log" &&
	"$FERRY" dump --pid "$case_pid" --dir "$tmp/img" -R 2>"$tmp/dump.err"; then
	fds_before=$(fd_list "$case_pid")
	"$FERRY" restore --dir "$tmp/img" >"$tmp/restore.out" 2>"$tmp/restore.err"
	rc=$?
	if [ "$rc" -ne 3 ]; then
		t_fail "restore over a taken pid exited $rc, not 3"
	elif ! grep -q "pid $case_pid is in use" "$tmp/restore.err" || ! grep -q -- --pidns "$tmp/restore.err"; then
		t_fail "the message does not name pid $case_pid and --pidns"
	elif ! intact "$case_pid" || [ "$(fd_list "$case_pid")" != "$fds_before" ]; then
		t_fail "the original is not intact"
	elif [ "$(pgrep -c -f "$CASEDIR/tree_pid_self")" != 2 ]; then
		t_fail "processes left behind: $(pgrep -f "$CASEDIR/tree_pid_self" | tr '\n' ' ')"
	else
		t_ok
	fi
else
	t_fail "case start or dump -R failed"
fi

for c in tree_pid_self tree_children tree_session tree_pgid tree_zombie thread_tids \
	sig_pending_thread mem_shared_anon mem_memfd_shared; do
	case_in_pidns "$c"
done

t_begin pidns_exit_status_and_signal_forwarding
if start_perl_tree && restore_bg; then
	ns=$(pidns_of "$host")
	inner_ppid=$(awk '/^PPid:/ { print $2 }' /proc/"$host"/status)
	init_inner=$(nspid_inner "$inner_ppid")
	kill -TERM "$rpid" # to ferry: forwarded to the root, which exits 7
	wait_until 10 not_running "$rpid"
	wait "$rpid"
	rc=$?
	if [ "$init_inner" != 1 ]; then
		t_fail "the root's parent is pid $init_inner inside the namespace, not 1"
	elif [ "$rc" -ne 7 ]; then
		t_fail "ferry exited $rc, not the root's 7"
	elif ! wait_until 5 no_leak "$ns"; then
		t_fail "left in the namespace after the root exited: $(procs_in_pidns "$ns")"
	elif ! intact "$case_pid"; then
		t_fail "the original tree is not intact"
	else
		t_ok
	fi
else
	t_fail "perl tree start, dump -R or restore --pidns failed"
fi

t_begin pidns_root_killed_by_signal
if start_perl_tree && restore_bg; then
	ns=$(pidns_of "$host")
	kill -KILL "$host"
	wait_until 10 not_running "$rpid"
	wait "$rpid" 2>/dev/null
	rc=$?
	if [ "$rc" -ne 137 ]; then
		t_fail "ferry ended with $rc, not by SIGKILL like the root (137)"
	elif ! wait_until 5 no_leak "$ns"; then
		t_fail "left in the namespace: $(procs_in_pidns "$ns")"
	else
		t_ok
	fi
else
	t_fail "perl tree start, dump -R or restore --pidns failed"
fi

t_begin pidns_detach
if start_perl_tree; then
	timeout 20 "$FERRY" restore --dir "$tmp/img" --pidns --detach --json \
		>"$tmp/restore.out" 2>"$tmp/restore.err"
	rc=$?
	host=$(sed -n 's/.*"root_host_pid":\([0-9]*\).*/\1/p' "$tmp/restore.out")
	inner=$(sed -n 's/.*"root_pid":\([0-9]*\).*/\1/p' "$tmp/restore.out")
	if [ "$rc" -ne 0 ] || [ -z "$host" ]; then
		t_fail "restore --pidns --detach exited $rc / no root_host_pid in its JSON"
	else
		tpids+=("$host")
		ns=$(pidns_of "$host")
		if [ "$inner" != "$case_pid" ] || [ "$(nspid_inner "$host")" != "$case_pid" ]; then
			t_fail "root pid inside is $inner/$(nspid_inner "$host"), not $case_pid"
		elif ! running "$host"; then
			t_fail "the detached root is not running"
		else
			kill -TERM "$host"
			if ! wait_until 10 no_leak "$ns"; then
				t_fail "left in the namespace after the root exited: $(procs_in_pidns "$ns")"
			else
				t_ok
			fi
		fi
	fi
else
	t_fail "perl tree start or dump -R failed"
fi

t_begin pidns_documented
if "$FERRY" restore --help | grep -q -- --pidns && grep -q -- '\\-\\-pidns' "$ROOT/docs/ferry.1"; then
	t_ok
else
	t_fail "--pidns missing from ferry restore --help or docs/ferry.1"
fi

suite_end
