// ring_buffer.h — a zero-copy consumer of one BPF ring buffer.
//
// libbpf's ring_buffer__poll() hands each record to a callback and frees
// it when the callback returns; the Source contract instead lends views
// until the next call to next(), and the source merges several buffers by
// timestamp. So we map the buffer ourselves (the layout is kernel ABI, see
// kernel/bpf/ringbuf.c): page 0 is the consumer position (ours, writable),
// page 1 the producer position, then the data area mapped twice in a row so
// a record that wraps around the end is still contiguous.
//
// Reading does not free: records stay valid (and keep their space) until
// release() moves the consumer position past them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "base/status.h"
#include "sources/abi/kestrel_event.h"

namespace kestrel::ebpf {

class RingBuffer {
 public:
  // Maps the ring buffer map `fd` whose data area is `size` bytes (a power
  // of two and a multiple of the page size). Does not take `fd`.
  static Result<RingBuffer> map(int fd, size_t size);

  RingBuffer(RingBuffer&& other) noexcept;
  RingBuffer& operator=(RingBuffer&& other) noexcept;
  RingBuffer(const RingBuffer&) = delete;
  RingBuffer& operator=(const RingBuffer&) = delete;
  ~RingBuffer();

  // Calls `fn(std::span<const uint8_t>)` for committed records after the
  // last one read, stopping at a record still being written or after
  // `max_records`. Discarded records are skipped. Returns how many were
  // delivered. Spans stay valid until release().
  //
  // A span is the event record, as long as its own `len` says: the probe
  // writes its hot records in place, into a reservation of a fixed size
  // that may be longer than the record (ebpf/bpf/record.bpf.h). A `len`
  // longer than the slot is passed on as the slot, for the parser to
  // reject.
  template <typename Fn>
  size_t read(Fn&& fn, size_t max_records);

  // Gives everything read so far back to the producer.
  void release();

  // Bytes written by the producer and not yet released (a fill level).
  uint64_t pending_bytes() const;

 private:
  RingBuffer() = default;
  void unmap();

  uint64_t* consumer_ = nullptr;        // page 0, RW
  const uint64_t* producer_ = nullptr;  // page 1, RO
  const uint8_t* data_ = nullptr;       // 2 * size_ bytes, RO
  size_t size_ = 0;
  size_t page_ = 0;
  uint64_t read_pos_ = 0;  // next record to read (>= *consumer_)
};

// The length of the event record in a slot of `slot_len` bytes: its own
// `len` when that fits the slot (a reservation may be longer than the
// record), else the slot's.
inline uint32_t record_len(const uint8_t* slot, uint32_t slot_len) {
  if (slot_len < KESTREL_EVENT_HDR_SIZE) return slot_len;
  uint32_t len = 0;
  std::memcpy(&len, slot + offsetof(kestrel_event_hdr, len), sizeof(len));
  return len <= slot_len ? len : slot_len;
}

// Record header the kernel puts before each record (kernel ABI).
inline constexpr uint32_t kRingBusyBit = 1u << 31;
inline constexpr uint32_t kRingDiscardBit = 1u << 30;
inline constexpr size_t kRingHeaderSize = 8;

template <typename Fn>
size_t RingBuffer::read(Fn&& fn, size_t max_records) {
  size_t n = 0;
  uint64_t prod = __atomic_load_n(producer_, __ATOMIC_ACQUIRE);
  while (read_pos_ < prod && n < max_records) {
    const uint8_t* rec = data_ + (read_pos_ & (size_ - 1));
    uint32_t hdr = __atomic_load_n(reinterpret_cast<const uint32_t*>(rec), __ATOMIC_ACQUIRE);
    if (hdr & kRingBusyBit) break;  // reserved, not yet committed
    uint32_t len = hdr & ~(kRingBusyBit | kRingDiscardBit);
    if (!(hdr & kRingDiscardBit)) {
      fn(std::span<const uint8_t>(rec + kRingHeaderSize, record_len(rec + kRingHeaderSize, len)));
      ++n;
    }
    read_pos_ += (len + kRingHeaderSize + 7) & ~uint64_t{7};
  }
  return n;
}

}  // namespace kestrel::ebpf
