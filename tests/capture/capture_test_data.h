// capture_test_data.h — inputs shared by the capture tests: varied event
// records, a snapshot with every ThreadInfo/FdInfo field set to a distinct
// value, a header, temp files and byte helpers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "sources/capture/kcap_format.h"
#include "state/thread_info.h"

namespace kestrel::kcap::testing {

using Bytes = std::vector<uint8_t>;

// `n` records cycling through execve (args, env), openat, connect (IPv4
// and IPv6 tuples), socket, read (binary data), unlinkat, close, procexit
// and a record with an unreadable (empty) param; ids and strings vary with
// `seed`. Timestamps increase, so every record is unique.
std::vector<Bytes> make_events(size_t n, uint32_t seed = 1);

// Three processes (one with two threads), fds of several types, sockets
// with tuples, every numeric field distinct and non-default.
std::vector<ThreadInfo> make_snapshot();

KcapHeader make_header();

// Field-by-field gtest comparison (names the field that differs).
void expect_same_thread(const ThreadInfo& want, const ThreadInfo& got);

// A fresh directory under $TMPDIR removed with its files on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

Bytes read_file(const std::string& path);
void write_file(const std::string& path, const Bytes& bytes);

// Everything a KcapReader yields for one file, read to its end or first error.
struct ReadOutcome {
  Status status;  // of open() or of the next_batch() that failed; ok if kEnd was reached
  KcapHeader header;
  std::vector<ThreadInfo> snapshot;
  std::vector<Bytes> events;  // copies of every record delivered, in order
  std::vector<size_t> batch_sizes;
  std::vector<uint32_t> batch_domains;
};
ReadOutcome read_capture(const std::string& path);

// Offsets of every frame (start of its 8-byte header) in a plain .kcap.
std::vector<size_t> frame_offsets(const Bytes& file);
// Recomputes the crc32 of the frame starting at `frame_offset`.
void fix_frame_crc(Bytes& file, size_t frame_offset);
// Position of `needle` in `hay`, or SIZE_MAX.
size_t find_bytes(const Bytes& hay, const Bytes& needle);

}  // namespace kestrel::kcap::testing
