// build.h — one `kestrel-driverkit build`, start to finish:
//   check the config → target → headers (cache or fetch + unpack) → the
//   kernel's facts → compiler → kbuild → vermagic check → artifact (+ sign)
//   → manifest.
// Every failure is a Status saying what failed and what to do; nothing is
// written to the output path unless the module was built and checked.
#pragma once

#include <string>

#include "base/status.h"
#include "driverkit/config.h"
#include "driverkit/manifest.h"
#include "driverkit/progress.h"

namespace kestrel::driverkit {

struct BuildOutcome {
  std::string artifact_path;
  std::string manifest_path;
  Manifest manifest;
};

// Refuses what this builder cannot honour (unknown architecture, a device
// name other than the module's, kernelconfigdata, half a signing pair).
Status validate_config(const BuildConfig& config);

// The path the artifact goes to: OUTPUT (a file, or an existing directory
// to put the artifact's standard name in) or ./<artifact name>.
std::string artifact_path_for(const BuildConfig& config, const std::string& kernelrelease);

Result<BuildOutcome> run_build(const BuildConfig& config, Progress& progress);

// dpkg --print-architecture of this host.
std::string host_architecture();

}  // namespace kestrel::driverkit
