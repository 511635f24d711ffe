// The collector's module loader (kmod/module_load.h) on this host, which
// cannot load modules (a kernel without CONFIG_MODULES): the vermagic
// reader against modinfo(8), finit_module's real refusal here, the device
// node made from sysfs's numbers, and the explanation of each errno a
// loading kernel gives (the VM test, kmod_index_vm_test, loads for real).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "kmod/module_load.h"
#include "tests/support/run_command.h"

namespace kestrel {
namespace {

namespace fs = std::filesystem;

std::string scratch_dir(const std::string& name) {
  std::string dir = (fs::temp_directory_path() / ("kestrel-module-load-" + std::to_string(::getpid()) + "-" + name)).string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(ModuleLoad, VermagicAsModinfoReadsIt) {
  std::string dir = scratch_dir("vermagic");
  std::string ko = dir + "/fixture.ko";  // modinfo wants the suffix
  fs::copy_file(MODINFO_FIXTURE, ko);
  auto [code, out] = testing::run_command("modinfo -F vermagic " + ko + " 2>&1");
  ASSERT_EQ(code, 0) << "modinfo (package kmod) failed: " << out;
  if (!out.empty() && out.back() == '\n') out.pop_back();
  ASSERT_FALSE(out.empty());
  auto vermagic = read_module_vermagic(ko);
  ASSERT_TRUE(vermagic.ok()) << vermagic.status().to_string();
  EXPECT_EQ(*vermagic, out);
  fs::remove_all(dir);
}

TEST(ModuleLoad, VermagicOfWhatIsNotAModuleNamesTheFile) {
  std::string dir = scratch_dir("not-a-module");
  std::ofstream(dir + "/text.ko") << std::string(200, 'x');  // long enough for an ELF header
  auto text = read_module_vermagic(dir + "/text.ko");
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.status().message().find(dir + "/text.ko: not an ELF file"), std::string::npos)
      << text.status().message();
  // A real ELF object of this machine, but a program, not a module.
  auto program = read_module_vermagic("/bin/true");
  ASSERT_FALSE(program.ok());
  EXPECT_NE(program.status().message().find("/bin/true: no .modinfo section"), std::string::npos)
      << program.status().message();
  auto missing = read_module_vermagic(dir + "/missing.ko");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(dir + "/missing.ko"), std::string::npos);
  fs::remove_all(dir);
}

// This kernel has no module support: finit_module is ENOSYS, and the
// message says so and what to use instead.
TEST(ModuleLoad, ThisKernelRefusesWithTheReason) {
  ASSERT_FALSE(fs::exists("/proc/modules")) << "this test expects a kernel without module support (this host's)";
  auto loaded = load_module_file(MODINFO_FIXTURE);
  ASSERT_FALSE(loaded.ok());
  const std::string& m = loaded.status().message();
  EXPECT_NE(m.find(std::string("loading ") + MODINFO_FIXTURE + ": finit_module: "), std::string::npos) << m;
  EXPECT_NE(m.find("cannot load modules (built without CONFIG_MODULES)"), std::string::npos) << m;
  auto missing = load_module_file("/nonexistent/kestrel.ko");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("cannot open the module /nonexistent/kestrel.ko"), std::string::npos)
      << missing.status().message();
}

ModuleLoadFacts facts() {
  ModuleLoadFacts f;
  f.kernel_release = "6.1.0-57-amd64";
  f.vermagic = "6.1.0-28-amd64 SMP preempt mod_unload modversions ";
  f.lockdown = "none";
  return f;
}

TEST(ModuleLoad, EachRefusalNamesItsRemedy) {
  const std::string ko = "/srv/drivers/kestrel.ko";
  auto message = [&](int err, const ModuleLoadFacts& f) { return explain_module_load_error(err, ko, f).message(); };

  std::string eperm = message(EPERM, facts());
  EXPECT_NE(eperm.find("needs CAP_SYS_MODULE"), std::string::npos) << eperm;
  ModuleLoadFacts locked = facts();
  locked.lockdown = "integrity";
  std::string lock = message(EPERM, locked);
  EXPECT_NE(lock.find("locked down (integrity)"), std::string::npos) << lock;
  EXPECT_NE(lock.find("kestrel-driverkit build --signing-key/--signing-cert"), std::string::npos) << lock;
  ModuleLoadFacts disabled = facts();
  disabled.modules_disabled = true;
  EXPECT_NE(message(EPERM, disabled).find("modules_disabled"), std::string::npos);

  ModuleLoadFacts enforced = facts();
  enforced.sig_enforce = true;
  for (int err : {EKEYREJECTED, ENOKEY, EBADMSG}) {
    std::string m = message(err, enforced);
    EXPECT_NE(m.find("the kernel requires signed modules: sign with kestrel-driverkit build "
                     "--signing-key/--signing-cert and enroll the key"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find(ko), std::string::npos) << m;
  }

  std::string noexec = message(ENOEXEC, facts());
  EXPECT_NE(noexec.find("built for another kernel: vermagic \"6.1.0-28-amd64 SMP"), std::string::npos) << noexec;
  EXPECT_NE(noexec.find("this kernel is 6.1.0-57-amd64"), std::string::npos) << noexec;
  EXPECT_NE(noexec.find("kestrel-driverkit build --kernelrelease 6.1.0-57-amd64"), std::string::npos) << noexec;

  EXPECT_NE(message(ENOENT, facts()).find("Unknown symbol"), std::string::npos);
  // Anything else: errno's own text, and the file.
  std::string other = message(ENOMEM, facts());
  EXPECT_NE(other.find(std::strerror(ENOMEM)), std::string::npos) << other;
  EXPECT_NE(other.find(ko), std::string::npos) << other;
}

struct stat stat_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st;
}

// A module loaded before (or /dev without devtmpfs): the node is made from
// the numbers the kernel publishes in sysfs, at once.
TEST(ModuleLoad, DeviceNodeFromSysfsNumbers) {
  ASSERT_EQ(::geteuid(), 0u) << "mknod needs root";
  std::string dir = scratch_dir("node");
  std::ofstream(dir + "/dev") << "10:123\n";  // as /sys/class/misc/kestrel/dev reads
  auto made = ensure_module_device(dir + "/kestrel", dir + "/dev", /*loaded_before=*/true, std::chrono::seconds(5));
  ASSERT_TRUE(made.ok()) << made.status().to_string();
  EXPECT_EQ(*made, DeviceNodeOutcome::kCreated);
  struct stat st = stat_of(dir + "/kestrel");
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(major(st.st_rdev), 10u);
  EXPECT_EQ(minor(st.st_rdev), 123u);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // There now: nothing to do.
  auto again = ensure_module_device(dir + "/kestrel", dir + "/dev", true, std::chrono::seconds(5));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, DeviceNodeOutcome::kPresent);

  // No device in sysfs: the module registered none.
  auto none = ensure_module_device(dir + "/other", dir + "/missing-dev", true, std::chrono::seconds(5));
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("registered no device"), std::string::npos) << none.status().message();
  std::ofstream(dir + "/garbled") << "ten:one\n";
  auto garbled = ensure_module_device(dir + "/other", dir + "/garbled", true, std::chrono::seconds(5));
  ASSERT_FALSE(garbled.ok());
  EXPECT_EQ(garbled.status().code(), StatusCode::kCorrupt) << garbled.status().to_string();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kestrel
