# module_rules_scenario.sh — the VM scenario of module_rules_vm_test (run
# by scripts/vm/init.sh as `sh /scenario`, busybox sh, as root).
#
# Starts the real collector with the embedded config and rules (eBPF
# source, JSON alerts), waits until it captures, loads one module with
# finit_module and one with init_module from module_loader, has one image
# refused, loads one more with busybox insmod (an exempt loader), opens a
# marker file and makes a loopback TCP connection, stops the collector,
# replays what it recorded (-w) through probe_records.yaml (rules that print
# the probe's view of those syscalls), and prints the collector's stderr,
# alerts and the replay's alerts between markers:
#   KESTREL-VM: BEGIN <name> ... KESTREL-VM: END <name>
# Markers are printed even when a step fails, so the test can say which.
. /lib/kestrel-vm.sh  # now, section, wait_for, lines, start_collector, ... (scripts/vm/scenario-lib.sh)

echo "KESTREL-VM: START COLLECTOR uptime=$(now)"
kestrel -o json_output=true -o rule_matching=all -w /tmp/capture.kcap >/tmp/alerts.json 2>/tmp/kestrel.err &
kpid=$!
waited=0
while ! grep -q 'kestrel: capturing' /tmp/kestrel.err; do
  if ! kill -0 "$kpid" 2>/dev/null || [ "$waited" -ge 1200 ]; then
    echo "KESTREL-VM: COLLECTOR NOT CAPTURING uptime=$(now)"
    kill -TERM "$kpid" 2>/dev/null
    section kestrel.err /tmp/kestrel.err
    exit 1
  fi
  sleep 0.1
  waited=$((waited + 1))
done
echo "KESTREL-VM: CAPTURING uptime=$(now)"

echo "KESTREL-VM: BEGIN workload"
module_loader finit /modules/crc7.ko
module_loader init /modules/crc8.ko
module_loader init-bad
# By path: busybox sh would run a bare `insmod` applet in its own process.
/bin/insmod /modules/crc16.ko && echo "insmod crc16 = 0"
grep -E '^(crc7|crc8|crc16) ' /proc/modules
# Reads through fd-table pointers: an opened file's inode, a TCP tuple.
# Applets by path, so the processes are named cat and nc.
echo marker > /tmp/kestrel-vm-marker
echo "marker ino=$(stat -c %i /tmp/kestrel-vm-marker)"
/bin/cat /tmp/kestrel-vm-marker > /dev/null
ip link set lo up
/bin/nc -l -p 8080 </dev/null >/dev/null &
npid=$!
# Until the listener is up (port 8080 = 1F90 in LISTEN, 0A; busybox nc binds ::).
waited=0
while ! grep -q ':1F90 [0-9A-F]*:0000 0A' /proc/net/tcp /proc/net/tcp6 2>/dev/null && [ "$waited" -lt 100 ]; do
  sleep 0.1
  waited=$((waited + 1))
done
timeout 5 /bin/nc 127.0.0.1 8080 </dev/null && echo "nc connected"
kill "$npid" 2>/dev/null
echo "KESTREL-VM: END workload"

# The three alerts the test expects, then a second more for any others
# (under TCG on a busy host alerts can take seconds).
waited=0
while [ "$(grep -c '"rule"' /tmp/alerts.json)" -lt 3 ] && [ "$waited" -lt 300 ]; do
  sleep 0.1
  waited=$((waited + 1))
done
sleep 1
kill -TERM "$kpid"
wait "$kpid"
echo "KESTREL-VM: COLLECTOR EXIT $? uptime=$(now)"
section kestrel.err /tmp/kestrel.err
section alerts /tmp/alerts.json
kestrel -e /tmp/capture.kcap -r /etc/kestrel/probe_records.yaml -o json_output=true \
  >/tmp/syscalls.json 2>/tmp/replay.err
echo "KESTREL-VM: REPLAY EXIT $? uptime=$(now)"
section replay.err /tmp/replay.err
section syscalls /tmp/syscalls.json
