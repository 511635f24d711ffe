// kmod_from_index.h — loading the kestrel module for the running kernel
// from a kestrel-driverkit driver index (engine.kmod.index; the index is
// driverkit/driver_index.h: one row per kernel with its artifact and
// sha256).
//
// The running kernel is looked up by `uname -r` and the host architecture
// (amd64 or arm64), any kernelversion. lookup_kernel() checks the
// artifact's sha256 against the index; the artifact is then loaded with
// finit_module (kmod/module_load.h) and /dev/kestrel awaited or created.
#pragma once

#include <chrono>
#include <string>

#include "base/status.h"

namespace kestrel {

struct KmodIndexLoad {
  std::string index;           // the index file
  std::string kernelrelease;   // what was looked up
  std::string architecture;
  std::string artifact;        // the .ko loaded
  std::string sha256;          // as the index records it (and the file has)
  bool already_loaded = false; // EEXIST: a kestrel module was loaded already
  bool node_created = false;   // /dev/kestrel made from sysfs, not by devtmpfs
};

// Errors: the index cannot be read or is malformed (the message names the
// file), the kernel has no usable row (the lookup's reason: the build
// command, the failed build's error, the verify reasons, a sha256
// mismatch), the kernel refused the module (module_load.h explains why),
// or the device did not appear.
Result<KmodIndexLoad> load_kmod_from_index(const std::string& index_path, const std::string& device,
                                           std::chrono::milliseconds device_timeout = std::chrono::seconds(2));

// One line for the log: which artifact from which index, and how.
std::string describe(const KmodIndexLoad& load);

}  // namespace kestrel
