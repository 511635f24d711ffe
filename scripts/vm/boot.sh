#!/usr/bin/env bash
# boot.sh — boots a kernel with an initramfs in qemu under TCG (software
# emulation: -enable-kvm hangs on this host) and captures the serial
# console: qemu-system-x86_64, or qemu-system-aarch64 (-M virt) when the
# kernel dir says arm64 (DIR/arch, written by fetch-kernel.sh --arch).
#
#   boot.sh --kernel-dir DIR --initrd FILE --log FILE
#           [--timeout SECONDS (180)] [--mem SIZE (2G)] [--append ARGS]
#           [--qemu-arg ARG]... (devices: a virtio-serial chardev, -name)
#
# The VM has no disk and no network; it ends when /init powers it off
# (-no-reboot turns a panic's reboot into an exit, panic=-1 reboots at
# once). Exits 0 when the VM stopped by itself, 124 when the timeout killed
# it, qemu's code otherwise. The console log is written to FILE as it runs.
set -euo pipefail

kdir="" initrd="" log="" timeout_s=180 mem=2G extra=""
qemu_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --kernel-dir) kdir=$2; shift 2 ;;
    --initrd) initrd=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --append) extra=$2; shift 2 ;;
    --qemu-arg) qemu_args+=("$2"); shift 2 ;;
    *) echo "boot: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -f "$kdir/vmlinuz" && -f "$initrd" && -n "$log" ]] ||
  { echo "boot: need --kernel-dir (with vmlinuz), --initrd and --log" >&2; exit 2; }

arch=amd64
[[ -f "$kdir/arch" ]] && arch=$(cat "$kdir/arch")
case "$arch" in
  amd64) qemu=(qemu-system-x86_64) console=ttyS0 ;;
  arm64) qemu=(qemu-system-aarch64 -M virt -cpu max) console=ttyAMA0 ;;
  *) echo "boot: unknown arch $arch in $kdir/arch" >&2; exit 2 ;;
esac
# -serial file: the console goes to the log only, nothing to our stdio.
exec timeout --kill-after=5 "$timeout_s" "${qemu[@]}" -accel tcg -m "$mem" -smp 1 \
  -display none -monitor none -serial "file:$log" -no-reboot \
  -kernel "$kdir/vmlinuz" -initrd "$initrd" \
  -append "console=$console panic=-1 quiet loglevel=3 $extra" ${qemu_args[@]+"${qemu_args[@]}"}
