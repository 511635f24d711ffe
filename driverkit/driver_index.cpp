#include "driverkit/driver_index.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <tuple>

#include "driverkit/last_lines.h"
#include "driverkit/sha256.h"

namespace kestrel::driverkit {

namespace fs = std::filesystem;

std::string debian_architecture(const std::string& arch) {
  if (arch == "x86_64" || arch == "amd64") return "amd64";
  if (arch == "aarch64" || arch == "arm64") return "arm64";
  return "";
}

const char* index_status_name(IndexStatus status) {
  switch (status) {
    case IndexStatus::kOk: return "ok";
    case IndexStatus::kBuildFailed: return "build-failed";
    case IndexStatus::kVerifyFailed: return "verify-failed";
  }
  return "build-failed";
}

std::optional<IndexStatus> parse_index_status(const std::string& name) {
  for (IndexStatus s : {IndexStatus::kOk, IndexStatus::kBuildFailed, IndexStatus::kVerifyFailed})
    if (name == index_status_name(s)) return s;
  return std::nullopt;
}

namespace {

auto row_key(const IndexRow& r) { return std::tie(r.kernelrelease, r.target, r.kernelversion); }

std::string describe_row(const IndexRow& r) {
  return r.target + " " + r.kernelrelease + " (kernelversion " + r.kernelversion + ")";
}

nlohmann::ordered_json row_json(const IndexRow& r) {
  return {
      {"kernelrelease", r.kernelrelease},
      {"kernelversion", r.kernelversion},
      {"target", r.target},
      {"architecture", r.architecture},
      {"status", index_status_name(r.status)},
      {"artifact", r.artifact.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.artifact)},
      {"size", r.size},
      {"sha256", r.sha256},
      {"build_seconds", r.build_seconds},
      {"verified", r.verified},
      {"verify", r.verify},
      {"error", r.error},
      {"log", r.log},
  };
}

// A string member, or a Status naming the row; kernelversion may be a
// number (kernel-crawler writes 1).
Result<std::string> string_member(const nlohmann::json& row, const char* key, bool required, const std::string& where) {
  auto it = row.find(key);
  if (it == row.end() || it->is_null()) {
    if (required) return Status(StatusCode::kCorrupt, where + ": missing \"" + key + "\"");
    return std::string();
  }
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<long long>());
  return Status(StatusCode::kCorrupt, where + ": \"" + key + "\" is not a string");
}

Result<IndexRow> parse_row(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) return Status(StatusCode::kCorrupt, where + ": not an object");
  IndexRow r;
  auto take = [&](const char* key, std::string& into, bool required) -> Status {
    auto v = string_member(j, key, required, where);
    if (!v.ok()) return v.status();
    into = *v;
    return ok_status();
  };
  std::string status;
  for (Status s : {take("kernelrelease", r.kernelrelease, true), take("kernelversion", r.kernelversion, true),
                   take("target", r.target, true), take("architecture", r.architecture, false),
                   take("status", status, true), take("artifact", r.artifact, false),
                   take("sha256", r.sha256, false), take("error", r.error, false), take("log", r.log, false)})
    if (!s.ok()) return s;
  auto st = parse_index_status(status);
  if (!st) return Status(StatusCode::kCorrupt, where + ": unknown status \"" + status + "\"");
  r.status = *st;
  if (r.status != IndexStatus::kBuildFailed && r.artifact.empty())
    return Status(StatusCode::kCorrupt, where + ": status " + status + " without an artifact");
  r.size = j.value("size", uint64_t{0});
  r.build_seconds = j.value("build_seconds", 0.0);
  r.verified = j.value("verified", false);
  if (auto v = j.find("verify"); v != j.end()) r.verify = nlohmann::ordered_json::parse(v->dump());
  return r;
}

// ARTIFACT as seen from the directory of INDEX_PATH.
std::string resolve_artifact(const std::string& artifact, const std::string& index_path) {
  fs::path a(artifact);
  if (a.is_absolute()) return a.string();
  fs::path dir = fs::path(index_path).parent_path();
  return (dir.empty() ? a : dir / a).lexically_normal().string();
}


}  // namespace

void sort_rows(DriverIndex& index) {
  std::stable_sort(index.kernels.begin(), index.kernels.end(),
                   [](const IndexRow& a, const IndexRow& b) { return row_key(a) < row_key(b); });
}

nlohmann::ordered_json index_json(const DriverIndex& index) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& r : index.kernels) rows.push_back(row_json(r));
  return {{"schema", kIndexSchema}, {"kernels", rows}};
}

