#include "sources/capture/read_ahead.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include <new>

namespace kestrel::kcap {

ReadAhead::ReadAhead(int fd) : fd_(fd), chunks_(kChunks) {
  region_bytes_ = kChunks * (kHeadroom + kChunkBytes);
  region_ = mmap(nullptr, region_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (region_ == MAP_FAILED) throw std::bad_alloc();
  for (size_t i = 0; i < chunks_.size(); ++i) {
    chunks_[i].mem = static_cast<uint8_t*>(region_) + i * (kHeadroom + kChunkBytes);
    free_.push_back(&chunks_[i]);
  }
  thread_ = std::thread([this] { run(); });
}

ReadAhead::~ReadAhead() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  munmap(region_, region_bytes_);
}

ReadAhead::Chunk* ReadAhead::take() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !filled_.empty(); });
  Chunk* c = filled_.front();
  filled_.pop_front();
  lock.unlock();
  return c;
}

void ReadAhead::give_back(Chunk* c) {
  {
    std::lock_guard lock(mu_);
    free_.push_back(c);
  }
  cv_.notify_all();
}

void ReadAhead::run() {
  for (;;) {
    Chunk* c = nullptr;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !free_.empty(); });
      if (stop_) return;
      c = free_.front();
      free_.pop_front();
    }
    c->size = 0;
    c->last = false;
#ifdef MADV_POPULATE_WRITE
    if (!c->populated) {
      // Each chunk when first filled, so the first one is not held up by
      // the others. Best effort: a kernel without it (before 5.14) faults
      // the pages in as the reads fill them, as plain memory would.
      (void)madvise(c->mem, kHeadroom + kChunkBytes, MADV_POPULATE_WRITE);
      c->populated = true;
    }
#endif
    while (c->size < kChunkBytes) {
      ssize_t got = ::read(fd_, c->data() + c->size, kChunkBytes - c->size);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {  // end of file, or an error the consumer's own read meets
        c->last = true;
        break;
      }
      c->size += static_cast<size_t>(got);
    }
    {
      std::lock_guard lock(mu_);
      filled_.push_back(c);
    }
    cv_.notify_all();
    if (c->last) return;
  }
}

}  // namespace kestrel::kcap
