// engine_workers.h — the rules evaluated on several cores (engine.workers).
//
// The pipeline's thread reads the sources and numbers every event, as with
// one worker. With N workers each event also goes to the worker that owns
// its process: owner(domain, tgid) = a hash of the pair modulo N, so one
// process's events stay in order on one worker. Worker 0 is the pipeline's
// own thread with the pipeline's own table, updater and rules (no thread
// hop for its share); workers 1..N-1 are threads started here, each with
// its own replica of the thread table, its own StateUpdater and its own
// RuleEngine (an engine is used by one thread).
//
// What each replica holds (so the state a rule reads is the state one
// table would hold):
//   * threads: every replica applies the events that change what rules
//     read of *other* processes — process lifecycle and identity: clone,
//     fork, execve, exit, set*id, setsid, chdir/chroot, container
//     (applies_everywhere()). Parent chains (proc.aname, proc.pexepath...),
//     users and containers are therefore read from a replica that saw the
//     same lifecycle history as one table would. Only the owner evaluates
//     those events.
//   * fds: only the owner applies fd events (open, close, socket,
//     connect...) and keeps its processes' fds. A fork whose child another
//     worker owns hands the fds over: the parent's owner, having copied
//     them into the child as one table would, posts that copy keyed by the
//     event's number and forgets it; the child's owner, at the same event
//     in its stream, takes it in place of its own copy. A worker waits for
//     a hand-over only until the sender has applied that event (its
//     progress), so a copy the sender never made cannot block anyone; the
//     sender never waits at an event it sends, so the waits cannot cycle.
//     Every lifecycle event is in every worker's queue in the same order,
//     and the pipeline's thread handles each event of its own after
//     routing it to the others, so a sender always reaches the event.
//   * memory: the replicas account in one MemoryBudget (set_shared: atomic
//     adds), so engine.memory_limit_mb bounds what all of them hold
//     together; threads are held once per worker.
//
// Known differences from one table (documented in README, #19): a
// replica's least-recently-used order only sees its own processes' events
// and the lifecycle events, so at max_threads or the memory limit replicas
// may evict different threads; fchdir and execveat(AT_EMPTY_PATH) resolve
// through the caller's fds, which only its owner holds (other replicas
// keep the previous cwd / an empty exepath for that process).
//
// Alerts: worker 0's go to the outputs as it raises them; the others' are
// collected in each worker's order (collect()), so one process's alerts
// are never reordered. Outputs stay one stage, on the pipeline's thread.
//
// Threading: every public method is called on the pipeline's thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/eval/rule_engine.h"
#include "sources/event/event.h"
#include "state/state_updater.h"
#include "state/thread_table.h"

namespace kestrel {

// Falco's order for one event (pipeline.h): state first so rules see it
// after the syscall, except close and procexit, whose rules run before the
// state forgets the fd or process. `before_rules` runs between (plugins'
// parse_event).
template <typename BeforeRules>
void update_and_evaluate(const Event& ev, StateUpdater& updater, const ThreadTable& table,
                         engine::eval::RuleEngine& rules, std::vector<engine::Alert>& alerts, uint64_t event_number,
                         BeforeRules&& before_rules) {
  const uint16_t type = ev.view.type();
  if (type == KE_CLOSE || type == KE_PROCEXIT) {
    before_rules();
    rules.process(ev, table, alerts, event_number);
    updater.apply(ev);
  } else {
    updater.apply(ev);
    before_rules();
    rules.process(ev, table, alerts, event_number);
  }
}

// engine.workers: 0 means this many (the machine's cores, at most kMaxWorkers).
size_t default_engine_workers();
inline constexpr size_t kMaxEngineWorkers = 8;

class EngineWorkers {
 public:
  // The worker that owns process (domain, tgid) among `n`.
  static size_t owner(DomainId domain, int64_t tgid, size_t n) {
    uint64_t h = (static_cast<uint64_t>(tgid) ^ (static_cast<uint64_t>(domain) << 32)) * 0x9E3779B97F4A7C15ull;
    return static_cast<size_t>((h >> 32) % n);
  }
  static size_t owner_of(const Event& ev, size_t n) {
    return owner(ev.domain, ev.view.tgid() != 0 ? ev.view.tgid() : ev.view.tid(), n);
  }
  // Exit records whose state change every replica applies (header comment).
  static bool applies_everywhere(uint16_t type);

