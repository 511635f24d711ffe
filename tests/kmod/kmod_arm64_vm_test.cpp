// The kernel module on arm64, for real: cross-built for Debian's arm64
// kernel by kestrel-driverkit (Debian's aarch64 cross compiler, the arm64
// headers with this host's kbuild tools), loaded in that kernel booted in
// qemu-system-aarch64 under TCG, fed the arm64 syscall map from libseccomp
// (the module holds no syscall numbers of its own), and read by
// kmod_ring_dump (static aarch64 C; the collector is built for the host
// only). Every record it wrote comes back to the host and must conform to
// the ABI and the event table; the workload's event types must be there;
// nothing may be dropped; the kernel must not complain; rmmod must work.
//
// Fails (never skips) when the cross compiler, qemu-system-aarch64, the
// arm64 packages or the VM are missing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "sources/abi/kestrel_event.h"
#include "sources/event/event_table.h"
#include "sources/event/syscall_table.h"
#include "tests/support/record_conformance.h"
#include "tests/support/run_command.h"
#include "tests/vm/console_bytes.h"
#include "tests/vm/vm_run.h"

namespace kestrel::testing {
namespace {

namespace fs = std::filesystem;

// "nr type" per arm64 syscall of an event type, "compat nr type" per arm32
// one: what kmod_ring_dump hands the module at start.
std::string write_syscall_map(const std::string& path) {
  std::ofstream out(path);
  for (const SyscallEventMapping& m : syscall_event_map(Arch::kAarch64)) out << m.nr << ' ' << m.event_type << '\n';
  for (const SyscallEventMapping& m : syscall_event_map(Arch::kArm))
    out << "compat " << m.nr << ' ' << m.event_type << '\n';
  return path;
}

TEST(KmodArm64Vm, CrossBuiltModuleCapturesOnAnArm64Kernel) {
  ASSERT_EQ(geteuid(), 0u) << "the VM test fetches packages and runs qemu as root";
  const std::string work = VM_WORK_DIR;
  fs::create_directories(work);

  // The arm64 kernel first: its release names the headers to build for.
  auto [fetch_rc, kdir] = run_command(std::string(KESTREL_SOURCE_DIR) + "/scripts/vm/fetch-kernel.sh --cache " +
                                      VM_CACHE_DIR + " --arch arm64 2>" + work + "/fetch.log");
  while (!kdir.empty() && kdir.back() == '\n') kdir.pop_back();
  ASSERT_EQ(fetch_rc, 0) << "fetch-kernel.sh --arch arm64 failed: see " << work << "/fetch.log";
  std::string release;
  std::ifstream(kdir + "/version") >> release;
  ASSERT_FALSE(release.empty()) << kdir;

  const std::string ko = work + "/kestrel_debian_" + release + "_1.ko";
  auto [build_rc, build_out] =
      run_command(std::string(KESTREL_DRIVERKIT_BINARY) + " build --target debian --architecture arm64 --kernelrelease " +
                  release + " --cache " + DRIVERKIT_CACHE_DIR + " --output-module " + ko + " 2>&1");
  ASSERT_EQ(build_rc, 0) << "kestrel-driverkit could not cross-build for " << release << ":\n" << tail(build_out);
  ASSERT_TRUE(fs::exists(ko)) << build_out;

  VmOptions options;
  options.arch = "arm64";
  options.kernel = release;
  options.scenario = std::string(KESTREL_SOURCE_DIR) + "/tests/kmod/kmod_arm64_scenario.sh";
  options.files = {{ko, "/kestrel.ko"},
                   {KMOD_RING_DUMP_AARCH64, "/bin/kmod_ring_dump"},
                   {write_syscall_map(work + "/syscall-map"), "/etc/kestrel/syscall-map"},
                   {std::string(KESTREL_SOURCE_DIR) + "/tests/kmod/kmod_arm64_workload.sh", "/workload.sh"}};
  options.timeout_s = 300;
  options.work_dir = work + "/vm";
  VmRun run = run_vm(options);
  const std::string context = vm_failure_context(run, options, 6000);

  ASSERT_EQ(run.exit_code, 0) << "the VM did not power itself off (124: timed out)" << context;
  auto ready = console_marker(run.console, "READY");
  ASSERT_TRUE(ready) << "the kernel did not reach /init" << context;
  EXPECT_NE(ready->find("kernel=" + release), std::string::npos) << *ready;
  ASSERT_TRUE(console_marker(run.console, "INSMOD 0 ")) << "insmod of the cross-built module failed" << context;
  EXPECT_TRUE(console_marker(run.console, "DUMP EXIT 0 ")) << context;
  EXPECT_TRUE(console_marker(run.console, "RMMOD 0 ")) << context;
  for (const std::string& splat : kernel_splats(run.console)) ADD_FAILURE() << "kernel splat: " << splat << context;

  // The reader's summary: the ABI it spoke, and nothing dropped.
  auto dump = console_section(run.console, "dump");
  ASSERT_TRUE(dump) << context;
  std::smatch m;
  std::string summary;
  for (const auto& line : *dump)
    if (line.rfind("kmod_ring_dump: abi=", 0) == 0) summary = line;
  ASSERT_TRUE(std::regex_search(summary, m, std::regex("records=([0-9]+) .*drops=([0-9,]+)"))) << context;
  EXPECT_EQ(m[2].str(), "0,0,0,0") << "records lost in the kernel (buffer_full,too_large,param_mismatch,compat)";

  auto b64 = console_section(run.console, "records.gz.b64");
  ASSERT_TRUE(b64) << context;
  std::vector<uint8_t> records = gunzip_base64(*b64, work + "/records.bin.gz");
  ASSERT_FALSE(records.empty()) << context;

  // Every record conforms; count them by type.
  std::map<std::string, size_t> by_type;
  size_t nonconforming = 0;
  std::string first_problems;
  for (size_t off = 0; off + KESTREL_EVENT_HDR_SIZE <= records.size();) {
    kestrel_event_hdr h;
    std::memcpy(&h, records.data() + off, sizeof h);
    ASSERT_GE(h.len, KESTREL_EVENT_HDR_SIZE);
    ASSERT_LE(off + h.len, records.size()) << "a record runs past the dump";
    auto problems = test::record_problems(std::span<const uint8_t>(records.data() + off, h.len));
    if (!problems.empty() && nonconforming++ < 5) first_problems += test::describe_problems(problems);
    ++by_type[std::string(event_info(h.type).name)];
    off += h.len;
  }
  std::string table;
  for (const auto& [name, n] : by_type) table += "  " + name + " " + std::to_string(n) + "\n";
  std::printf("arm64 module records by type:\n%s", table.c_str());
  EXPECT_EQ(nonconforming, 0u) << first_problems;
  EXPECT_EQ(std::to_string([&] {
              size_t n = 0;
              for (const auto& [name, c] : by_type) n += c;
              return n;
            }()),
            m[1].str());
  // What the workload does, as arm64 syscalls (no open/fork/unlink there:
  // openat, unlinkat). Not clone: arm64's ret_from_fork returns a new
  // child to user mode without the syscall-exit work, so the sys_exit
  // tracepoint never fires for the child's side of a clone (kmod/README.md,
  // "What it does not").
  for (const char* type : {"execve", "openat", "close", "unlinkat", "procexit"})
    EXPECT_GT(by_type[type], 0u) << type << " missing; seen:\n" << table;
  EXPECT_EQ(by_type.count("open"), 0u) << "arm64 has no open(2): the syscall map is wrong";

  std::printf("arm64 VM host wall %.1fs\n%s", run.wall_s, run.harness.c_str());
  RecordProperty("vm_wall_s", std::to_string(run.wall_s));
}

}  // namespace
}  // namespace kestrel::testing
