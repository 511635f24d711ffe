# kmod_index_scenario.sh — the VM scenario of kmod_index_vm_test (run by
# scripts/vm/init.sh as `sh /scenario`, busybox sh, as root).
#
# The kestrel module is NOT loaded at boot; the collector loads it itself
# from a driver index (engine.kmod.index). The kernel's BTF is hidden under
# a tmpfs so the eBPF probe cannot run and engine.kind=auto must turn to the
# module. The image holds (the test wrote the indexes on the host):
#   /drivers/index.json           this kernel -> /drivers/kestrel_debian_<release>_1.ko
#   /drivers/other/index.json     another kernel only
#   /drivers/tampered/index.json  this kernel, but its artifact differs from
#                                 the sha256 the index records
# Runs, in order (the first two must not load anything):
#   lacking   auto + the index lacking this kernel: the remedy, exit non-zero
#   tampered  auto + the tampered index: refused, exit non-zero
#   auto      auto + the good index: loads the module, captures, alerts on a
#             read of /etc/shadow, exits 0 on SIGTERM
#   renode    /dev/kestrel removed, the module still loaded: kmod + the good
#             index finds it loaded (EEXIST) and makes the node from sysfs
# What the test reads is printed between markers:
#   KESTREL-VM: BEGIN <name> ... KESTREL-VM: END <name>
. /lib/kestrel-vm.sh  # now, section, wait_for, lines, start_collector, ... (scripts/vm/scenario-lib.sh)

module_loaded() { grep -q '^kestrel ' /proc/modules; }

[ -f /etc/shadow ] || echo 'root:*:19000:0:99999:7:::' > /etc/shadow
module_loaded && echo "KESTREL-VM: MODULE LOADED AT BOOT"
[ -e /dev/kestrel ] && echo "KESTREL-VM: DEVICE AT BOOT"
mount -t tmpfs none /sys/kernel/btf

# refused NAME INDEX: a collector that must exit before capturing.
refused() {
  echo "KESTREL-VM: START $1 uptime=$(now)"
  timeout 120 kestrel -o engine.kind=auto -o engine.kmod.index="$2" >/tmp/$1.alerts 2>/tmp/$1.err
  echo "KESTREL-VM: COLLECTOR EXIT $1 $? uptime=$(now)"
  section $1.err /tmp/$1.err
  module_loaded && echo "KESTREL-VM: MODULE LOADED AFTER $1"
}
refused lacking /drivers/other/index.json
refused tampered /drivers/tampered/index.json

# capture NAME ARGS...: a collector that loads (or finds) the module,
# captures a read of /etc/shadow and stops on SIGTERM.
capture() {
  name=$1
  shift
  echo "KESTREL-VM: START $name uptime=$(now)"
  start_collector "$name" "$@" || return 1
  module_loaded && echo "KESTREL-VM: MODULE LOADED $name"
  echo "KESTREL-VM: BEGIN $name.device"
  ls -l /dev/kestrel
  echo "KESTREL-VM: END $name.device"
  snapshots=$(lines /tmp/$name.metrics)
  /bin/cat /etc/shadow > /dev/null && echo "KESTREL-VM: READ SHADOW $name"
  wait_for 300 sh -c "grep -q '\"rule\"' /tmp/$name.alerts" || echo "KESTREL-VM: NO ALERT $name"
  wait_for 300 more_lines /tmp/$name.metrics "$snapshots" || echo "KESTREL-VM: NO SNAPSHOT $name"
  finish_collector $name
}
capture auto -o engine.kind=auto -o engine.kmod.index=/drivers/index.json

# A module loaded already whose node is gone (removed by hand; devtmpfs
# will not make it again): the collector makes it from sysfs.
rm -f /dev/kestrel
capture renode -o engine.kind=kmod -o engine.kmod.index=/drivers/index.json
umount /sys/kernel/btf
