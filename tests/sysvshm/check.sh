#!/bin/bash
# SPDX-License-Identifier: MIT
# SysV shared memory restore refusal: the image's shm id is held by another segment at restore
# time, so `ferry restore` must refuse ("SysV shm id N is taken") before creating any process,
# and restore fine (the case's own check passes) once the id is free again.
#   tests/sysvshm/check.sh        one line per test, then "N passed, N failed[, N skipped]"
set -u
. "$(dirname "$0")/../lib/suite.sh"
suite_init "$@"

KEY=0x46525941 # sysv_shm_twice's segment

# shm_id_of KEY: the id of the segment with this key (decimal in /proc/sysvipc/shm).
shm_id_of() { awk -v k="$(($1))" '$1 == k { print $2 }' /proc/sysvipc/shm; }

# take_id ID: create another 4 KiB segment with exactly this id; prints its id.
take_id() {
	echo "$1" >/proc/sys/kernel/shm_next_id && ipcmk -M 4096 -p 0600 | awk '{ print $NF }'
}

t_begin shm_id_taken_refused
why=""
if start_case sysv_shm_twice "$tmp/case.log"; then
	id=$(shm_id_of $KEY)
	if [ -z "$id" ]; then
		why="no segment with key $KEY"
	elif ! "$FERRY" dump --pid "$case_pid" --dir "$tmp/img" 2>"$tmp/dump.err"; then
		why="dump failed: $(cat "$tmp/dump.err")"
	fi
	wait "$case_pid" 2>/dev/null
	if [ -z "$why" ]; then
		ipcrm -M $KEY
		taker=$(take_id "$id")
		if [ "$taker" != "$id" ]; then
			why="could not take id $id (got '$taker')"
		else
			timeout 30 "$FERRY" restore --dir "$tmp/img" >/dev/null 2>"$tmp/restore.err"
			rc=$?
			if [ "$rc" -eq 0 ]; then
				why="the restore succeeded although shm id $id was taken"
			elif ! grep -q "SysV shm id $id is taken by another segment" "$tmp/restore.err"; then
				why="status $rc, unclear error: $(cat "$tmp/restore.err")"
			elif [ -e /proc/"$case_pid" ]; then
				why="pid $case_pid exists after the refused restore"
			elif [ "$(shm_id_of $KEY)" != "" ]; then
				why="the refused restore left a segment with key $KEY"
			fi
			ipcrm -m "$taker"
		fi
	fi
	[ -n "$why" ] || restore_finish "$tmp/img" "after freeing the id the image"
	ipcrm -M $KEY 2>/dev/null
	report "$why"
else
	t_fail "case did not start"
fi

suite_end
