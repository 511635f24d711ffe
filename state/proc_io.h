// proc_io.h — small, failure-tolerant file reads for the /proc scan.
//
// Processes vanish while /proc is being read; every read here reports
// "gone" as an empty optional instead of an error, and the scanner skips
// what it could not read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

namespace kestrel {

// The whole file (at most `max_bytes`), or nullopt if it cannot be opened
// or read. /proc files report size 0, so this reads until EOF.
std::optional<std::string> read_text_file(const std::string& path, size_t max_bytes = 1 << 20);

// The target of the symlink at `path`, or nullopt.
std::optional<std::string> read_link(const std::string& path);

// Names in directory `path` that are decimal numbers (pids, tids, fds),
// ascending. Empty if the directory cannot be listed.
std::vector<int64_t> list_numeric_entries(const std::string& path);

// A stat(2) time as ns since the epoch (st_ctim, st_mtim).
inline uint64_t timespec_ns(const struct timespec& t) {
  return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(t.tv_nsec);
}

}  // namespace kestrel
