#!/bin/bash
# SPDX-License-Identifier: MIT
# Summarises sim/scenarios.sh output as the markdown table of docs/policy.md: per scenario and
# policy, mean ± standard deviation over seeds of mean slowdown, p99 slowdown, fraction slowed
# more than 3x and mean response; "placement" is the best of the three placement margins. Then
# ferry against the best baseline (best placement or hbd) per seed: mean paired difference, its
# standard error, and the verdict (better / worse: beyond 2 standard errors; else within noise).
#   sim/summary.sh docs/sim/scenarios.csv
set -eu
awk -F, '
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
{
	sc = $1; p = $2; sd = $(col["seed"])
	if (!(sc in seen)) { seen[sc] = 1; order[++ns] = sc }
	k = sc SUBSEP p
	n[k]++; ms[k, n[k]] = $(col["mean_slowdown"]); seedof[k, n[k]] = sd
	m1[k] += $(col["mean_slowdown"]); m2[k] += $(col["mean_slowdown"]) ^ 2
	p1[k] += $(col["p99_slowdown"]); p2[k] += $(col["p99_slowdown"]) ^ 2
	g1[k] += $(col["frac_slowdown_gt3"]); r1[k] += $(col["mean_response"])
	mig[k] += $(col["migrations"])
	val[k, sd] = $(col["mean_slowdown"])
}
function sdev(s1, s2, c) { v = (s2 - s1 * s1 / c) / (c > 1 ? c - 1 : 1); return v > 0 ? sqrt(v) : 0 }
function row(sc, p, label,   k, c) {
	k = sc SUBSEP p; c = n[k]
	printf "| %s | %s | %.3f ± %.3f | %.2f ± %.2f | %.3f | %.2f | %d |\n", sc, label,
		m1[k] / c, sdev(m1[k], m2[k], c), p1[k] / c, sdev(p1[k], p2[k], c), g1[k] / c,
		r1[k] / c, mig[k] / c
}
END {
	print "| scenario | policy | mean slowdown | p99 slowdown | frac > 3 | mean response (s) | migrations |"
	print "|---|---|---|---|---|---|---|"
	for (i = 1; i <= ns; i++) {
		sc = order[i]; bp = "placement"
		foreach = split("placement-m1 placement-m3", alt, " ")
		for (a = 1; a <= 2; a++)
			if ((sc SUBSEP alt[a]) in n && m1[sc, alt[a]] < m1[sc, bp]) bp = alt[a]
		best[sc] = m1[sc, bp] < m1[sc, "hbd"] ? bp : "hbd"
		row(sc, "none", "none"); row(sc, "random", "random")
		row(sc, bp, "placement (" (bp == "placement" ? "m2" : substr(bp, 11)) ")")
		row(sc, "hbd", "hbd"); row(sc, "ferry", "ferry")
	}
	print ""
	print "| scenario | best baseline | ferry − best, mean slowdown (paired, mean ± s.e.) | relative | verdict |"
	print "|---|---|---|---|---|"
	for (i = 1; i <= ns; i++) {
		sc = order[i]; b = best[sc]; kf = sc SUBSEP "ferry"; c = 0; s1 = 0; s2 = 0
		for (j = 1; j <= n[kf]; j++) {
			sd = seedof[kf, j]
			if (!((sc SUBSEP b, sd) in val)) continue
			d = val[sc, "ferry", sd] - val[sc, b, sd]; c++; s1 += d; s2 += d * d
		}
		se = sdev(s1, s2, c) / sqrt(c); md = s1 / c
		v = md + 2 * se < 0 ? "better" : (md - 2 * se > 0 ? "WORSE" : "within noise")
		printf "| %s | %s (%.3f) | %+.4f ± %.4f | %+.1f%% | %s |\n", sc, b, m1[sc, b] / n[sc, b],
			md, se, 100 * md / (m1[sc, b] / n[sc, b]), v
	}
}' "$1"
