// `kestrel-driverkit verify` end to end, the real binary on real kernels:
// Debian 12's 6.1 (6.1.0-57-amd64, what scripts/vm/ boots by default) and
// the newest 6.12 cloud kernel of bookworm-security that apt knows. Each
// boots in qemu under TCG with the module and the collector; the verdict
// (module AND eBPF probe, same VM) is read back from the manifest.
//
// Artifacts are made by `kestrel-driverkit build --target debian` (the
// build test's warm cache): kestrel_debian_<release>_1.ko and its manifest.
//
// Also: verify fails, without a VM, for a module built for another
// release; refuses (exit 2) an artifact without a manifest; and a kernel
// booted with module.sig_enforce=1 refuses an unsigned module and one
// signed with a key that is not enrolled, while Debian's own signed module
// loads (DriverkitSigning).
//
// Needs root, apt and qemu; fails, never skips, when anything is missing.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/run_command.h"
#include "tests/vm/vm_expect.h"
#include "tests/vm/vm_run.h"

namespace kestrel::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const std::string kSrc = KESTREL_SOURCE_DIR;
const std::string kWork = VERIFY_WORK_DIR;
constexpr const char* kDebian61 = "6.1.0-57-amd64";

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The newest linux-image-6.12.*+deb12-cloud-amd64 apt knows, as a release.
std::string newest_612_cloud() {
  auto [code, out] = run_command(
      "apt-cache search --names-only '^linux-image-6\\.12\\.[0-9]+\\+deb12-cloud-amd64$' | cut -d' ' -f1 | "
      "sed 's/^linux-image-//' | sort -V | tail -n1");
  return code == 0 ? trimmed(out) : "";
}

struct Artifact {
  std::string ko, manifest;
};

// kestrel_debian_<release>_1.ko with its manifest in `dir`, built by
// kestrel-driverkit. Fails the test (returns empty paths) when it cannot
// be built.
Artifact make_artifact(const std::string& release, const std::string& dir) {
  fs::create_directories(dir);
  const std::string stem = dir + "/kestrel_debian_" + release + "_1";
  auto start = std::chrono::steady_clock::now();
  auto [code, out] = run_command(std::string(DRIVERKIT_BINARY) + " build --target debian --kernelrelease '" + release +
                                 "' --cache " DRIVERKIT_CACHE_DIR " --output-module '" + stem + ".ko' 2>&1");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(code, 0) << "kestrel-driverkit build --kernelrelease " << release << " failed:\n" << tail(out);
  if (code != 0) return {};
  std::printf("module for %s built in %.1fs\n", release.c_str(), secs);
  EXPECT_TRUE(fs::exists(stem + ".json")) << out;
  return {stem + ".ko", stem + ".json"};
}

struct VerifyRun {
  int code = -1;
  std::string output;
  double seconds = 0;
  json manifest;
};

VerifyRun verify(const Artifact& a, const std::string& kernel_image, const std::string& extra = "") {
  VerifyRun r;
  auto start = std::chrono::steady_clock::now();
  auto [code, out] = run_command(std::string(DRIVERKIT_BINARY) + " verify '" + a.ko + "' --kernel-image '" +
                                 kernel_image + "' --timeout 600 " + extra + " 2>&1");
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.code = code;
  r.output = out;
  r.manifest = json::parse(read_text(a.manifest), nullptr, false);
  std::printf("verify %s on %s: exit %d in %.1fs\n", fs::path(a.ko).filename().c_str(), kernel_image.c_str(), code,
              r.seconds);
  return r;
}

// What a pass must show for the module run (`v`) or the probe run
// (`v["ebpf"]`): the workload's three default rules and its event types.
void expect_run_proven(const json& run, const std::string& what, const std::string& context) {
  SCOPED_TRACE(what);
  EXPECT_EQ(run.value("loaded", false), true) << context;
  const json& rules = run["default_rules_fired"];
  for (const char* rule :
       {"Sensitive File Read By Untrusted Program", "Shell Spawned By Network Service", "Kernel Module Loaded"})
    EXPECT_NE(std::find(rules.begin(), rules.end(), rule), rules.end()) << rule << context;
  const json& types = run["events_per_type"];
  ASSERT_TRUE(types.is_object()) << context;
  EXPECT_GE(types.value("execve", 0), 3) << context;  // cat, nc, sh -c at least
  EXPECT_GE(types.value("finit_module", 0), 1) << context;
  EXPECT_GE(types.value("openat", 0) + types.value("open", 0), 1) << context;
  EXPECT_GE(types.value("procexit", 0), 3) << context;
}

