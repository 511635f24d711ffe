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
// Memory: with set_budget(), every cached entry (id, and what the runtime
// said: labels, mounts...) is accounted as MemoryTable::kContainers, and the
// store evicts its least recently used entries while it holds more than its
// share of the limit (memory_budget.h); those evictions are counted in the
// budget as well as in `evictions`.
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
#include "state/memory_budget.h"

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
  // kRefresh changes (containerd's events for CRI containers): re-lookups
  // made on the watch thread, those that replaced a held entry, and those
  // a runtime failed (timeout, error: the entry is kept as it was).
  std::atomic<uint64_t> runtime_refreshes{0};
  std::atomic<uint64_t> runtime_refreshes_applied{0};
  std::atomic<uint64_t> runtime_refresh_failures{0};
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

  // Accounts entries in `budget` (nullptr: none) from now on, those held
  // included. Call on the engine thread (or before it starts); `budget`
  // must outlive the store.
  void set_budget(MemoryBudget* budget);

  const ContainerStoreStats& stats() const { return stats_; }
  size_t size() const { return cache_.size(); }

 private:
  struct Entry {
    std::shared_ptr<const ContainerInfo> info;  // null: unknown
    std::chrono::steady_clock::time_point retry_at{};
    uint32_t bytes = 0;  // accounted in budget_
  };

  void apply_pending();
  Entry& insert(const std::string& id);
  // Replaces what `e` (the entry of `id`) holds, re-accounts it and evicts
  // other entries beyond the capacity or the budget share.
  void assign(const std::string& id, Entry& e, Entry&& from);
  void erase(const std::string& id);
  // Evicts least recently used entries other than `keep` while over the
  // capacity or the budget share.
  void trim(const std::string& keep);
  Entry lookup(std::string_view id);
  // A watch thread's change: kRefresh is looked up here, the rest queued.
  void on_change(ContainerChange&& change);
  void push_change(ContainerChange&& change);

  std::vector<std::unique_ptr<ContainerRuntime>> runtimes_;
  ContainerStoreOptions options_;
  LruMap<std::string, Entry> cache_;
  MemoryBudget* budget_ = nullptr;
  std::string key_;  // reused lookup key (no allocation on a hit)

  std::atomic<bool> pending_flag_{false};
  std::mutex pending_mu_;
  std::vector<ContainerChange> pending_;

  std::atomic<bool> stop_{false};
  std::vector<std::thread> watchers_;
  ContainerStoreStats stats_;
};

}  // namespace kestrel
