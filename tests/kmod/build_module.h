// build_module.h — builds kestrel.ko for the VM tests' kernel with
// kmod/build-module.sh (Debian's headers for that kernel, cached next to it
// in the VM cache dir). Compiled into the test, which defines
// KESTREL_SOURCE_DIR and VM_CACHE_DIR.
#pragma once

#include <string>

namespace kestrel::testing {

// Builds into `out_dir`; returns the path of kestrel.ko, or "" with the
// script's stderr in `log`. `seconds`: how long it took.
std::string build_kestrel_module(const std::string& out_dir, std::string& log, double& seconds);

}  // namespace kestrel::testing
