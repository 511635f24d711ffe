// memory_budget.h — one byte budget for the state tables (engine.memory_limit_mb).
//
// Each table that can grow with the workload reports the approximate bytes
// of every entry it inserts and erases (memory_size.h measures them), so the
// budget always knows what each table holds without walking any of them:
// the hot path pays an add or a subtract per insert/erase, nothing per event.
//
// How the limit is kept (0 = no limit, the default: nothing is evicted for
// memory, entries are still accounted and shown in /metrics):
//   * containers and users are caches of what a runtime or the passwd file
//     can say again: each may hold at most its share of the limit
//     (kCacheShareDivisor) and evicts its own least recently used entries
//     beyond it.
//   * threads and fds get the rest. One process's fds may hold at most
//     limit / kProcessFdShareDivisor: beyond it that process's oldest fds
//     go (a process with 100,000 open files must not push every other
//     process out). Then, when the total is over the limit after a thread
//     or fd insert, the thread table evicts its least recently used threads
//     (a process's fds go with its last thread), then the oldest fds of the
//     process being written, until the total is under the limit.
//   A cache insert can leave the total over by at most that cache's entry
//   until the next thread or fd insert (nearly every state event) brings it
//   back; it never grows further.
// Every eviction made for the limit is counted per table (evictions()),
// apart from the tables' own count bounds (state.max_threads ...).
//
// Threading: one writer (the engine thread), readers anywhere (metrics):
// the counters are relaxed atomics written with plain load+store, so the
// writer pays no locked instruction. A budget set_shared() is written by
// several threads (the engine workers, app/engine_workers.h): then every
// write is an atomic add. Each worker's replica accounts in its own budget
// that share_into() the shared one: it passes its bytes on in lumps of
// kShareLumpBytes, because two cores adding to one cache line at every fd
// open and close cost more than the rules they evaluated (perf, a 2-worker
// replay); the limit is the shared budget's, and over() counts the bytes
// not yet passed on, so the total is never misjudged.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kestrel {

enum class MemoryTable : uint8_t { kThreads, kFds, kContainers, kUsers, kCount };

inline constexpr std::string_view memory_table_name(MemoryTable t) {
  switch (t) {
    case MemoryTable::kThreads: return "threads";
    case MemoryTable::kFds: return "fds";
    case MemoryTable::kContainers: return "containers";
    case MemoryTable::kUsers: return "users";
    case MemoryTable::kCount: break;
  }
  return "?";
}

inline constexpr size_t kMemoryTableCount = static_cast<size_t>(MemoryTable::kCount);

// What a MemoryBudget holds, copied out for metrics.
struct MemoryBudgetStats {
  uint64_t limit_bytes = 0;  // 0: no limit
  uint64_t total_bytes = 0;
  std::array<uint64_t, kMemoryTableCount> bytes{};      // accounted now, per table
  std::array<uint64_t, kMemoryTableCount> evictions{};  // entries evicted for the limit, per table
};

class MemoryBudget {
 public:
  // The cache tables (containers, users) may each hold limit / this.
  static constexpr uint64_t kCacheShareDivisor = 8;
  // One process's fds may hold limit / this.
  static constexpr uint64_t kProcessFdShareDivisor = 4;

  // What a share holds back from its shared budget, either way, at most.
  static constexpr int64_t kShareLumpBytes = 64 * 1024;

  explicit MemoryBudget(uint64_t limit_bytes = 0) : limit_(limit_bytes) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;
  // A share takes back from its shared budget what it passed on.
  ~MemoryBudget() { leave_shared(); }

  uint64_t limit() const { return shared_into_ != nullptr ? shared_into_->limit() : limit_; }
  // Several writers from now on (before they start): atomic adds.
  void set_shared(bool shared) { shared_ = shared; }
  void set_limit(uint64_t limit_bytes) { limit_ = limit_bytes; }
  // From now on this budget (empty, one writer) is a share of `shared`
  // (set_shared, outliving this): see the header comment.
  void share_into(MemoryBudget* shared) { shared_into_ = shared; }

