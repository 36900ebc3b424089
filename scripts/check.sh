#!/bin/bash
# Runs every test of ferry and ends with one line "N passed, N failed":
#   1. unit tests (cmocka), built with ASan+UBSan (build-san/), each under a timeout;
#   2. the state-checking cases (tests/cases/run.sh): dump -> kill -> restore, once and twice;
#   3. any further suite tests/*/check.sh that prints its own "N passed, N failed" line last.
set -u
cd "$(dirname "$0")/.."
pass=0 fail=0 skip=0
failed=()

add_line() { # "N passed, N failed[, N skipped]" -> totals
	local line=$1 name=$2 p f s
	p=$(sed -n 's/.*\b\([0-9]\+\) passed.*/\1/p' <<<"$line")
	f=$(sed -n 's/.*\b\([0-9]\+\) failed.*/\1/p' <<<"$line")
	s=$(sed -n 's/.*\b\([0-9]\+\) skipped.*/\1/p' <<<"$line")
	if [ -z "$p" ] || [ -z "$f" ]; then
		fail=$((fail + 1)); failed+=("$name (no summary)"); return
	fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + ${s:-0}))
	[ "$f" -gt 0 ] && failed+=("$name")
}

echo "== unit tests (ASan+UBSan)"
for t in build-san/tests/unit/test-*; do
	[ -x "$t" ] || continue
	out=$(timeout 300 "$t" 2>&1); rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]\+\) test.*/\1/p' <<<"$out" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]\+\) test.*/\1/p' <<<"$out" | tail -1)
	if [ -z "$p" ] && [ -z "$f" ]; then
		echo "$out" | tail -20
		echo "FAIL $t: exit $rc without a cmocka summary"
		fail=$((fail + 1)); failed+=("$t"); continue
	fi
	p=${p:-0}; f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	echo "$(basename "$t"): $p passed, $f failed"
	[ "$f" -gt 0 ] && { echo "$out" | grep -E 'FAILED|ERROR|error' | head -20; failed+=("$t"); }
	pass=$((pass + p)); fail=$((fail + f))
done

echo "== state-checking cases"
line=$(bash tests/cases/run.sh 2>&1 | tee -a /dev/stderr | tail -1)
add_line "$line" "tests/cases"

for s in tests/*/check.sh; do
	[ -f "$s" ] || continue
	echo "== $s"
	line=$(bash "$s" 2>&1 | tee -a /dev/stderr | tail -1)
	add_line "$line" "$s"
done

[ ${#failed[@]} -gt 0 ] && printf 'failed: %s\n' "${failed[@]}"
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
