// engine_workers.h — the rules evaluated on several cores (engine.workers).
//
// The pipeline's thread reads the sources, numbers every event and passes
// it on (-w, publishing), as with one worker. With N workers each event is
// evaluated by the worker that owns its process, so one process's events
// stay in order on one worker and their alerts in order. Worker 0 is the
// pipeline's own thread, with the pipeline's own table, updater and rules
// (no thread hop for its share); workers 1..N-1 are threads started here,
// each with its own replica of the thread table, its own StateUpdater and
// its own RuleEngine (an engine is used by one thread).
//
// Ownership is fixed at a process's first event (domain, tgid) and dropped
// at its leader's procexit (or, when procexits were lost, by a sweep of the
// processes worker 0's table no longer holds once the map outgrows it:
// kOwnerSweepMinimum); a new process goes to the thread worker with
// the fewest chunks handed to it and not yet handled, if that worker keeps
// up (at most the one chunk it is handling: kKeepUpChunks), else to worker
// 0. Worker 0 also reads, routes and passes every event on, and it applies
// every state change (below), so an even split (a hash of the pid, the
// first design) left it the bottleneck with worker 1 idle a quarter of the
// time (perf, a 2-worker replay of a 60 s live capture); with the backlog
// deciding, the thread workers take what they can keep up with and worker
// 0 the rest. A thread worker that ran out of work (nothing handed to it
// left to handle) takes the process of worker 0's next event, one per
// chunk it is handed: a process's cost shows only as it runs, and a
// build's long-lived processes (make, a shell) otherwise stay on worker 0
// while a thread worker waits (it idled ~10 % of a 2-worker replay; moving
// them gave +3-5 points of the CPUs' summed rates, bench/engine_workers.sh).
// Never back: worker 0's alerts go out at once, a thread worker's later,
// so a move back could reorder one process's alerts. Which worker evaluates
// a process changes no alert: its owner holds the state one table would
// (below). A process whose leader exits before its other threads may move
// for those threads' last events.
//
// State: worker 0, the pipeline's table, applies every event that changes
// the state tables (StateUpdater::changes_state) of its own processes, and
// of the others those that every worker applies (below). A thread worker's
// process's own changes (its fds and directories) worker 0 only keeps, as
// the event bytes, per process (a deferred log): it applies them, in
// order, only when it needs that process's state: before the process
// forks or execs (a child inherits its fds; exec closes some), before it
// hands the process to another worker, and when the process comes back to
// worker 0. A log is dropped with its process, and one over
// kDeferredProcessBytes, or all over kDeferredTotalBytes, are applied
// then. Most of a build's processes open and close files and exit without
// forking, so their fd events are never applied twice (applying them on
// worker 0 too cost ~15 % of a 1-worker run's time on a 2-worker replay).
// So worker 0's table counts a thread worker's process's fds as of its
// last fork, exec or hand-over (the fds in /metrics lag by that much). With
// that, worker 0 holds what one table would. A thread worker's replica applies the events
// every worker reads the result of (shares_state: process lifecycle and
// identity, so parent chains, users and containers are everywhere), and
// every event of the processes it owns; a process's fds and directories
// are read only by its owner's rules, so another worker's replica never
// applies their changes (nor copies a parent's fds at a fork:
// StateUpdater::set_fork_copies_fds). When a process is given to a thread
// worker (its first event, a fork's child included, or a move from worker
// 0), worker 0 sends that worker the process's fds and directories as its
// own table has them at that event (process_local_state; the rest of its
// entry the worker keeps itself), and the worker takes it before its rules
// see the event: a fork's inherited fds come from worker 0's table, in
// stream order, so no worker waits for another. (Applying every fd event in every
// replica cost each thread worker as much as a third of its time on a
// 2-worker replay of a live capture; a first design that kept fds on
// owners only and had the child's owner wait for the parent's at every
// fork lost ~180 us per fork.)
// Measured on a long live capture (bench/engine_workers.sh).
//
// Differences from one table, all at the bounds: each replica marks a
// thread used only for the events it sees, and a thread first seen through
// an event that changes no state is only created in its owner's replica
// until a state event of it; so at state.max_threads or
// engine.memory_limit_mb, replicas may evict different threads. Each
// replica accounts in its own share of worker 0's budget
// (MemoryBudget::share_into): the limit bounds what all of them hold
// together.
//
// Alerts: worker 0's go to the outputs as it raises them; the others' are
// collected in each worker's order (collect()), so one process's alerts are
// never reordered. Outputs stay one stage, on the pipeline's thread. The
// events reach a thread worker in chunks (hand_over(): 2048 events, 1 ms,
// or at once to a worker out of work), so its alerts come up to about a
// millisecond, or one poll of an idle source, after worker 0's.
//
// Threading: every public method is called on the pipeline's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
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

