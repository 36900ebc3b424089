#!/bin/bash
# SPDX-License-Identifier: MIT
# Non-root use: a user may dump only processes it could ptrace, and restore only processes that
# ran as itself. As user nobody (65534): dump + restore of its own cases works (restore with the
# CAP_CHECKPOINT_RESTORE capability that clone3(set_tid) needs, as an ambient capability) and the
# restored process runs as nobody without capabilities; without that capability the restore is
# refused with a message naming it; dumping a root process is refused and leaves it intact;
# restoring a root process's image is refused before any process exists; a dump into a directory
# the user cannot write fails before touching the process; --pidns needs root.
#   tests/nonroot/check.sh        one line per test, then "N passed, N failed"
set -u
. "$(dirname "$0")/../lib/suite.sh"
suite_init "$@"

NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
WITH_CR=(--inh-caps=+checkpoint_restore --ambient-caps=+checkpoint_restore)

# start_nobody_case NAME: the case as nobody, in a directory (and log) nobody owns.
start_nobody_case() {
	chown 65534:65534 "$tmp"
	"${NOBODY[@]}" touch "$tmp/case.log"
	(cd "$tmp" && exec "${NOBODY[@]}" setsid "$CASEDIR/$1" >"$tmp/case.log" 2>&1 </dev/null) &
	case_pid=$!
	tpids+=("$case_pid")
	wait_until 10 has_line "$tmp/case.log" ready
}

# restore_refused PATTERN: the restore (status $rc, $tmp/restore.err) was refused with status 1 and
# a message matching PATTERN, and created no process with the dumped pid $case_pid.
restore_refused() {
	if [ "$rc" -ne 1 ] || ! grep -q -- "$1" "$tmp/restore.err"; then
		t_fail "status $rc: $(cat "$tmp/restore.err")"
	elif [ -e /proc/"$case_pid" ]; then
		t_fail "pid $case_pid exists after the refused restore"
	else
		t_ok
	fi
}

status_field() { awk -v k="$2:" '$1 == k { $1 = ""; print substr($0, 2) }' /proc/"$1"/status 2>/dev/null; }

for name in thread_fpu sig_pending_rt thread_tids mem_heap tree_zombie tree_pid_self; do
	t_begin "nobody_dump_restore_own_$name"
	if ! start_nobody_case "$name"; then
		t_fail "case did not start"
		continue
	fi
	"${NOBODY[@]}" "$FERRY" dump --pid "$case_pid" --dir "$tmp/img" 2>"$tmp/dump.err"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		t_fail "dump as nobody exited $rc"
		continue
	fi
	wait "$case_pid" 2>/dev/null
	"${NOBODY[@]}" "${WITH_CR[@]}" "$FERRY" restore --dir "$tmp/img" --ready-file "$tmp/rf" \
		>/dev/null 2>"$tmp/restore.err" &
	rpid=$!
	tpids+=("$rpid")
	if ! wait_until 10 file_exists "$tmp/rf"; then
		t_fail "restore as nobody did not run the tree"
		continue
	fi
	uids=$(status_field "$case_pid" Uid) caps=$(status_field "$case_pid" CapEff)
	kill -TERM "$case_pid"
	wait "$rpid"
	rc=$?
	if [ "$uids" != "65534 65534 65534 65534" ] || [ "$caps" != 0000000000000000 ]; then
		t_fail "the restored process runs as uids '$uids' with capabilities $caps"
	elif [ "$rc" -ne 0 ] || [ "$(tail -n 1 "$tmp/case.log")" != PASS ]; then
		t_fail "restored case ended with $rc: $(tail -n 1 "$tmp/case.log")"
	else
		t_ok
	fi
done

t_begin nobody_restore_without_capability_refused
if start_nobody_case thread_fpu && "${NOBODY[@]}" "$FERRY" dump --pid "$case_pid" --dir "$tmp/img" 2>"$tmp/dump.err"; then
	wait "$case_pid" 2>/dev/null # killed by the dump
	"${NOBODY[@]}" "$FERRY" restore --dir "$tmp/img" >/dev/null 2>"$tmp/restore.err"
	rc=$?
	restore_refused "needs root or the CAP_CHECKPOINT_RESTORE capability"
else
	t_fail "case start or dump failed"
fi

t_begin nobody_dump_of_root_process_refused
if start_case thread_fpu "$tmp/case.log"; then
	before=$(tree_snapshot "$case_pid")
	mkdir -p "$tmp/nb" && chown 65534:65534 "$tmp/nb"
	"${NOBODY[@]}" "$FERRY" dump --pid "$case_pid" --dir "$tmp/nb/img" 2>"$tmp/dump.err"
	rc=$?
	why=$(after_failed_dump "$case_pid" 1 "pid $case_pid.*not allowed to trace" "$tmp/nb/img")
	[ -z "$why" ] && finish_case
	report "$why"
else
	t_fail "case did not start"
fi

t_begin nobody_restore_of_root_image_refused
if start_case thread_fpu "$tmp/case.log" && "$FERRY" dump --pid "$case_pid" --dir "$tmp/img" 2>"$tmp/dump.err"; then
	wait "$case_pid" 2>/dev/null # killed by the dump
	chmod -R a+rX "$tmp/img" "$tmp"
	"${NOBODY[@]}" "${WITH_CR[@]}" "$FERRY" restore --dir "$tmp/img" >/dev/null 2>"$tmp/restore.err"
	rc=$?
	restore_refused "pid $case_pid ran as uid 0.*only root may restore"
else
	t_fail "case start or dump failed"
fi

t_begin nobody_dump_into_unwritable_dir
if start_nobody_case thread_fpu; then
	before=$(tree_snapshot "$case_pid")
	mkdir -p "$tmp/rootonly" && chown 0:0 "$tmp/rootonly" && chmod 755 "$tmp/rootonly"
	"${NOBODY[@]}" "$FERRY" dump --pid "$case_pid" --dir "$tmp/rootonly/img" 2>"$tmp/dump.err"
	rc=$?
	why=$(after_failed_dump "$case_pid" 1 "rootonly/img.*Permission denied" "")
	[ -z "$why" ] && [ -e "$tmp/rootonly/img" ] && why="something was created in the directory"
	[ -z "$why" ] && finish_case
	report "$why"
else
	t_fail "case did not start"
fi

t_begin nobody_pidns_refused
if start_nobody_case thread_fpu && "${NOBODY[@]}" "$FERRY" dump --pid "$case_pid" --dir "$tmp/img" -R 2>"$tmp/dump.err"; then
	"${NOBODY[@]}" "${WITH_CR[@]}" "$FERRY" restore --dir "$tmp/img" --pidns >/dev/null 2>"$tmp/restore.err"
	rc=$?
	if [ "$rc" -ne 1 ] || ! grep -q -- "--pidns needs root" "$tmp/restore.err"; then
		t_fail "status $rc: $(cat "$tmp/restore.err")"
	elif ! intact "$case_pid"; then
		t_fail "the original is not intact"
	else
		t_ok
	fi
else
	t_fail "case start or dump failed"
fi

suite_end
