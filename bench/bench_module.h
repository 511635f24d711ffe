// bench_module.h — the kestrel.ko a VM bench measures.
//
// KESTREL_BENCH_KO=PATH: that module (another branch's build, to compare);
// else one kestrel-driverkit builds for the VM tests' kernel into
// KMOD_OUT_DIR (tests/kmod/build_module.h). "" once the reason is printed
// to stderr under the bench's name.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/kmod/build_module.h"
#include "tests/vm/vm_run.h"

namespace kestrel::testing {

// `seconds`: how long the build took (0 for a given module).
inline std::string bench_kestrel_module(const char* bench, std::string& log, double& seconds) {
  seconds = 0;
  const char* given = std::getenv("KESTREL_BENCH_KO");
  if (given && *given) return given;
  std::string ko = build_kestrel_module(KMOD_OUT_DIR, log, seconds);
  if (ko.empty()) std::fprintf(stderr, "%s: kestrel-driverkit build failed:\n%s\n", bench, tail(log).c_str());
  return ko;
}

}  // namespace kestrel::testing
