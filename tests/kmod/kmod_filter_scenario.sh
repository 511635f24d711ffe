# kmod_filter_scenario.sh — the VM scenario of kmod_filter_vm_test (run by
# scripts/vm/init.sh as `sh /scenario`, busybox sh, as root).
#
# Loads the kestrel kernel module and runs the real collector on it twice
# with the embedded rules over the same workload: first with the in-kernel
# filter off (-o engine.kernel_filter=false), then on (the default). The
# module takes one collector at a time, so the runs follow each other.
# The workload: benign opens (reads of ordinary files, many failed opens,
# a unlink that succeeds) and a few that rules match (a sensitive read, an
# SSH key read, a write below /etc, a shell from a program named nc).
# Each run prints its stderr (--stats: events delivered, kernel_filtered.*)
# and alerts between markers:
#   KESTREL-VM: BEGIN <name>.err / <name>.alerts / <name>.metrics
. /lib/kestrel-vm.sh

/bin/insmod /kestrel.ko
echo "KESTREL-VM: INSMOD $? uptime=$(now)"
[ -f /etc/shadow ] || echo 'root:*:19000:0:99999:7:::' > /etc/shadow
mkdir -p /root/.ssh /tmp/benign /srv
echo key > /root/.ssh/id_rsa
for i in $(seq 200); do echo "$i" > /tmp/benign/f$i; done
cat > /srv/nc <<'NC'
#!/bin/sh
/bin/sh -c 'echo shell-from-nc'
NC
chmod +x /srv/nc

workload() {
  # Benign: reads of ordinary files, failed opens, an unlink.
  /bin/cat /tmp/benign/* > /dev/null
  for i in $(seq 200); do /bin/cat /tmp/benign/missing$i 2>/dev/null; done
  for i in $(seq 50); do /nonexistent/prog$i 2>/dev/null; done
  echo x > /tmp/benign/gone && /bin/rm /tmp/benign/gone
  # What the rules match.
  /bin/cat /etc/shadow > /dev/null && echo "read shadow"
  /bin/cat /root/.ssh/id_rsa > /dev/null && echo "read key"
  sh -c 'echo x > /etc/kestrel_filter_test' && /bin/rm /etc/kestrel_filter_test && echo "wrote etc"
  /srv/nc
}

# run NAME ARGS...: one collector run with the workload.
run() {
  name=$1
  shift
  start_collector "$name" -o engine.kind=kmod --stats "$@" || return 1
  echo "KESTREL-VM: BEGIN $name.workload"
  workload
  echo "KESTREL-VM: END $name.workload"
  # SIGTERM drains the rings into alerts; --stats prints on the way out.
  finish_collector "$name"
}

run off -o engine.kernel_filter=false
run on
/bin/rmmod kestrel
echo "KESTREL-VM: RMMOD $? uptime=$(now)"
