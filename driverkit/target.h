// target.h — a distribution (or a bare kernel tree) the module is built for.
//
// A Target knows how to name and obtain a kernel's headers and prepares
// them in a private per-kernel cache dir; the rest of a build (compiler,
// kbuild, manifest) is the same for every target. Adding one (ubuntu,
// rhel-family, amazonlinux) means: the header package naming
// (ubuntu: linux-headers-<release>, depending on linux-headers-<abi>;
// rhel/amazonlinux: kernel-devel-<release>, an RPM index instead of
// PackageIndex over .debs), a make_target() entry, and a test of its naming
// on that distribution's real package data. Only targets with such a test
// are listed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "driverkit/config.h"
#include "driverkit/manifest.h"
#include "driverkit/progress.h"

namespace kestrel::driverkit {

struct PreparedKernel {
  std::string kernel_dir;                   // what make -C takes
  std::string kernelrelease;                // the tree's UTS_RELEASE
  std::vector<BuildInput> inputs;           // what the headers came from
  std::vector<std::string> compiler_hints;  // from the packages' Depends
  bool warm = false;                        // taken from the cache as it was
};

struct TargetEnv {
  std::string cache_dir;          // the root of the private cache
  std::string host_architecture;  // dpkg --print-architecture of the build host
  Progress* progress = nullptr;
};

class Target {
 public:
  virtual ~Target() = default;
  virtual std::string name() const = 0;
  // The kernel's architecture for this config: the one asked for, checked
  // against what the target can tell from the release; kInvalidArgument on
  // a contradiction.
  virtual Result<std::string> architecture(const BuildConfig& config, const std::string& host_architecture) const = 0;
  // Obtains and prepares the headers; kNotFound lists everything tried.
  virtual Result<PreparedKernel> prepare(const BuildConfig& config, const std::string& architecture,
                                         const TargetEnv& env) = 0;
};

// "debian", "vanilla".
std::vector<std::string> known_targets();

// kInvalidArgument "unknown target \"x\"; known targets: debian, vanilla".
Result<std::unique_ptr<Target>> make_target(const std::string& name);

std::unique_ptr<Target> make_debian_target();
std::unique_ptr<Target> make_vanilla_target();

}  // namespace kestrel::driverkit
