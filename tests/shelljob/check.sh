#!/bin/bash
# SPDX-License-Identifier: MIT
# --shell-job: a process whose stdio is the terminal ferry runs in. Under a pseudo-terminal made by
# script(1), the counter (tests/tools/counter) writes to the tty; dumping it without --shell-job
# is refused with a message naming the terminal and the option, and leaves it running; with
# --shell-job the dump succeeds, restoring the image without --shell-job is refused, and with
# it the counter resumes on the same terminal: its output continues from the dumped count.
#   tests/shelljob/check.sh       one line per test, then "N passed, N failed[, N skipped]"
set -u
. "$(dirname "$0")/../lib/suite.sh"
suite_init "$@"

t_begin shell_job_on_a_pty
if ! command -v script >/dev/null; then
	t_skip "script(1) not installed"
	suite_end
	exit
fi
cat >"$tmp/inner.sh" <<'INNER'
# runs under script(1): stdin/stdout/stderr are the pty
F=$1 T=$2 COUNTER=$3
res() { echo "$*" >>"$T/results"; }
"$COUNTER" &
P=$!
sleep 0.7
"$F" dump --pid "$P" --dir "$T/img" 2>"$T/plain.err"
res "plain $?"
res "state $(awk '/^State:/ { print $2 }' /proc/$P/status) $(awk '/^TracerPid:/ { print $2 }' /proc/$P/status)"
sleep 0.5
"$F" dump --pid "$P" --dir "$T/img" --shell-job 2>"$T/sj.err"
res "shelljob $?"
wait "$P"
res "original $?"
echo "MARK restoring"
"$F" restore --dir "$T/img" 2>"$T/restore-plain.err"
res "restore_plain $?"
"$F" restore --dir "$T/img" --shell-job --ready-file "$T/rf" 2>"$T/restore.err" &
R=$!
for i in $(seq 100); do [ -e "$T/rf" ] && break; sleep 0.1; done
res "fd1 $(readlink /proc/$P/fd/1) tty $(tty)"
sleep 1
kill -TERM "$P"
wait "$R"
res "restore $?"
INNER
timeout 60 script -qec "bash $tmp/inner.sh $FERRY $tmp $ROOT/build/tests/tools/counter" /dev/null \
	</dev/null >"$tmp/tty.out" 2>&1
tr -d '\r' <"$tmp/tty.out" >"$tmp/tty.txt"
r() { sed -n "s/^$1 //p" "$tmp/results" 2>/dev/null; }
pre=$(sed -n '/^MARK restoring/q; s/^pid [0-9]* count \([0-9]*\) memory ok$/\1/p' "$tmp/tty.txt" | tail -n 1)
post=$(sed -n '/^MARK restoring/,$ s/^pid [0-9]* count \([0-9]*\) memory ok$/\1/p' "$tmp/tty.txt")
first=$(head -n 1 <<<"$post")
ttyname=$(r fd1 | awk '{ print $3 }')
if [ "$(r plain)" != 3 ] || ! grep -q "fd [0-9]* is a terminal (/dev/pts/[0-9]*): use --shell-job" "$tmp/plain.err"; then
	t_fail "dump without --shell-job: status $(r plain), $(cat "$tmp/plain.err")"
elif [[ "$(r state)" != [RS]" 0" ]]; then
	t_fail "after the refusal the counter is in state/tracer '$(r state)'"
elif [ "$(r shelljob)" != 0 ] || [ "$(r original)" != 137 ]; then
	t_fail "dump --shell-job: status $(r shelljob) (original ended $(r original)): $(cat "$tmp/sj.err")"
elif [ "$(r restore_plain)" != 1 ] || ! grep -q -- "--shell-job" "$tmp/restore-plain.err"; then
	t_fail "restore without --shell-job: status $(r restore_plain), $(cat "$tmp/restore-plain.err")"
elif [ -z "$ttyname" ] || { [ "$(r fd1 | awk '{ print $1 }')" != "$ttyname" ] &&
	[ "$(r fd1 | awk '{ print $1 }')" != /dev/tty ]; }; then
	# ferry reopens the terminal as /dev/tty, the controlling terminal of the session
	t_fail "the restored counter's stdout is '$(r fd1)', not the terminal"
elif [ "$(r restore)" != 143 ]; then
	t_fail "ferry restore ended with $(r restore), not by the root's SIGTERM (143)"
elif [ -z "$pre" ] || [ -z "$first" ] || [ "$first" -lt "$pre" ] || [ "$first" -gt $((pre + 1)) ] ||
	[ "$(wc -l <<<"$post")" -lt 3 ]; then
	t_fail "output on the tty does not continue: last count $pre before the dump, then '$(echo $post)'"
elif grep -q CORRUPT "$tmp/tty.txt"; then
	t_fail "the counter reports corrupt memory"
else
	t_ok
fi
suite_end
