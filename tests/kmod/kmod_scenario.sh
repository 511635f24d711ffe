# kmod_scenario.sh — the VM scenario of kmod_vm_test (run by
# scripts/vm/init.sh as `sh /scenario`, busybox sh, as root).
#
# Loads the kestrel kernel module, then runs the real collector twice with
# the embedded config and rules and JSON alerts:
#   kmod: -o engine.kind=kmod
#   auto: -o engine.kind=auto with /sys/kernel/btf hidden under a tmpfs,
#         so the eBPF probe cannot run and auto must pick the module
#   ebpf: -o engine.kind=ebpf, the probe whose records the module mimics
# Each run records what it saw (-w) and writes metrics JSON (source names,
# drops), and runs the same workload: cat /etc/shadow, a shell started by a
# program named nc, a module loaded with finit_module, a loopback TCP
# connect, an unlink, an exec of a missing program, an i386 program's
# openat (counted by the module as compat_ignored). A third run with a one-page ring must count drops;
# then the module is removed. Last, the captures of the kmod and ebpf runs
# are replayed through kmod_records.yaml (rules printing the raw records).
# What the test reads is printed between markers:
#   KESTREL-VM: BEGIN <name> ... KESTREL-VM: END <name>
#
# Unloading: refused while the kmod run's collector holds the device
# (RMMOD ATTACHED), and done right after a collector was killed with
# SIGKILL mid-capture (RMMOD AFTER SIGKILL).
. /lib/kestrel-vm.sh  # now, section, wait_for, lines, start_collector, ... (scripts/vm/scenario-lib.sh)

# A TCP listener on port $1 (state 0A), IPv4 or IPv6 (busybox nc binds ::).
listening() { grep -q ":$(printf '%04X' "$1") [0-9A-F]*:0000 0A" /proc/net/tcp /proc/net/tcp6 2>/dev/null; }

/bin/insmod /kestrel.ko
echo "KESTREL-VM: INSMOD $? uptime=$(now)"
ls -l /dev/kestrel
ip link set lo up
[ -f /etc/shadow ] || echo 'root:*:19000:0:99999:7:::' > /etc/shadow
# What the test checks the records against, from the VM itself.
echo "KESTREL-VM: BEGIN facts"
echo "shadow ino=$(stat -c %i /etc/shadow)"
echo "sh exepath=$(readlink -f /bin/sh)"
# The nc script runs in cgroup /kestrel/nc: memory enabled from /kestrel,
# pids from /kestrel/nc, the root's other controllers at "/" (cgroup v2,
# mounted by init.sh). The exec record's cgroups must name each as such.
cg=/sys/fs/cgroup
echo "+memory +pids" > $cg/cgroup.subtree_control
mkdir -p $cg/kestrel/nc
echo "+pids" > $cg/kestrel/cgroup.subtree_control
echo "cgroup /=$(cat $cg/cgroup.controllers)"
echo "cgroup /kestrel=$(cat $cg/kestrel/cgroup.controllers)"
echo "cgroup /kestrel/nc=$(cat $cg/kestrel/nc/cgroup.controllers)"
echo "KESTREL-VM: END facts"

# A "network service" that starts a shell: a script named nc (its process
# is named after the script, as comm). It runs the shell in /srv, in
# cgroup /kestrel/nc.
mkdir -p /srv
cat > /srv/nc <<'NC'
#!/bin/sh
echo $$ > /sys/fs/cgroup/kestrel/nc/cgroup.procs
cd /srv
/bin/sh -c 'echo shell-from-nc'
echo nc-done
NC
chmod +x /srv/nc

workload() {
  /bin/cat /etc/shadow > /dev/null && echo "read shadow"
  /srv/nc
  module_loader finit /modules/$1.ko
  /bin/nc -l -p 8080 </dev/null >/dev/null &
  npid=$!
  wait_for 100 listening 8080 || echo "nc not listening"
  timeout 5 /bin/nc 127.0.0.1 8080 </dev/null && echo "nc connected"
  kill "$npid" 2>/dev/null
  echo x > /tmp/kestrel-unlink-me
  /bin/rm /tmp/kestrel-unlink-me && echo "unlinked"
  /nonexistent/prog a1 a2 2>/dev/null || echo "exec failed"
  # A 32-bit (i386) program: its exec and openat are compat syscalls the
  # module counts (compat_ignored) instead of decoding; the probe's syscall
  # tracepoints do not fire for them at all.
  compat_openat_i386
}

