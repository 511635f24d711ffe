#!/usr/bin/env bash
# fetch-kernel.sh — makes sure the VM harness has what it boots with:
# qemu-system-x86_64 and a static busybox on the host, and one of Debian's
# own kernels (linux-image-<version>) unpacked into a cache directory.
#
#   fetch-kernel.sh --cache DIR [--kernel VERSION] [--arch amd64|arm64]
#
# VERSION is a kernel release such as 6.1.0-57-amd64; by default the one
# the `linux-image-<arch>` meta package depends on now. The package is
# fetched with `apt-get download` (not installed on the host) and unpacked
# with `dpkg-deb -x` into DIR/<version>/; a later run finds it there and
# does nothing. For a foreign --arch (arm64 on this amd64 host) apt runs
# with a private state in DIR/apt-<arch>/ (its own package lists; the
# host's dpkg and apt configuration are not touched), qemu-system-aarch64
# is needed instead, and the guest's static busybox (busybox-static:<arch>)
# is unpacked next to the kernel as DIR/<version>/busybox. Prints DIR/<version> on stdout (the kernel dir the other
# scripts take), progress on stderr. Exits non-zero with a message when
# something cannot be had.
set -euo pipefail

cache=""
version=""
arch=amd64
while [[ $# -gt 0 ]]; do
  case "$1" in
    --cache) cache=$2; shift 2 ;;
    --kernel) version=$2; shift 2 ;;
    --arch) arch=$2; shift 2 ;;
    *) echo "fetch-kernel: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -n "$cache" ]] || { echo "fetch-kernel: --cache DIR is required" >&2; exit 2; }
[[ "$arch" == amd64 || "$arch" == arm64 ]] || { echo "fetch-kernel: --arch is amd64 or arm64, not $arch" >&2; exit 2; }
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

log() { echo "fetch-kernel: $*" >&2; }

# Host tools. Only these two packages are installed here (root only); the
# full list lives in scripts/install-deps.sh.
need=()
if [[ "$arch" == arm64 ]]; then
  command -v qemu-system-aarch64 >/dev/null 2>&1 || need+=(qemu-system-arm)
else
  command -v qemu-system-x86_64 >/dev/null 2>&1 || need+=(qemu-system-x86)
fi
# (Debian's plain `busybox` is linked dynamically: the image needs the static one.)
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' || need+=(busybox-static)
if [[ ${#need[@]} -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    log "missing ${need[*]}; run scripts/install-deps.sh as root"
    exit 1
  fi
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 ||
    { apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${need[@]}" >&2; }
fi

# apt for the guest's arch: the host's for amd64; a private state for a
# foreign arch (lists fetched into DIR/apt-<arch>/ on first use).
apt_opts=()
if [[ "$arch" != "$(dpkg --print-architecture)" ]]; then
  state="$cache/apt-$arch"
  apt_opts=(-o "APT::Architecture=$arch" -o "APT::Architectures::=$arch"
    -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache" -o "Dir::State::status=/dev/null")
  if [[ ! -f "$state/.updated" ]]; then
    mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
    log "fetching the $arch package lists into $state"
    apt-get "${apt_opts[@]}" update -qq >&2 || { log "apt-get update for $arch failed"; exit 1; }
    touch "$state/.updated"
  fi
fi
apt_get() { apt-get ${apt_opts[@]+"${apt_opts[@]}"} "$@"; }

# "Depends: linux-image-6.1.0-57-amd64" -> 6.1.0-57-amd64
current_version() {
  apt-cache ${apt_opts[@]+"${apt_opts[@]}"} depends "linux-image-$arch" 2>/dev/null |
    sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*\)$/\1/p' | head -n1
}
pinned=$version
if [[ -z "$version" ]]; then
  version=$(current_version)
  [[ -n "$version" ]] || { log "apt-cache knows no linux-image-$arch (apt-get update?)"; exit 1; }
fi

dir="$cache/$version"
if [[ -f "$dir/vmlinuz" && -d "$dir/modules" ]]; then
  echo "$dir"
  exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/.fetch-XXXXXX")
trap 'rm -rf "$work"' EXIT
log "downloading linux-image-$version"
if ! (cd "$work" && apt_get download "linux-image-$version" >&2 2>/dev/null); then
  # A stale package index names an ABI the mirror has dropped: refresh it
  # and, unless a version was asked for, take the one it names now.
  log "refreshing the package index"
  apt_get update -qq >&2
  [[ -n "$pinned" ]] || version=$(current_version)
  dir="$cache/$version"
  if [[ -f "$dir/vmlinuz" && -d "$dir/modules" ]]; then
    echo "$dir"
    exit 0
  fi
  (cd "$work" && apt_get download "linux-image-$version" >&2) ||
    { log "apt-get download linux-image-$version failed"; exit 1; }
fi
pkg="linux-image-$version"
log "unpacking $pkg"
dpkg-deb -x "$work"/"$pkg"_*.deb "$work/root"
[[ -f "$work/root/boot/vmlinuz-$version" ]] || { log "$pkg holds no boot/vmlinuz-$version"; exit 1; }
mkdir -p "$work/out"
mv "$work/root/boot/vmlinuz-$version" "$work/out/vmlinuz"
mv "$work/root/boot/config-$version" "$work/out/config"
mv "$work/root/lib/modules/$version" "$work/out/modules"
echo "$version" > "$work/out/version"
echo "$arch" > "$work/out/arch"
if [[ "$arch" != "$(dpkg --print-architecture)" ]]; then
  log "downloading busybox-static:$arch for the guest"
  (cd "$work" && apt_get download busybox-static >&2 2>/dev/null) || { log "apt-get download busybox-static:$arch failed"; exit 1; }
  dpkg-deb -x "$work"/busybox-static_*.deb "$work/bb"
  mv "$work/bb/bin/busybox" "$work/out/busybox"
fi
rm -rf "$dir"
mv "$work/out" "$dir"
echo "$dir"
