# scenario.sh — the VM scenario of bench/scap_side_by_side (run by
# scripts/vm/init.sh as `sh /scenario`, busybox sh, as root): one workload
# (open_read_close: openat + read + close of one file, N rounds) run six
# ways in this one boot, one capture at a time:
#   none   no consumer: neither module has a hook registered
#   scap   Falco's scap.ko (falcosecurity-scap-dkms) with sysdig consuming
#          every event into /dev/null (no filter: everything is kept)
#   kmod   Kestrel's module, the collector with -A (every event type,
#          the in-kernel filter off) and the embedded rules
#   ebpf   Kestrel's eBPF probe, the same collector options
# and, not the same capture set but Kestrel as deployed, kmod-rules and
# ebpf-rules: the collector with the embedded rules alone (the event types
# they need, the in-kernel filter on).
# Both modules stay loaded: each registers its tracepoints only while a
# consumer has it open (scap.ko on open, kestrel.ko on its start ioctl).
# The ways take turns, REPS rounds of them, so a slower stretch of the
# emulator (the host is shared) falls on every way alike; each consumer is
# started afresh for its run. Prints per run "WORKLOAD <way> ..."
# (open_read_close), "KESTREL-VM: CONSUMER <way> <round> cpu_ticks=<its
# utime+stime over the run, USER_HZ>" and the consumer's exit report as
# section <way>.<round> (sysdig -v's stderr; kestrel's summary).
. /lib/kestrel-vm.sh  # now, section, wait_for, start_collector, stop_collector (scripts/vm/scenario-lib.sh)
N=${N:-20000}
REPS=${REPS:-5}
FILE=/tmp/workload.txt
echo "one line the workload reads, 64 bytes at a time" > $FILE

# utime + stime of PID in clock ticks (/proc/PID/stat fields 14 and 15;
# the command name in field 2 has no spaces here).
cpu_ticks() { awk '{ print $14 + $15 }' /proc/$1/stat; }
# run_workload WAY ROUND [CONSUMER_PID]: the workload once, then (after a
# second for the consumer to drain) what the consumer's CPU spent meanwhile.
run_workload() {
  [ -z "$3" ] || t0=$(cpu_ticks $3)
  open_read_close $1 "$N" $FILE || echo "KESTREL-VM: WORKLOAD FAILED $1 uptime=$(now)"
  sleep 1
  [ -z "$3" ] || echo "KESTREL-VM: CONSUMER $1 $2 cpu_ticks=$(($(cpu_ticks $3) - t0)) uptime=$(now)"
}
holds_scap() { ls -l /proc/$1/fd 2>/dev/null | grep -q /dev/scap0; }
# (or sysdig has exited: no use waiting)
scap_ready() { holds_scap $1 || ! kill -0 $1 2>/dev/null; }

# scap_way ROUND: sysdig on scap.ko. Capturing once sysdig holds the device
# open; it then walks /proc before its first read, which the grace second
# covers (the ring keeps what comes meanwhile).
scap_way() {
  sysdig -v -w /dev/null >/tmp/sysdig.out 2>/tmp/scap.$1 &
  spid=$!
  if wait_for 600 scap_ready $spid && holds_scap $spid; then
    sleep 1
    echo "KESTREL-VM: CAPTURING scap $1 uptime=$(now)"
    run_workload scap $1 $spid
  else
    echo "KESTREL-VM: NOT CAPTURING scap $1 uptime=$(now)"
  fi
  kill -INT $spid
  wait $spid
  echo "KESTREL-VM: COLLECTOR EXIT scap $? uptime=$(now)"
  section scap.$1 /tmp/scap.$1
}

# kestrel_way WAY ROUND KESTREL_ARGS...: the collector run as WAY.
kestrel_way() {
  way=$1 round=$2
  shift 2
  if start_collector $way.$round "$@"; then
    run_workload $way $round $kpid
    stop_collector $way.$round
  fi
  section $way.$round /tmp/$way.$round.err
}

open_read_close warmup $((N / 10)) $FILE >/dev/null
/bin/insmod /scap.ko
echo "KESTREL-VM: INSMOD scap $? uptime=$(now)"
/bin/insmod /kestrel.ko
echo "KESTREL-VM: INSMOD kestrel $? uptime=$(now)"
for round in $(seq "$REPS"); do
  echo "KESTREL-VM: ROUND $round uptime=$(now)"
  run_workload none $round
  scap_way $round
  kestrel_way kmod $round -o engine.kind=kmod -A
  kestrel_way ebpf $round -o engine.kind=ebpf -A
  kestrel_way kmod-rules $round -o engine.kind=kmod
  kestrel_way ebpf-rules $round -o engine.kind=ebpf
done
/bin/rmmod scap
echo "KESTREL-VM: RMMOD scap $? uptime=$(now)"
/bin/rmmod kestrel
echo "KESTREL-VM: RMMOD kestrel $? uptime=$(now)"
echo "KESTREL-VM: DONE uptime=$(now)"