# run NAME MODULE ARGS...: one collector run with the workload.
run() {
  name=$1
  module=$2
  shift 2
  echo "KESTREL-VM: START $name uptime=$(now)"
  start_collector "$name" "$@" -w /tmp/$name.kcap || return 1
  if [ "$name" = kmod ]; then
    # Unloading while a collector holds /dev/kestrel must be refused
    # cleanly (the module is in use), and capture go on (the workload's
    # alerts below).
    /bin/rmmod kestrel >/tmp/rmmod-attached.err 2>&1
    echo "KESTREL-VM: RMMOD ATTACHED $? uptime=$(now)"
    grep -q '^kestrel ' /proc/modules && echo "KESTREL-VM: MODULE STILL LOADED"
    section rmmod-attached.err /tmp/rmmod-attached.err
  fi
  echo "KESTREL-VM: BEGIN $name.workload"
  workload "$module"
  echo "KESTREL-VM: END $name.workload"
  # The three alerts the test expects, then a metrics snapshot taken after
  # the workload (the test reads the last one); an alert beyond the three
  # would be printed by then or at the latest when SIGTERM drains the rings.
  snapshots=$(lines /tmp/$name.metrics)
  wait_for 300 sh -c "[ \$(grep -c '\"rule\"' /tmp/$name.alerts) -ge 3 ]" || echo "KESTREL-VM: FEWER ALERTS $name"
  wait_for 300 more_lines /tmp/$name.metrics "$snapshots" || echo "KESTREL-VM: NO SNAPSHOT $name"
  finish_collector $name
}

run kmod crc7 -o engine.kind=kmod
mount -t tmpfs none /sys/kernel/btf
run auto crc8 -o engine.kind=auto
umount /sys/kernel/btf
# The same workload through the eBPF probe, whose records the test compares
# with the module's.
run ebpf crc16 -o engine.kind=ebpf

# Drops: a one-page ring and one process opening 400 files in a burst,
# faster than the collector polls; they must be counted, not lost silently.
mkdir -p /tmp/many
for i in $(seq 400); do : > /tmp/many/f$i; done
echo "KESTREL-VM: START tiny uptime=$(now)"
if start_collector tiny -o engine.kind=kmod -o engine.kmod.buf_size=4096; then
  /bin/cat /tmp/many/* > /dev/null
  # Until a snapshot counts the ring's losses (the test then checks them).
  wait_for 300 sh -c "tail -n 1 /tmp/tiny.metrics 2>/dev/null | grep -q '\"buffer_full\":[1-9]'" ||
    echo "KESTREL-VM: NO DROPS COUNTED tiny"
  stop_collector tiny
  section tiny.err /tmp/tiny.err
  last_metrics tiny
fi

# Wrapping: a 128 KiB ring (two maximum records) and 4,000 records of
# cat's opens and closes (~300 KB), so the head goes round it twice: the
# module writes records in place at the head while a maximum record fits
# before the end and through its scratch (with a pad record) otherwise.
# Every record must be read intact (a bad length stops the collector) or
# counted as lost.
echo "KESTREL-VM: START wrap uptime=$(now)"
if start_collector wrap -o engine.kind=kmod -o engine.kmod.buf_size=131072 -A; then
  for i in 1 2 3 4 5; do /bin/cat /tmp/many/* > /dev/null; done
  # SIGTERM drains the rings; the exit summary counts every record.
  stop_collector wrap
  section wrap.err /tmp/wrap.err
fi

# Capture stopped: the module lets go (no open device, probes gone).
/bin/rmmod kestrel
echo "KESTREL-VM: RMMOD $? uptime=$(now)"

# A collector killed mid-capture (records flowing) releases the device as
# it dies: the module unloads right after, without a splat.
/bin/insmod /kestrel.ko
echo "KESTREL-VM: REINSMOD $? uptime=$(now)"
if start_collector killed -o engine.kind=kmod; then
  (while :; do /bin/cat /tmp/many/f1 /tmp/many/f2 >/dev/null; done) &
  lpid=$!
  sleep 1
  stop_collector killed KILL
  /bin/rmmod kestrel
  echo "KESTREL-VM: RMMOD AFTER SIGKILL $? uptime=$(now)"
  kill "$lpid"
  wait "$lpid" 2>/dev/null
fi

for name in kmod ebpf; do
  kestrel -e /tmp/$name.kcap -r /etc/kestrel/kmod_records.yaml -o json_output=true \
    >/tmp/$name.records 2>/tmp/$name.replay.err
  echo "KESTREL-VM: REPLAY EXIT $name $? uptime=$(now)"
  section $name.replay.err /tmp/$name.replay.err
  section $name.records /tmp/$name.records
done
# The module's own records (the kmod run's capture), for the host's
# record-conformance check; gzip keeps the console section short.
gzip -c /tmp/kmod.kcap | base64 > /tmp/kmod.kcap.gz.b64
section kmod.kcap.gz.b64 /tmp/kmod.kcap.gz.b64
