// engine.kmod.index on this host, through the real collector binary: its
// kernel (uname -r, 6.18, not a Debian kernel) is in no index the tests
// write, and it cannot load modules; so each run must end with the reason
// and its remedy, and a non-zero exit. The indexes are written with
// driverkit's own writer (they are input). kmod_index_vm_test loads for
// real in a VM.
#include <gtest/gtest.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "driverkit/driver_index.h"
#include "driverkit/sha256.h"
#include "kmod/kmod_source.h"
#include "tests/support/run_command.h"

namespace kestrel {
namespace {

namespace fs = std::filesystem;

std::string this_release() {
  struct utsname u {};
  EXPECT_EQ(::uname(&u), 0);
  return u.release;
}

class KmodIndexHost : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(kmod_device_present()) << "this test expects a host without the kestrel module";
    dir_ = (fs::temp_directory_path() / ("kestrel-kmod-index-" + std::to_string(::getpid()))).string();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // An index with one ok row for RELEASE whose artifact is the fixture
  // object (a copy next to the index), recorded with SHA256.
  std::string write_one_row_index(const std::string& name, const std::string& release, const std::string& sha256) {
    fs::create_directories(dir_ + "/" + name);
    const std::string artifact = "kestrel_debian_" + release + "_1.ko";
    fs::copy_file(MODINFO_FIXTURE, dir_ + "/" + name + "/" + artifact);
    driverkit::IndexRow row;
    row.kernelrelease = release;
    row.target = "debian";
    row.architecture = "amd64";
    row.status = driverkit::IndexStatus::kOk;
    row.artifact = artifact;
    row.size = fs::file_size(MODINFO_FIXTURE);
    row.sha256 = sha256;
    driverkit::DriverIndex index;
    index.kernels.push_back(row);
    const std::string path = dir_ + "/" + name + "/index.json";
    EXPECT_TRUE(driverkit::write_index(index, path).ok());
    return path;
  }

  std::pair<int, std::string> collector(const std::string& args) {
    return testing::run_command(std::string(KESTREL_BINARY) + " " + args + " 2>&1");
  }

  std::string dir_;
};

std::string fixture_sha256() {
  auto sum = driverkit::sha256_file(MODINFO_FIXTURE);
  EXPECT_TRUE(sum.ok());
  return sum.ok() ? *sum : "";
}

// The kernel is not in the index: the lookup's remedy, naming this
// kernel's release and the build command.
TEST_F(KmodIndexHost, KmodWithAnIndexLackingThisKernelNamesTheRemedy) {
  const std::string index = write_one_row_index("other", "6.1.0-57-amd64", fixture_sha256());
  auto [code, out] = collector("-o engine.kind=kmod -o engine.kmod.index=" + index);
  EXPECT_EQ(code, 1) << out;
  const std::string release = this_release();
  EXPECT_NE(out.find("kernel " + release + " is not in the driver index " + index), std::string::npos) << out;
  EXPECT_NE(out.find("kestrel-driverkit build --target <distro> --kernelrelease " + release), std::string::npos)
      << out;
  EXPECT_EQ(out.find("kestrel: capturing"), std::string::npos) << out;
}

// auto, with the BTF hidden so the probe cannot run: the same remedy, and
// why the probe could not run.
TEST_F(KmodIndexHost, AutoWithoutBtfAndAnIndexLackingThisKernelSaysBoth) {
  ASSERT_EQ(::geteuid(), 0u) << "mounting over /sys/kernel/btf needs root";
  const std::string index = write_one_row_index("other", "6.1.0-57-amd64", fixture_sha256());
  auto [code, out] = testing::run_command("unshare -m sh -c 'mount -t tmpfs none /sys/kernel/btf && exec " +
                                          std::string(KESTREL_BINARY) + " -o engine.kind=auto -o engine.kmod.index=" +
                                          index + "' 2>&1");
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("engine.kind=auto found no usable syscall source"), std::string::npos) << out;
  EXPECT_NE(out.find("no BTF"), std::string::npos) << out;
  EXPECT_NE(out.find("kernel " + this_release() + " is not in the driver index " + index), std::string::npos) << out;
}

TEST_F(KmodIndexHost, AMalformedIndexIsNamed) {
  const std::string bad = dir_ + "/broken.json";
  std::ofstream(bad) << "{\"schema\": \"kestrel-driverkit-index/1\", \"kernels\": [";
  auto [code, out] = collector("-o engine.kind=kmod -o engine.kmod.index=" + bad);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("engine.kmod.index: " + bad + ": not a JSON object"), std::string::npos) << out;

  const std::string wrong = dir_ + "/wrong-schema.json";
  std::ofstream(wrong) << R"({"schema": "kernel-crawler/1", "kernels": []})";
  auto [code2, out2] = collector("-o engine.kind=kmod -o engine.kmod.index=" + wrong);
  EXPECT_EQ(code2, 1) << out2;
  EXPECT_NE(out2.find(wrong + ": schema is \"kernel-crawler/1\""), std::string::npos) << out2;

  auto [code3, out3] = collector("-o engine.kind=kmod -o engine.kmod.index=" + dir_ + "/missing.json");
  EXPECT_EQ(code3, 1) << out3;
  EXPECT_NE(out3.find("cannot read the driver index " + dir_ + "/missing.json"), std::string::npos) << out3;
}

// This kernel in the index, but its artifact is not what the index says.
TEST_F(KmodIndexHost, AnArtifactWhoseSha256DiffersIsRefused) {
  const std::string wrong_sum(64, '0');
  const std::string index = write_one_row_index("tampered", this_release(), wrong_sum);
  auto [code, out] = collector("-o engine.kind=kmod -o engine.kmod.index=" + index);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("does not match the driver index " + index), std::string::npos) << out;
  EXPECT_NE(out.find("the index says " + wrong_sum), std::string::npos) << out;
  EXPECT_NE(out.find("sha256 " + fixture_sha256()), std::string::npos) << out;
}

// This kernel in the index with an intact artifact: the collector tries to
// load it, and this kernel (no module support) refuses with the reason.
TEST_F(KmodIndexHost, AFoundArtifactIsLoadedAndTheRefusalExplained) {
  const std::string index = write_one_row_index("found", this_release(), fixture_sha256());
  auto [code, out] = collector("-o engine.kind=kmod -o engine.kmod.index=" + index);
  EXPECT_EQ(code, 1) << out;
  const std::string artifact = dir_ + "/found/kestrel_debian_" + this_release() + "_1.ko";
  EXPECT_NE(out.find("loading " + artifact + ": finit_module: "), std::string::npos) << out;
  EXPECT_NE(out.find("cannot load modules"), std::string::npos) << out;
}

}  // namespace
}  // namespace kestrel
