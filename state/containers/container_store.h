// container_store.h — the bounded container metadata cache, fed by runtimes.
//
// ContainerStore answers ContainerMetadata::find() from an LRU cache
// (state/lru_map.h) of at most `capacity` containers. An id it has not
// seen is looked up synchronously on the calling (engine) thread, asking
// each runtime in turn with `lookup_timeout` each, so the first event of a
// new container already carries its name and image; an id no runtime
// knows, or whose lookup failed, is remembered as unknown and not asked
// again for `retry_after` (nothing blocks per event). A runtime that is not
// running answers at once (connect fails), so without one the fields read
// <NA> and nothing waits.
//
// A watch thread per runtime (start()) turns the runtime's events (create,
// start, rename, update, destroy) into fresh inspect results; they are
// handed to the engine thread through a small mutex-guarded queue and
// applied at its next find(), so the cache itself is touched by the engine
// thread only and a cache hit takes no lock (one relaxed atomic load).
//
// Counters (stats()) are atomics, readable from any thread (metrics).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "state/containers/container_metadata.h"
#include "state/containers/container_runtime.h"
#include "state/lru_map.h"

namespace kestrel {

struct ContainerStoreOptions {
  size_t capacity = 4096;
  std::chrono::milliseconds lookup_timeout{250};
  // How long an id no runtime knew (or whose lookup failed) stays unknown
  // before the next event of it asks again.
  std::chrono::milliseconds retry_after{5000};
  // Bound on queued runtime changes not yet applied (a burst of events
  // while the engine is idle); beyond it changes are dropped and counted.
  size_t max_pending = 4096;
};

struct ContainerStoreStats {
  std::atomic<uint64_t> hits{0};             // find() answered from the cache (known or unknown)
  std::atomic<uint64_t> lookups{0};          // synchronous lookups on an unseen id
  std::atomic<uint64_t> lookup_found{0};
  std::atomic<uint64_t> lookup_not_found{0};
  std::atomic<uint64_t> lookup_timeouts{0};  // a runtime did not answer in time
  std::atomic<uint64_t> lookup_unavailable{0};
  std::atomic<uint64_t> lookup_errors{0};
  std::atomic<uint64_t> evictions{0};
  std::atomic<uint64_t> runtime_updates{0};  // changes applied from watch threads
  std::atomic<uint64_t> runtime_updates_dropped{0};
  std::atomic<uint64_t> lookup_ns_total{0};  // time spent in synchronous lookups
};

class ContainerStore final : public ContainerMetadata {
 public:
  ContainerStore(std::vector<std::unique_ptr<ContainerRuntime>> runtimes, ContainerStoreOptions options = {});
  ~ContainerStore() override;  // stops the watch threads

  ContainerStore(const ContainerStore&) = delete;
  ContainerStore& operator=(const ContainerStore&) = delete;

  // Starts one watch thread per runtime. Optional: without it the store
  // still answers by synchronous lookups.
  void start();
  void stop();

  const ContainerInfo* find(std::string_view full_id) override;

  const ContainerStoreStats& stats() const { return stats_; }
  size_t size() const { return cache_.size(); }

 private:
  struct Entry {
    std::shared_ptr<const ContainerInfo> info;  // null: unknown
    std::chrono::steady_clock::time_point retry_at{};
  };

  void apply_pending();
  Entry& insert(const std::string& id);
  Entry lookup(std::string_view id);
  void push_change(ContainerChange&& change);

  std::vector<std::unique_ptr<ContainerRuntime>> runtimes_;
  ContainerStoreOptions options_;
  LruMap<std::string, Entry> cache_;
  std::string key_;  // reused lookup key (no allocation on a hit)

  std::atomic<bool> pending_flag_{false};
  std::mutex pending_mu_;
  std::vector<ContainerChange> pending_;

  std::atomic<bool> stop_{false};
  std::vector<std::thread> watchers_;
  ContainerStoreStats stats_;
};

}  // namespace kestrel
