#!/usr/bin/env bash
# build-module.sh — builds kestrel.ko against the headers of one of
# Debian's own kernels (the one scripts/vm/ boots), without installing
# anything kernel-related on the host.
#
#   build-module.sh --cache DIR --out DIR [--kernel VERSION]
#
# VERSION is a kernel release such as 6.1.0-57-amd64 or
# 6.12.118+deb12-cloud-amd64 (default: the one the linux-image-amd64 meta
# package depends on). linux-headers-VERSION and the -common[-rt] and
# linux-kbuild-* packages it Depends on (6.1: linux-kbuild-6.1; 6.12 from
# bookworm-security: linux-kbuild-6.12.118+deb12; read from apt, never
# guessed) are fetched with
# `apt-get download` and unpacked with `dpkg-deb -x` into
# DIR/headers-VERSION/ once. The module sources are copied to OUT/src (the
# source tree stays clean) and built there; prints the path of kestrel.ko
# on stdout, progress with timings on stderr.
set -euo pipefail

cache=""
out=""
version=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --cache) cache=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --kernel) version=$2; shift 2 ;;
    *) echo "build-module: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -n "$cache" && -n "$out" ]] || { echo "build-module: --cache DIR and --out DIR are required" >&2; exit 2; }

# Absolute paths: kbuild's M= and the rewritten headers Makefile need them.
mkdir -p "$cache" "$out"
cache=$(cd "$cache" && pwd)
out=$(cd "$out" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
start=$(date +%s%N)
log() {
  local ms=$((($(date +%s%N) - start) / 1000000))
  printf 'build-module: [%d.%01ds] %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$*" >&2
}

# "Depends: linux-image-6.1.0-57-amd64" -> 6.1.0-57-amd64 (as fetch-kernel.sh)
current_version() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*\)$/\1/p' | head -n1
}
# Sets hdir and kdir for $version.
set_paths() {
  hdir="$cache/headers-$version"
  kdir="$hdir/usr/src/linux-headers-$version"
}
# Sets pkgs and common from what linux-headers-$version Depends on:
# its linux-headers-*-common[-rt] and linux-kbuild-* packages.
set_packages() {
  local deps
  deps=$(apt-cache depends "linux-headers-$version" 2>/dev/null | sed -n 's/^ *|\{0,1\}Depends: //p')
  common=$(echo "$deps" | grep -m1 '^linux-headers-.*-common\(-rt\)\{0,1\}$' | sed 's/^linux-headers-//')
  local kbuild
  kbuild=$(echo "$deps" | grep -m1 '^linux-kbuild-')
  pkgs=("linux-headers-$version" "linux-headers-$common" "$kbuild")
  [[ -n "$common" && -n "$kbuild" ]]
}
pinned=$version
if [[ -z "$version" ]]; then
  version=$(current_version)
  [[ -n "$version" ]] || { log "apt-cache knows no linux-image-amd64 (apt-get update?)"; exit 1; }
fi
set_paths

if [[ ! -f "$hdir/.complete" ]]; then
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/.headers-XXXXXX")
  trap 'rm -rf "$work"' EXIT
  if ! set_packages || ! log "downloading ${pkgs[*]}" ||
    ! (cd "$work" && apt-get download "${pkgs[@]}" >/dev/null 2>&1); then
    # A stale index names an ABI the mirror has dropped: refresh it and,
    # unless a version was asked for, take the one it names now.
    log "refreshing the package index"
    apt-get update -qq >&2
    if [[ -z "$pinned" ]]; then
      version=$(current_version)
      set_paths
    fi
    set_packages || { log "apt knows no linux-headers-$version (or not its -common/kbuild Depends)"; exit 1; }
    (cd "$work" && apt-get download "${pkgs[@]}" >/dev/null 2>&1) ||
      { log "apt-get download ${pkgs[*]} failed"; exit 1; }
  fi
  rm -rf "$hdir"
  mkdir -p "$hdir"
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$hdir"; done
  # The per-flavour Makefile includes the -common tree by absolute path.
  sed -i "s|/usr/src/linux-headers-$common|$hdir/usr/src/linux-headers-$common|" "$kdir/Makefile"
  touch "$hdir/.complete"
  log "headers unpacked in $hdir"
fi

# The compiler the kernel was built with (its headers' Makefile calls gcc-N).
gcc_major=$(sed -n 's/^CONFIG_GCC_VERSION=\([0-9]*\)[0-9][0-9][0-9][0-9]$/\1/p' "$kdir/.config")
if ! command -v "gcc-$gcc_major" >/dev/null 2>&1; then
  log "gcc-$gcc_major (the compiler of kernel $version) is missing: apt-get install gcc-$gcc_major"
  exit 1
fi

mkdir -p "$out/src"
# -p keeps the sources' times, so make rebuilds only what changed.
cp -p "$here"/module/*.c "$here"/module/*.h "$here"/module/Makefile "$out/src/"
log "building kestrel.ko for $version"
if ! make -s -C "$kdir" M="$out/src" KESTREL_ROOT="$root" modules >"$out/build.log" 2>&1; then
  cat "$out/build.log" >&2
  log "module build failed"
  exit 1
fi
log "built $out/src/kestrel.ko"
echo "$out/src/kestrel.ko"
