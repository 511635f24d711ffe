// thread_table.h — the bounded thread/process/fd table.
//
// Holds one ThreadInfo per (domain, tid) and one fd table per process
// (domain, pid): threads of a process share their fds, so every fd call
// takes the process id, and find_fd() on any thread answers from its
// process. ThreadInfo::fds is only a transfer format here: put()/load()
// move it into the process's fd table and snapshot() fills it back in on
// the leader; entries stored in the table keep it empty.
//
// Bounds and eviction (both counted in stats()):
//   * threads: at most `max_threads`. When a new thread would exceed it,
//     the least recently used thread is evicted. get() marks a thread used;
//     the StateUpdater calls it for every event the thread produces, so a
//     busy process is never the victim, a silent long-gone one is. find()
//     (the engine's read path) does not reorder.
//   * fds: at most `max_fds_per_process` per process. When a new fd would
//     exceed it the oldest-opened fd of that process is evicted (fds are
//     not touched on use: reads/writes are not state events).
//   * bytes: in a MemoryBudget (memory_budget.h; the table's own, limited
//     by config.memory_limit_bytes, or one set_budget() shares with other
//     tables), every thread and fd entry is accounted at insert/erase (memory_size.h),
//     a process whose fds hold more than their share of the limit loses its
//     oldest fds, and after a thread or fd insert that leaves the budget
//     over its limit the least recently used threads of other processes are
//     evicted (a process's fds go with its last thread), then the oldest fds
//     of the process being written; never the entry being written. Counted in the
//     budget per table and in thread_evictions / fd_evictions. An entry
//     changed in place through get() or fd() is re-measured by
//     refresh_bytes() / refresh_fd_bytes() (the StateUpdater calls them).
// A process exists while the table holds at least one of its threads.
//
// Exit: remove_thread() drops a thread. A leader that exits while other
// threads of its process live stays (marked exited) so their process_of()
// and proc.* fields keep working; it goes with the last thread. Children
// of an exited process are reparented lazily: remember_reaper() records
// who adopted them and parent() follows that record instead of rewriting
// every child at exit time.
//
// Not thread-safe: one writer, and readers only between writes. Pointers
// returned by any method are invalidated by the next modifying call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <optional>
#include <vector>

#include "state/lru_map.h"
#include "state/memory_budget.h"
#include "state/thread_lookup.h"

namespace kestrel {

struct ThreadKey {
  DomainId domain = kHostDomain;
  int64_t id = 0;  // a tid, or a pid for process-keyed tables
  bool operator==(const ThreadKey&) const = default;
};

struct ThreadKeyHash {
  size_t operator()(const ThreadKey& k) const {
    return std::hash<uint64_t>{}((static_cast<uint64_t>(k.domain) << 40) ^ static_cast<uint64_t>(k.id));
  }
};

struct ThreadTableConfig {
  size_t max_threads = 131072;
  size_t max_fds_per_process = 4096;
  // engine.memory_limit_mb in bytes: the limit of the table's own budget
  // (see "bytes" above); 0: accounted, never evicted for memory.
  uint64_t memory_limit_bytes = 0;
};

struct ThreadTableStats {
  uint64_t threads = 0;    // entries now, exited leaders included
  uint64_t processes = 0;  // processes now
  uint64_t fds = 0;        // fds now, all processes
  uint64_t thread_evictions = 0;  // count bound and memory limit together
  uint64_t fd_evictions = 0;
  uint64_t memory_thread_evictions = 0;  // of those, for the memory limit
  uint64_t memory_fd_evictions = 0;
  MemoryBudgetStats memory;  // the whole budget the table answers to (all tables)
  uint64_t lookups = 0;  // find() calls
  uint64_t lookup_misses = 0;
  uint64_t fd_lookups = 0;  // find_fd() calls
  uint64_t fd_lookup_misses = 0;
};

class ThreadTable final : public ThreadLookup {
 public:
  // Bounds below 2 threads / 1 fd are raised to those minimums, so the
  // entry being written is never its own eviction victim.
  explicit ThreadTable(ThreadTableConfig config = {});