  // `engines`: one for each of workers 1..N-1 (N = engines.size() + 1),
  // outliving this or replaced by replace_rules(). `table0` / `updater0`:
  // worker 0's (the pipeline's); the replicas take its config and share its
  // budget. `resolver`: the pipeline's ProcessResolver (thread-safe).
  EngineWorkers(std::vector<engine::eval::RuleEngine*> engines, ThreadTable& table0, StateUpdater& updater0,
                ProcessResolver resolver);
  ~EngineWorkers();
  EngineWorkers(const EngineWorkers&) = delete;
  EngineWorkers& operator=(const EngineWorkers&) = delete;

  size_t count() const { return replicas_.size() + 1; }

  // Loads the initial state (worker 0's table already holds all of it):
  // every thread into every replica, each process's fds only into its
  // owner's (worker 0 forgets the others'), then starts the threads.
  void start();

  // The pipeline's thread, for event number `number` before handling it
  // itself: queues it for the other workers that take it (its owner, or
  // every one for applies_everywhere types). Returns the owner.
  size_t route(const Event& ev, uint64_t number);
  // Worker 0 has applied event `number` (its fd hand-overs are posted).
  void applied(uint64_t number) { mark_progress(0, number); }
  // Hands the queued events to the workers (end of a batch).
  void flush();
  // Appends the alerts the other workers raised so far, worker by worker,
  // each in its order.
  void collect(std::vector<engine::Alert>& out);
  // Waits until every routed event is handled.
  void drain();
  // Drains, then evaluates with `engines` (as many as at construction).
  void replace_rules(std::vector<engine::eval::RuleEngine*> engines);
  // Drains and stops the threads (collect() still answers). Idempotent.
  void stop();

  // Sums over the replicas (not worker 0's): fds, evictions, lookups;
  // their updaters' counters. As of the last event each handled.
  ThreadTableStats replica_stats() const;

 private:
  struct Item {
    uint32_t offset = 0, len = 0;
    DomainId domain = kHostDomain;
    uint16_t source_id = 0;
    bool enter = false;
    bool evaluate = false;  // owned here; else only its state change
    uint64_t number = 0;
  };
  struct Chunk {
    std::vector<uint8_t> bytes;
    std::vector<Item> items;
  };
  struct Replica {
    size_t index = 0;
    std::unique_ptr<ThreadTable> table;
    std::unique_ptr<StateUpdater> updater;
    engine::eval::RuleEngine* rules = nullptr;
    Chunk pending;  // filled by route(), pipeline thread only
    mutable std::mutex mu;
    std::condition_variable cv;
    std::deque<Chunk> queue;
    std::vector<Chunk> spare;
    uint64_t pushed = 0, done = 0;  // chunks
    bool stopping = false;
    std::vector<engine::Alert> alerts;  // raised, not yet collected
    ThreadTableStats stats;             // published after each chunk
    uint64_t current = 0;               // the event being applied (worker thread)
    std::thread thread;
  };
  // A fork's fds on their way to the child's owner, by event number.
  struct Handover {
    std::map<uint64_t, std::vector<FdInfo>> by_number;
  };

  void run(Replica& r);
  void handle(Replica& r, const Chunk& chunk, std::vector<engine::Alert>& alerts);
  void push(Replica& r);
  // StateUpdater::on_fds_inherited of worker `self` (header comment).
  void fds_inherited(size_t self, ThreadTable& table, uint64_t number, DomainId domain, int64_t from_pid,
                     int64_t to_pid);
  void mark_progress(size_t worker, uint64_t number);

  ThreadTable& table0_;
  StateUpdater& updater0_;
  uint64_t current0_ = 0;  // the event worker 0 is applying
  std::vector<std::unique_ptr<Replica>> replicas_;  // workers 1..N-1
  bool started_ = false;
  // Hand-overs and progress: workers' progress (last applies_everywhere
  // event applied) and the fds posted to each worker.
  std::mutex handover_mu_;
  std::condition_variable handover_cv_;
  std::vector<uint64_t> progress_;
  std::vector<Handover> handovers_;
  std::atomic<int> waiting_{0};
};

}  // namespace kestrel
