// input_files.h — reading the log files our file-based plugins replay
// (cloudtrail, okta): whole files, gzip-compressed or not, and the files
// under a directory in a stable order.
//
// gzip: zlib's gzread reads a plain file through unchanged, so one path
// serves "x.json" and "x.json.gz" (CloudTrail's S3 delivery). Size is
// bounded after decompression (a small .gz must not become gigabytes).
//
// Header-only: the plugins link zlib themselves (CMake), not Kestrel.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace kestrel::plugin_kit {

inline constexpr size_t kMaxInputFileBytes = 512u << 20;

// Reads `path` (gzip or plain) into `out`. False with `error` set when it
// cannot be opened or read, or is larger than `max_bytes` once inflated.
inline bool read_input_file(const std::string& path, std::string& out, std::string& error,
                            size_t max_bytes = kMaxInputFileBytes) {
  out.clear();
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) {
    error = "cannot open '" + path + "': " + std::strerror(errno ? errno : ENOENT);
    return false;
  }
  char buf[1 << 16];
  for (;;) {
    int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      int zerr = 0;
      const char* msg = gzerror(f, &zerr);
      error = "cannot read '" + path + "': " + (msg ? msg : "gzip error");
      gzclose(f);
      return false;
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      error = "'" + path + "' is larger than " + std::to_string(max_bytes >> 20) + " MiB (after decompression)";
      gzclose(f);
      return false;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  gzclose(f);
  return true;
}

// `path` itself when it is a file; for a directory, the regular files
// below it (recursively) whose names end in one of `suffixes`, sorted by
// path so a replay is the same every time (CloudTrail names files by
// account, region and time, so path order is time order within a trail).
inline bool input_files(const std::string& path, const std::vector<std::string>& suffixes,
                        std::vector<std::string>& out, std::string& error) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    error = "no such file or directory: '" + path + "'";
    return false;
  }
  if (!fs::is_directory(st)) {
    out.push_back(path);
    return true;
  }
  for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string name = it->path().filename().string();
    for (const auto& s : suffixes)
      if (name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
        out.push_back(it->path().string());
        break;
      }
  }
  if (ec) {
    error = "cannot list '" + path + "': " + ec.message();
    return false;
  }
  std::sort(out.begin(), out.end());
  return true;
}

}  // namespace kestrel::plugin_kit