void expect_pass(const std::string& release) {
  ASSERT_EQ(geteuid(), 0u) << "the VM test fetches packages and runs qemu as root";
  ASSERT_FALSE(release.empty()) << "apt-cache knows no such kernel (apt-get update?)";
  Artifact a = make_artifact(release, kWork + "/pass-" + release);
  ASSERT_FALSE(a.ko.empty());
  VerifyRun r = verify(a, release);
  const std::string context = "\n--- kestrel-driverkit verify ---\n" + tail(r.output, 6000);
  EXPECT_EQ(r.code, 0) << context;
  ASSERT_TRUE(r.manifest.is_object()) << context;
  // build's keys are kept as they were.
  EXPECT_EQ(r.manifest.value("schema", ""), "kestrel-driverkit-manifest/1");
  EXPECT_EQ(r.manifest.value("kernelrelease", ""), release);
  EXPECT_TRUE(r.manifest.contains("signed") && r.manifest["signed"].is_null()) << r.manifest.dump(2);  // unsigned
  ASSERT_TRUE(r.manifest.contains("verify") && r.manifest["verify"].is_object()) << r.manifest.dump(2);
  const json& v = r.manifest["verify"];
  const std::string shown = context + "\n--- verify ---\n" + v.dump(2);
  EXPECT_EQ(v.value("status", ""), "pass") << shown;
  EXPECT_EQ(v.value("kernel", ""), release) << shown;  // uname -r in the VM
  EXPECT_EQ(v.value("oops", true), false) << shown;
  EXPECT_TRUE(v["reasons"].is_array() && v["reasons"].empty()) << shown;
  EXPECT_FALSE(v.value("date", "").empty()) << shown;
  expect_run_proven(v, "kmod", shown);
  expect_run_proven(v["ebpf"], "ebpf", shown);
  // The console the verdict was read from, kept for the operator.
  const std::string console = read_text(v.value("console_log", ""));
  EXPECT_NE(console.find("KESTREL-VM: INSMOD 0 "), std::string::npos) << shown;
  EXPECT_NE(console.find("KESTREL-VM: RMMOD 0 "), std::string::npos) << shown;
  std::printf("%s: VM %.1fs, kmod %zu event types, ebpf %zu event types\n", release.c_str(),
              v.value("vm_seconds", 0.0), v["events_per_type"].size(), v["ebpf"]["events_per_type"].size());
  ::testing::Test::RecordProperty("verify_s", std::to_string(r.seconds));
}

TEST(DriverkitVerify, Debian61ModuleAndProbePass) { expect_pass(kDebian61); }

TEST(DriverkitVerify, Debian612CloudModuleAndProbePass) { expect_pass(newest_612_cloud()); }

// A module built for 6.1 against the 6.12 image, given as a vmlinuz path:
// refused on its vermagic before any VM boots, and the verdict recorded.
TEST(DriverkitVerify, VermagicMismatchFailsWithoutBooting) {
  ASSERT_EQ(geteuid(), 0u);
  const std::string other = newest_612_cloud();
  ASSERT_FALSE(other.empty());
  auto [fc, kdir] = run_command(kSrc + "/scripts/vm/fetch-kernel.sh --cache " VM_CACHE_DIR " --kernel '" + other +
                                "' 2>/dev/null");
  ASSERT_EQ(fc, 0) << "cannot fetch " << other;
  Artifact a = make_artifact(kDebian61, kWork + "/mismatch");
  ASSERT_FALSE(a.ko.empty());
  fs::remove_all(fs::path(a.ko).replace_extension(".verify"));
  VerifyRun r = verify(a, trimmed(kdir) + "/vmlinuz");
  const std::string context = "\n--- kestrel-driverkit verify ---\n" + r.output;
  EXPECT_EQ(r.code, 1) << context;
  ASSERT_TRUE(r.manifest.is_object() && r.manifest["verify"].is_object()) << context;
  const json& v = r.manifest["verify"];
  EXPECT_EQ(v.value("status", ""), "fail") << v.dump(2);
  EXPECT_EQ(v.value("loaded", true), false) << v.dump(2);
  EXPECT_EQ(v.value("kernel", ""), other) << v.dump(2);
  ASSERT_TRUE(v["reasons"].is_array() && v["reasons"].size() == 1) << v.dump(2);
  const std::string reason = v["reasons"][0];
  EXPECT_NE(reason.find("vermagic"), std::string::npos) << reason;
  EXPECT_NE(reason.find(kDebian61), std::string::npos) << reason;
  EXPECT_NE(reason.find(other), std::string::npos) << reason;
  EXPECT_FALSE(fs::exists(fs::path(a.ko).replace_extension(".verify") / "console.log")) << "a VM was booted";
  EXPECT_LT(r.seconds, 30) << "decided before booting";
}

