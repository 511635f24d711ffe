#!/bin/sh
# /init of the harness's initramfs (PID 1 in the VM; busybox sh).
# Mounts the pseudo file systems a collector needs, runs /scenario, prints
# its exit code with a marker and powers the VM off. Everything it and the
# scenario print goes to the serial console, which the host captures.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
# The image holds busybox and a `sh` link only; the applet links are made
# here, in one process, rather than by hundreds of `ln` on the host.
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t sysfs sys /sys
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
hostname kestrel-vm
echo "KESTREL-VM: READY uptime=$(cut -d' ' -f1 /proc/uptime) kernel=$(uname -r)"
sh /scenario
echo "KESTREL-VM: SCENARIO EXIT $? uptime=$(cut -d' ' -f1 /proc/uptime)"
sync
poweroff -f
