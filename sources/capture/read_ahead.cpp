#include "sources/capture/read_ahead.h"

#include <errno.h>
#include <unistd.h>

namespace kestrel::kcap {

ReadAhead::ReadAhead(int fd) : fd_(fd), chunks_(kChunks) {
  for (Chunk& c : chunks_) {
    c.mem.reset(new uint8_t[kHeadroom + kChunkBytes]);  // not zeroed: filled by read(2)
    free_.push_back(&c);
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
