#!/bin/bash
# SPDX-License-Identifier: MIT
# Failure tests: a dump that fails or is refused must leave the original tree exactly as it was
# (running, not stopped, not traced, same mappings so no scratch area left, same fds, same signal
# masks and pending signals, and afterwards the case's own check of every detail passes), and no
# image, partial or complete, may be left behind. A corrupt image must be refused before any
# process is created. Covered: disk full (a tiny tmpfs mounted for the test), a process
# killed in the middle of a dump and a signal arriving in the middle of one (test hook
# FERRY_TEST_SIGNAL, src/dump/dump.c), children that come and go while dumping (a real race),
# unsupported state, a non-empty directory, a traced process, and corrupted or truncated images.
# (Permission denied, user nobody dumping a root process, is in tests/nonroot/check.sh.)
#   tests/failure/check.sh        one line per test, then "N passed, N failed[, N skipped]"
set -u
. "$(dirname "$0")/../lib/suite.sh"
suite_init "$@"

# dump_disk_full SIZE PID: ferry dump into a SIZE tmpfs mounted under $tmp;
# sets rc; $tmp/left lists what the tmpfs holds afterwards.
dump_disk_full() {
	# The tiny tmpfs is mounted where ferry and the case both see it: ferry refuses to dump a
	# process living in another mount namespace, so no private namespace here.
	mkdir -p "$tmp/full"
	if ! mount -t tmpfs -o size="$1" ferry-test-full "$tmp/full"; then
		rc=99
		return
	fi
	"$FERRY" dump --pid "$2" --dir "$tmp/full/img" 2>"$tmp/dump.err"
	rc=$?
	{ ls -A "$tmp/full"; ls -A "$tmp/full/img" 2>/dev/null; } >"$tmp/left"
	umount "$tmp/full"
}

