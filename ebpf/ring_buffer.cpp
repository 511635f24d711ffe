#include "ebpf/ring_buffer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace kestrel::ebpf {

Result<RingBuffer> RingBuffer::map(int fd, size_t size) {
  RingBuffer rb;
  rb.page_ = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  rb.size_ = size;
  if (size == 0 || (size & (size - 1)) != 0 || size % rb.page_ != 0)
    return Status(StatusCode::kInvalidArgument,
                  "ring buffer size " + std::to_string(size) + " is not a power of two multiple of the page size");
  void* cons = ::mmap(nullptr, rb.page_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (cons == MAP_FAILED)
    return Status(StatusCode::kUnavailable, std::string("mmap of ring buffer consumer page: ") + std::strerror(errno));
  void* prod = ::mmap(nullptr, rb.page_ + 2 * size, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(rb.page_));
  if (prod == MAP_FAILED) {
    int err = errno;
    ::munmap(cons, rb.page_);
    return Status(StatusCode::kUnavailable, std::string("mmap of ring buffer data: ") + std::strerror(err));
  }
  // The kernel maps ring buffer pages as a mixed map, whose page tables fork
  // copies entry by entry: with 2 x 8 MiB per buffer that added ~0.5 ms to
  // every fork of this process (and as much to each child's exit). Children
  // have no use for the buffers, so keep them out of fork altogether.
  ::madvise(cons, rb.page_, MADV_DONTFORK);
  ::madvise(prod, rb.page_ + 2 * size, MADV_DONTFORK);
  rb.consumer_ = static_cast<uint64_t*>(cons);
  rb.producer_ = static_cast<const uint64_t*>(prod);
  rb.data_ = static_cast<const uint8_t*>(prod) + rb.page_;
  rb.read_pos_ = __atomic_load_n(rb.consumer_, __ATOMIC_ACQUIRE);
  return rb;
}

RingBuffer::RingBuffer(RingBuffer&& other) noexcept { *this = std::move(other); }

RingBuffer& RingBuffer::operator=(RingBuffer&& other) noexcept {
  if (this != &other) {
    unmap();
    consumer_ = std::exchange(other.consumer_, nullptr);
    producer_ = std::exchange(other.producer_, nullptr);
    data_ = std::exchange(other.data_, nullptr);
    size_ = other.size_;
    page_ = other.page_;
    read_pos_ = other.read_pos_;
  }
  return *this;
}

RingBuffer::~RingBuffer() { unmap(); }

void RingBuffer::unmap() {
  if (consumer_) ::munmap(consumer_, page_);
  if (producer_) ::munmap(const_cast<uint64_t*>(producer_), page_ + 2 * size_);
  consumer_ = nullptr;
  producer_ = nullptr;
  data_ = nullptr;
}

void RingBuffer::release() {
  if (consumer_) __atomic_store_n(consumer_, read_pos_, __ATOMIC_RELEASE);
}

uint64_t RingBuffer::pending_bytes() const {
  if (!consumer_) return 0;
  return __atomic_load_n(producer_, __ATOMIC_ACQUIRE) - __atomic_load_n(consumer_, __ATOMIC_ACQUIRE);
}

}  // namespace kestrel::ebpf
