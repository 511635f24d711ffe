#!/usr/bin/env bash
# run-differential.sh — runs the differential VM test (module vs eBPF probe,
# kmod_differential_vm_test) with a given kestrel.ko and collector, e.g. the
# builds of another branch:
#
#   tests/kmod/run-differential.sh --ko PATH --kestrel PATH [--workload PATH]
#                                  [--out DIR] [--build DIR]
#
#   --ko        kestrel.ko built for the VM kernel (kestrel-driverkit build
#               --target debian --kernelrelease <VM kernel>); default:
#               the test builds this tree's module
#   --kestrel   the collector binary speaking that module's ABI; default: the
#               build dir's app/kestrel
#   --workload  the every_event binary; default: the build dir's
#   --out       where the console log, both captures (kmod.kcap.gz,
#               ebpf.kcap.gz) and table.txt go; default: below the build dir
#   --build     the build dir holding the test binary (default: this
#               tree's build/)
#
# The per-type table (type, records kmod, records ebpf, match) is printed
# on stdout and written to OUT/table.txt. Exit status: the test's (0 only
# when every type matches). Takes the shared lock (/tmp/kestrel-heavy.lock)
# for the VM run.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=$here/build
ko='' kestrel='' workload='' out=''
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --ko) ko=$(abs "$2"); shift 2 ;;
    --kestrel) kestrel=$(abs "$2"); shift 2 ;;
    --workload | --loader) workload=$(abs "$2"); shift 2 ;;
    --out) out=$(abs "$2"); shift 2 ;;
    --build) build=$(abs "$2"); shift 2 ;;
    -h | --help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "run-differential.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
test_bin=$build/tests/kmod/kmod_differential_vm_test
if [[ ! -x $test_bin ]]; then
  echo "run-differential.sh: $test_bin is missing: build it first (ninja -C $build kmod_differential_vm_test)" >&2
  exit 2
fi
for f in "$ko" "$kestrel" "$workload"; do
  if [[ -n $f && ! -f $f ]]; then
    echo "run-differential.sh: $f does not exist" >&2
    exit 2
  fi
done
[[ -z $out ]] || mkdir -p "$out"
exec env KESTREL_DIFF_KO="$ko" KESTREL_DIFF_KESTREL="$kestrel" KESTREL_DIFF_WORKLOAD="$workload" \
  KESTREL_DIFF_OUT="$out" flock /tmp/kestrel-heavy.lock "$test_bin"
