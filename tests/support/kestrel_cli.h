// kestrel_cli.h — runs the collector's command line in-process
// (run_kestrel, app/cli.h) and keeps its exit code and both streams, for
// tests of flags and their messages.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "app/cli.h"

namespace kestrel::testing {

struct CliRun {
  int code;
  std::string out, err;
};

// `args` without the program name.
inline CliRun run_cli(std::vector<const char*> args) {
  args.insert(args.begin(), "kestrel");
  std::ostringstream out, err;
  int code = run_kestrel(static_cast<int>(args.size()), args.data(), out, err);
  return {code, out.str(), err.str()};
}

}  // namespace kestrel::testing
