#!/bin/sh
# engine.workers: engine-stage throughput (state updates + rules) with N
# workers vs 1, on the replay of a long live capture (issue 19).
#
#   bench/engine_workers.sh BUILD_DIR [SECONDS] [WORKERS] [RULES.yaml...]
#
# Records SECONDS (default 30) of every event type from the live eBPF probe
# with `kestrel -A -w` while whatever runs on the host runs (run a build or
# the workload of your choice meanwhile), then runs engine_workers_bench on
# it: the events of the types the rules and state take, held in memory,
# through the Pipeline with 1 worker and with WORKERS (default 2),
# alternating for ROUNDS rounds (default 11), each round also 1 worker
# pinned to each CPU (--per-cpu: this VM's vCPUs do not run at one speed,
# see engine_workers_bench.cpp); each run replays the capture PASSES times
# (default 2: short runs, many rounds, so the host's drift is sampled
# evenly). The figure to read is "N workers / fastest CPU's 1 worker".
# Rules: the upstream Falco rules (stable, incubating, sandbox) unless
# given. Root, BTF kernel. CAPTURE=file.kcap replays that capture instead
# of recording one (to compare builds, or runs, on the same events).
set -eu
build=${1:?usage: engine_workers.sh BUILD_DIR [SECONDS] [WORKERS] [RULES...]}
seconds=${2:-30}
workers=${3:-2}
shift $(( $# < 3 ? $# : 3 ))
here=$(cd "$(dirname "$0")/.." && pwd)
shared="$here/../shared/upstream-rules"
[ $# -gt 0 ] || set -- "$shared/falco_rules.yaml" "$shared/falco-incubating_rules.yaml" "$shared/falco-sandbox_rules.yaml"
if [ -n "${CAPTURE:-}" ]; then
  capture=$CAPTURE
else
  capture=$(mktemp -d)/live.kcap
  trap 'rm -rf "$(dirname "$capture")"' EXIT
  "$build/app/kestrel" -A -w "$capture" -M "$seconds" -o store.enabled=false > /dev/null
fi
"$build/bench/engine_workers_bench" "$capture" "$workers" --passes="${PASSES:-2}" --rounds="${ROUNDS:-11}" --per-cpu "$@"
