// matrix_command.h — the `matrix` and `index` subcommands of
// kestrel-driverkit's CLI:
//
//   kestrel-driverkit matrix --input list.json [--filter REGEX] [-j N] [--verify]
//       [--shard i/N] [--cache DIR] [--vm-cache DIR] [--verify-timeout S]
//       [--rebuild] [--source-root DIR] --output-dir DIR          (matrix.h)
//   kestrel-driverkit index merge --output DIR/index.json SHARD.json ...
//   kestrel-driverkit index lookup --index DIR/index.json [--kernelrelease R]
//       [--kernelversion V] [--architecture A]
//
// merge: exit 0 merged; 1 the shards disagree or one is missing; 2 an
// unreadable input. lookup: prints the artifact path and exits 0, or says
// why there is none and what to do (stderr) and exits 1; 2 when the index
// cannot be read. --kernelrelease defaults to this host's `uname -r`.
#pragma once

#include <CLI/CLI.hpp>
#include <ostream>

#include "driverkit/matrix.h"

namespace kestrel::driverkit {

struct MatrixCommand {
  CLI::App* command = nullptr;
  MatrixOptions options;
};
void add_matrix_command(CLI::App& app, MatrixCommand& cmd);

struct IndexCommand {
  CLI::App* command = nullptr;
  CLI::App* merge = nullptr;
  CLI::App* lookup = nullptr;
  std::string output;
  std::vector<std::string> inputs;
  std::string index;
  std::string kernelrelease;
  std::string kernelversion;
  std::string architecture;
  bool run_merge = false;  // set after parsing: merge (else lookup)
};
void add_index_command(CLI::App& app, IndexCommand& cmd);
// After parsing, with run_merge set (the CLI::App pointers are not used).
int run_index_command(const IndexCommand& cmd, std::ostream& out, std::ostream& err);

// `uname -r` of this host.
std::string running_kernel_release();

}  // namespace kestrel::driverkit
