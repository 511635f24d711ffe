#!/usr/bin/env bash
# Installs the Debian packages Kestrel needs to build and test, and nothing
# else. Idempotent: packages already present are skipped, and `apt-get update`
# runs at most once per invocation (only when something is missing).
set -euo pipefail

# Build toolchain and libraries (Debian 12 names).
BUILD_PKGS=(
  build-essential cmake ninja-build ccache pkg-config python3
  clang llvm libclang-rt-14-dev bpftool libbpf-dev libelf-dev zlib1g-dev libzstd-dev
  libyaml-cpp-dev libre2-dev libseccomp-dev
  libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc
  capnproto libcapnp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev libspdlog-dev
  libcurl4-openssl-dev libcpp-httplib-dev
  liblzma-dev liblz4-dev  # kestrel-crawler reads Packages indexes as .xz (mirrors) and .lz4 (apt's lists); .gz via zlib1g-dev
  libsqlite3-dev  # the alert store (store/): alerts and drop/health events in SQLite, WAL mode
  libnats-dev  # the NATS JetStream output and source (outputs/nats, sources/nats): the C client (nats.c)
  libmimalloc-dev  # the kestrel executable's malloc (app/allocator.h)
  libssl-dev  # Debian's cpp-httplib is built with CPPHTTPLIB_OPENSSL_SUPPORT: its header includes OpenSSL's
)

# Peers and workloads the live tests drive for real. qemu-system-x86 and
# busybox-static boot Debian's own kernel for the VM tests (tests/vm/,
# scripts/vm/), which fetch that kernel themselves. gcc-12 is the compiler
# Debian's 6.1 and bookworm 6.12 kernels were built with: kestrel-driverkit builds kestrel.ko with it against headers they fetch
# themselves (tests/kmod/, tests/driverkit/); gcc-aarch64-linux-gnu
# cross-builds the arm64 module; kmod (modinfo) reads the built module's
# vermagic and signature, file names its ELF machine. dwarves (pahole): the
# kbuild of 6.12 kernels (CONFIG_DEBUG_INFO_BTF_MODULES) calls pahole when
# linking an external module and fails without it.
TEST_PKGS=(
  procps iproute2 netcat-openbsd runsc
  docker.io  # tests/containers/: a private dockerd (own data root and socket) running runc and runsc containers
  openssl  # the k8saudit webhook TLS test makes a throwaway certificate; driverkit's signing test a key
  qemu-system-x86 busybox-static
  gcc-12 dwarves
  keyutils  # keyctl: the module-signing VM test tries to enroll a key at run time
  kmod file  # modinfo, file: kestrel-driverkit reads and checks what it built
  sysdig  # the independent .scap reader the scap differential test compares Kestrel with; bench/scap_side_by_side runs it on scap.ko in the VM (falcosecurity-scap-dkms is only apt-get download-ed there, never installed)
  chromium  # the web console browser test (tests/console/): headless, DevTools protocol, screenshot
  nats-server  # tests/fleet/: a real three-node JetStream cluster on loopback ports
  curl  # falco_config_live_test asks the webserver for /healthz and /metrics
  python3-yaml  # tests that read Falco's regression definitions whole-process (tests/falco_corpus/, tests/app/*_cli_test.py)
  # arm64: the module cross-built (kestrel-driverkit) and its guest (kmod_arm64_vm_test)
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm
)

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: must run as root (apt-get install)" >&2
  exit 1
fi

missing=()
# Node.js and npm run the independent gRPC client test (@grpc/grpc-js from
# the npm registry). Any node/npm on PATH will do (a machine may carry
# NodeSource's nodejs, which bundles npm); else Debian's.
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi
for pkg in "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}" "$@"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

