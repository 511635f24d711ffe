# forward_vm_scenario.sh — the guest of tests/remote/forward_vm_test.cpp.
# The test prepends KEEP_BUSY=0|1. Loads virtio-serial (Debian builds it as
# modules), runs Kestrel's eBPF source forwarding over /dev/vport0p1 (the
# qemu chardev's unix socket on the host is the host Kestrel's listener),
# reads the secret the host's rule watches, then either keeps spawning
# processes until the host kills this VM (KEEP_BUSY=1) or stops cleanly.
. /lib/kestrel-vm.sh
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_console; do
  /bin/insmod /modules/$m.ko || echo "KESTREL-VM: INSMOD FAILED $m uptime=$(now)"
done
if ! wait_for 100 test -c /dev/vport0p1; then
  echo "KESTREL-VM: NO PORT uptime=$(now)"
  ls -l /dev > /tmp/dev.txt
  section dev /tmp/dev.txt
  exit 1
fi
echo "the host must see this read" > /etc/kestrel-vm-secret
start_collector guest -o engine.kind=ebpf -o containers.enabled=false \
  --forward virtio-serial:///dev/vport0p1 -r /etc/kestrel/forward_vm_rules.yaml || exit 1
/bin/cat /etc/kestrel-vm-secret > /dev/null
echo "KESTREL-VM: WORKLOAD DONE uptime=$(now)"
if [ "$KEEP_BUSY" = 1 ]; then
  # Events keep coming until the host kills this VM mid-stream.
  while :; do /bin/cat /etc/hostname > /dev/null; done
fi
sleep 2
finish_collector guest
