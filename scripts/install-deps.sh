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
  sysdig  # the independent .scap reader the scap differential test compares Kestrel with
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

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#BUILD_PKGS[@]} build and ${#TEST_PKGS[@]} test packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
