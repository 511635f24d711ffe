// kmod_ring.h — the reader side of one per-CPU ring of the kestrel kernel
// module (protocol in kmod/module/kestrel_kmod_abi.h): a mapping of
// header page + data, records 8-aligned, never wrapped, padding skipped.
//
// Single consumer. read() hands out spans into the mapping; they stay
// valid until release(), which publishes the new tail to the kernel.
#pragma once

#include <sys/ioctl.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "sources/abi/kestrel_event.h"
#include "base/status.h"

extern "C" {
#include "kmod/module/kestrel_kmod_abi.h"
}

namespace kestrel::kmod {

class KmodRing {
 public:
  // Maps the ring of `cpu` from the open device `fd` (buf_size data bytes).
  // kNotFound when the CPU has no ring (ENXIO: not a possible CPU).
  static Result<KmodRing> map(int fd, uint32_t cpu, uint64_t buf_size);

  KmodRing(KmodRing&& other) noexcept;
  KmodRing& operator=(KmodRing&& other) noexcept;
  KmodRing(const KmodRing&) = delete;
  KmodRing& operator=(const KmodRing&) = delete;
  ~KmodRing();

  // Calls fn(span) for up to max_records complete records after the last
  // one read; returns how many. A corrupt length stops reading this ring
  // for good and counts in corrupt().
  template <typename Fn>
  size_t read(Fn&& fn, size_t max_records);

  // Gives everything read so far back to the kernel.
  void release();

  // Kernel-side drop counters of this CPU, by kestrel_kmod_drop_reason.
  uint64_t drops(uint32_t reason) const;
  // Its buffer_full drops of records of event type `type`.
  uint64_t buffer_full_of_type(uint32_t type) const;
  // Records of event type `type` the module's in-kernel filter dropped.
  uint64_t filtered_of_type(uint32_t type) const;
  bool corrupt() const { return corrupt_; }

 private:
  KmodRing(void* base, size_t map_bytes, uint64_t size);

  void* base_ = nullptr;
  size_t map_bytes_ = 0;
  kestrel_kmod_ring_hdr* hdr_ = nullptr;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  uint64_t read_pos_ = 0;
  bool corrupt_ = false;
};

template <typename Fn>
size_t KmodRing::read(Fn&& fn, size_t max_records) {
  if (corrupt_) return 0;
  const uint64_t head = __atomic_load_n(&hdr_->head, __ATOMIC_ACQUIRE);
  size_t n = 0;
  while (read_pos_ < head && n < max_records) {
    const uint64_t pos = read_pos_ & (size_ - 1);
    const uint64_t to_end = size_ - pos;
    if (to_end < KESTREL_EVENT_HDR_SIZE) {  // padding without a header
      read_pos_ += to_end;
      continue;
    }
    kestrel_event_hdr h;
    __builtin_memcpy(&h, data_ + pos, sizeof(h));
    if (h.len < KESTREL_EVENT_HDR_SIZE || h.len > to_end || (h.type == KE_NONE && h.len != to_end)) {
      corrupt_ = true;
      break;
    }
    read_pos_ += (h.len + 7) & ~uint64_t{7};
    if (h.type == KE_NONE) continue;  // padding up to the end
    fn(std::span<const uint8_t>(data_ + pos, h.len));
    ++n;
  }
  return n;
}

}  // namespace kestrel::kmod
