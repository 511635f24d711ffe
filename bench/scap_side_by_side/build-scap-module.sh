#!/usr/bin/env bash
# build-scap-module.sh — builds Falco's kernel driver of the seed era,
# scap.ko from Debian's falcosecurity-scap-dkms (the falcosecurity libs
# driver, 2022; the one Debian's sysdig reads), for the VM's kernel:
#
#   build-scap-module.sh --kernel-dir KDIR --out DIR
#
# KDIR is a prepared headers tree of that kernel (the one kestrel-driverkit
# unpacked to build kestrel.ko). The package is fetched with
# `apt-get download` into DIR (not installed: its dkms hook would build for
# the running kernel) and unpacked with dpkg-deb -x; the source is built out
# of tree with the kernel's own kbuild (make -C KDIR M=...) and the GCC named
# by the kernel's CONFIG_CC_VERSION_TEXT, as driverkit builds ours. A
# second run with the same package and kernel reuses DIR/scap.ko. Prints the
# path of scap.ko on stdout, progress on stderr; the make output goes to
# DIR/build.log.
set -euo pipefail

kdir="" out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --kernel-dir) kdir=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "build-scap-module: unknown argument $1" >&2; exit 2 ;;
  esac
done
die() { echo "build-scap-module: $*" >&2; exit 1; }
[[ -n "$kdir" && -n "$out" ]] || die "--kernel-dir and --out are required"
[[ -f "$kdir/.config" && -f "$kdir/Makefile" ]] || die "$kdir is not a prepared kernel headers tree (.config, Makefile)"
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The GCC the kernel was built with: CONFIG_CC_VERSION_TEXT="gcc-12 (Debian ...) 12.2.0".
cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' "$kdir/.config")
[[ -n "$cc" ]] || die "$kdir/.config names no compiler (CONFIG_CC_VERSION_TEXT)"
command -v "$cc" >/dev/null || die "the kernel was built with $cc, which is not installed"
release=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' "$kdir/include/generated/utsrelease.h" 2>/dev/null || true)

deb=$(ls "$out"/falcosecurity-scap-dkms_*.deb 2>/dev/null | head -n1 || true)
if [[ -z "$deb" ]]; then
  echo "build-scap-module: downloading falcosecurity-scap-dkms" >&2
  (cd "$out" && apt-get download falcosecurity-scap-dkms >&2 2>"$out/apt.log") ||
    die "apt-get download falcosecurity-scap-dkms failed: $(tail -n 3 "$out/apt.log")"
  deb=$(ls "$out"/falcosecurity-scap-dkms_*.deb | head -n1)
fi
stamp="$(basename "$deb") $release"
if [[ -f "$out/scap.ko" && "$(cat "$out/built-for" 2>/dev/null)" == "$stamp" ]]; then
  echo "$out/scap.ko"
  exit 0
fi

rm -rf "$out/root" "$out/src" "$out/scap.ko" "$out/built-for"
dpkg-deb -x "$deb" "$out/root"
src=$(ls -d "$out"/root/usr/src/scap-* 2>/dev/null | head -n1)
[[ -n "$src" && -f "$src/Makefile" ]] || die "$deb holds no usr/src/scap-*/Makefile"
mv "$src" "$out/src"
echo "build-scap-module: building $(basename "$deb") against $kdir with $cc" >&2
make -j2 -C "$kdir" M="$out/src" CC="$cc" modules >"$out/build.log" 2>&1 ||
  die "make failed (all in $out/build.log):
$(tail -n 20 "$out/build.log")"
[[ -f "$out/src/scap.ko" ]] || die "make succeeded but left no scap.ko (see $out/build.log)"
cp "$out/src/scap.ko" "$out/scap.ko"
echo "$stamp" > "$out/built-for"
echo "$out/scap.ko"
