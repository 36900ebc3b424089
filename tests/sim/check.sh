#!/bin/bash
# SPDX-License-Identifier: MIT
# ferry-sim command-line checks at small sizes (scripts/check.sh runs every tests/*/check.sh and
# reads the last line "N passed, N failed"): trace replay against exact processor-sharing
# results, a malformed trace rejected with its line number, --help and the man page list every
# option, drain and owner-return through the CLI, gossip dissemination at 500 and 2000 nodes,
# determinism.
set -u
cd "$(dirname "$0")/../.."
SIM=${FERRY_SIM:-build/ferry-sim}
T=tests/sim
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok   $1"; pass=$((pass + 1)); }
no() { echo "FAIL $1${2:+: $2}"; fail=$((fail + 1)); }
# check NAME EXPRESSION [FILE shown on failure]
check() { if eval "$2"; then ok "$1"; else no "$1" "$(cat "${3:-/dev/null}" 2>/dev/null)"; fi; }
# field CSV_FILE ROW COLUMN: value of COLUMN (by header name) in data row ROW (1-based)
field() { awk -F, -v r="$2" -v c="$3" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
	NR == r + 1 { print $h[c] }' "$1"; }
near() { awk -v a="$1" -v b="$2" -v t="${3:-1e-3}" 'BEGIN { d = a - b; exit !(d < t && -d < t) }'; }

[ -x "$SIM" ] || { echo "FAIL $SIM not built"; echo "0 passed, 1 failed"; exit 1; }

# 1. Trace replay: 5 processes, exact PS slowdowns 2, 1.5, 1, 1.5, 1.5 and responses 2, 3, 4,
#    0.75, 0.75 (docs/policy.md); every policy must finish all of them.
"$SIM" --trace $T/trace-small.csv --nodes 3 --policy none >"$tmp/none.csv" 2>"$tmp/err"
rc=$?
check "trace: none runs" '[ $rc -eq 0 ]' "$tmp/err"
check "trace: 5 processes" '[ "$(field "$tmp/none.csv" 1 procs)" = 5 ]'
check "trace: mean slowdown 1.5 (exact PS)" 'near "$(field "$tmp/none.csv" 1 mean_slowdown)" 1.5'
check "trace: mean response 2.1 s" 'near "$(field "$tmp/none.csv" 1 mean_response)" 2.1'
check "trace: mean delay 0.5 s (response - demand)" \
	'near "$(field "$tmp/none.csv" 1 mean_delay)" 0.5'
check "trace: p99 slowdown 2" 'near "$(field "$tmp/none.csv" 1 p99_slowdown)" 2'
"$SIM" --trace $T/trace-small.csv --nodes 3 --policy all >"$tmp/all.csv" 2>/dev/null
check "trace: every policy finishes 5" \
	'[ "$(tail -n +2 "$tmp/all.csv" | cut -d, -f4 | sort -u)" = 5 ] && [ "$(wc -l <"$tmp/all.csv")" = 6 ]'

# 2. Malformed trace: exit status 1, the file, line and reason on stderr, no CSV rows.
"$SIM" --trace $T/trace-bad.csv --nodes 3 >"$tmp/out" 2>"$tmp/err"
rc=$?
check "bad trace: exit status 1" '[ $rc -eq 1 ]' "got $rc"
check "bad trace: error names line 4" \
	'grep -q "trace-bad.csv line 4: CPU demand must be > 0" "$tmp/err"' "$tmp/err"
check "bad trace: no result rows" '[ ! -s "$tmp/out" ]'
"$SIM" --trace $T/no-such-file.csv >/dev/null 2>"$tmp/err"
check "missing trace: error names the file" 'grep -q "no-such-file.csv: No such file" "$tmp/err"'

# 3. Every long option is in --help and in the man page, and nothing else is.
grep -o '{"[a-z-]*", [01]' sim/main.c | sed 's/{"\([a-z-]*\)".*/\1/' | sort >"$tmp/src"
"$SIM" --help | grep -o '^  --[a-z-]*' | sed 's/^  --//' | sort >"$tmp/help"
sed -n '/^\.SH OPTIONS/,/^\.SH OUTPUT/p' docs/ferry-sim.1 | grep '^\.B' |
	grep -o '\\-\\-[a-z][a-z-]*' | sed 's/^\\-\\-//' | sort -u >"$tmp/man"
check "--help lists every option" 'diff "$tmp/src" "$tmp/help" >"$tmp/d1"' "$tmp/d1"
check "man page lists every option" 'diff "$tmp/src" "$tmp/man" >"$tmp/d2"' "$tmp/d2"
"$SIM" --no-such-option >/dev/null 2>&1
check "unknown option: exit status 2" '[ $? -eq 2 ]'

# 4. Drain and owner return through the command line (ferry's row). The time is one at which
#    node 0 holds work with this seed (checked below: the drain must not be vacuous).
"$SIM" --nodes 16 --procs 20000 --skew 1 --drain 0@150 --owner-returns 15@150 --policy ferry \
	>"$tmp/adm.csv"
check "drain: node 0 had work" '[ "$(field "$tmp/adm.csv" 1 drain_jobs_at)" -gt 0 ]'
check "drain: emptied" 'awk "BEGIN { exit !($(field "$tmp/adm.csv" 1 drain_empty_s) >= 0) }"'
check "drain: nothing sent to it, no birth kept" \
	'[ "$(field "$tmp/adm.csv" 1 drain_sent_to)" = 0 ] && [ "$(field "$tmp/adm.csv" 1 drain_kept)" = 0 ]'
check "owner: no guest sent to it afterwards" '[ "$(field "$tmp/adm.csv" 1 owner_guests_to)" = 0 ]'

# 5. Gossip dissemination: p99 age of view entries <= 4 intervals, 2 messages per node per
#    interval whatever N, the crashed node dead everywhere within a bound, no false death.
for n in 500 2000; do
	"$SIM" --gossip-only 40 --nodes $n --seed 1 >"$tmp/g$n.csv"
	check "gossip $n: p99 age <= 4 intervals" \
		'awk "BEGIN { exit !($(field "$tmp/g$n.csv" 1 age_p99_iv) <= 4) }"'
	check "gossip $n: 2 messages / node / interval" \
		'near "$(field "$tmp/g$n.csv" 1 msgs_per_node_interval)" 2 0.02'
	check "gossip $n: dead everywhere within 15 intervals" \
		'awk "BEGIN { d = $(field "$tmp/g$n.csv" 1 dead_all_iv); exit !(d > 0 && d <= 15) }"'
	check "gossip $n: no false death" '[ "$(field "$tmp/g$n.csv" 1 false_dead)" = 0 ]'
done

# 5b. The issue's target at a small size (16 nodes, 30,000 processes, seeds 1-3, summed mean
#     slowdown): with gossip ferry beats both baselines; with expensive migration (mean cost
#     7.4 s) it is within 3% of hbd (the 64-node, 5-seed table in docs/policy.md is the measurement;
#     the earlier saving-criterion sender fails it: +7.9% here, 6.251 vs 5.793).
sums() { # args... -> "placement hbd ferry": sums over seeds 1-3 of each one's mean slowdown
	for sd in 1 2 3; do "$SIM" --nodes 16 --procs 30000 --seed $sd --policy all "$@"; done |
		awk -F, '{ t[$1] += $6 } END { print t["placement"], t["hbd"], t["ferry"] }'
}
read -r gp gh gf <<<"$(sums)"
read -r ep eh ef <<<"$(sums --mig-fixed 1 --bandwidth 10)"
check "target: gossip, ferry ($gf) below placement ($gp) and hbd ($gh)" \
	'awk "BEGIN { exit !($gf < $gp && $gf < $gh) }"'
check "target: expensive, ferry ($ef) within 3% of hbd ($eh), below placement ($ep)" \
	'awk "BEGIN { exit !($ef <= 1.03 * $eh && $ef < $ep) }"'
# 5c. Pre-copy with expensive migration (diagnostic model: no parking): ferry, told the transfer
#     mode, must beat hbd and the best placement margin (3 here). With the stop-and-copy
#     settings (--precopy-life 0 --place-margin 4) it does not: 8.290 vs placement-m3 7.894.
read -r _ ph pf <<<"$(sums --precopy --mig-fixed 1 --bandwidth 10)"
pp=$(for sd in 1 2 3; do "$SIM" --nodes 16 --procs 30000 --seed $sd --policy placement \
	--base-place-margin 3 --precopy --mig-fixed 1 --bandwidth 10; done |
	awk -F, '$1 == "placement" { t += $6 } END { print t }')
check "target: precopy expensive, ferry ($pf) below placement-m3 ($pp) and hbd ($ph)" \
	'awk "BEGIN { exit !($pf < $pp && $pf < $ph) }"'
"$SIM" --precopy-life -1 --procs 1 >/dev/null 2>&1
check "--precopy-life -1: exit status 2" '[ $? -eq 2 ]'

# 6. Deterministic with a seed (wall time excluded).
for k in 1 2; do "$SIM" --nodes 8 --procs 20000 --seed 7 | cut -d, -f1-18 >"$tmp/d$k"; done
check "same seed, same rows" 'cmp -s "$tmp/d1" "$tmp/d2"'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
