# scenario-lib.sh — what every VM scenario uses, packed into each image as
# /lib/kestrel-vm.sh by make-initramfs.sh; a scenario starts with
#   . /lib/kestrel-vm.sh
# (busybox sh). The host reads what is printed between markers:
#   KESTREL-VM: BEGIN <name> ... KESTREL-VM: END <name>
# and progress as single "KESTREL-VM: <WORD> ... uptime=<s>" lines.

# Seconds since boot (for the uptime= of progress lines).
now() { cut -d' ' -f1 /proc/uptime; }
# section NAME FILE: FILE's lines between the BEGIN/END markers of NAME.
section() { echo "KESTREL-VM: BEGIN $1"; cat "$2"; echo "KESTREL-VM: END $1"; }

# wait_for TENTHS CMD...: runs CMD every 0.1 s until it succeeds; fails
# after TENTHS tries. A deadline, not a measure of speed.
wait_for() {
  tries=$1
  shift
  while ! "$@"; do
    [ "$tries" -gt 0 ] || return 1
    tries=$((tries - 1))
    sleep 0.1
  done
}
# Lines in FILE (0 when it does not exist yet); whether it has more than N.
lines() { if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi; }
more_lines() { [ "$(lines "$1")" -gt "$2" ]; }