// engine.workers 0 means this many: the machine's cores, at most
// kMaxEngineWorkers (beyond that the replicated state updates and the one
// reading thread leave little to gain).
size_t default_engine_workers();
inline constexpr size_t kMaxEngineWorkers = 8;

class EngineWorkers {
 public:
  // Whether worker 0 applies the event whoever owns it (header comment).
  static bool changes_state(const Event& ev) { return !ev.enter && StateUpdater::changes_state(ev.view.type()); }
  // Whether every worker applies it: a change others read (lifecycle,
  // identity), not one of the process's own fds or directories.
  static bool shares_state(const Event& ev);

  // `engines`: one for each of workers 1..N-1 (N = engines.size() + 1),
  // outliving this or replaced by replace_rules(). `table0`: worker 0's
  // (the pipeline's); the replicas take its config and share its budget.
  // `resolver`: the pipeline's ProcessResolver (thread-safe).
  // `updater0`: worker 0's, on `table0` (deferred logs are applied with it).
  EngineWorkers(std::vector<engine::eval::RuleEngine*> engines, ThreadTable& table0, StateUpdater& updater0,
                ProcessResolver resolver);
  ~EngineWorkers();
  EngineWorkers(const EngineWorkers&) = delete;
  EngineWorkers& operator=(const EngineWorkers&) = delete;

  size_t count() const { return workers_.size() + 1; }
  // Processes with an owner now (pipeline's thread).
  size_t owned_processes() const { return owners_.size(); }

  // Copies worker 0's table (the initial state) into every replica, then
  // starts the threads.
  void start();

  // The pipeline's thread, for event number `number` before it handles
  // its own part: queues it for the other workers that take it (its owner,
  // and every one when shares_state). Returns the owner.
  size_t route(const Event& ev, uint64_t number);
  // The pipeline's thread, for an event route() gave another worker:
  // worker 0's part of its state change (header comment).
  void apply_on_worker0(const Event& ev);
  // The pipeline's thread, once worker 0 has handled the event route()
  // was given: sends the process's state to the thread worker the event
  // gave it to, if it did.
  void routed(const Event& ev);
  // Hands the queued events to the workers.
  void flush();
  // At the end of a batch: hands a worker its queued events when they are
  // kHandOverItems or more, or the oldest waited kHandOverDelay, or the
  // worker has handled all it was handed. Each hand-over may wake a
  // sleeping thread, which in this VM costs as much as evaluating dozens of
  // events; a batch of a busy source is a few hundred.
  void hand_over();
  // Appends the alerts the other workers raised so far, worker by worker,
  // each in its order.
  void collect(std::vector<engine::Alert>& out);
  // Waits until every routed event is handled.
  void drain();
  // Drains, then evaluates with `engines` (as many as at construction).
  void replace_rules(std::vector<engine::eval::RuleEngine*> engines);
  // Drains and stops the threads (collect() still answers). Idempotent.
  void stop();

  // The replicas' lookups and misses, summed (the tables' sizes and
  // evictions are worker 0's: each replica holds the same state). As of
  // the last chunk each worker handled.
  ThreadTableStats replica_lookups() const;
  // The workers' engines' proc.exe_sha256 counters, summed (worker 0's,
  // the pipeline's own engine, not included).
  ExeDigestStats replica_exe_digests() const;

