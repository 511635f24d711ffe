# scenario-lib.sh — what the VM scenarios share, packed into each image as
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

# start_collector NAME ARGS...: starts kestrel in the background (pid in
# $kpid) with JSON alerts to /tmp/NAME.alerts, stderr to /tmp/NAME.err and
# a metrics snapshot a second to /tmp/NAME.metrics, and waits for its
# "kestrel: capturing" line. Prints "CAPTURING NAME" only then; otherwise
# "NOT CAPTURING NAME", stops it, shows its log and fails.
start_collector() {
  name=$1
  shift
  kestrel -o json_output=true -o metrics.enabled=true -o metrics.interval=1s \
    -o metrics.kestrel_output_file=/tmp/$name.metrics "$@" >/tmp/$name.alerts 2>/tmp/$name.err &
  kpid=$!
  if ! wait_for 1200 sh -c "grep -q 'kestrel: capturing' /tmp/$name.err || ! kill -0 $kpid 2>/dev/null" ||
    ! grep -q 'kestrel: capturing' /tmp/$name.err; then
    echo "KESTREL-VM: NOT CAPTURING $name uptime=$(now)"
    kill -TERM "$kpid" 2>/dev/null
    wait "$kpid"
    echo "KESTREL-VM: COLLECTOR EXIT $name $? uptime=$(now)"
    section $name.err /tmp/$name.err
    return 1
  fi
  echo "KESTREL-VM: CAPTURING $name uptime=$(now)"
}

# stop_collector NAME [SIGNAL]: stops the collector start_collector started
# (SIGTERM drains the rings into alerts and capture) and prints
# "COLLECTOR EXIT NAME <code>".
stop_collector() {
  kill -"${2:-TERM}" "$kpid"
  wait "$kpid"
  echo "KESTREL-VM: COLLECTOR EXIT $1 $? uptime=$(now)"
}

# last_metrics NAME: the collector's last metrics snapshot as section
# NAME.metrics.
last_metrics() {
  echo "KESTREL-VM: BEGIN $1.metrics"
  tail -n 1 /tmp/$1.metrics
  echo "KESTREL-VM: END $1.metrics"
}

# finish_collector NAME: stops collector NAME and brings out what it wrote:
# sections NAME.err, NAME.alerts and NAME.metrics (its last snapshot).
finish_collector() {
  stop_collector $1
  section $1.err /tmp/$1.err
  section $1.alerts /tmp/$1.alerts
  last_metrics $1
}