for spec in thread_fpu:64k sig_pending_rt:64k tree_children:64k thread_fpu:8k mem_heap:1m; do
	name=${spec%%:*} size=${spec#*:}
	t_begin "disk_full_${size}_$name"
	if start_case "$name" "$tmp/case.log"; then
		before=$(tree_snapshot "$case_pid")
		dump_disk_full "$size" "$case_pid"
		why=$(after_failed_dump "$case_pid" 1 "No space left on device|ENOSPC" "")
		[ -z "$why" ] && [ -s "$tmp/left" ] && why="left on the full disk: $(tr '\n' ' ' <"$tmp/left")"
		[ -z "$why" ] && finish_case
		report "$why"
	else
		t_fail "case did not start"
	fi
done

t_begin disk_full_counter_keeps_counting
(exec setsid "$ROOT/build/tests/tools/counter" >"$tmp/counter.log" 2>&1 </dev/null) &
case_pid=$!
tpids+=("$case_pid")
sleep 0.5
before=$(tree_snapshot "$case_pid")
dump_disk_full 1m "$case_pid"
why=$(after_failed_dump "$case_pid" 1 "No space left on device" "")
n1=$(wc -l <"$tmp/counter.log")
sleep 0.7
n2=$(wc -l <"$tmp/counter.log")
[ -z "$why" ] && [ "$n2" -le "$n1" ] && why="no output after the failed dump ($n1 -> $n2 lines)"
[ -z "$why" ] && ! tail -n 1 "$tmp/counter.log" | grep -q "memory ok" && why="counter: $(tail -n 1 "$tmp/counter.log")"
report "$why"

# A perl tree: the root's SIGTERM exits 7; SIGUSR1 is counted and printed.
PERL_TREE='$| = 1; if (!fork) { sleep 1 while 1 } $SIG{TERM} = sub { exit 7 };
	$SIG{USR1} = sub { $n++; print "usr1 $n\n" }; print "ready\n"; sleep 1 while 1'
start_perl_tree() {
	(cd "$tmp" && exec setsid perl -e "$PERL_TREE" >"$tmp/case.log" 2>&1 </dev/null) &
	case_pid=$!
	tpids+=("$case_pid")
	wait_until 10 has_line "$tmp/case.log" ready
}
perl_child() { cat /proc/"$case_pid"/task/*/children 2>/dev/null | awk '{ print $1 }'; }
perl_root_ends_with_7() { # sets why
	kill -TERM "$case_pid"
	wait "$case_pid"
	local st=$?
	[ "$st" -eq 7 ] || why="the perl root ended with $st, not 7"
}

t_begin child_killed_mid_dump
if start_perl_tree && kid=$(perl_child) && [ -n "$kid" ]; then
	before_root=$(echo "== pid $case_pid fds: $(fd_list "$case_pid")"; cat /proc/"$case_pid"/maps; thread_view "$case_pid")
	FERRY_TEST_SIGNAL="$kid:9" timeout 30 "$FERRY" dump --pid "$case_pid" --dir "$tmp/img" 2>"$tmp/dump.err"
	rc=$?
	after_root=$(echo "== pid $case_pid fds: $(fd_list "$case_pid")"; cat /proc/"$case_pid"/maps; thread_view "$case_pid")
	if [ "$rc" -ne 1 ]; then
		t_fail "ferry dump exited $rc, want 1"
	elif ! grep -q "pid $kid" "$tmp/dump.err"; then
		t_fail "the error does not name pid $kid: $(cat "$tmp/dump.err")"
	elif ! no_image "$tmp/img"; then
		t_fail "an image was left behind"
	elif ! intact "$case_pid" || [ "$after_root" != "$before_root" ]; then
		t_fail "the root is not intact"
	else
		why=""
		perl_root_ends_with_7
		report "$why"
	fi
else
	t_fail "perl tree did not start"
fi

t_begin root_killed_mid_dump
if start_case thread_fpu "$tmp/case.log"; then
	FERRY_TEST_SIGNAL="$case_pid:9" timeout 30 "$FERRY" dump --pid "$case_pid" --dir "$tmp/img" 2>"$tmp/dump.err"
	rc=$?
	wait "$case_pid" 2>/dev/null
	st=$?
	if [ "$rc" -ne 1 ]; then
		t_fail "ferry dump exited $rc, want 1"
	elif ! grep -q "pid $case_pid" "$tmp/dump.err"; then
		t_fail "the error does not name pid $case_pid: $(cat "$tmp/dump.err")"
	elif ! no_image "$tmp/img"; then
		t_fail "an image was left behind"
	elif [ "$st" -ne 137 ]; then
		t_fail "the killed case's parent saw status $st, not SIGKILL (137)"
	else
		t_ok
	fi
else
	t_fail "case did not start"
fi

# signal_not_lost WANT WHAT: the dump (status $rc) ended with WANT, the SIGUSR1 the test hook
# sent during it was handled, and the perl tree is intact and ends with status 7.
signal_not_lost() {
	if [ "$rc" -ne "$1" ]; then
		t_fail "$2 exited $rc, want $1"
	elif ! wait_until 5 has_line "$tmp/case.log" "usr1 1"; then
		t_fail "SIGUSR1 sent during $2 was never handled"
	elif ! tree_intact "$case_pid"; then
		t_fail "the tree is not intact"
	else
		why=""
		perl_root_ends_with_7
		report "$why"
	fi
}

t_begin signal_mid_failed_dump_not_lost
if start_perl_tree; then
	FERRY_TEST_SIGNAL="$case_pid:10" dump_disk_full 64k "$case_pid"
	signal_not_lost 1 "the dump into a full disk"
else
	t_fail "perl tree did not start"
fi

t_begin signal_mid_dump_leave_running_not_lost
if start_perl_tree; then
	FERRY_TEST_SIGNAL="$case_pid:10" "$FERRY" dump --pid "$case_pid" --dir "$tmp/img" -R 2>"$tmp/dump.err"
	rc=$?
	signal_not_lost 0 "dump -R"
else
	t_fail "perl tree did not start"
fi

# A real race: children are created and exit all the time while the tree is dumped.
t_begin children_come_and_go
(exec setsid bash -c 'while :; do /bin/true; done' >/dev/null 2>&1 </dev/null) &
case_pid=$!
tpids+=("$case_pid")
sleep 0.3
why=""
for i in 1 2 3 4 5 6; do
	timeout 30 "$FERRY" dump --pid "$case_pid" --dir "$tmp/img$i" -R 2>"$tmp/dump$i.err"
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ] && [ "$rc" -ne 3 ]; then
		why="dump $i exited $rc"
		break
	fi
	if [ "$rc" -ne 0 ] && ! no_image "$tmp/img$i"; then
		why="failed dump $i left an image"
		break
	fi
	if ! wait_until 5 intact "$case_pid"; then
		why="after dump $i (status $rc) the root is not intact: $(proc_state "$case_pid")"
		break
	fi
	if [ -n "$(for p in $(session_pids "$case_pid"); do intact "$p" || echo "$p"; done)" ]; then
		sleep 0.2 # a /bin/true just exiting shows as not running; look again
		if [ -n "$(for p in $(session_pids "$case_pid"); do running "$p" && ! intact "$p" && echo "$p"; done)" ]; then
			why="after dump $i a process of the tree is stopped or traced"
			break
		fi
	fi
done
report "$why"

for name in refuse_io_uring refuse_bpf_map refuse_tcp refuse_unix_outside; do
	t_begin "refusal_intact_$name"
	if start_case "$name" "$tmp/case.log"; then
		before=$(tree_snapshot "$case_pid")
		"$FERRY" dump --pid "$case_pid" --dir "$tmp/img" 2>"$tmp/dump.err"
		rc=$?
		why=$(after_failed_dump "$case_pid" 3 "pid $case_pid fd [0-9]+" "$tmp/img")
		[ -z "$why" ] && finish_case
		report "$why"
	else
		t_fail "case did not start"
	fi
done

t_begin refusal_dir_not_empty
if start_case thread_fpu "$tmp/case.log"; then
	before=$(tree_snapshot "$case_pid")
	mkdir -p "$tmp/img" && echo keep >"$tmp/img/precious"
	"$FERRY" dump --pid "$case_pid" --dir "$tmp/img" 2>"$tmp/dump.err"
	rc=$?
	why=$(after_failed_dump "$case_pid" 3 "not empty" "$tmp/img")
	[ -z "$why" ] && [ "$(ls -A "$tmp/img")" != precious ] && why="the directory changed: $(ls -A "$tmp/img")"
	[ -z "$why" ] && [ "$(cat "$tmp/img/precious")" != keep ] && why="the file in it changed"
	[ -z "$why" ] && finish_case
	report "$why"
else
	t_fail "case did not start"
fi

t_begin refusal_already_traced
if ! command -v strace >/dev/null; then
	t_skip "strace not installed"
elif start_case thread_fpu "$tmp/case.log"; then
	strace -qq -e trace=none -p "$case_pid" -o /dev/null &
	spid=$!
	tpids+=("$spid")
	wait_until 5 grep -q "^TracerPid:[[:space:]]*$spid$" /proc/"$case_pid"/status
	sleep 0.2
	before=$(tree_snapshot "$case_pid")
	"$FERRY" dump --pid "$case_pid" --dir "$tmp/img" 2>"$tmp/dump.err"
	rc=$?
	if [ "$rc" -ne 3 ] || ! grep -q "pid $case_pid is being traced by pid $spid" "$tmp/dump.err"; then
		t_fail "dump of a traced process: status $rc, $(cat "$tmp/dump.err")"
	elif ! no_image "$tmp/img" || [ "$(tree_snapshot "$case_pid")" != "$before" ]; then
		t_fail "image left, or the traced process changed"
	else
		kill -INT "$spid"
		wait "$spid" 2>/dev/null
		why=""
		if wait_until 5 intact "$case_pid"; then finish_case; else why="not intact after strace left"; fi
		report "$why"
	fi
else
	t_fail "case did not start"
fi

# Corrupt images: each must be refused with a clear error before any process is created (the
# original pid stays free), and ferry must not crash; the intact image restores afterwards.
t_begin corrupt_images_refused
if start_case sig_pending_rt "$tmp/case.log" && "$FERRY" dump --pid "$case_pid" --dir "$tmp/img" 2>"$tmp/dump.err"; then
	wait "$case_pid" 2>/dev/null
	img=$tmp/img/image.ferry
	size=$(stat -c %s "$img")
	why=""
	for variant in magic:0 version:8 first-record:40 middle:$((size / 2)) last-byte:$((size - 1)) \
		truncated-half truncated-header empty missing; do
		rm -rf "$tmp/bad" && mkdir "$tmp/bad" && cp "$img" "$tmp/bad/image.ferry"
		case $variant in
		truncated-half) truncate -s $((size / 2)) "$tmp/bad/image.ferry" ;;
		truncated-header) truncate -s 24 "$tmp/bad/image.ferry" ;;
		empty) : >"$tmp/bad/image.ferry" ;;
		missing) rm "$tmp/bad/image.ferry" ;;
		*)
			off=${variant#*:}
			b=$(od -An -tu1 -j "$off" -N1 "$img" | tr -d ' ')
			printf "$(printf '\\%03o' $(((b ^ 0x5a) & 255)))" |
				dd of="$tmp/bad/image.ferry" bs=1 seek="$off" conv=notrunc status=none
			;;
		esac
		timeout 30 "$FERRY" restore --dir "$tmp/bad" >/dev/null 2>"$tmp/restore.err"
		rc=$?
		if [ "$rc" -ne 1 ]; then
			why="$variant: ferry restore exited $rc, want 1 ($(cat "$tmp/restore.err"))"
			break
		fi
		if ! grep -Eiq "restore failed: .*(corrupt|checksum|truncated|incomplete|bad|no image|version|magic|invalid|short|unexpected)" "$tmp/restore.err"; then
			why="$variant: unclear error: $(cat "$tmp/restore.err")"
			break
		fi
		if [ -e /proc/"$case_pid" ]; then
			why="$variant: pid $case_pid exists after the refused restore"
			break
		fi
	done
	[ -n "$why" ] || restore_finish "$tmp/img" "the intact image"
	report "$why"
else
	t_fail "case start or dump failed"
fi

suite_end
