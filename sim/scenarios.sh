#!/bin/bash
# SPDX-License-Identifier: MIT
# Scenario table of docs/policy.md: 64 nodes, 200000 processes, seeds 1-5, every policy on the
# same arrivals; the placement baseline at margins 1, 2 (row "placement") and 3 so the table can
# use the best placement-only policy. Raw rows on stdout (CSV), 2 runs at a time.
#   sim/scenarios.sh > docs/sim/scenarios.csv && sim/summary.sh docs/sim/scenarios.csv
set -eu
S=${FERRY_SIM:-build/ferry-sim}
B="--nodes ${NODES:-64} --procs ${PROCS:-200000}"
SEEDS=${SEEDS:-1 2 3 4 5}
declare -A SC=(
	[fresh]="--oracle"
	[gossip1s]=""
	[stale4s]="--gossip-interval 4"
	[hetero]="--slow-frac 0.5 --slow-speed 0.25"
	[skew]="--skew 0.5"
	[expensive]="--mig-fixed 1 --bandwidth 10"
	[expensive-fresh]="--mig-fixed 1 --bandwidth 10 --oracle"
	[mempressure]="--node-mem 512 --mem-reserve 64"
	[load0.5]="--load 0.5"
	[load0.5fresh]="--load 0.5 --oracle"
	[diag-precopy]="--precopy"
	[diag-precopy-expensive]="--precopy --mig-fixed 1 --bandwidth 10"
)
ORDER=${SCENARIOS:-fresh gossip1s stale4s hetero skew expensive expensive-fresh mempressure load0.5 load0.5fresh diag-precopy diag-precopy-expensive}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

one() { # scenario seed -> $tmp/scenario.seed
	local name=$1 sd=$2 args=${SC[$1]}
	{
		$S $B --seed "$sd" $args | tail -n +2
		for m in 1 3; do
			$S $B --seed "$sd" $args --policy placement --base-place-margin $m |
				tail -n +2 | sed "s/^placement,/placement-m$m,/"
		done
	} | sed "s/^/$name,/" >"$tmp/$name.$sd"
}

$S --nodes 2 --procs 1 --policy none | head -1 | sed 's/^/scenario,/'
for name in $ORDER; do
	for sd in $SEEDS; do
		one "$name" "$sd" &
		while [ "$(jobs -rp | wc -l)" -ge "${JOBS:-2}" ]; do wait -n || true; done
	done
done
wait || true
for name in $ORDER; do for sd in $SEEDS; do cat "$tmp/$name.$sd"; done; done
