#!/bin/bash
# SPDX-License-Identifier: MIT
# Migration benchmark: eager migration of a process holding SIZE of incompressible memory
# between two ferryd nodes on this machine (tests/e2e/lib.sh, ns backend: PID namespaces,
# loopback TCP),
# REPS times back and forth for each size and each mode. Modes: encryption on, encryption off,
# and zstd. It prints medians of:
#   - total: `ferry migrate` wall time, and the image rate;
#   - blackout: the process's own view of its freeze, from its last tick before the freeze to
#     its first tick on the destination;
#   - first instruction: from the start of `ferry migrate` to the first tick on the destination
#     (also its 90th percentile and maximum: the end-to-end time of a small migration).
# The raw loopback TCP rate is measured in the same run (bench-chan's raw mode) for the ratios.
#   bench/bench-migrate.sh [REPS] [SIZE_MIB...]      default: 5 runs of 0 (a small process) 4 64 1024 MiB
# MODES="enc-on enc-off zstd" (the default) picks the modes.
set -u
cd "$(dirname "$0")/.."
REPS=${1:-5}
shift || true
SIZES=${*:-0 4 64 1024}
E2E_NODES=2
E2E_BACKEND=ns # node daemons restarted with other settings per mode; loopback TCP
. tests/e2e/lib.sh
trap e2e_cleanup EXIT
HOG=$ROOT/build/bench/bench-migrate-hog
[ -x "$HOG" ] || { echo "build first: make"; exit 1; }
"$FERRY" keygen "$E2E/cluster.key" >/dev/null

start_nodes() { # encrypt yes|no
	local k
	for k in 1 2; do node_kill $k; done
	export E2E_NODE_EXTRA="encrypt = $1
timeout_ms = 60000"
	for k in 1 2; do node_up $k || exit 1; done
	node_pid_base 1 30000
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

run_size() { # MIB MODE-NAME COMPRESS
	local mib=$1 name=$2 comp=$3 id pid from=1 to=2 i t0 out
	local tot=() blk=() fir=()
	id=$(cd "$E2E" && fr 1 run "$HOG" "$mib" "$E2E/hog.gap")
	pid=$(cut -d: -f2 <<<"$id")
	for ((i = 0; i < 100; i++)); do grep -q ready "$E2E/hog.gap" 2>/dev/null && break; sleep 0.1; done
	for ((i = 0; i < REPS; i++)); do
		t0=$((${EPOCHREALTIME/./} * 1000)) # bash builtin, ns (µs resolution)
		out=$(fr $from migrate "$pid" --to n$to --compress "$comp" --json) || {
			echo "migration failed"
			return 1
		}
		local j gs=0 ge=0
		for ((j = 0; j < 40; j++)); do # the longest gap that ended after t0
			read -r gs ge < <(awk -v t0="$t0" '$2 > t0 && $2 - $1 > best {best = $2 - $1; l = $0}
				END {print l}' "$E2E/hog.gap" 2>/dev/null)
			[[ "${ge:-}" =~ ^[0-9]+$ ]] && break
			sleep 0.05
		done
		tot+=("$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["total_ms"])' "$out")")
		blk+=("$(((ge - gs) / 1000))")
		fir+=("$(((ge - t0) / 1000))")
		local tmp=$from
		from=$to
		to=$tmp
	done
	local bytes
	bytes=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["image_bytes"])' "$out")
	local mt mb mf
	mt=$(printf '%s\n' "${tot[@]}" | median)
	mb=$(printf '%s\n' "${blk[@]}" | median)
	mf=$(printf '%s\n' "${fir[@]}" | median)
	python3 - "$mib" "$name" "$bytes" "$mt" "$mb" "$mf" "$RAW" "${fir[*]}" <<'PY'
import sys
mib, name, b, t, blk, first, raw = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]) / 1000, float(sys.argv[6]) / 1000, float(sys.argv[7])
firs = sorted(int(v) / 1000 for v in sys.argv[8].split())
p90 = firs[min(len(firs) - 1, (len(firs) * 9 + 9) // 10 - 1)]
rate = b / 1048576 / (t / 1000)
print(f"{mib:>5} MiB  {name:<9} total {t:8.1f} ms  {rate:7.1f} MiB/s ({100 * rate / raw:5.1f}% of raw)"
      f"  blackout {blk:8.1f} ms  first instruction {first:8.1f} ms (p90 {p90:.1f}, max {firs[-1]:.1f})")
PY
	fr $from ps >/dev/null
	node_kill 1
	node_kill 2
}

for mib in $SIZES; do
	raw_size=$((mib < 64 ? 64 : mib))
	RAW=$("$ROOT/build/bench/bench-chan" --reps 3 --only off "${raw_size}M" 2>/dev/null |
		awk '/ raw / {for (i = 1; i <= NF; i++) if ($i == "median") print $(i + 1)}')
	echo "# raw loopback TCP, $raw_size MiB: $RAW MiB/s (bench-chan, same run)"
	for mode in "enc-on yes none" "enc-off no none" "zstd yes zstd"; do
		set -- $mode
		[[ " ${MODES:-enc-on enc-off zstd} " == *" $1 "* ]] || continue
		start_nodes "$2"
		run_size "$mib" "$1" "$3"
	done
done
