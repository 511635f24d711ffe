#!/usr/bin/env bash
# run-scenario.sh — one VM run end to end: fetch the kernel (cached), pack
# the initramfs, boot; the console log lands in --log.
#
#   run-scenario.sh --cache DIR --scenario SCRIPT --log FILE
#                   [--kernel VERSION] [--arch amd64|arm64] [--timeout SECONDS] [--append ARGS]
#                   [--binary PATH]... [--file SRC:DEST]... [--module REL]...
#
# The options after the first line are passed on to fetch-kernel.sh,
# boot.sh and make-initramfs.sh (see each). The initramfs is written next
# to the log (FILE.initrd). Prints timings on stderr and exits with
# boot.sh's code (0: the VM powered itself off).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache="" scenario="" log="" kernel="" arch=amd64 timeout_s=180 append=""
qemu_args=()
pack=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --cache) cache=$2; shift 2 ;;
    --scenario) scenario=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --kernel) kernel=$2; shift 2 ;;
    --arch) arch=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --append) append=$2; shift 2 ;;
    --qemu-arg) qemu_args+=(--qemu-arg "$2"); shift 2 ;;
    --binary|--file|--module) pack+=("$1" "$2"); shift 2 ;;
    *) echo "run-scenario: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -n "$cache" && -n "$scenario" && -n "$log" ]] ||
  { echo "run-scenario: --cache, --scenario and --log are required" >&2; exit 2; }

now() { date +%s.%N; }
t0=$(now)
kdir=$("$here/fetch-kernel.sh" --cache "$cache" --arch "$arch" ${kernel:+--kernel "$kernel"})
t1=$(now)
"$here/make-initramfs.sh" --out "$log.initrd" --kernel-dir "$kdir" --scenario "$scenario" ${pack[@]+"${pack[@]}"}
t2=$(now)
rc=0
"$here/boot.sh" --kernel-dir "$kdir" --initrd "$log.initrd" --log "$log" --timeout "$timeout_s" \
  --append "$append" ${qemu_args[@]+"${qemu_args[@]}"} || rc=$?
t3=$(now)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v k="$(cat "$kdir/version")" -v rc="$rc" 'BEGIN {
  printf "run-scenario: kernel %s fetch %.1fs, initramfs %.1fs, vm %.1fs, exit %d\n", k, b-a, c-b, d-c, rc }' >&2
exit "$rc"
