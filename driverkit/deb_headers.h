// deb_headers.h — headers that come as Debian packages (debian today; the
// same path serves ubuntu): resolve from linux-headers-<release> by
// Depends, fetch, unpack into CACHE/<target>/<release>-<arch>/tree (with
// --kernelurls/--deb-dir: <release>-<arch>-<hash of what was given>), record
// what was used. A complete cache entry (its inputs.json written last) is
// reused as it is: a warm build touches neither apt nor the network. An
// entry is filled under flock, so parallel builds of one kernel are safe.
#pragma once

#include <string>

#include "base/status.h"
#include "driverkit/target.h"

namespace kestrel::driverkit {

struct DebHeadersRequest {
  std::string target;        // names the cache dir
  std::string root_package;  // linux-headers-6.1.0-57-amd64
  std::string kernelrelease;
  std::string architecture;
};

Result<PreparedKernel> prepare_deb_headers(const DebHeadersRequest& request, const BuildConfig& config,
                                           const TargetEnv& env);

}  // namespace kestrel::driverkit