 private:
  struct Item {
    uint32_t offset = 0, len = 0;
    DomainId domain = kHostDomain;
    uint16_t source_id = 0;
    bool enter = false;
    bool evaluate = false;  // owned here; else only its state change
    int32_t state = -1;     // the process's state to take first: Chunk::states[state]
    uint64_t number = 0;
  };
  struct ProcessState {
    int64_t pid = 0;
    ThreadTable::ProcessLocalState local;
  };
  struct Chunk {
    std::vector<uint8_t> bytes;
    std::vector<Item> items;
    std::vector<ProcessState> states;
  };
  struct Worker {
    // Pipeline thread only.
    size_t index = 0;
    MemoryBudget budget;  // the replica's share of worker 0's (outlives it)
    std::unique_ptr<ThreadTable> table;
    std::unique_ptr<StateUpdater> updater;
    engine::eval::RuleEngine* rules = nullptr;
    // Written at every event routed here: a cache line of its own, away
    // from the pointers the worker's thread reads at every event.
    alignas(64) Chunk pending;  // filled by route()
    std::chrono::steady_clock::time_point pending_since;
    uint64_t migrated_at = ~uint64_t{0};  // `pushed` when a process last moved here
    // Written by the worker's thread (its own cache line: the pipeline's
    // thread writes `pending` at every event).
    alignas(64) std::atomic<uint64_t> done{0};  // chunks handled
    // Chunks pushed; written by the pipeline's thread under mu, read by
    // the worker's spinning before it sleeps.
    alignas(64) std::atomic<uint64_t> pushed{0};
    // Chunks handed to it and not yet handled (the pipeline's thread).
    uint64_t backlog() const {
      return pushed.load(std::memory_order_relaxed) - done.load(std::memory_order_relaxed);
    }
    mutable std::mutex mu;
    std::condition_variable cv;
    std::deque<Chunk> queue;
    std::vector<Chunk> spare;
    bool stopping = false;
    std::vector<engine::Alert> alerts;  // raised, not yet collected
    ThreadTableStats stats;             // published after each chunk
    ExeDigestStats exe_digests;         // its engine's, published with `stats`
    std::thread thread;
  };

  // The worker that evaluates `ev` (its process's owner, assigned at the
  // process's first event: then `assigned`).
  size_t owner_of(const Event& ev, bool& assigned);
  size_t least_behind() const;
  // A thread worker with nothing handed to it left to handle that took no
  // process from worker 0 since its last chunk (Worker::migrated_at), or 0.
  size_t idle_worker() const;
  // Drops the owners of processes worker 0's table does not hold, and their
  // deferred logs.
  void sweep_owners();
  void run(Worker& w);
  static void handle(Worker& w, Chunk& chunk, std::vector<engine::Alert>& alerts);
  void push(Worker& w);
  // Attaches worker 0's state of the event's process to item `item` of
  // w's pending chunk.
  void attach_state(Worker& w, size_t item, const Event& ev);

  // A thread worker's process's own state changes worker 0 has not
  // applied yet (header comment).
  struct DeferredLog {
    std::vector<uint8_t> bytes;
    struct Entry {
      uint32_t offset = 0, len = 0;
      DomainId domain = kHostDomain;
      uint16_t source_id = 0;
    };
    std::vector<Entry> entries;
  };
  // Process `key`'s deferred log, out of the map and its byte count.
  std::optional<DeferredLog> take_deferred(uint64_t key);
  // Applies process `key`'s deferred log (if any) on worker 0 and drops it.
  void apply_deferred(uint64_t key);
  void apply_all_deferred();
  // Before worker 0 applies `ev`: the logs the change needs applied first.
  void settle_before(const Event& ev);

  ThreadTable& table0_;
  StateUpdater& updater0_;
  std::unordered_map<uint64_t, DeferredLog> deferred_;
  // Emptied logs kept for new ones: a log that grows from nothing asks
  // malloc for ever larger blocks, and large requests made glibc
  // consolidate its free lists (a tenth of worker 0's time, perf).
  std::vector<DeferredLog> spare_logs_;
  void retire(DeferredLog&& log);
  size_t deferred_bytes_ = 0;
  std::vector<std::unique_ptr<Worker>> workers_;  // workers 1..N-1
  // (domain, tgid) -> the worker that evaluates its events.
  std::unordered_map<uint64_t, uint8_t> owners_;
  // The last process looked up in owners_ and in deferred_ (owner_of(),
  // apply_on_worker0()); forgotten when their entry is erased.
  struct LastOwned {
    uint64_t key = 0;
    uint8_t owner = 0;
    bool valid = false;
  } last_owned_;
  struct LastLog {
    uint64_t key = 0;
    DeferredLog* log = nullptr;  // null: none
  } last_log_;
  size_t sweep_owners_at_ = 0;  // owners_'s size that starts a sweep
  // Set by route(), taken by routed(): the item that gets its process's
  // state once worker 0 has applied its event.
  Worker* state_due_ = nullptr;
  size_t state_due_item_ = 0;
  bool started_ = false;
};

}  // namespace kestrel