// A module the kernel refuses to load (unsigned, the kernel booted with
// module.sig_enforce=1): a fail naming insmod's error; the eBPF probe is
// still proven in the same VM.
TEST(DriverkitVerify, ModuleThatFailsToLoadFails) {
  ASSERT_EQ(geteuid(), 0u);
  Artifact a = make_artifact(kDebian61, kWork + "/refused");
  ASSERT_FALSE(a.ko.empty());
  VerifyRun r = verify(a, kDebian61, "--append module.sig_enforce=1");
  const std::string context = "\n--- kestrel-driverkit verify ---\n" + tail(r.output, 6000);
  EXPECT_EQ(r.code, 1) << context;
  ASSERT_TRUE(r.manifest.is_object() && r.manifest["verify"].is_object()) << context;
  const json& v = r.manifest["verify"];
  EXPECT_EQ(v.value("status", ""), "fail") << v.dump(2);
  EXPECT_EQ(v.value("loaded", true), false) << v.dump(2);
  EXPECT_EQ(v.value("kernel", ""), kDebian61) << v.dump(2);
  EXPECT_EQ(v.value("append", ""), "module.sig_enforce=1") << v.dump(2);
  ASSERT_TRUE(v["reasons"].is_array() && v["reasons"].size() == 1) << v.dump(2);
  const std::string reason = v["reasons"][0];
  EXPECT_NE(reason.find("insmod failed"), std::string::npos) << reason;
  EXPECT_NE(reason.find("Key was rejected by service"), std::string::npos) << reason;
  expect_run_proven(v["ebpf"], "ebpf", context + "\n" + v.dump(2));
}

// No manifest: a usage error, and verify does not make one up.
TEST(DriverkitVerify, MissingManifestIsAUsageError) {
  Artifact a = make_artifact(kDebian61, kWork + "/no-manifest");
  ASSERT_FALSE(a.ko.empty());
  fs::remove(a.manifest);
  VerifyRun r = verify(a, kDebian61);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("no manifest " + a.manifest), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(a.manifest));
}