  // ---- ThreadLookup (read path; counts lookups and misses) ----------------
  const ThreadInfo* find(DomainId domain, int64_t tid) const override;
  const FdInfo* find_fd(const ThreadInfo& t, int64_t fd) const override;
  // As ThreadLookup::parent, and an exited parent resolves to its reaper.
  const ThreadInfo* parent(const ThreadInfo& t) const override;

  // ---- threads (write path) -----------------------------------------------
  // The thread for modification, now most recently used; nullptr if unknown.
  // Its pid must not be changed through this pointer (use put()).
  ThreadInfo* get(DomainId domain, int64_t tid);

  // Inserts `info` under (info.domain, info.tid), or replaces that thread's
  // data (its process's fds are kept). info.pid == 0 is taken as info.tid.
  // Any info.fds are added to the process's fd table. May evict the least
  // recently used other thread. Returns the stored entry.
  ThreadInfo& put(ThreadInfo info);

  // The thread exited: see the header comment. False if it was unknown.
  bool remove_thread(DomainId domain, int64_t tid);

  // Whether the thread is a leader kept after its exit for its threads.
  bool has_exited(DomainId domain, int64_t tid) const;

  // Process `pid` exited and its children were adopted by `reaper_tid`.
  void remember_reaper(DomainId domain, int64_t pid, int64_t reaper_tid);

  // Calls fn(ThreadInfo&) for each known thread of process `pid`. `fn`
  // must not add or remove threads.
  void for_each_thread_of(DomainId domain, int64_t pid, const std::function<void(ThreadInfo&)>& fn);

  // Calls fn(ThreadInfo&) for each thread of `domain` (exited leaders
  // included), in no set order, until fn returns false; returns false if
  // it did. `fn` must not add or remove threads. (The plugin host's
  // "threads" state table iterates with it.)
  bool for_each_thread(DomainId domain, const std::function<bool(ThreadInfo&)>& fn);

  // ---- fds of process (domain, pid) ----------------------------------------
  // nullptr if the process or fd is unknown. Not counted as lookups.
  FdInfo* fd(DomainId domain, int64_t pid, int64_t fd);

  // Adds or replaces fd.fd (a replaced fd counts as newly opened). May evict
  // the process's oldest fd. nullptr if the process is unknown.
  FdInfo* put_fd(DomainId domain, int64_t pid, FdInfo fd);

  // False if the process or fd was unknown.
  bool erase_fd(DomainId domain, int64_t pid, int64_t fd);

  // Copies every fd of `from_pid` to `to_pid` (fork). Both must be known;
  // returns the number copied.
  size_t copy_fds(DomainId domain, int64_t from_pid, int64_t to_pid);

  // Drops every fd of the process (a stale previous holder's); returns how many.
  size_t clear_fds(DomainId domain, int64_t pid);

  // Closes the fds with O_CLOEXEC in open_flags (execve); returns how many.
  size_t close_cloexec_fds(DomainId domain, int64_t pid);

  size_t fd_count(DomainId domain, int64_t pid) const;
  // Whether any thread of process `pid` is in the table (an exited leader
  // kept for its threads included).
  bool has_process(DomainId domain, int64_t pid) const { return processes_.count({domain, pid}) != 0; }

  // Calls fn(FdInfo&) for each fd of the process, most recently opened
  // first, until fn returns false; returns false if it did. `fn` must not
  // add or remove fds. (The plugin host's per-thread "file_descriptors"
  // state table iterates with it.)
  bool for_each_fd(DomainId domain, int64_t pid, const std::function<bool(FdInfo&)>& fn);