# containerd's gRPC API (state/containers/containerd_*): its .proto files as
# Debian ships them, in golang-github-containerd-containerd-dev, with the
# gogo options and well-known types they import. Installing that package
# would pull ~110 Go source packages and upgrade systemd, for a handful of
# .proto files, so its files (and its two proto dependencies') are unpacked
# from the packages apt downloads into CONTAINERD_PROTO_ROOT; state/CMakeLists.txt
# generates the C++ from there (or from /usr/share/gocode/src when the
# package is installed for real).
CONTAINERD_PROTO_ROOT=/usr/local/share/kestrel/gocode
CONTAINERD_PROTO_PKGS=(golang-github-containerd-containerd-dev golang-github-gogo-protobuf-dev golang-github-gogo-googleapis-dev)
containerd_protos_present() {
  [[ -f $CONTAINERD_PROTO_ROOT/src/github.com/containerd/containerd/api/services/containers/v1/containers.proto &&
     -f $CONTAINERD_PROTO_ROOT/src/github.com/gogo/protobuf/gogoproto/gogo.proto ]]
}
unpack_containerd_protos() {
  local tmp
  tmp=$(mktemp -d)
  chmod 755 "$tmp"
  if id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi  # apt downloads as _apt
  # No package lists yet (a fresh machine where nothing else was missing): fetch them once.
  (cd "$tmp" && { apt-get download -qq "${CONTAINERD_PROTO_PKGS[@]}" 2>/dev/null ||
                  { apt-get update -qq && apt-get download -qq "${CONTAINERD_PROTO_PKGS[@]}"; }; })
  mkdir -p "$tmp/root"
  for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/root"; done
  mkdir -p "$CONTAINERD_PROTO_ROOT"
  rm -rf "$CONTAINERD_PROTO_ROOT/src"
  mv "$tmp/root/usr/share/gocode/src" "$CONTAINERD_PROTO_ROOT/src"
  rm -rf "$tmp"
  echo "install-deps: containerd API protos unpacked into $CONTAINERD_PROTO_ROOT/src"
}

# The CRI API (state/containers/cri_*): k8s.io/cri-api's runtime/v1 api.proto
# is in no Debian binary package, but containerd's source package vendors it.
# `apt-get source --download-only` fetches that source through a private
# deb-src list (apt checks the .dsc and the tarballs against the signed
# Sources index); only api.proto is extracted, at its Go import path in
# the same tree. ~2 MB (the orig tarball) plus the Sources index (~10 MB).
CRI_PROTO=src/k8s.io/cri-api/pkg/apis/runtime/v1/api.proto
cri_proto_present() { [[ -f $CONTAINERD_PROTO_ROOT/$CRI_PROTO ]]; }
unpack_cri_proto() {
  local tmp apt_opts orig
  tmp=$(mktemp -d)
  mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/src"
  chmod -R 755 "$tmp"
  if id _apt >/dev/null 2>&1; then chown -R _apt "$tmp"; fi  # apt downloads as _apt
  echo "deb-src http://deb.debian.org/debian bookworm main" >"$tmp/sources.list"
  apt_opts=(-qq -o "Dir::Etc::SourceList=$tmp/sources.list" -o Dir::Etc::SourceParts=/dev/null
            -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache")
  if ! apt-get "${apt_opts[@]}" update ||
     ! (cd "$tmp/src" && apt-get "${apt_opts[@]}" source --download-only containerd); then
    echo "install-deps: could not fetch containerd's Debian source package (for the CRI api.proto)" >&2
    rm -rf "$tmp"
    return 1
  fi
  orig=$(ls "$tmp"/src/containerd_*.orig.tar.* | head -1)
  if ! tar -xf "$orig" -C "$tmp/src" --wildcards --strip-components=1 '*/vendor/k8s.io/cri-api/pkg/apis/runtime/v1/api.proto'; then
    echo "install-deps: $orig has no vendor/k8s.io/cri-api/pkg/apis/runtime/v1/api.proto" >&2
    rm -rf "$tmp"
    return 1
  fi
  mkdir -p "$(dirname "$CONTAINERD_PROTO_ROOT/$CRI_PROTO")"
  mv "$tmp/src/vendor/k8s.io/cri-api/pkg/apis/runtime/v1/api.proto" "$CONTAINERD_PROTO_ROOT/$CRI_PROTO"
  rm -rf "$tmp"
  echo "install-deps: CRI api.proto (from $(basename "$orig")) unpacked into $CONTAINERD_PROTO_ROOT/$CRI_PROTO"
}

if [[ ${#missing[@]} -eq 0 ]]; then
  containerd_protos_present || unpack_containerd_protos
  cri_proto_present || unpack_cri_proto
  echo "install-deps: all ${#BUILD_PKGS[@]} build and ${#TEST_PKGS[@]} test packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
containerd_protos_present || unpack_containerd_protos
cri_proto_present || unpack_cri_proto
