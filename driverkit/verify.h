// verify.h — `kestrel-driverkit verify`: proves a built module on the
// kernel it was built for, in a VM, and records the verdict in the
// artifact's manifest.
//
// Steps (progress lines on `progress`, one per step):
//   1. read the manifest (required; <artifact stem>.json unless given) and
//      check it describes this artifact (sha256);
//   2. resolve the kernel: a Debian kernel release is fetched with
//      scripts/vm/fetch-kernel.sh into the cache; a path is a bzImage
//      whose directory holds modules/ (fetch-kernel.sh's layout) or whose
//      release has /lib/modules/<release>;
//   3. compare the module's vermagic release with the image's release: a
//      mismatch fails here, without a VM;
//   4. pack an initramfs (scripts/vm/make-initramfs.sh) with the module,
//      the real collector, module_loader, one small module of that kernel
//      for the workload and driverkit/verify_scenario.sh; boot it under
//      qemu TCG (scripts/vm/boot.sh) with a hard timeout;
//   5. read the console: insmod, a capturing collector with
//      engine.kind=kmod, then engine.kind=ebpf, each with the workload;
//      the default rules that fired; events per type from each run's
//      capture (-w, brought out base64-encoded and read with KcapReader);
//      rmmod; any kernel splat in dmesg or on the console.
//
// Pass means all of: insmod ok; the kmod run captured, fired each of
// kRequiredRules and saw each of kRequiredEventTypes; the same for the
// eBPF run; rmmod ok; no splat. Anything else is a fail with one reason
// per failed check.
//
// The verdict is written into the manifest under "verify" (other keys are
// kept as they are):
//   {"status":"pass|fail","kernel":"<uname -r in the VM, or the image's
//    release when no VM ran>","date":"<UTC ISO 8601>","loaded":bool,
//    "events_per_type":{"execve":N,...},"default_rules_fired":[...],
//    "oops":bool,"ebpf":{"loaded":bool,"events_per_type":{...},
//    "default_rules_fired":[...]},"reasons":[...],"vm_seconds":S,
//    "console_log":"<path>"[,"append":"<extra kernel command line>"]}
#pragma once

#include <array>
#include <ostream>
#include <string>
#include <string_view>

namespace kestrel::driverkit {

// The rules of the embedded default ruleset the workload must raise.
inline constexpr std::array<std::string_view, 3> kRequiredRules = {
    "Sensitive File Read By Untrusted Program", "Shell Spawned By Network Service", "Kernel Module Loaded"};
// Event types the workload must produce (any one of a group: open or
// openat, whichever the C library uses).
inline constexpr std::array<std::string_view, 3> kRequiredEventTypes = {"execve", "finit_module", "open|openat"};

struct VerifyOptions {
  std::string artifact;      // the .ko
  std::string kernel_image;  // bzImage path or Debian kernel release
  std::string manifest;      // "" = artifact with .ko replaced by .json
  std::string kestrel;       // the collector binary put into the VM
  std::string module_loader; // static loader for the module-load workload
  std::string cache_dir;     // fetch-kernel.sh's cache
  std::string scripts_dir;   // scripts/vm
  std::string scenario;      // driverkit/verify_scenario.sh
  std::string work_dir;      // "" = <artifact stem>.verify/ (console log, initramfs, captures)
  int timeout_s = 600;       // for the VM
  std::string append;        // extra kernel command line (module.sig_enforce=1)
};

// Exit codes of the subcommand.
inline constexpr int kVerifyPass = 0;
inline constexpr int kVerifyFail = 1;
inline constexpr int kVerifyUsage = 2;

// Runs the steps above. Returns kVerifyPass / kVerifyFail after writing
// the verdict into the manifest, kVerifyUsage (nothing written) when an
// input is missing or unreadable: no artifact, no manifest (verify never
// creates one: `build` writes it), a kernel that cannot be fetched or
// found. Errors go to `progress` with what to do.
int run_verify(const VerifyOptions& options, std::ostream& progress);

}  // namespace kestrel::driverkit
