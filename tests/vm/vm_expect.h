// vm_expect.h — the checks every VM test ends with, for gtest.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "tests/vm/vm_run.h"

namespace kestrel::testing {

// The scenario script exited 0 (init.sh prints "SCENARIO EXIT <code>") and
// the kernel did not complain (kernel_splats) while it ran.
inline ::testing::AssertionResult scenario_ran_cleanly(const std::string& console) {
  if (!console_marker(console, "SCENARIO EXIT 0 ")) {
    auto exit = console_marker(console, "SCENARIO EXIT");
    return ::testing::AssertionFailure() << (exit ? *exit : std::string("no SCENARIO EXIT line: the scenario did not finish"));
  }
  if (auto splats = kernel_splats(console); !splats.empty())
    return ::testing::AssertionFailure() << "the kernel complained:\n" << splats.front();
  return ::testing::AssertionSuccess();
}

}  // namespace kestrel::testing
