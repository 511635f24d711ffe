#include "app/engine_workers.h"

#include <algorithm>
#include <optional>

namespace kestrel {

namespace {

// Chunks queued per worker, and a chunk's size, before the pipeline's
// thread waits: bounds what is in flight (about 4 x 1 MiB per worker).
constexpr size_t kMaxQueuedChunks = 4;
constexpr size_t kChunkBytes = 1u << 20;
constexpr size_t kChunkEvents = 4096;
// A thread worker with at most this many chunks handed to it and not yet
// handled (the one it is working on, none waiting) keeps up: a new process
// may go to it. Counting chunks, not events: every worker takes every
// state change, so a busy worker's events in flight say nothing of its lag.
constexpr uint64_t kKeepUpChunks = 1;
// hand_over()'s bounds: enough events that a wake-up is a small part of
// their work, and an alert's delay that a reader of the outputs will not
// notice.
constexpr size_t kHandOverItems = 2048;
constexpr auto kHandOverDelay = std::chrono::milliseconds(1);
// How long a worker that ran out of work checks for more before it sleeps
// (a sleeping thread's wake-up is the expensive part of a hand-over).
constexpr auto kSpinBeforeSleep = std::chrono::microseconds(200);
// Deferred logs' bounds (header comment): one process's, and all of them.
constexpr size_t kDeferredProcessBytes = 256u << 10;
constexpr size_t kDeferredTotalBytes = 8u << 20;
constexpr size_t kSpareLogs = 64;
// The owner map is swept when it holds this many processes, or twice what
// the last sweep left, whichever is more: a sweep walks the map once, so
// its cost per new process stays constant.
constexpr size_t kOwnerSweepMinimum = 16384;

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

uint64_t process_key(DomainId domain, int64_t pid) {
  return (static_cast<uint64_t>(domain) << 32) ^ static_cast<uint64_t>(pid);
}

uint64_t process_key(const Event& ev) { return process_key(ev.domain, ev.view.process_id()); }

// The params that start a clone-family event's process params, or -1.
int clone_base(uint16_t type) {
  switch (type) {
    case KE_CLONE: return KP_CLONE_exe;
    case KE_CLONE3: return KP_CLONE3_exe;
    case KE_FORK: return KP_FORK_exe;
    case KE_VFORK: return KP_VFORK_exe;
    default: return -1;
  }
}

}  // namespace

size_t default_engine_workers() {
  const unsigned cores = std::thread::hardware_concurrency();
  return std::clamp<size_t>(cores == 0 ? 1 : cores, 1, kMaxEngineWorkers);
}

bool EngineWorkers::shares_state(const Event& ev) {
  if (ev.enter) return false;
  switch (ev.view.type()) {
    case KE_CLONE: case KE_CLONE3: case KE_FORK: case KE_VFORK: case KE_PROCEXIT: case KE_CONTAINER:
    case KE_EXECVE: case KE_EXECVEAT: case KE_SETSID:
    case KE_SETUID: case KE_SETGID: case KE_SETREUID: case KE_SETREGID: case KE_SETRESUID: case KE_SETRESGID:
      return true;
    default:  // the fd events and chdir/fchdir/chroot: the process's own
      return false;
  }
}

EngineWorkers::EngineWorkers(std::vector<engine::eval::RuleEngine*> engines, ThreadTable& table0,
                             StateUpdater& updater0, ProcessResolver resolver)
    : table0_(table0), updater0_(updater0) {
  table0_.budget().set_shared(true);
  for (size_t i = 0; i < engines.size(); ++i) {
    auto w = std::make_unique<Worker>();
    w->index = i + 1;
    w->table = std::make_unique<ThreadTable>(table0_.config());
    w->budget.share_into(&table0_.budget());
    w->table->set_budget(&w->budget);
    w->updater = std::make_unique<StateUpdater>(*w->table);
    w->updater->set_resolver(resolver);
    w->updater->set_fork_copies_fds(false);  // a child's come from worker 0 (header comment)
    w->rules = engines[i];
    workers_.push_back(std::move(w));
  }
}

EngineWorkers::~EngineWorkers() {
  stop();
  workers_.clear();  // the replicas leave the budget before it is single-writer again
  table0_.budget().set_shared(false);
}

void EngineWorkers::start() {
  const std::vector<ThreadInfo> all = table0_.snapshot();
  for (auto& w : workers_) {
    w->table->load(all);
    w->stats = w->table->stats();
    w->thread = std::thread([this, raw = w.get()] { run(*raw); });
  }
  started_ = true;
}

size_t EngineWorkers::least_behind() const {
  size_t best = 0;
  uint64_t best_backlog = kKeepUpChunks + 1;
  for (const auto& w : workers_) {
    const uint64_t backlog = w->backlog();
    if (backlog < best_backlog) {
      best = w->index;
      best_backlog = backlog;
    }
  }
  return best;
}

size_t EngineWorkers::idle_worker() const {
  for (const auto& w : workers_)
    if (w->backlog() == 0 && w->migrated_at != w->pushed.load(std::memory_order_relaxed)) return w->index;
  return 0;
}

size_t EngineWorkers::owner_of(const Event& ev, bool& assigned) {
  const uint64_t key = process_key(ev);
  const bool leader_exits = ev.view.type() == KE_PROCEXIT && !ev.enter && ev.view.process_id() == ev.view.tid();
  // Nearly every event is of the process before it (97 % in a build's
  // capture): one remembered entry spares the map's lookup (unless the
  // process is worker 0's and may move, below).
  if (last_owned_.valid && key == last_owned_.key && !leader_exits && (last_owned_.owner != 0 || idle_worker() == 0))
    return last_owned_.owner;
  auto it = owners_.find(key);
  if (it == owners_.end()) {
    if (owners_.size() >= std::max(kOwnerSweepMinimum, sweep_owners_at_)) sweep_owners();
    const size_t own = least_behind();
    if (!leader_exits) {
      owners_.emplace(key, static_cast<uint8_t>(own));
      last_owned_ = {key, static_cast<uint8_t>(own), true};
    }
    assigned = true;
    return own;
  }
  size_t own = it->second;
  // A process of worker 0's moves to a thread worker that ran out of work
  // (idle_worker()); never back, which would reorder its alerts.
  if (own == 0 && !leader_exits) {
    if (const size_t to = idle_worker(); to != 0) {
      Worker& w = *workers_[to - 1];
      w.migrated_at = w.pushed.load(std::memory_order_relaxed);
      it->second = static_cast<uint8_t>(to);
      own = to;
      assigned = true;
    }
  }
  if (leader_exits) {
    owners_.erase(it);
    last_owned_ = {};
  } else {
    last_owned_ = {key, it->second, true};
  }
  return own;
}

void EngineWorkers::sweep_owners() {
  for (auto it = owners_.begin(); it != owners_.end();) {
    const auto domain = static_cast<DomainId>(it->first >> 32);
    const auto pid = static_cast<int64_t>(it->first & 0xffffffffu);
    if (table0_.has_process(domain, pid)) {
      ++it;
      continue;
    }
    // Its exit was lost (or it was never more than a thread worker's
    // own): its log goes too.
    if (auto log = take_deferred(it->first)) retire(std::move(*log));
    it = owners_.erase(it);
  }
  last_owned_ = {};
  sweep_owners_at_ = 2 * owners_.size();
}

std::optional<EngineWorkers::DeferredLog> EngineWorkers::take_deferred(uint64_t key) {
  auto it = deferred_.find(key);
  if (it == deferred_.end()) return std::nullopt;
  if (last_log_.log != nullptr && last_log_.key == key) last_log_ = {};
  DeferredLog log = std::move(it->second);
  deferred_.erase(it);
  deferred_bytes_ -= log.bytes.size();
  return log;
}

void EngineWorkers::apply_deferred(uint64_t key) {
  auto log = take_deferred(key);
  if (!log) return;
  for (const DeferredLog::Entry& e : log->entries) {
    auto view = EventView::parse(std::span(log->bytes).subspan(e.offset, e.len));
    if (view.ok()) updater0_.apply(Event{*view, e.domain, e.source_id, false});  // parsed before: cannot fail
  }
  retire(std::move(*log));
}

void EngineWorkers::retire(DeferredLog&& log) {
  if (spare_logs_.size() >= kSpareLogs || log.bytes.capacity() > kDeferredProcessBytes * 2) return;
  log.bytes.clear();
  log.entries.clear();
  spare_logs_.push_back(std::move(log));
}

void EngineWorkers::apply_all_deferred() {
  while (!deferred_.empty()) apply_deferred(deferred_.begin()->first);
}

void EngineWorkers::settle_before(const Event& ev) {
  if (deferred_.empty()) return;
  const uint16_t type = ev.view.type();
  if (ev.enter || (clone_base(type) < 0 && type != KE_EXECVE && type != KE_EXECVEAT)) return;
  apply_deferred(process_key(ev));
  // A child's own clone event copies its parent's fds when the parent's
  // has not been seen.
  if (const int base = clone_base(type); base >= 0 && ev.view.param_int(0).value_or(-1) == 0) {
    const int64_t ptid = ev.view.param_int(static_cast<uint16_t>(base + KP_PROCESS_ptid)).value_or(0);
    const ThreadInfo* parent = table0_.find(ev.domain, ptid);
    apply_deferred(process_key(ev.domain, parent != nullptr ? parent->pid : ptid));
  }
}

void EngineWorkers::apply_on_worker0(const Event& ev) {
  if (!changes_state(ev)) return;
  if (shares_state(ev)) {
    updater0_.apply(ev);
    // The process's last thread is gone: nothing will read its log.
    if (ev.view.type() == KE_PROCEXIT && !deferred_.empty() && !table0_.has_process(ev.domain, ev.view.process_id()))
      if (auto log = take_deferred(process_key(ev))) retire(std::move(*log));
    return;
  }
  const uint64_t key = process_key(ev);
  if (last_log_.log == nullptr || key != last_log_.key) {
    auto [it, inserted] = deferred_.try_emplace(key);
    if (inserted && !spare_logs_.empty()) {
      it->second = std::move(spare_logs_.back());
      spare_logs_.pop_back();
    }
    last_log_ = {key, &it->second};  // a map's elements stay put until erased (take_deferred)
  }
  DeferredLog& log = *last_log_.log;
  const auto bytes = ev.view.bytes();
  log.entries.push_back({static_cast<uint32_t>(log.bytes.size()), static_cast<uint32_t>(bytes.size()), ev.domain,
                         ev.source_id});
  log.bytes.insert(log.bytes.end(), bytes.begin(), bytes.end());
  deferred_bytes_ += bytes.size();
  if (log.bytes.size() > kDeferredProcessBytes) apply_deferred(key);
  else if (deferred_bytes_ > kDeferredTotalBytes) apply_all_deferred();
}

size_t EngineWorkers::route(const Event& ev, uint64_t number) {
  bool assigned = false;
  const size_t own = owner_of(ev, assigned);
  // Worker 0's table as this event needs it: the process's own when
  // worker 0 evaluates it, its parent's and its own before a fork or exec.
  if (own == 0 && assigned) apply_deferred(process_key(ev));
  settle_before(ev);
  const bool shared = shares_state(ev);
  if (own == 0 && !shared) return own;
  const auto bytes = ev.view.bytes();
  for (auto& w : workers_) {
    const bool owner = w->index == own;
    if (!owner && !shared) continue;
    Chunk& c = w->pending;  // push() gives it a new chunk
    if (!c.items.empty() && (c.bytes.size() + bytes.size() > kChunkBytes || c.items.size() >= kChunkEvents)) push(*w);
    if (c.items.empty()) w->pending_since = std::chrono::steady_clock::now();
    c.items.push_back(Item{static_cast<uint32_t>(c.bytes.size()), static_cast<uint32_t>(bytes.size()), ev.domain,
                           ev.source_id, ev.enter, owner, -1, number});
    c.bytes.insert(c.bytes.end(), bytes.begin(), bytes.end());
    if (owner && assigned) {
      // The rules of a close or procexit see the state before the event
      // (update_and_evaluate), so its state is taken now, before worker 0
      // applies it; any other event's once worker 0 has (routed()).
      const uint16_t type = ev.view.type();
      if (type == KE_CLOSE || type == KE_PROCEXIT) {
        attach_state(*w, c.items.size() - 1, ev);
      } else {
        state_due_ = w.get();
        state_due_item_ = c.items.size() - 1;
      }
    }
  }
  return own;
}

void EngineWorkers::routed(const Event& ev) {
  if (state_due_ == nullptr) return;
  attach_state(*state_due_, state_due_item_, ev);  // nothing pushed it since route()
  state_due_ = nullptr;
}

void EngineWorkers::attach_state(Worker& w, size_t item, const Event& ev) {
  const int64_t pid = ev.view.process_id();
  apply_deferred(process_key(ev.domain, pid));
  auto local = table0_.process_local_state(ev.domain, pid);
  if (!local) return;  // unknown to worker 0: the replica's is all there is
  Chunk& c = w.pending;
  c.items[item].state = static_cast<int32_t>(c.states.size());
  c.states.push_back(ProcessState{pid, std::move(*local)});
}

void EngineWorkers::flush() {
  for (auto& w : workers_)
    if (!w->pending.items.empty()) push(*w);
}

void EngineWorkers::hand_over() {
  std::chrono::steady_clock::time_point now{};
  for (auto& w : workers_) {
    if (w->pending.items.empty()) continue;
    // A worker out of work takes what there is now (a process just moved
    // to it, among others) instead of waiting out the delay.
    if (w->backlog() != 0 && w->pending.items.size() < kHandOverItems) {
      if (now == std::chrono::steady_clock::time_point{}) now = std::chrono::steady_clock::now();
      if (now - w->pending_since < kHandOverDelay) continue;
    }
    push(*w);
  }
}

void EngineWorkers::push(Worker& w) {
  std::unique_lock lock(w.mu);
  w.cv.wait(lock, [&] { return w.queue.size() < kMaxQueuedChunks; });
  w.queue.push_back(std::move(w.pending));
  w.pushed.store(w.pushed.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  w.pending = Chunk{};
  if (!w.spare.empty()) {
    w.pending = std::move(w.spare.back());
    w.spare.pop_back();
  }
  w.cv.notify_all();
}

void EngineWorkers::run(Worker& w) {
  std::vector<engine::Alert> alerts;
  for (;;) {
    // Out of work: look for more a little while before sleeping.
    if (w.pushed.load(std::memory_order_acquire) == w.done.load(std::memory_order_relaxed)) {
      const auto until = std::chrono::steady_clock::now() + kSpinBeforeSleep;
      for (int i = 1; w.pushed.load(std::memory_order_acquire) == w.done.load(std::memory_order_relaxed); ++i) {
        cpu_relax();
        if (i % 64 == 0 && std::chrono::steady_clock::now() >= until) break;
      }
    }
    Chunk chunk;
    {
      std::unique_lock lock(w.mu);
      w.cv.wait(lock, [&] { return !w.queue.empty() || w.stopping; });
      if (w.queue.empty()) return;
      chunk = std::move(w.queue.front());
      w.queue.pop_front();
      w.cv.notify_all();  // room for the pipeline's thread
    }
    alerts.clear();
    handle(w, chunk, alerts);
    std::lock_guard lock(w.mu);
    for (auto& a : alerts) w.alerts.push_back(std::move(a));
    w.stats = w.table->stats();
    w.exe_digests = w.rules->exe_digest_stats();
    w.done.store(w.done.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    chunk.bytes.clear();
    chunk.items.clear();
    chunk.states.clear();
    if (w.spare.size() < kMaxQueuedChunks) w.spare.push_back(std::move(chunk));
    w.cv.notify_all();  // drain()
  }
}

void EngineWorkers::handle(Worker& w, Chunk& chunk, std::vector<engine::Alert>& alerts) {
  // Read once: the pipeline's thread writes next to them (Worker::pending).
  StateUpdater& updater = *w.updater;
  ThreadTable& table = *w.table;
  engine::eval::RuleEngine& rules = *w.rules;
  for (const Item& item : chunk.items) {
    auto view = EventView::parse(std::span(chunk.bytes).subspan(item.offset, item.len));
    if (!view.ok()) continue;  // parsed once already by its source: cannot fail
    const Event ev{*view, item.domain, item.source_id, item.enter};
    if (!item.evaluate) {
      updater.apply(ev);
      continue;
    }
    // A process new to this worker: worker 0's state of it, as of where
    // the rules read it (route()).
    update_and_evaluate(ev, updater, table, rules, alerts, item.number, [&] {
      if (item.state < 0) return;
      ProcessState& s = chunk.states[static_cast<size_t>(item.state)];
      table.set_process_local_state(item.domain, s.pid, std::move(s.local));
    });
  }
}

void EngineWorkers::collect(std::vector<engine::Alert>& out) {
  for (auto& w : workers_) {
    std::lock_guard lock(w->mu);
    for (auto& a : w->alerts) out.push_back(std::move(a));
    w->alerts.clear();
  }
}

void EngineWorkers::drain() {
  flush();
  for (auto& w : workers_) {
    std::unique_lock lock(w->mu);
    w->cv.wait(lock, [&] { return w->backlog() == 0; });
  }
}

void EngineWorkers::replace_rules(std::vector<engine::eval::RuleEngine*> engines) {
  drain();
  for (size_t i = 0; i < workers_.size() && i < engines.size(); ++i) {
    std::lock_guard lock(workers_[i]->mu);  // seen by the worker's next chunk
    workers_[i]->rules = engines[i];
  }
}

void EngineWorkers::stop() {
  if (!started_) return;
  drain();
  for (auto& w : workers_) {
    {
      std::lock_guard lock(w->mu);
      w->stopping = true;
    }
    w->cv.notify_all();
    w->thread.join();
  }
  started_ = false;
}

ThreadTableStats EngineWorkers::replica_lookups() const {
  ThreadTableStats sum;
  for (const auto& w : workers_) {
    std::lock_guard lock(w->mu);
    sum.lookups += w->stats.lookups;
    sum.lookup_misses += w->stats.lookup_misses;
    sum.fd_lookups += w->stats.fd_lookups;
    sum.fd_lookup_misses += w->stats.fd_lookup_misses;
  }
  return sum;
}

ExeDigestStats EngineWorkers::replica_exe_digests() const {
  ExeDigestStats sum;
  for (const auto& w : workers_) {
    std::lock_guard lock(w->mu);
    sum += w->exe_digests;
  }
  return sum;
}

}  // namespace kestrel
