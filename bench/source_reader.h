// source_reader.h — drains a Source on its own thread while a benchmark
// runs its workload, as the collector's reader thread would, counting the
// events it took.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "sources/source.h"

namespace kestrel::bench {

struct SourceReader {
  explicit SourceReader(Source& s) : source(s), thread([this] { run(); }) {}
  ~SourceReader() {
    stop = true;
    thread.join();
  }
  void run() {
    EventBatch batch;
    while (!stop) {
      auto r = source.next(batch, std::chrono::milliseconds(10));
      if (!r.ok()) return;
      events += batch.events.size();
    }
  }
  Source& source;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> events{0};
  std::thread thread;
};

}  // namespace kestrel::bench
