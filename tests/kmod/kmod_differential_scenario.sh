# kmod_differential_scenario.sh — the VM scenario of the differential test
# (kmod_differential_vm_test: the module's records vs the eBPF probe's),
# run by scripts/vm/init.sh as `sh /scenario` (busybox sh, as root).
#
# Loads /kestrel.ko, then three times runs the real collector recording
# every event type (-A -w) while /bin/every_event runs once:
#   kmod:  -o engine.kind=kmod
#   ebpf:  -o engine.kind=ebpf
#   ebpf2: -o engine.kind=ebpf again, the control
# -A is what makes the capture request every event type (app/collector_plan.cpp
# capture_request: without it, the rules' and state tables' types only,
# and no I/O); -w records every process param.
# The workload gets the same environment, cwd, fds and directory both
# times (see tests/vm/every_event.c). For each run it prints, between
# markers (KESTREL-VM: BEGIN <name> ... KESTREL-VM: END <name>):
#   <run>.pids        "ROLE PID" lines the workload wrote (its mapping of fd 3)
#   <run>.workload    the workload's stdout/stderr (failed steps)
#   <run>.err         the collector's stderr
#   <run>.metrics     the collector's last metrics snapshot (drops)
#   <run>.kcap.gz.b64 the capture, gzip | base64
# and progress markers START, CAPTURING, WORKLOAD EXIT, COLLECTOR EXIT.
. /lib/kestrel-vm.sh  # now, section, wait_for, lines, start_collector, ... (scripts/vm/scenario-lib.sh)

/bin/insmod /kestrel.ko
echo "KESTREL-VM: INSMOD $? uptime=$(now)"
ip link set lo up

# run NAME KIND: one collector run around one workload run.
run() {
  name=$1
  kind=$2
  echo "KESTREL-VM: START $name uptime=$(now)"
  start_collector "$name" -A -o engine.kind=$kind -w /tmp/$name.kcap || return 1
  # Same path, same fresh pids file, same environment and cwd each run.
  rm -f /tmp/ee.pids
  : > /tmp/ee.pids
  (cd / && env -i PATH=/bin HOME=/ TERM=dumb /bin/every_event start /ee 3<>/tmp/ee.pids >/tmp/$name.workload 2>&1)
  echo "KESTREL-VM: WORKLOAD EXIT $name $? uptime=$(now)"
  tr -d '\000' < /tmp/ee.pids > /tmp/$name.pids
  # A metrics snapshot taken after the workload, then stop (SIGTERM drains
  # the rings into the capture).
  snapshots=$(lines /tmp/$name.metrics)
  wait_for 300 more_lines /tmp/$name.metrics "$snapshots" || echo "KESTREL-VM: NO SNAPSHOT $name"
  stop_collector $name
  section $name.pids /tmp/$name.pids
  section $name.workload /tmp/$name.workload
  section $name.err /tmp/$name.err
  last_metrics $name
}

run kmod kmod
run ebpf ebpf
# The control: the probe against itself (what differs between two runs of
# the same source is not the module's fault).
run ebpf2 ebpf

/bin/rmmod kestrel
echo "KESTREL-VM: RMMOD $? uptime=$(now)"

# The captures last: the longest sections.
for name in kmod ebpf ebpf2; do
  gzip -c /tmp/$name.kcap | base64 > /tmp/$name.kcap.gz.b64
  section $name.kcap.gz.b64 /tmp/$name.kcap.gz.b64
done
