#include "kmod/kmod_ring.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <utility>

namespace kestrel::kmod {

// The layout the module checks too (BUILD_BUG_ON in module/kk_main.c).
static_assert(offsetof(kestrel_kmod_ring_hdr, head) == 0);
static_assert(offsetof(kestrel_kmod_ring_hdr, tail) == 64);
static_assert(offsetof(kestrel_kmod_ring_hdr, size) == 128);
static_assert(offsetof(kestrel_kmod_ring_hdr, drops) == 136);
static_assert(offsetof(kestrel_kmod_ring_hdr, buffer_full_by_type) == 136 + 8 * KESTREL_KMOD_DROP_COUNT);
static_assert(offsetof(kestrel_kmod_ring_hdr, filtered_by_type) ==
              136 + 8 * KESTREL_KMOD_DROP_COUNT + 8 * 64 * KESTREL_KMOD_TYPE_WORDS);
static_assert(sizeof(kestrel_kmod_ring_hdr) <= KESTREL_KMOD_RING_HDR_BYTES);
static_assert(sizeof(kestrel_kmod_filter_req) == 16);
static_assert(sizeof(kestrel_kmod_info) == 40);
static_assert(sizeof(kestrel_kmod_start) == 48 + 4 * KESTREL_KMOD_MAX_SYSCALLS);
static_assert(sizeof(kestrel_event_hdr) == KESTREL_EVENT_HDR_SIZE);
static_assert(KE_COUNT <= KESTREL_KMOD_TYPE_WORDS * 64);

Result<KmodRing> KmodRing::map(int fd, uint32_t cpu, uint64_t buf_size) {
  const size_t bytes = KESTREL_KMOD_RING_HDR_BYTES + buf_size;
  void* base = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, static_cast<off_t>(cpu) * bytes);
  if (base == MAP_FAILED) {
    int err = errno;
    if (err == ENXIO) return Status(StatusCode::kNotFound, "no ring for cpu " + std::to_string(cpu));
    return Status(StatusCode::kInternal,
                  "mmap of the kestrel ring of cpu " + std::to_string(cpu) + ": " + std::strerror(err));
  }
  return KmodRing(base, bytes, buf_size);
}

KmodRing::KmodRing(void* base, size_t map_bytes, uint64_t size)
    : base_(base),
      map_bytes_(map_bytes),
      hdr_(static_cast<kestrel_kmod_ring_hdr*>(base)),
      data_(static_cast<const uint8_t*>(base) + KESTREL_KMOD_RING_HDR_BYTES),
      size_(size) {
  // Start where the consumer left off (0 for a fresh ring).
  read_pos_ = __atomic_load_n(&hdr_->tail, __ATOMIC_ACQUIRE);
}

KmodRing::KmodRing(KmodRing&& other) noexcept { *this = std::move(other); }

KmodRing& KmodRing::operator=(KmodRing&& other) noexcept {
  if (this != &other) {
    if (base_) ::munmap(base_, map_bytes_);
    base_ = std::exchange(other.base_, nullptr);
    map_bytes_ = other.map_bytes_;
    hdr_ = other.hdr_;
    data_ = other.data_;
    size_ = other.size_;
    read_pos_ = other.read_pos_;
    corrupt_ = other.corrupt_;
  }
  return *this;
}

KmodRing::~KmodRing() {
  if (base_) ::munmap(base_, map_bytes_);
}

void KmodRing::release() {
  if (base_) __atomic_store_n(&hdr_->tail, read_pos_, __ATOMIC_RELEASE);
}

uint64_t KmodRing::buffer_full_of_type(uint32_t type) const {
  constexpr uint32_t kTypes = KESTREL_KMOD_TYPE_WORDS * 64;
  return type < kTypes ? __atomic_load_n(&hdr_->buffer_full_by_type[type], __ATOMIC_RELAXED) : 0;
}

uint64_t KmodRing::filtered_of_type(uint32_t type) const {
  constexpr uint32_t kTypes = KESTREL_KMOD_TYPE_WORDS * 64;
  return type < kTypes ? __atomic_load_n(&hdr_->filtered_by_type[type], __ATOMIC_RELAXED) : 0;
}

uint64_t KmodRing::drops(uint32_t reason) const {
  return reason < KESTREL_KMOD_DROP_COUNT ? __atomic_load_n(&hdr_->drops[reason], __ATOMIC_RELAXED) : 0;
}

}  // namespace kestrel::kmod
