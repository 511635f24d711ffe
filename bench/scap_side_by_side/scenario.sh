# scenario.sh — the VM scenario of bench/scap_side_by_side (run by
# scripts/vm/init.sh as `sh /scenario`, busybox sh, as root): one workload
# (open_read_close: openat + read + close of one file, N rounds) run six
# ways in this one boot, one capture at a time:
#   none        no consumer: neither module has a hook registered
#   scap        Falco's scap.ko (falcosecurity-scap-dkms) with sysdig
#               writing every event to /dev/null (no filter: all kept)
#   kmod-dump   Kestrel's module with the consumer doing sysdig's job: every
#   ebpf-dump   event type (-A), no rule (an empty rules file), every event
#               recorded to /dev/null (-w, native .kcap); the same for the
#               eBPF probe
#   kmod        Kestrel's module and probe as a detector: -A (every event
#   ebpf        type, the in-kernel filter off) with the embedded rules
#               evaluated on everything
# Both modules stay loaded: each registers its tracepoints only while a
# consumer has it open (scap.ko on open, kestrel.ko on its start ioctl).
# The ways take turns, REPS rounds of them, and each round starts one way
# further along the list (round 1: none scap ..., round 2: scap kmod-dump
# ... none), so no way always follows the same one and a slower stretch of
# the emulator (the host is shared) falls on every way alike; each
# consumer is started afresh for its run. Prints per run "WORKLOAD <way>
# ..." (open_read_close), "KESTREL-VM: CPU <way> <round> busy_ticks=<the
# guest's non-idle CPU over the run and the drain second>
# consumer_ticks=<the consumer's utime+stime over the same span>" (USER_HZ)
# and the consumer's exit report as section <way>.<round> (sysdig -v's
# stderr; kestrel's summary).
. /lib/kestrel-vm.sh  # now, section, wait_for, start_collector, stop_collector (scripts/vm/scenario-lib.sh)
N=${N:-20000}
REPS=${REPS:-9}
WAYS="none scap kmod-dump ebpf-dump kmod ebpf"
FILE=/tmp/workload.txt
echo "one line the workload reads, 64 bytes at a time" > $FILE

# utime + stime of PID in clock ticks (/proc/PID/stat fields 14 and 15;
# the command name in field 2 has no spaces here).
cpu_ticks() { awk '{ print $14 + $15 }' /proc/$1/stat; }
# The guest CPU's non-idle ticks since boot (/proc/stat "cpu": all but idle
# and iowait): the workload, the consumer, its threads, kernel work.
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
# run_workload WAY ROUND [CONSUMER_PID]: the workload once, then (after a
# second for the consumer to drain) what the guest's CPU and the consumer
# spent meanwhile.
run_workload() {
  b0=$(busy_ticks)
  t0=0
  [ -z "$3" ] || t0=$(cpu_ticks $3)
  open_read_close $1 "$N" $FILE || echo "KESTREL-VM: WORKLOAD FAILED $1 uptime=$(now)"
  sleep 1
  t1=0
  [ -z "$3" ] || t1=$(cpu_ticks $3)
  echo "KESTREL-VM: CPU $1 $2 busy_ticks=$(($(busy_ticks) - b0)) consumer_ticks=$((t1 - t0)) uptime=$(now)"
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

# (every record's timestamp reads it: under TCG a clocksource other than
# tsc is an emulated device)
echo "KESTREL-VM: CLOCKSOURCE $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource) uptime=$(now)"
open_read_close warmup $((N / 10)) $FILE >/dev/null
/bin/insmod /scap.ko
echo "KESTREL-VM: INSMOD scap $? uptime=$(now)"
/bin/insmod /kestrel.ko
echo "KESTREL-VM: INSMOD kestrel $? uptime=$(now)"
# The one rules file of the -dump ways: no rule.
: >/tmp/no-rules.yaml
# run_way WAY ROUND
run_way() {
  case $1 in
  none) run_workload none $2 ;;
  scap) scap_way $2 ;;
  kmod-dump) kestrel_way kmod-dump $2 -o engine.kind=kmod -A -r /tmp/no-rules.yaml -w /dev/null --capture-format kcap ;;
  ebpf-dump) kestrel_way ebpf-dump $2 -o engine.kind=ebpf -A -r /tmp/no-rules.yaml -w /dev/null --capture-format kcap ;;
  kmod) kestrel_way kmod $2 -o engine.kind=kmod -A ;;
  ebpf) kestrel_way ebpf $2 -o engine.kind=ebpf -A ;;
  esac
}
order=$WAYS
for round in $(seq "$REPS"); do
  echo "KESTREL-VM: ROUND $round order=$(echo $order | tr ' ' ,) uptime=$(now)"
  for way in $order; do run_way $way $round; done
  # the next round starts one way further
  set -- $order
  shift
  order="$* ${order%% *}"
done
/bin/rmmod scap
echo "KESTREL-VM: RMMOD scap $? uptime=$(now)"
/bin/rmmod kestrel
echo "KESTREL-VM: RMMOD kestrel $? uptime=$(now)"
echo "KESTREL-VM: DONE uptime=$(now)"
