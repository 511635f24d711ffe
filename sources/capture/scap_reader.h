// scap_reader.h — reads the block structure of a .scap capture (plain or
// gzip): the section header, machine info, interface, user, process and fd
// lists, and one raw event at a time. Knows nothing of Kestrel's records:
// scap_converter.h turns raw events into them.
//
// Layouts are in scap_format.h. Every block is read whole and its trailer
// checked; the body is then parsed from memory, so an entry that runs past
// its block is an error at a known offset, never a read past the buffer.
// Blocks extended by newer writers (fields appended to an entry whose
// length is given, bytes after the last entry) are read by their lengths;
// blocks of unknown type are skipped and counted. Offsets are positions in
// the decompressed stream.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "sources/capture/byte_stream.h"
#include "state/thread_info.h"

namespace kestrel::scap {

// An allocator whose resize() leaves new bytes uninitialised: the block
// buffer is resized for every block and then filled by a read, so
// zero-filling it first was a tenth of a replay's time.
template <typename T>
struct UninitAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = UninitAllocator<U>;
  };
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

struct MachineInfo {
  uint32_t num_cpus = 0;
  uint64_t memory_bytes = 0;
  uint64_t max_pid = 0;
  std::string hostname;
};

struct UserEntry {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string name, home, shell;
};

struct GroupEntry {
  uint32_t gid = 0;
  std::string name;
};

struct InterfaceEntry {
  uint16_t type = 0;  // scap_ifinfo_type: 1/3 IPv4, 2/4 IPv6
  std::string name;
};

// An event's params: views into the reader's buffer, at most kMax (the
// reader refuses an event that claims more). Fixed storage, so filling it
// per event allocates nothing and checks no capacity.
class RawParams {
 public:
  static constexpr size_t kMax = 64;
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  std::span<const uint8_t> operator[](size_t i) const { return items_[i]; }
  const std::span<const uint8_t>* begin() const { return items_.data(); }
  const std::span<const uint8_t>* end() const { return items_.data() + n_; }
  void clear() { n_ = 0; }
  // Callers keep to kMax.
  void emplace_back(const uint8_t* data, size_t size) { items_[n_++] = std::span<const uint8_t>(data, size); }

 private:
  std::array<std::span<const uint8_t>, kMax> items_;
  size_t n_ = 0;
};

// One event as the file holds it. Param spans point into the reader's
// buffer and are valid until the next call to next().
struct RawEvent {
  uint64_t offset = 0;  // of its block
  uint32_t block_type = 0;
  uint16_t cpu = 0;
  uint32_t flags = 0;  // EVF blocks; 0 otherwise
  uint64_t ts = 0;
  uint64_t tid = 0;
  uint16_t type = 0;  // ppm_event_type
  RawParams params;
};

enum class NextResult { kEvent, kEnd };

class ScapReader {
 public:
  ScapReader();
  ~ScapReader();

  // Opens `path`, checks the section header and reads every block up to
  // the first event block. Errors: missing file, not a scap file, damaged
  // metadata (with the offset).
  Status open(const std::string& path);
  // The same on a stream already opened (`path` names it in messages): a
  // FIFO whose head was read to recognise it (kcap::prefixed_source).
  Status open(const std::string& path, std::unique_ptr<kcap::ByteSource> stream);
  // Thread-safe while open: a next() waiting on a capture streamed through
  // a pipe returns an error now (ByteSource::interrupt).
  void interrupt() {
    if (source_) source_->interrupt();
  }

  // The next event in `out` (kEvent) or kEnd at a clean end of file.
  // Metadata blocks between events are read and counted (process and fd
  // lists there update threads()); an event whose params do not add up to
  // its length is counted in malformed_events() and skipped. A cut or
  // damaged block is an error naming its offset; after it, next() returns
  // the same error again.
  Result<NextResult> next(RawEvent& out);

  // Events whose type id has `skip[id]` set are passed over by next()
  // without parsing their params, and counted in skipped_events() (a
  // replay's event-type filter). Empty: none skipped.
  void skip_event_types(std::vector<bool> skip) { skip_ = std::move(skip); }
  uint64_t skipped_events() const { return skipped_events_; }

  const MachineInfo& machine() const { return machine_; }
  const std::vector<UserEntry>& users() const { return users_; }
  const std::vector<GroupEntry>& groups() const { return groups_; }
  const std::vector<InterfaceEntry>& interfaces() const { return interfaces_; }
  // Threads from the process lists with their fds (on the thread-group
  // leader, as the state tables keep them). Moved out by take_threads().
  std::vector<ThreadInfo> take_threads();
  size_t thread_count() const { return threads_.size(); }

  // Blocks read so far by type, unknown types included.
  const std::map<uint32_t, uint64_t>& block_counts() const { return block_counts_; }
  uint64_t unknown_blocks() const { return unknown_blocks_; }
  uint64_t malformed_events() const { return malformed_events_; }
  uint16_t major_version() const { return major_; }
  uint16_t minor_version() const { return minor_; }
  bool compressed() const;
  uint64_t offset() const { return offset_; }

 private:
  enum class BlockRead { kBlock, kEnd };
  Result<BlockRead> read_block();
  Status handle_metadata();
  Status parse_section_header();
  Status parse_machine_info();
  Status parse_proclist(int version);
  Status parse_fdlist(bool v2);
  Status parse_userlist(bool v2);
  Status parse_iflist(bool v2);
  // Walks the event blocks that lie whole in the source's buffer, in place
  // (one buffered() walk, not a read_block() and its two borrows per
  // block): passes over those of skipped types, and makes the first other
  // one the current block (true). Stops at anything else (false), which
  // read_block() then reads and checks as always.
  bool next_buffered_event();
  // Fills `out` from the current event block; false if malformed.
  bool parse_event(RawEvent& out);
  Status error_at(StatusCode code, const std::string& message, uint64_t offset) const;
  Status fail(Status st);
  void attach_fds();

  std::string path_;
  std::unique_ptr<kcap::ByteSource> source_;
  uint64_t offset_ = 0;        // decompressed bytes consumed
  uint64_t block_offset_ = 0;  // where the current block starts
  uint32_t block_type_ = 0;
  // The current block's body (no header, no trailer): lent by the source
  // (a mapped file) or read into body_copy_.
  std::span<const uint8_t> body_;
  std::vector<uint8_t, UninitAllocator<uint8_t>> body_copy_;
  bool pending_event_ = false;  // body_ holds an event block not yet returned
  Status error_;

  MachineInfo machine_;
  std::vector<UserEntry> users_;
  std::vector<GroupEntry> groups_;
  std::vector<InterfaceEntry> interfaces_;
  std::vector<ThreadInfo> threads_;
  std::map<int64_t, std::vector<FdInfo>> fds_by_tid_;
  std::map<uint32_t, uint64_t> block_counts_;
  uint64_t unknown_blocks_ = 0;
  uint64_t malformed_events_ = 0;
  std::vector<bool> skip_;
  uint64_t skipped_events_ = 0;
  uint32_t counted_type_ = 0;        // the type block_counts_ was last bumped for
  uint64_t* counted_ = nullptr;      // and its counter (std::map nodes are stable)
  uint16_t major_ = 0, minor_ = 0;
};

}  // namespace kestrel::scap
