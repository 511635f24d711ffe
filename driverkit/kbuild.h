// kbuild.h — builds kestrel.ko out of tree against a prepared kernel dir:
//
//   make -C KDIR M=<copy of kmod/module> KESTREL_ROOT=<source root>
//        CC=<compiler> [ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-] modules
//
// The module is a black box here: every file of kmod/module/ is copied into
// a fresh WORK_DIR/src (the source tree stays clean), and its Makefile
// decides what is built. CC is passed explicitly so the GCC the kernel was
// built with compiles the module, whatever `gcc` is on PATH.
#pragma once

#include <string>

#include "base/status.h"
#include "driverkit/compiler.h"

namespace kestrel::driverkit {

struct KbuildRequest {
  std::string kernel_dir;
  std::string source_root;   // holds kmod/module and sources/abi
  std::string work_dir;      // emptied, then WORK_DIR/src and WORK_DIR/build.log
  std::string architecture;  // amd64 | arm64
  Compiler compiler;
  int jobs = 2;
};

// The path of the built kestrel.ko. On failure the Status carries the make
// command and the last 20 lines of its output; the whole log stays in
// WORK_DIR/build.log.
Result<std::string> build_module(const KbuildRequest& request);

}  // namespace kestrel::driverkit
