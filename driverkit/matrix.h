// matrix.h — `kestrel-driverkit matrix`: builds (and, with --verify,
// proves) the module for every kernel of a kernel-crawler list and writes
// the driver index (driver_index.h).
//
//   kestrel-driverkit matrix --input list.json [--filter REGEX] [-j N]
//       [--verify] [--shard i/N] [--cache DIR] [--rebuild] --output-dir DIR
//
// Per kernel, in index order, N at a time:
//   1. skip it when DIR holds its artifact and manifest, the manifest's
//      sha256 is the artifact's, its inputs came from the entry's header
//      URLs, and (with --verify) its verify passed ("skipped (built)");
//   2. otherwise run_build (build.h: the same code as `build`) with
//      kernelurls = the entry's headers, the artifact into DIR; the
//      downloaded .debs are shared by every entry through CACHE/downloads;
//   3. with --verify, run_verify (verify.h) with the kernel image of the
//      entry's kernelrelease (amd64 only: the VM is qemu-system-x86_64);
//   4. a row: ok | build-failed | verify-failed, with the error's last lines.
// Each kernel's own lines (build steps, verify progress) go to
// DIR/logs/<artifact stem>.log; the terminal shows a bar (MatrixProgress).
// A failure never stops the others. The index is rewritten as rows finish
// (DIR/index.json, or DIR/index.shard-i-of-N.json for a shard), so an
// interrupted matrix leaves what it finished.
#pragma once

#include <ostream>
#include <string>

#include "driverkit/verify.h"

namespace kestrel::driverkit {

struct MatrixOptions {
  std::string input;
  std::string filter;       // ECMAScript regex on kernelrelease; "" = all
  int jobs = 1;             // builds at once
  bool verify = false;
  std::string shard;        // "" or "i/N"
  std::string cache_dir;    // build cache; "" = default_cache_dir()
  std::string output_dir;
  std::string source_root;  // "" = the built-in tree
  bool rebuild = false;     // build even what is built and valid
  VerifyOptions verify_defaults;  // collector, scripts, VM cache, timeout; artifact/kernel set per kernel
};

// "index.json" or "index.shard-I-of-N.json".
std::string index_file_name(const std::string& shard);

// Exit code: 0 every kernel ok; 1 some failed (the index says which);
// 2 a usage error (bad flags, unreadable list), nothing built.
int run_matrix(const MatrixOptions& options, std::ostream& out, std::ostream& err, bool terminal);

}  // namespace kestrel::driverkit
