// vm_run.h — runs one scenario in a VM booted from Debian's own kernel
// (scripts/vm/run-scenario.sh: qemu-system-x86_64 under TCG, an initramfs
// with busybox, the given programs and modules) and reads back what it
// printed on the serial console.
//
// The console carries kernel messages too; a scenario marks what the test
// reads with lines "KESTREL-VM: BEGIN <name>" ... "KESTREL-VM: END <name>"
// and single "KESTREL-VM: <WORD> ..." progress lines (see
// scripts/vm/init.sh, which prints READY and SCENARIO EXIT itself).
//
// Compiled into the test itself, which defines KESTREL_SOURCE_DIR (the
// scripts) and VM_CACHE_DIR (the kernel cache, below the build dir).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kestrel::testing {

struct VmOptions {
  std::string scenario;                  // shell script run as /scenario
  std::vector<std::string> binaries;     // copied to /bin with their shared libraries
  std::vector<std::pair<std::string, std::string>> files;  // host path -> absolute image path
  std::vector<std::string> modules;      // below lib/modules/<ver>/kernel, e.g. "lib/crc7.ko"
  std::string kernel;                    // Debian kernel release; "" = linux-image-<arch>'s
  std::string arch;                      // "amd64" (default) or "arm64" (qemu-system-aarch64, static binaries only)
  int timeout_s = 240;                   // the VM is killed after this
  std::string append;                    // extra kernel command line (module.sig_enforce=1)
  std::vector<std::string> qemu_args;    // extra qemu arguments (a virtio-serial chardev, -name)
  std::string work_dir;                  // console log, initramfs and harness log go here
};

struct VmRun {
  int exit_code = -1;    // run-scenario.sh's: 0 when the VM powered itself off
  std::string console;   // the serial console, '\r' removed
  std::string harness;   // run-scenario.sh's stderr (fetch, timings)
  double wall_s = 0;     // host seconds for the whole run
};

// Runs the scenario; never throws. exit_code says whether it worked.
VmRun run_vm(const VmOptions& options);

// The lines between "KESTREL-VM: BEGIN name" and "KESTREL-VM: END name";
// nullopt when the BEGIN marker is missing.
std::optional<std::vector<std::string>> console_section(const std::string& console, const std::string& name);

// The first console line starting with "KESTREL-VM: <prefix>", or nullopt.
std::optional<std::string> console_marker(const std::string& console, const std::string& prefix);

// The number after "uptime=" in a marker line; -1 when there is none.
double marker_uptime(const std::string& line);

// The kernel's complaints in a console log: one line each (with the line
// after it) for a warning, BUG, oops, general protection fault, call trace,
// lockdep report ("possible circular locking", "inconsistent lock state",
// ...), hung task, UBSAN, KASAN or RCU stall. Every VM test fails on a
// non-empty result, so a splat is never passed over.
std::vector<std::string> kernel_splats(const std::string& console);

// Decodes base64 text (lines as `base64` prints them). A line with a
// character outside the alphabet (a kernel message on the console) is
// skipped; if it cut a base64 line, the check of the result (gzip's crc)
// fails.
std::vector<uint8_t> base64_decode(const std::vector<std::string>& lines);

// The last `n` bytes of `text`, for failure messages.
std::string tail(const std::string& text, size_t n = 4000);

// What a failed VM test prints: the harness's output and the console's
// last CONSOLE_BYTES, naming the full log under the run's work dir.
std::string vm_failure_context(const VmRun& run, const VmOptions& options, size_t console_bytes = 8000);

}  // namespace kestrel::testing
