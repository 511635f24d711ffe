// The vanilla target: a kernel tree the operator prepared (`make
// modules_prepare` in a kernel.org tree) or an unpacked headers dir, given
// with --kernel-dir. Nothing is fetched; the release is the tree's
// UTS_RELEASE (a --kernelrelease that disagrees is an error).
#include <filesystem>

#include "driverkit/kernel_config.h"
#include "driverkit/manifest.h"
#include "driverkit/target.h"

namespace kestrel::driverkit {
namespace {

class VanillaTarget : public Target {
 public:
  std::string name() const override { return "vanilla"; }

  Result<std::string> architecture(const BuildConfig& config, const std::string& host) const override {
    if (config.kernel_dir.empty())
      return Status(StatusCode::kInvalidArgument, "target vanilla needs --kernel-dir (a prepared kernel tree or headers dir)");
    return config.architecture.empty() ? host : config.architecture;
  }

  Result<PreparedKernel> prepare(const BuildConfig& config, const std::string& architecture,
                                 const TargetEnv& env) override {
    std::error_code ec;
    std::string dir = std::filesystem::absolute(config.kernel_dir, ec).string();
    env.progress->step("using the kernel tree " + dir);
    auto facts = read_kernel_facts(dir);
    if (!facts.ok()) return Status(StatusCode::kNotFound, "headers not found: " + facts.status().message());
    if (!config.kernelrelease.empty() && config.kernelrelease != facts->release)
      return Status(StatusCode::kInvalidArgument, "kernelrelease " + config.kernelrelease + " but " + dir +
                                                      " is the tree of " + facts->release);
    auto sum = sha256_file(dir + "/.config");
    if (!sum.ok()) return sum.status();
    PreparedKernel k;
    k.kernel_dir = dir;
    k.kernelrelease = facts->release;
    // The tree's identity: its .config (the only input file that decides the build's ABI).
    k.inputs.push_back({"kernel-dir", facts->release, *sum, "file", dir, architecture});
    return k;
  }
};

}  // namespace

std::unique_ptr<Target> make_vanilla_target() { return std::make_unique<VanillaTarget>(); }

}  // namespace kestrel::driverkit
