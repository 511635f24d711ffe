# kmod_arm64_scenario.sh — the VM scenario of kmod_arm64_vm_test (arm64
# guest under qemu-system-aarch64 TCG; busybox sh as root).
#
# The collector is built for the host only, so the module's records are
# read by kmod_ring_dump (a static aarch64 C reader): it starts capture of
# every type the module supports with the arm64 syscall map the host wrote
# from libseccomp, runs /workload.sh, and saves the raw records, which go
# back to the host gzip|base64 on the console for the conformance check.
. /lib/kestrel-vm.sh  # now, section, wait_for, lines, start_collector, ... (scripts/vm/scenario-lib.sh)

/bin/insmod /kestrel.ko
echo "KESTREL-VM: INSMOD $? uptime=$(now)"
echo "KESTREL-VM: BEGIN dump"
kmod_ring_dump /etc/kestrel/syscall-map /tmp/records.bin -- /bin/sh /workload.sh
echo "KESTREL-VM: END dump"
echo "KESTREL-VM: DUMP EXIT $? uptime=$(now)"
/bin/rmmod kestrel
echo "KESTREL-VM: RMMOD $? uptime=$(now)"
gzip -c /tmp/records.bin | base64 > /tmp/records.b64
section records.gz.b64 /tmp/records.b64
