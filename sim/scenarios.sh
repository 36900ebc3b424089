#!/bin/sh
# Scenario table of docs/policy.md: 64 nodes, 200000 processes, seeds 1-3, one CSV.
# usage: sim/scenarios.sh > docs/sim/scenarios.csv
S=${FERRY_SIM:-build/ferry-sim}
B="--nodes 64 --procs 200000"
run() { name=$1; shift; for sd in 1 2 3; do $S $B --seed $sd "$@" | tail -n +2 | sed "s/^/$name,/"; done; }
echo "scenario,policy,nodes,load,procs,seed,mean_slowdown,p99_slowdown,frac_slowdown_gt3,mean_response,mean_delay,migrations,placements,refusals,mib_moved,info_age_mean,info_age_p99,msgs_per_node_s,sim_time,wall_s"
run fresh --oracle
run gossip1s
run stale4s --gossip-interval 4
run hetero --slow-frac 0.5 --slow-speed 0.25
run skew --skew 0.5
run expensive --mig-fixed 1 --bandwidth 10
run mempressure --node-mem 512 --mem-reserve 64
run load0.5 --load 0.5
run load0.5fresh --load 0.5 --oracle