Status write_index(DriverIndex index, const std::string& path) {
  sort_rows(index);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << index_json(index).dump(2) << "\n";
    if (!out) return Status(StatusCode::kUnavailable, "cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Status(StatusCode::kUnavailable, "cannot write " + path);
  return ok_status();
}

Result<DriverIndex> read_index(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status(StatusCode::kNotFound, "cannot read the driver index " + path);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return Status(StatusCode::kCorrupt, path + ": not a JSON object (a kestrel-driverkit index is expected)");
  if (j.value("schema", "") != kIndexSchema)
    return Status(StatusCode::kCorrupt, path + ": schema is \"" + j.value("schema", "") + "\", expected \"" +
                                            kIndexSchema + "\"");
  auto rows = j.find("kernels");
  if (rows == j.end() || !rows->is_array()) return Status(StatusCode::kCorrupt, path + ": no \"kernels\" array");
  DriverIndex index;
  for (size_t i = 0; i < rows->size(); ++i) {
    auto row = parse_row((*rows)[i], path + ": kernels[" + std::to_string(i) + "]");
    if (!row.ok()) return row.status();
    index.kernels.push_back(std::move(*row));
  }
  return index;
}

Result<DriverIndex> merge_indexes(const std::vector<IndexInput>& inputs, const std::string& output_dir) {
  DriverIndex merged;
  std::map<std::tuple<std::string, std::string, std::string>, std::pair<size_t, std::string>> seen;
  for (const auto& input : inputs) {
    for (IndexRow row : input.index.kernels) {
      // A relative artifact stays relative: to the merged index's directory.
      if (!row.artifact.empty() && !fs::path(row.artifact).is_absolute()) {
        fs::path where = fs::absolute(resolve_artifact(row.artifact, input.path)).lexically_normal();
        fs::path out = fs::absolute(output_dir.empty() ? fs::path(".") : fs::path(output_dir)).lexically_normal();
        row.artifact = where.lexically_relative(out).string();
      }
      if (!row.log.empty() && !fs::path(row.log).is_absolute()) {
        fs::path where = fs::absolute(resolve_artifact(row.log, input.path)).lexically_normal();
        fs::path out = fs::absolute(output_dir.empty() ? fs::path(".") : fs::path(output_dir)).lexically_normal();
        row.log = where.lexically_relative(out).string();
      }
      auto key = std::make_tuple(row.kernelrelease, row.target, row.kernelversion);
      auto it = seen.find(key);
      if (it != seen.end()) {
        const IndexRow& first = merged.kernels[it->second.first];
        if (first.sha256 == row.sha256 && first.status == row.status) continue;
        return Status(StatusCode::kInvalidArgument, describe_row(row) + " is in both " + it->second.second + " and " +
                                                      input.path + " with different results (" +
                                                      index_status_name(first.status) + " vs " +
                                                      index_status_name(row.status) + ")");
      }
      seen.emplace(key, std::make_pair(merged.kernels.size(), input.path));
      merged.kernels.push_back(std::move(row));
    }
  }
  sort_rows(merged);
  return merged;
}

LookupResult lookup_kernel(const DriverIndex& index, const std::string& index_path, const LookupRequest& request) {
  LookupResult result;
  std::vector<const IndexRow*> matches;
  for (const auto& r : index.kernels) {
    if (r.kernelrelease != request.kernelrelease) continue;
    if (!request.kernelversion.empty() && r.kernelversion != request.kernelversion) continue;
    if (!request.architecture.empty() && !r.architecture.empty() && r.architecture != request.architecture) continue;
    matches.push_back(&r);
  }
  if (matches.empty()) {
    std::string dir = fs::path(index_path).parent_path().empty() ? std::string(".")
                                                                  : fs::path(index_path).parent_path().string();
    result.reason = "kernel " + request.kernelrelease + " is not in the driver index " + index_path + " (" +
                    std::to_string(index.kernels.size()) +
                    " kernels). Add it to the index: crawl again (kestrel-crawler crawl --distro <distro> --output list.json) "
                    "and re-run the matrix on the new list (kestrel-driverkit matrix --input list.json --output-dir " +
                    dir + "; kernels already built are skipped; kestrel-driverkit index merge after a sharded run); "
                    "or build it alone with "
                    "kestrel-driverkit build --target <distro> --kernelrelease " +
                    request.kernelrelease + " and insmod it, after which the collector uses /dev/kestrel";
    return result;
  }
  // Prefer a usable row; among equals, the first in index order.
  const IndexRow* row = matches.front();
  for (const IndexRow* m : matches)
    if (m->status == IndexStatus::kOk) {
      row = m;
      break;
    }
  result.row = row;
  if (row->status == IndexStatus::kBuildFailed) {
    result.reason = "the driver index " + index_path + " records that the build for " + describe_row(*row) +
                    " failed:\n" + last_lines(row->error, 10) +
                    "\nFix the cause and rebuild: kestrel-driverkit build --target " + row->target +
                    " --kernelrelease " + row->kernelrelease;
    return result;
  }
  if (row->status == IndexStatus::kVerifyFailed) {
    std::string reasons;
    if (row->verify.is_object() && row->verify.contains("reasons"))
      for (const auto& r : row->verify["reasons"]) reasons += "\n  " + r.get<std::string>();
    if (reasons.empty()) reasons = "\n  " + last_lines(row->error, 10);
    result.reason = "the module for " + describe_row(*row) + " in " + index_path +
                    " failed verification and is not loaded:" + reasons +
                    "\nInspect it with kestrel-driverkit verify " +
                    resolve_artifact(row->artifact, index_path) + " --kernel-image " + row->kernelrelease;
    return result;
  }
  std::string path = resolve_artifact(row->artifact, index_path);
  auto sum = sha256_file(path);
  if (!sum.ok()) {
    result.reason = "the driver index " + index_path + " names " + path + " for " + describe_row(*row) +
                    ", but it cannot be read (" + sum.status().message() + "); re-run the matrix or copy the artifact there";
    return result;
  }
  if (!row->sha256.empty() && *sum != row->sha256) {
    result.reason = path + " does not match the driver index " + index_path + " (sha256 " + *sum + ", the index says " +
                    row->sha256 + "); it was replaced or corrupted: rebuild it with kestrel-driverkit matrix";
    return result;
  }
  result.found = true;
  result.artifact_path = path;
  return result;
}

}  // namespace kestrel::driverkit