  // ---- memory --------------------------------------------------------------
  // Accounts every entry in `budget` (nullptr: the table's own again) and
  // keeps it under its limit from the next insert on; the entries already
  // held move to it now. `budget` must outlive the table.
  void set_budget(MemoryBudget* budget);
  // The budget the table accounts in; the caches (containers, users) share it.
  MemoryBudget& budget() { return *budget_; }
  // Re-measures a thread / an fd changed in place (through get(), fd(),
  // for_each_thread...). No-op for an unknown entry.
  void refresh_bytes(DomainId domain, int64_t tid);
  void refresh_fd_bytes(DomainId domain, int64_t pid, int64_t fd);

  // ---- whole table ----------------------------------------------------------
  // put() for each thread (an initial /proc scan, a capture's snapshot).
  void load(std::vector<ThreadInfo> threads);

  // Every thread, least recently used first (so load() of a snapshot keeps
  // the eviction order); each process's fds, oldest first, on its leader
  // (or, if the leader is not in the table, on the first of its threads).
  std::vector<ThreadInfo> snapshot() const;

  // What only a process's own events change: its fds and its threads'
  // working and root directories. (What an engine worker that starts
  // evaluating a process takes from the pipeline's table; every other part
  // of a thread's entry it keeps itself, app/engine_workers.h.)
  struct ProcessLocalState {
    struct Dirs {
      int64_t tid = 0;
      std::string cwd, root;
    };
    std::vector<Dirs> dirs;   // its threads that have not exited
    std::vector<FdInfo> fds;  // oldest first
  };
  // nullopt if the process is unknown.
  std::optional<ProcessLocalState> process_local_state(DomainId domain, int64_t pid) const;
  // Takes `state` as process `pid`'s: its fds replaced, its threads'
  // directories set; a thread this table does not hold gets an entry with
  // only its ids and directories.
  void set_process_local_state(DomainId domain, int64_t pid, ProcessLocalState state);

  size_t size() const { return threads_.size(); }
  ThreadTableStats stats() const;
  const ThreadTableConfig& config() const { return config_; }

 private:
  struct ThreadEntry {
    ThreadInfo info;
    bool exited = false;
    uint32_t bytes = 0;  // accounted in budget_
  };
  struct FdEntry {
    FdInfo info;
    uint32_t bytes = 0;  // accounted in budget_
  };
  struct ProcessEntry {
    LruMap<int64_t, FdEntry> fds;
    std::vector<int64_t> tids;  // threads of this process in threads_
    uint64_t fd_bytes = 0;      // sum of fds' bytes
  };

  void erase_thread_entry(const ThreadKey& key);
  void attach(const ThreadKey& key, int64_t pid);
  void detach(const ThreadKey& key, int64_t pid);
  // Accounting of one entry; every fd erase goes through erase_fd_entry.
  void account_thread(ThreadEntry& e);
  void unaccount_thread(const ThreadEntry& e);
  bool erase_fd_entry(ProcessEntry& p, int64_t fd);
  void clear_process_fds(ProcessEntry& p);
  // Brings budget_ under its limit (header comment); `pid` is the process
  // being written, whose threads are not evicted.
  void reclaim(DomainId domain, int64_t pid);

  ThreadTableConfig config_;
  LruMap<ThreadKey, ThreadEntry, ThreadKeyHash> threads_;
  std::unordered_map<ThreadKey, ProcessEntry, ThreadKeyHash> processes_;
  LruMap<ThreadKey, int64_t, ThreadKeyHash> reapers_;  // exited pid -> reaper tid
  uint64_t fd_total_ = 0;
  uint64_t thread_evictions_ = 0;
  uint64_t fd_evictions_ = 0;
  uint64_t memory_thread_evictions_ = 0;
  uint64_t memory_fd_evictions_ = 0;
  MemoryBudget own_budget_;
  MemoryBudget* budget_ = &own_budget_;
  // The read path is const but counted.
  mutable uint64_t lookups_ = 0;
  mutable uint64_t lookup_misses_ = 0;
  mutable uint64_t fd_lookups_ = 0;
  mutable uint64_t fd_lookup_misses_ = 0;
};

}  // namespace kestrel
