// driver_index.h — the driver index: which kernels have a built (and
// proven) kestrel.ko, and where. `kestrel-driverkit matrix` writes it,
// `kestrel-driverkit index merge` joins shard indexes into one,
// `kestrel-driverkit index lookup` and the collector's engine.kind=auto
// (engine.kmod.index) read it. A small library of its own so the collector
// links it without the rest of driverkit.
//
// index.json (schema "kestrel-driverkit-index/1"; keys may be added, never
// renamed):
//   {"schema": "kestrel-driverkit-index/1",
//    "kernels": [ one row per kernel, sorted by (kernelrelease, target,
//                 kernelversion) ] }
// A row:
//   {"kernelrelease": "6.1.0-57-amd64", "kernelversion": "1",
//    "target": "debian", "architecture": "amd64",
//    "status": "ok" | "build-failed" | "verify-failed",
//    "artifact": "kestrel_debian_6.1.0-57-amd64_1.ko" | null
//        (relative to the index file's directory, or absolute),
//    "size": N, "sha256": "<hex>" | "",
//    "build_seconds": S,
//    "verified": bool            (verify ran and passed),
//    "verify": null | the manifest's "verify" object (status, reasons, ...),
//    "error": "" | the last lines of the failure,
//    "log": "" | the kernel's build/verify log, relative like artifact}
// "ok" means built, and proven when verify ran. Nothing in the file depends
// on when or where it was written (no dates, no absolute build paths), so
// the index of a sharded matrix merged equals the unsharded one except for
// build_seconds and the verify object's timings.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace kestrel::driverkit {

inline constexpr const char* kIndexSchema = "kestrel-driverkit-index/1";

// The architecture names of the index (Debian's): amd64 for x86_64 or
// amd64, arm64 for aarch64 or arm64 (kernel-crawler and `uname -m` name
// them the other way); "" otherwise.
std::string debian_architecture(const std::string& arch);

enum class IndexStatus { kOk, kBuildFailed, kVerifyFailed };
const char* index_status_name(IndexStatus status);  // "ok" | "build-failed" | "verify-failed"
std::optional<IndexStatus> parse_index_status(const std::string& name);

struct IndexRow {
  std::string kernelrelease;
  std::string kernelversion = "1";
  std::string target;
  std::string architecture;
  IndexStatus status = IndexStatus::kBuildFailed;
  std::string artifact;  // "" when none was built
  uint64_t size = 0;
  std::string sha256;
  double build_seconds = 0;
  bool verified = false;
  nlohmann::ordered_json verify;  // null when verify did not run
  std::string error;              // "" when ok
  std::string log;                // "" when none was kept
};

struct DriverIndex {
  std::vector<IndexRow> kernels;
};

// Sorts rows by (kernelrelease, target, kernelversion).
void sort_rows(DriverIndex& index);
nlohmann::ordered_json index_json(const DriverIndex& index);
// Writes atomically (PATH.tmp, then rename); rows sorted first.
Status write_index(DriverIndex index, const std::string& path);
// Reads and checks the schema; errors name the file and the bad row.
Result<DriverIndex> read_index(const std::string& path);

// Joins indexes written by the shards of one matrix (`--shard i/N`). A
// kernel present in two inputs is an error naming both files, unless the
// rows are the same build (same sha256 and status). Artifact paths are
// rewritten relative to OUTPUT_DIR (the merged index's directory).
struct IndexInput {
  std::string path;
  DriverIndex index;
};
Result<DriverIndex> merge_indexes(const std::vector<IndexInput>& inputs, const std::string& output_dir);

// What an index says about one running kernel.
struct LookupRequest {
  std::string kernelrelease;  // uname -r
  std::string kernelversion;  // "" = any (Debian's is always "1")
  std::string architecture;   // "" = any; else amd64 | arm64
};
struct LookupResult {
  bool found = false;          // a usable artifact: status ok and the file exists with its sha256
  std::string artifact_path;   // absolute or relative to the cwd, ready for finit_module
  const IndexRow* row = nullptr;  // the row consulted (null when the kernel is absent)
  // Why there is no usable artifact, with the exact remedy (the build
  // command for a kernel the index lacks, the error tail of a failed build,
  // the verify reasons, a sha256 mismatch). "" when found.
  std::string reason;
};
// INDEX_PATH locates relative artifacts. The returned row points into INDEX.
LookupResult lookup_kernel(const DriverIndex& index, const std::string& index_path, const LookupRequest& request);

}  // namespace kestrel::driverkit
