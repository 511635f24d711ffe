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
# connect, an unlink, an exec of a missing program. A third run with a one-page ring must count drops;
# then the module is removed. Last, the captures of the kmod and ebpf runs
# are replayed through kmod_records.yaml (rules printing the raw records).
# What the test reads is printed between markers:
#   KESTREL-VM: BEGIN <name> ... KESTREL-VM: END <name>
now() { cut -d' ' -f1 /proc/uptime; }
section() { echo "KESTREL-VM: BEGIN $1"; cat "$2"; echo "KESTREL-VM: END $1"; }

/bin/insmod /kestrel.ko
echo "KESTREL-VM: INSMOD $? uptime=$(now)"
ls -l /dev/kestrel
ip link set lo up
[ -f /etc/shadow ] || echo 'root:*:19000:0:99999:7:::' > /etc/shadow
# What the test checks the records against, from the VM itself.
echo "KESTREL-VM: BEGIN facts"
echo "shadow ino=$(stat -c %i /etc/shadow)"
echo "sh exepath=$(readlink -f /bin/sh)"
echo "KESTREL-VM: END facts"

# A "network service" that starts a shell: a script named nc (its process
# is named after the script, as comm). It runs the shell in /srv.
mkdir -p /srv
cat > /srv/nc <<'NC'
#!/bin/sh
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
  sleep 0.5
  timeout 5 /bin/nc 127.0.0.1 8080 </dev/null && echo "nc connected"
  kill "$npid" 2>/dev/null
  echo x > /tmp/kestrel-unlink-me
  /bin/rm /tmp/kestrel-unlink-me && echo "unlinked"
  /nonexistent/prog a1 a2 2>/dev/null || echo "exec failed"
}

# run NAME MODULE ARGS...: one collector run with the workload.
run() {
  name=$1
  module=$2
  shift 2
  echo "KESTREL-VM: START $name uptime=$(now)"
  kestrel -o json_output=true -o metrics.enabled=true -o metrics.interval=1s \
    -o metrics.output_file=/tmp/$name.metrics "$@" -w /tmp/$name.kcap \
    >/tmp/$name.alerts 2>/tmp/$name.err &
  kpid=$!
  waited=0
  while ! grep -q 'kestrel: capturing' /tmp/$name.err; do
    if ! kill -0 "$kpid" 2>/dev/null || [ "$waited" -ge 1200 ]; then
      echo "KESTREL-VM: NOT CAPTURING $name uptime=$(now)"
      kill -TERM "$kpid" 2>/dev/null
      wait "$kpid"
      echo "KESTREL-VM: COLLECTOR EXIT $name $? uptime=$(now)"
      section $name.err /tmp/$name.err
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  echo "KESTREL-VM: CAPTURING $name uptime=$(now)"
  echo "KESTREL-VM: BEGIN $name.workload"
  workload "$module"
  echo "KESTREL-VM: END $name.workload"
  # The three alerts the test expects, then two seconds more (a metrics
  # snapshot, any other alerts).
  waited=0
  while [ "$(grep -c '"rule"' /tmp/$name.alerts)" -lt 3 ] && [ "$waited" -lt 300 ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  sleep 2
  kill -TERM "$kpid"
  wait "$kpid"
  echo "KESTREL-VM: COLLECTOR EXIT $name $? uptime=$(now)"
  section $name.err /tmp/$name.err
  section $name.alerts /tmp/$name.alerts
  echo "KESTREL-VM: BEGIN $name.metrics"
  tail -n 1 /tmp/$name.metrics
  echo "KESTREL-VM: END $name.metrics"
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
kestrel -o engine.kind=kmod -o engine.kmod.buf_size=4096 -o json_output=true -o metrics.enabled=true \
  -o metrics.interval=1s -o metrics.output_file=/tmp/tiny.metrics >/tmp/tiny.alerts 2>/tmp/tiny.err &
kpid=$!
waited=0
while ! grep -q 'kestrel: capturing' /tmp/tiny.err && [ "$waited" -lt 1200 ]; do
  sleep 0.1
  waited=$((waited + 1))
done
echo "KESTREL-VM: CAPTURING tiny uptime=$(now)"
/bin/cat /tmp/many/* > /dev/null
sleep 2
kill -TERM "$kpid"
wait "$kpid"
echo "KESTREL-VM: COLLECTOR EXIT tiny $? uptime=$(now)"
section tiny.err /tmp/tiny.err
echo "KESTREL-VM: BEGIN tiny.metrics"
tail -n 1 /tmp/tiny.metrics
echo "KESTREL-VM: END tiny.metrics"

# Capture stopped: the module lets go (no open device, probes gone).
/bin/rmmod kestrel
echo "KESTREL-VM: RMMOD $? uptime=$(now)"

for name in kmod ebpf; do
  kestrel -e /tmp/$name.kcap -r /etc/kestrel/kmod_records.yaml -o json_output=true \
    >/tmp/$name.records 2>/tmp/$name.replay.err
  echo "KESTREL-VM: REPLAY EXIT $name $? uptime=$(now)"
  section $name.replay.err /tmp/$name.replay.err
  section $name.records /tmp/$name.records
done