  void add(MemoryTable t, uint64_t bytes) { account(t, static_cast<int64_t>(bytes)); }
  void sub(MemoryTable t, uint64_t bytes) { account(t, -static_cast<int64_t>(bytes)); }
  // An entry changed size in place (old -> now).
  void resize(MemoryTable t, uint64_t old_bytes, uint64_t new_bytes) {
    account(t, static_cast<int64_t>(new_bytes) - static_cast<int64_t>(old_bytes));
  }
  void count_eviction(MemoryTable t, uint64_t n = 1) {
    if (shared_into_ != nullptr) shared_into_->count_eviction(t, n);
    bump(evictions_[index(t)], static_cast<int64_t>(n));
  }

  uint64_t bytes(MemoryTable t) const { return static_cast<uint64_t>(bytes_[index(t)].load(std::memory_order_relaxed)); }
  uint64_t total() const {
    int64_t sum = 0;
    for (const auto& b : bytes_) sum += b.load(std::memory_order_relaxed);
    return static_cast<uint64_t>(sum);
  }
  // Over the limit (never with no limit); a share: the shared budget with
  // what this one has not passed on yet.
  bool over() const {
    if (shared_into_ != nullptr)
      return shared_into_->limit_ != 0 && static_cast<int64_t>(shared_into_->total()) + held_back() >
                                              static_cast<int64_t>(shared_into_->limit_);
    return limit_ != 0 && total() > limit_;
  }
  // A cache table holds more than its share (never with no limit).
  bool over_share(MemoryTable t) const { return limit_ != 0 && bytes(t) > limit_ / kCacheShareDivisor; }

  MemoryBudgetStats stats() const {
    MemoryBudgetStats s;
    s.limit_bytes = limit_;
    for (size_t i = 0; i < kMemoryTableCount; ++i) {
      s.bytes[i] = static_cast<uint64_t>(bytes_[i].load(std::memory_order_relaxed));
      s.evictions[i] = static_cast<uint64_t>(evictions_[i].load(std::memory_order_relaxed));
      s.total_bytes += s.bytes[i];
    }
    return s;
  }

 private:
  static size_t index(MemoryTable t) { return static_cast<size_t>(t); }
  void account(MemoryTable t, int64_t d) {
    bump(bytes_[index(t)], d);
    if (shared_into_ == nullptr) return;
    held_[index(t)] += d;
    if (held_[index(t)] >= kShareLumpBytes || held_[index(t)] <= -kShareLumpBytes) pass_on(index(t));
  }
  void pass_on(size_t i) {
    shared_into_->bump(shared_into_->bytes_[i], held_[i]);
    held_[i] = 0;
  }
  int64_t held_back() const {
    int64_t sum = 0;
    for (int64_t h : held_) sum += h;
    return sum;
  }
  void leave_shared() {
    if (shared_into_ == nullptr) return;
    for (size_t i = 0; i < kMemoryTableCount; ++i)
      shared_into_->bump(shared_into_->bytes_[i], held_[i] - bytes_[i].load(std::memory_order_relaxed));
    shared_into_ = nullptr;
  }
  // Single writer: a plain read-modify-write on a relaxed atomic.
  void bump(std::atomic<int64_t>& v, int64_t d) {
    if (shared_) v.fetch_add(d, std::memory_order_relaxed);
    else v.store(v.load(std::memory_order_relaxed) + d, std::memory_order_relaxed);
  }

  // Read at every insert by every share: on a cache line of its own, not
  // the one the shared counters are written on (perf: a replica's reclaim()
  // stalled on it).
  alignas(64) uint64_t limit_;
  bool shared_ = false;
  MemoryBudget* shared_into_ = nullptr;        // share_into()
  std::array<int64_t, kMemoryTableCount> held_{};  // a share's bytes not passed on
  alignas(64) std::array<std::atomic<int64_t>, kMemoryTableCount> bytes_{};
  std::array<std::atomic<int64_t>, kMemoryTableCount> evictions_{};
};

}  // namespace kestrel
