// record_arena.h — decoded events waiting to be handed out.
//
// The decoder appends finished event records, each with the domain (sandbox)
// it came from and its gVisor context, into one growing byte buffer. The
// parser thread fills one arena while GvisorSource::next() reads another;
// they swap under a lock, so records are copied once and views handed out
// stay valid until the next swap.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "gvisor/context.h"
#include "sources/source.h"

namespace kestrel::gvisor {

class RecordArena {
 public:
  // Copies `record` and the strings of `ctx` in. `record` must be one whole
  // event record (the decoder builds it; it is not re-validated here).
  void append(std::span<const uint8_t> record, DomainId domain, const GvisorContext& ctx);

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // Bytes held (records plus context strings), for queue bounds.
  size_t bytes() const { return bytes_.size(); }

  // Entry i (< size()). Views point into the arena: valid until clear(),
  // swap() or the next append().
  std::span<const uint8_t> record(size_t i) const;
  DomainId domain(size_t i) const { return entries_[i].domain; }
  GvisorContext context(size_t i) const;

  void clear();  // keeps capacity
  void swap(RecordArena& other) noexcept;

 private:
  struct Entry {
    uint32_t record_off = 0, record_len = 0;
    DomainId domain = 0;
    uint32_t strings_off = 0;  // container_id, cwd, process_name back to back
    uint16_t container_len = 0, cwd_len = 0, name_len = 0;
    GvisorContext fixed;  // string views unset; rebuilt by context()
  };
  std::vector<uint8_t> bytes_;
  std::vector<Entry> entries_;
};

}  // namespace kestrel::gvisor
