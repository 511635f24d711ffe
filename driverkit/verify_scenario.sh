# verify_scenario.sh — the VM scenario of `kestrel-driverkit verify` (run by
# scripts/vm/init.sh as `sh /scenario`, busybox sh, as root).
#
# The image holds the artifact as /kestrel.ko, the real collector
# (/bin/kestrel), /bin/module_loader and one small module of the booted
# kernel as /modules/<name>.ko (<name> in /etc/kestrel-verify/workload-module).
# The scenario:
#   1. insmods /kestrel.ko (the kernel checks its vermagic here);
#   2. runs the collector with engine.kind=kmod and the embedded config and
#      rules, recording a capture (-w), while the workload runs: a read of
#      /etc/shadow, a shell started by a program named nc, a module loaded
#      with finit_module (then removed again);
#   3. the same with engine.kind=ebpf (the probe, on the same kernel);
#   4. rmmods kestrel;
#   5. prints the kernel log (dmesg: the console itself shows only
#      loglevel<3 messages, so warnings would be missed there) and both
#      captures (gzip | base64) for the host to count events per type.
# What the host reads is printed between markers:
#   KESTREL-VM: BEGIN <name> ... KESTREL-VM: END <name>
# and progress as single "KESTREL-VM: <WORD> ... uptime=<s>" lines.
. /lib/kestrel-vm.sh  # now, section, wait_for, lines, start_collector, ... (scripts/vm/scenario-lib.sh)


echo "KESTREL-VM: BEGIN facts"
echo "uname=$(uname -r)"
echo "KESTREL-VM: END facts"

# A "network service" that starts a shell: a script named nc (its process
# is named after the script, as comm).
mkdir -p /srv
cat > /srv/nc <<'NC'
#!/bin/sh
cd /srv
/bin/sh -c 'echo shell-from-nc'
NC
chmod +x /srv/nc
[ -f /etc/shadow ] || echo 'root:*:19000:0:99999:7:::' > /etc/shadow

workload_module=$(cat /etc/kestrel-verify/workload-module)
workload() {
  /bin/cat /etc/shadow > /dev/null && echo "read shadow"
  /srv/nc
  module_loader finit /modules/$workload_module.ko
  # Unloaded again so the next run can load it once more (the kernel's
  # name for it has _ where the file name has -).
  /bin/rmmod "$(echo "$workload_module" | tr - _)" && echo "workload module removed"
}

# run NAME ARGS...: one collector run with the workload.
run() {
  name=$1
  shift
  echo "KESTREL-VM: START $name uptime=$(now)"
  start_collector "$name" -w /tmp/$name.kcap "$@" || return 1
  echo "KESTREL-VM: BEGIN $name.workload"
  workload
  echo "KESTREL-VM: END $name.workload"
  # The three alerts the workload must raise, then one metrics snapshot
  # taken after them; deadlines only (the host decides what is missing).
  snapshots=$(lines /tmp/$name.metrics)
  wait_for 300 sh -c "[ \$(grep -c '\"rule\"' /tmp/$name.alerts) -ge 3 ]" || echo "KESTREL-VM: FEWER ALERTS $name"
  wait_for 300 more_lines /tmp/$name.metrics "$snapshots" || echo "KESTREL-VM: NO SNAPSHOT $name"
  finish_collector $name
  gzip -c /tmp/$name.kcap | base64 > /tmp/$name.kcap.gz.b64
  section $name.kcap.gz.b64 /tmp/$name.kcap.gz.b64
}

/bin/insmod /kestrel.ko > /tmp/insmod.err 2>&1
rc=$?
echo "KESTREL-VM: INSMOD $rc uptime=$(now)"
section insmod.err /tmp/insmod.err
if [ "$rc" -eq 0 ]; then
  run kmod -o engine.kind=kmod
fi
run ebpf -o engine.kind=ebpf
if [ "$rc" -eq 0 ]; then
  /bin/rmmod kestrel
  echo "KESTREL-VM: RMMOD $? uptime=$(now)"
fi
dmesg > /tmp/dmesg
section dmesg /tmp/dmesg
