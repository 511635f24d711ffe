// kernel_config.h — what a prepared kernel tree (Debian's headers or a
// vanilla tree after `make modules_prepare`) says about its kernel: the
// release (include/generated/utsrelease.h), the compiler it was built with
// and the options that make up a module's vermagic (.config).
#pragma once

#include <map>
#include <string>

#include "base/status.h"

namespace kestrel::driverkit {

struct KernelFacts {
  std::string release;            // UTS_RELEASE: 6.1.0-57-amd64
  std::string cc_version_text;    // CONFIG_CC_VERSION_TEXT, unquoted
  int gcc_major = 0;              // from CONFIG_GCC_VERSION (120200 -> 12); 0 when not GCC
  bool built_with_clang = false;  // CONFIG_CC_IS_CLANG
  std::map<std::string, std::string> config;  // CONFIG_X -> value (quotes kept off)
};

// Reads KERNEL_DIR/.config and KERNEL_DIR/include/generated/utsrelease.h.
Result<KernelFacts> read_kernel_facts(const std::string& kernel_dir);

// The vermagic a module built against these facts must carry for ARCH
// (amd64 | arm64), as include/linux/vermagic.h composes it: UTS_RELEASE,
// then "SMP ", "preempt " / "preempt_rt ", "mod_unload ", "modversions ",
// then the arch's MODULE_ARCH_VERMAGIC ("aarch64" on arm64, "" for a
// generic x86_64 kernel). Trailing blanks trimmed (modinfo prints them).
std::string expected_vermagic(const KernelFacts& facts, const std::string& architecture);

// VERMAGIC with surrounding blanks removed, for comparisons.
std::string trim_vermagic(const std::string& vermagic);

}  // namespace kestrel::driverkit
