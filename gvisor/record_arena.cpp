#include "gvisor/record_arena.h"

#include <cstring>

namespace kestrel::gvisor {

namespace {
void put(std::vector<uint8_t>& out, const void* p, size_t n) {
  if (n == 0) return;
  const auto* b = static_cast<const uint8_t*>(p);
  out.insert(out.end(), b, b + n);  // no zero-fill before the copy
}
}  // namespace

void RecordArena::append(std::span<const uint8_t> record, DomainId domain, const GvisorContext& ctx) {
  Entry e;
  e.domain = domain;
  e.record_off = static_cast<uint32_t>(bytes_.size());
  e.record_len = static_cast<uint32_t>(record.size());
  put(bytes_, record.data(), record.size());
  // Context strings are clamped to kMaxContextString (< 64 KiB) upstream.
  e.strings_off = static_cast<uint32_t>(bytes_.size());
  e.container_len = static_cast<uint16_t>(ctx.container_id.size());
  e.cwd_len = static_cast<uint16_t>(ctx.cwd.size());
  e.name_len = static_cast<uint16_t>(ctx.process_name.size());
  put(bytes_, ctx.container_id.data(), e.container_len);
  put(bytes_, ctx.cwd.data(), e.cwd_len);
  put(bytes_, ctx.process_name.data(), e.name_len);
  e.fixed = ctx;
  e.fixed.container_id = e.fixed.cwd = e.fixed.process_name = {};
  entries_.push_back(e);
}

std::span<const uint8_t> RecordArena::record(size_t i) const {
  const Entry& e = entries_[i];
  return {bytes_.data() + e.record_off, e.record_len};
}

GvisorContext RecordArena::context(size_t i) const {
  const Entry& e = entries_[i];
  GvisorContext c = e.fixed;
  const char* s = reinterpret_cast<const char*>(bytes_.data() + e.strings_off);
  c.container_id = {s, e.container_len};
  c.cwd = {s + e.container_len, e.cwd_len};
  c.process_name = {s + e.container_len + e.cwd_len, e.name_len};
  return c;
}

void RecordArena::clear() {
  bytes_.clear();
  entries_.clear();
}

void RecordArena::swap(RecordArena& other) noexcept {
  bytes_.swap(other.bytes_);
  entries_.swap(other.entries_);
}

}  // namespace kestrel::gvisor
