#!/usr/bin/env bash
# In-kernel filtering (engine.kernel_filter, issue #19): events delivered to
# userspace, their rate, alerts and what the kernel dropped, filter on vs
# off, for a benign build workload and an attack workload. One collector at
# a time, the default rules, the live eBPF source; root.
#
#   bench/kernel_filter.sh [BUILD_DIR] [SECONDS_PER_WORKLOAD]
#
# Per type, what went up (--stats: "Source ebpf events by type") and what
# the kernel dropped (kernel_filtered.<type>) and what became of the opens it
# kept (kernel_deferred.*, deferred opens) follow each run.
#
# The workloads loop for a fixed time, so counts differ by the iterations
# done: the off / on ratio is of events per iteration, and alerts are to be
# compared per rule and iteration (the live test
# tests/app/kernel_filter_live_test compares them exactly). "source-drop"
# is what the source's summary line counted as dropped, printed above the
# table with its reason (dropped_at_exit: taken from the ring but still
# queued when SIGTERM stopped the collector).
# Not part of `make test` (it takes 4 x (SECONDS + ~10 s)); run it alone
# (flock /tmp/kestrel-heavy.lock ...) so the numbers are this machine's.
set -euo pipefail
BUILD_DIR=${1:-build}
SECONDS_RUN=${2:-10}
K="$BUILD_DIR/app/kestrel"
work=$(mktemp -d /tmp/kestrel_kfilter_bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src" "$work/home/.ssh" "$work/home/.aws"
for i in 1 2 3 4; do
  printf '#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\nint f%d(int x){return x*%d;}\n' $i $i \
    > "$work/src/f$i.c"
done
printf 'int main(void){return 0;}\n' > "$work/src/main.c"
echo key > "$work/home/.ssh/id_rsa"
echo k > "$work/home/.aws/credentials"
cp /bin/bash "$work/nc"

benign() {  # compile a few C files and link them, in a loop
  local end=$((SECONDS + SECONDS_RUN)) n=0
  while ((SECONDS < end)); do
    (cd "$work/src" && gcc -c f1.c f2.c f3.c f4.c main.c && gcc -o prog f1.o f2.o f3.o f4.o main.o)
    n=$((n + 1))
  done
  echo $n > "$work/iterations"
}
attack() {  # what the default rules look for, plus the shell work around it
  local end=$((SECONDS + SECONDS_RUN)) n=0
  while ((SECONDS < end)); do
    cat /etc/shadow "$work/home/.ssh/id_rsa" "$work/home/.aws/credentials" > /dev/null
    sh -c 'echo x > /etc/kestrel_kfilter_bench' && rm -f /etc/kestrel_kfilter_bench
    "$work/nc" -c '/bin/sh -c "exit 0"; exit 0'
    ls /root /etc > /dev/null
    n=$((n + 1))
  done
  echo $n > "$work/iterations"
}

measure() {  # workload filter(true|false) -> "events alerts filtered"
  local workload=$1 filter=$2
  "$K" -o engine.kind=ebpf -o json_output=true -o engine.kernel_filter="$filter" --stats \
    > "$work/out" 2> "$work/err" &
  local pid=$!
  for _ in $(seq 1 600); do grep -q "kestrel: capturing" "$work/err" && break; sleep 0.1; done
  local t0=$SECONDS
  "$workload"
  local elapsed=$((SECONDS - t0))
  sleep 1
  kill -TERM $pid
  wait $pid || true
  local events alerts filtered
  events=$(sed -n 's/^Source ebpf: \([0-9]*\) events.*/\1/p' "$work/err")
  alerts=$(grep -c '"rule"' "$work/out" || true)
  filtered=$(sed -n 's/^ *kernel_filtered\.[a-z0-9_]*: \([0-9]*\)/\1/p' "$work/err" | paste -sd+ | bc)
  drops=$(sed -n 's/^Source ebpf: [0-9]* events, dropped \([0-9]*\).*/\1/p' "$work/err")
  # The details first: the caller reads the last line and moves on, and
  # the EXIT trap may remove $work while this still runs.
  sed -n 's/^\(Source ebpf: .*\)/    filter='"$filter"' \1/p' "$work/err" >&2  # every drop, with its reason
  sed -n 's/^Source ebpf events by type:\(.*\)/    filter='"$filter"' delivered by type:\1/p' "$work/err" >&2
  sed -n 's/^ *\(kernel_filtered\.[a-z0-9_]*: [0-9]*\)/    \1/p' "$work/err" >&2
  sed -n 's/^ *\(kernel_deferred\.[a-z0-9_]*: [0-9]*\)/    \1/p' "$work/err" >&2
  grep -o '"rule":"[^"]*"' "$work/out" | sort | uniq -c >&2 || true
  echo "${events:-0} ${alerts:-0} ${filtered:-0} ${drops:-0} ${elapsed} $(cat "$work/iterations")"
}

printf '%-8s %-6s %12s %10s %6s %10s %8s %12s %11s\n' workload filter events events/s iter events/it alerts kernel-drop source-drop
for workload in benign attack; do
  declare -A ev
  for filter in false true; do
    read -r events alerts filtered drops elapsed iterations < <(measure $workload $filter)
    per_iteration=$(echo "scale=1; $events / $((iterations > 0 ? iterations : 1))" | bc)
    ev[$filter]=$per_iteration
    printf '%-8s %-6s %12s %10s %6s %10s %8s %12s %11s\n' $workload $filter "$events" \
      "$((events / (elapsed > 0 ? elapsed : 1)))" "$iterations" "$per_iteration" "$alerts" "$filtered" "$drops"
  done
  echo "  $workload: events delivered per iteration, off / on = $(echo "scale=2; ${ev[false]} / ${ev[true]}" | bc)x"
done
