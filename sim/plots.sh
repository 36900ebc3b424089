#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the ferry-sim experiments behind docs/policy.md and draws the plots with gnuplot.
# Output: docs/sim/*.csv and docs/sim/*.svg. Deterministic (fixed seeds).
#   sim/plots.sh                 # all experiments (a few minutes on 2 cores)
#   FERRY_SIM=path sim/plots.sh  # use another binary (default build/ferry-sim)
set -eu
SIM=${FERRY_SIM:-build/ferry-sim}
OUT=${OUT:-docs/sim}
N=${N:-64}
PROCS=${PROCS:-100000}
mkdir -p "$OUT"

# Mean slowdown vs offered load, with gossip (1 s) and with exact information.
for info in gossip oracle; do
	f="$OUT/load-$info.csv"
	: >"$f"
	for l in 0.3 0.5 0.6 0.7 0.8 0.85 0.9; do
		extra=""
		[ "$info" = oracle ] && extra="--oracle"
		"$SIM" --nodes "$N" --procs "$PROCS" --load "$l" --seed 1 $extra |
			{ if [ -s "$f" ]; then tail -n +2; else cat; fi; } >>"$f"
	done
done

# Mean slowdown vs migration cost (fixed part; remote execution stays 0.3 s), load 0.8.
f="$OUT/cost.csv"
: >"$f"
for c in 0.1 0.3 1 3 10; do
	"$SIM" --nodes "$N" --procs "$PROCS" --mig-fixed "$c" --seed 1 --oracle |
		sed "s/^/$c,oracle,/; 1s/^$c,oracle,/mig_fixed,info,/" |
		{ if [ -s "$f" ]; then tail -n +2; else cat; fi; } >>"$f"
	"$SIM" --nodes "$N" --procs "$PROCS" --mig-fixed "$c" --seed 1 | tail -n +2 |
		sed "s/^/$c,gossip,/" >>"$f"
done

# Information age and failure detection vs cluster size (gossip only, 60 intervals).
f="$OUT/gossip.csv"
: >"$f"
for n in 100 300 1000 3000 10000; do
	"$SIM" --gossip-only 60 --nodes "$n" --seed 1 |
		{ if [ -s "$f" ]; then tail -n +2; else cat; fi; } >>"$f"
done

col() { head -1 "$1" | tr , '\n' | grep -nx "$2" | cut -d: -f1; }

plot_load() {
	f="$OUT/load-$1.csv"
	x=$(col "$f" load)
	y=$(col "$f" mean_slowdown)
	gnuplot <<GP
set terminal svg size 640,420 dynamic font "sans,11"
set output "$OUT/slowdown-vs-load-$1.svg"
set datafile separator ","
set title "Mean slowdown vs load, $N nodes, $2"
set xlabel "offered load"
set ylabel "mean slowdown (response / demand)"
set logscale y
set key top left
plot for [p in "none random placement hbd ferry"] "$f" using (strcol(1) eq p ? \$$x : 1/0):$y with linespoints title p
GP
}
plot_load gossip "gossip every 1 s"
plot_load oracle "exact information"

f="$OUT/cost.csv"
x=1
y=$(($(col "$f" mean_slowdown)))
gnuplot <<GP
set terminal svg size 640,420 dynamic font "sans,11"
set output "$OUT/slowdown-vs-migration-cost.svg"
set datafile separator ","
set title "Mean slowdown vs fixed migration cost, $N nodes, load 0.8"
set xlabel "fixed migration cost, s (plus memory / 100 MiB/s)"
set ylabel "mean slowdown"
set logscale x
set key top left
plot for [p in "placement hbd ferry"] for [i in "oracle gossip"] "$f" using (strcol(3) eq p && strcol(2) eq i ? \$1 : 1/0):$y with linespoints title p." (".i.")"
GP

f="$OUT/gossip.csv"
gnuplot <<GP
set terminal svg size 640,420 dynamic font "sans,11"
set output "$OUT/info-age-vs-cluster-size.svg"
set datafile separator ","
set title "Gossip: information age and failure detection vs cluster size"
set xlabel "nodes"
set ylabel "gossip intervals"
set logscale x
set key top left
plot "$f" using 1:4 every ::1 with linespoints title "mean age of view entries", \
     "$f" using 1:5 every ::1 with linespoints title "p99 age of view entries", \
     "$f" using 1:8 every ::1 with linespoints title "dead everywhere after", \
     "$f" using 1:6 every ::1 with linespoints title "messages / node / interval"
GP
echo "wrote $OUT"
