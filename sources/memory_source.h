// memory_source.h — a Source that replays records held in memory.
//
// For tests and for userspace producers that already have records in hand:
// each next() hands out up to `batch_size` events, then kEof. Like every
// source it validates records; invalid ones are counted as "malformed"
// drops, never delivered.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "sources/source.h"

namespace kestrel {

class MemorySource : public Source {
 public:
  MemorySource(std::string name, std::vector<std::vector<uint8_t>> records, DomainId domain = kHostDomain,
               size_t batch_size = 64, std::vector<ThreadInfo> initial = {});

  const SourceCapabilities& capabilities() const override { return caps_; }
  Status open() override;
  std::vector<ThreadInfo> initial_state() override { return initial_; }
  Result<NextOutcome> next(EventBatch& out, std::chrono::milliseconds wait) override;
  SourceStats stats() const override;
  void close() override {}

 private:
  SourceCapabilities caps_;
  std::vector<std::vector<uint8_t>> records_;
  DomainId domain_;
  size_t batch_size_;
  std::vector<ThreadInfo> initial_;
  size_t pos_ = 0;
  std::atomic<uint64_t> events_{0}, bytes_{0}, malformed_{0};
};

}  // namespace kestrel
