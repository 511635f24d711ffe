// build_module.h — builds kestrel.ko for the VM tests' kernel with
// kestrel-driverkit (`build --target debian`: Debian's headers for that
// kernel resolved through Depends, in driverkit's cache below the build
// dir). Compiled into the test, which defines KESTREL_SOURCE_DIR,
// VM_CACHE_DIR, KESTREL_DRIVERKIT_BINARY and DRIVERKIT_CACHE_DIR.
#pragma once

#include <string>

namespace kestrel::testing {

// The release of the kernel the VM tests boot by default (the one
// scripts/vm/fetch-kernel.sh fetches: linux-image-amd64's); "" with the
// reason in `log` when it cannot be had.
std::string vm_kernel_release(std::string& log);

// Builds for that kernel into `out_dir`; returns the path of the .ko, or ""
// with driverkit's output in `log`. `seconds`: how long it took.
std::string build_kestrel_module(const std::string& out_dir, std::string& log, double& seconds);

}  // namespace kestrel::testing
