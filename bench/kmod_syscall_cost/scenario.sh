# scenario.sh — the VM scenario of bench/kmod_syscall_cost (run by
# scripts/vm/init.sh as `sh /scenario`, busybox sh, as root): the same
# syscall loops with no capture, under the kernel module
# (engine.kind=kmod) and under the eBPF probe (engine.kind=ebpf), one
# collector at a time, with the embedded config and rules (close and
# openat are captured by both: the state tables need them).
# Prints "LOOP <mode> <syscall> cpu_ns=.. wall_ns=.." lines and markers.
. /lib/kestrel-vm.sh  # now, section, wait_for, lines, start_collector, ... (scripts/vm/scenario-lib.sh)
N=${N:-100000}

/bin/insmod /kestrel.ko
echo "KESTREL-VM: INSMOD $? uptime=$(now)"
syscall_loop none "$N"

for kind in kmod ebpf; do
  kestrel -o engine.kind=$kind >/dev/null 2>/tmp/$kind.err &
  kpid=$!
  tries=1200
  while ! grep -q 'kestrel: capturing' /tmp/$kind.err && kill -0 $kpid 2>/dev/null && [ $tries -gt 0 ]; do
    sleep 0.1
    tries=$((tries - 1))
  done
  if grep -q 'kestrel: capturing' /tmp/$kind.err; then
    echo "KESTREL-VM: CAPTURING $kind uptime=$(now)"
    syscall_loop $kind "$N"
  else
    echo "KESTREL-VM: NOT CAPTURING $kind uptime=$(now)"
    cat /tmp/$kind.err
  fi
  kill -TERM $kpid 2>/dev/null
  wait $kpid
  echo "KESTREL-VM: COLLECTOR EXIT $kind $? uptime=$(now)"
done
/bin/rmmod kestrel
echo "KESTREL-VM: RMMOD $? uptime=$(now)"
