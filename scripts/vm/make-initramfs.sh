#!/usr/bin/env bash
# make-initramfs.sh — packs a self-contained initramfs (cpio newc, gzip) for
# the VM harness: static busybox with all its applets, /init (init.sh), the
# scenario, programs with every shared library ldd lists for them, kernel
# modules from the kernel dir, and any extra files. The busybox is the
# kernel dir's own (DIR/busybox: a foreign-arch guest's, see
# fetch-kernel.sh --arch) or else the host's /bin/busybox.
#
#   make-initramfs.sh --out FILE --kernel-dir DIR --scenario SCRIPT
#                     [--binary PATH]...       copied to /bin/<name>, plus its libraries
#                     [--file SRC:DEST]...     SRC copied to DEST (absolute, in the image)
#                     [--module REL]...        DIR/modules/kernel/REL[.xz|.zst] -> /modules/<name>.ko
#
# Modules are stored decompressed (a plain ELF), so a scenario can hand
# them to init_module(2) as they are. The scenario runs as `sh /scenario`
# with / as the image; see init.sh for what is mounted.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out="" kdir="" scenario=""
binaries=() files=() modules=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --kernel-dir) kdir=$2; shift 2 ;;
    --scenario) scenario=$2; shift 2 ;;
    --binary) binaries+=("$2"); shift 2 ;;
    --file) files+=("$2"); shift 2 ;;
    --module) modules+=("$2"); shift 2 ;;
    *) echo "make-initramfs: unknown argument $1" >&2; exit 2 ;;
  esac
done
die() { echo "make-initramfs: $*" >&2; exit 1; }
[[ -n "$out" && -n "$kdir" && -n "$scenario" ]] || die "--out, --kernel-dir and --scenario are required"
[[ -f "$scenario" ]] || die "no scenario $scenario"
busybox=/bin/busybox
[[ -f "$kdir/busybox" ]] && busybox="$kdir/busybox"
[[ -x /bin/busybox ]] || die "no /bin/busybox (busybox-static; see fetch-kernel.sh)"
! ldd "$busybox" >/dev/null 2>&1 || die "$busybox is linked dynamically: install busybox-static"

stage=$(mktemp -d "${TMPDIR:-/tmp}/kestrel-initramfs-XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,run,etc,root,modules,lib64}

cp "$busybox" "$stage/bin/busybox"
chmod 755 "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"  # /init's interpreter; init.sh links the other applets
cp "$here/init.sh" "$stage/init"
cp "$scenario" "$stage/scenario"
mkdir -p "$stage/lib"
cp "$here/scenario-lib.sh" "$stage/lib/kestrel-vm.sh"  # the scenarios' shared helpers
chmod 755 "$stage/init" "$stage/scenario"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$stage/etc/passwd"
printf 'root:x:0:\n' > "$stage/etc/group"

# A library goes where the host has it, so the loader's default search
# path (Debian's multiarch dirs) finds it without an ld.so.cache.
copy_with_libs() {
  local bin=$1
  [[ -x "$bin" ]] || die "no executable $bin"
  cp -L "$bin" "$stage/bin/$(basename "$bin")"
  local libs
  # (ldd fails on a static binary: no libraries then)
  libs=$( (ldd "$bin" 2>/dev/null || true) | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (0x.*/\1/p')
  [[ -z "$libs" ]] || cp -L --parents $libs "$stage/"
}
for b in ${binaries[@]+"${binaries[@]}"}; do copy_with_libs "$b"; done

for f in ${files[@]+"${files[@]}"}; do
  src=${f%%:*} dest=${f#*:}
  [[ -e "$src" && "$dest" == /* ]] || die "bad --file $f (SRC must exist, DEST be absolute)"
  mkdir -p "$stage$(dirname "$dest")"
  cp -L "$src" "$stage$dest"
done

for m in ${modules[@]+"${modules[@]}"}; do
  base="$kdir/modules/kernel/${m%.ko}"
  name=$(basename "${m%.ko}").ko
  if [[ -f "$base.ko" ]]; then cp "$base.ko" "$stage/modules/$name"
  elif [[ -f "$base.ko.xz" ]]; then xz -dc "$base.ko.xz" > "$stage/modules/$name"
  elif [[ -f "$base.ko.zst" ]]; then zstd -qdc "$base.ko.zst" > "$stage/modules/$name"
  elif [[ -f "$base.ko.gz" ]]; then gzip -dc "$base.ko.gz" > "$stage/modules/$name"
  else die "no module $m below $kdir/modules/kernel"
  fi
done

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | /bin/busybox cpio -o -H newc -R 0:0 2>/dev/null) |
  gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