// module.sig_enforce=1 on Debian's 6.1: an unsigned module and one signed
// with an operator key that no kernel keyring holds are both refused
// (EKEYREJECTED, "Key was rejected by service"); Debian's own signed crc7
// loads, so enforcement is on and the built-in key works. Enrolling the
// operator key at run time is refused by every keyring module signatures
// are checked against; at boot it takes shim's MOK (driverkit/VERIFY.md,
// "Module signing").
TEST(DriverkitSigning, SigEnforceRefusesUnsignedAndUnenrolledModules) {
  ASSERT_EQ(geteuid(), 0u);
  Artifact a = make_artifact(kDebian61, kWork + "/signing");
  ASSERT_FALSE(a.ko.empty());
  const std::string dir = kWork + "/signing";
  const std::string key = dir + "/operator.pem", signed_ko = dir + "/kestrel-signed.ko";
  auto [kc, kout] = run_command("openssl req -new -nodes -utf8 -sha256 -days 2 -batch -x509 -subj "
                                "'/CN=kestrel test operator key/' -outform PEM -keyout '" + key + "' -out '" + key +
                                "' 2>&1");
  ASSERT_EQ(kc, 0) << kout;
  // Signed the way an operator would: kestrel-driverkit build with the key.
  auto [sgc, sgout] = run_command(std::string(DRIVERKIT_BINARY) + " build --target debian --kernelrelease '" +
                                  kDebian61 + "' --cache " DRIVERKIT_CACHE_DIR " --signing-key '" + key +
                                  "' --signing-cert '" + key + "' --output-module '" + signed_ko + "' 2>&1");
  ASSERT_EQ(sgc, 0) << sgout;
  ASSERT_NE(read_text(signed_ko).find("~Module signature appended~"), std::string::npos);
  const std::string der = dir + "/operator.der";
  auto [dc, dout] = run_command("openssl x509 -in '" + key + "' -outform DER -out '" + der + "' 2>&1");
  ASSERT_EQ(dc, 0) << dout;
  auto [wc, keyctl] = run_command("command -v keyctl");
  ASSERT_EQ(wc, 0) << "keyctl (keyutils, scripts/install-deps.sh) is missing";

  VmOptions options;
  options.scenario = kSrc + "/tests/driverkit_verify/sig_enforce_scenario.sh";
  options.binaries = {MODULE_LOADER_BINARY, trimmed(keyctl)};
  options.files = {{a.ko, "/kestrel.ko"}, {signed_ko, "/kestrel-signed.ko"}, {der, "/operator.der"}};
  options.modules = {"lib/crc7.ko"};
  options.kernel = kDebian61;
  options.append = "module.sig_enforce=1";
  options.timeout_s = 300;
  options.work_dir = dir + "/vm";
  VmRun run = run_vm(options);
  const std::string context = vm_failure_context(run, options);
  ASSERT_EQ(run.exit_code, 0) << context;
  ASSERT_TRUE(scenario_ran_cleanly(run.console)) << context;
  auto facts = console_section(run.console, "facts");
  ASSERT_TRUE(facts) << context;
  EXPECT_NE(std::find(facts->begin(), facts->end(), "sig_enforce=Y"), facts->end()) << context;

  for (const char* what : {"unsigned", "operator"}) {
    EXPECT_TRUE(console_marker(run.console, std::string("LOAD ") + what + " 1 ")) << what << context;
    auto msg = console_section(run.console, std::string("load.") + what);
    ASSERT_TRUE(msg && !msg->empty()) << context;
    EXPECT_NE(msg->front().find("Key was rejected by service"), std::string::npos) << msg->front();
  }
  EXPECT_TRUE(console_marker(run.console, "LOAD debian 0 ")) << context;
  auto dmesg = console_section(run.console, "dmesg");
  ASSERT_TRUE(dmesg) << context;
  std::string log;
  for (const auto& l : *dmesg) log += l + "\n";
  EXPECT_NE(log.find("Loading of unsigned module is rejected"), std::string::npos) << log;
  EXPECT_NE(log.find("Loading of module with unavailable key is rejected"), std::string::npos) << log;
  // No run-time enrollment: .secondary_trusted_keys wants a certificate
  // signed by a trusted key (ENOKEY), the other two refuse writes; root's
  // user keyring takes the same certificate (so it is a valid one).
  struct Enroll {
    const char* ring;
    int code;
    const char* message;
  };
  for (const Enroll& e : {Enroll{".secondary_trusted_keys", 1, "Required key not available"},
                          Enroll{".builtin_trusted_keys", 1, "Permission denied"},
                          Enroll{".machine", 1, "Permission denied"}, Enroll{"user", 0, ""}}) {
    EXPECT_TRUE(console_marker(run.console, std::string("ENROLL ") + e.ring + " " + std::to_string(e.code) + " "))
        << e.ring << context;
    auto msg = console_section(run.console, std::string("enroll.") + e.ring);
    ASSERT_TRUE(msg && !msg->empty()) << e.ring << context;
    if (*e.message) {
      EXPECT_NE(msg->front().find(e.message), std::string::npos) << e.ring << ": " << msg->front();
    }
  }
  std::printf("sig_enforce VM: %.1fs\n", run.wall_s);
}

}  // namespace
}  // namespace kestrel::testing
