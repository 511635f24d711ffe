// compiler.h — which compiler builds the module: the GCC the kernel was
// built with (its major version, read from the headers' .config), for the
// kernel's architecture (aarch64-linux-gnu-gcc-N when cross-building arm64
// on an amd64 host), or the major version the operator forces (gccversion).
#pragma once

#include <string>

#include "base/status.h"
#include "driverkit/kernel_config.h"

namespace kestrel::driverkit {

struct Compiler {
  std::string path;           // /usr/bin/gcc-12
  std::string version;        // first line of `path --version`
  std::string cross_compile;  // "" or "aarch64-linux-gnu-" (kbuild's CROSS_COMPILE)
};

// The program name for MAJOR on this build: "gcc-12" or "aarch64-linux-gnu-gcc-12".
std::string compiler_name(int major, const std::string& architecture, const std::string& host_architecture);

// The Debian package that provides compiler_name(): gcc-12 or gcc-12-aarch64-linux-gnu.
std::string compiler_package(int major, const std::string& architecture, const std::string& host_architecture);

// Finds the compiler. GCC_VERSION ("" = the kernel's; "12" or "12.2" = that
// major) overrides. kUnavailable with "compiler missing: gcc-12 (kernel X was
// built with ...); apt-get install gcc-12" when it is not installed.
Result<Compiler> choose_compiler(const KernelFacts& facts, const std::string& architecture,
                                 const std::string& host_architecture, const std::string& gcc_version);

}  // namespace kestrel::driverkit
