// The parts verify decides with, on real inputs where they exist here:
// kernel_splats on kernel log text in the kernel's own formats (a WARN, a
// lockdep report, an oops) and on a clean boot log; console sections and
// base64 payloads with kernel lines interleaved; bzimage_release on the
// Debian kernels the VM tests fetch (their release is the package name).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "driverkit/kernel_facts.h"
#include "driverkit/vm_console.h"

namespace kestrel::driverkit {
namespace {

TEST(VerifyParts, KernelSplatsFindWarnLockdepOops) {
  const std::vector<std::string> warn = {
      "[   12.345678] ------------[ cut here ]------------",
      "[   12.345679] WARNING: CPU: 0 PID: 123 at kernel/module/main.c:812 free_module+0x1a/0x2b0",
      "[   12.345700] Call Trace:", "[   12.345701]  <TASK>"};
  EXPECT_EQ(kernel_splats(warn).size(), 2u);
  const std::vector<std::string> lockdep = {
      "[    3.1] ======================================================",
      "[    3.1] WARNING: possible circular locking dependency detected"};
  EXPECT_EQ(kernel_splats(lockdep).size(), 1u);
  const std::vector<std::string> oops = {
      "[    5.0] BUG: kernel NULL pointer dereference, address: 0000000000000008",
      "[    5.0] Oops: 0000 [#1] PREEMPT SMP NOPTI"};
  EXPECT_EQ(kernel_splats(oops).size(), 2u);
  const std::vector<std::string> clean = {
      "[    4.532102] kestrel: loading out-of-tree module taints kernel.",
      "[    4.532358] kestrel: module verification failed: signature and/or required key missing - tainting kernel",
      "[    1.449421] acpi PNP0A03:00: fail to add MMCONFIG information"};
  EXPECT_TRUE(kernel_splats(clean).empty());
}

TEST(VerifyParts, SectionsAndBase64SurviveKernelLines) {
  // "hello kestrel\n" base64-encoded by coreutils: aGVsbG8ga2VzdHJlbAo=
  const std::string console =
      "KESTREL-VM: READY uptime=3.0\r\n"
      "KESTREL-VM: BEGIN cap\n"
      "aGVsbG8ga2Vz\n"
      "[    9.1] random: crng init done\n"
      "dHJlbAo=\n"
      "KESTREL-VM: END cap\n"
      "KESTREL-VM: INSMOD 0 uptime=3.1\n";
  auto lines = console_lines(console);
  auto cap = console_section(lines, "cap");
  ASSERT_TRUE(cap);
  EXPECT_EQ(cap->size(), 3u);
  auto bytes = base64_decode(*cap);
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "hello kestrel\n");
  EXPECT_TRUE(console_marker(lines, "INSMOD 0 "));
  EXPECT_FALSE(console_marker(lines, "RMMOD"));
  EXPECT_FALSE(console_section(lines, "nothing"));
  EXPECT_EQ(vermagic_release("6.1.0-57-amd64 SMP preempt mod_unload modversions"), "6.1.0-57-amd64");
}

// Every kernel fetch-kernel.sh unpacked into the VM cache (6.1.0-57-amd64
// fetched here if it is not there yet; the VM tests add the 6.12 one).
TEST(VerifyParts, BzimageReleaseOfDebianKernels) {
  namespace fs = std::filesystem;
  ASSERT_EQ(std::system((std::string(KESTREL_SOURCE_DIR) + "/scripts/vm/fetch-kernel.sh --cache " VM_CACHE_DIR
                         " --kernel 6.1.0-57-amd64 >/dev/null").c_str()),
            0);
  int checked = 0;
  for (const auto& e : fs::directory_iterator(VM_CACHE_DIR)) {
    if (!fs::exists(e.path() / "vmlinuz")) continue;
    // An arm64 kernel (fetch-kernel.sh --arch arm64) is an Image, not a bzImage.
    std::string arch = "amd64";
    std::ifstream(e.path() / "arch") >> arch;
    if (arch != "amd64") continue;
    auto release = bzimage_release((e.path() / "vmlinuz").string());
    ASSERT_TRUE(release.ok()) << release.status().to_string();
    EXPECT_EQ(*release, e.path().filename().string());
    ++checked;
  }
  EXPECT_GE(checked, 1) << "no kernel in " << VM_CACHE_DIR;
  auto bad = bzimage_release(std::string(KESTREL_SOURCE_DIR) + "/README.md");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kCorrupt);
  auto nomod = module_vermagic(std::string(KESTREL_SOURCE_DIR) + "/README.md");
  EXPECT_EQ(nomod.status().code(), StatusCode::kCorrupt);
}

}  // namespace
}  // namespace kestrel::driverkit
