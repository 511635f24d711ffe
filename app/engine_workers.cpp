#include "app/engine_workers.h"

#include <algorithm>

namespace kestrel {

namespace {

// Chunks queued per worker, and a chunk's size, before the pipeline's
// thread waits: bounds what is in flight (about 4 x 1 MiB per worker).
constexpr size_t kMaxQueuedChunks = 4;
constexpr size_t kChunkBytes = 1u << 20;
constexpr size_t kChunkEvents = 4096;

}  // namespace

size_t default_engine_workers() {
  const unsigned cores = std::thread::hardware_concurrency();
  return std::clamp<size_t>(cores == 0 ? 1 : cores, 1, kMaxEngineWorkers);
}

bool EngineWorkers::applies_everywhere(uint16_t type) {
  switch (type) {
    case KE_CLONE: case KE_CLONE3: case KE_FORK: case KE_VFORK: case KE_PROCEXIT: case KE_CONTAINER:
    case KE_EXECVE: case KE_EXECVEAT: case KE_SETSID: case KE_CHDIR: case KE_FCHDIR: case KE_CHROOT:
    case KE_SETUID: case KE_SETGID: case KE_SETREUID: case KE_SETREGID: case KE_SETRESUID: case KE_SETRESGID:
      return true;
    default: return false;
  }
}

EngineWorkers::EngineWorkers(std::vector<engine::eval::RuleEngine*> engines, ThreadTable& table0,
                             StateUpdater& updater0, ProcessResolver resolver)
    : table0_(table0), updater0_(updater0) {
  table0_.budget().set_shared(true);
  progress_.assign(engines.size() + 1, 0);
  handovers_.resize(engines.size() + 1);
  for (size_t i = 0; i < engines.size(); ++i) {
    auto r = std::make_unique<Replica>();
    r->index = i + 1;
    r->table = std::make_unique<ThreadTable>(table0_.config());
    r->table->set_budget(&table0_.budget());
    r->updater = std::make_unique<StateUpdater>(*r->table);
    r->updater->set_resolver(resolver);
    Replica* raw = r.get();
    r->updater->on_fds_inherited([this, raw](DomainId domain, int64_t from, int64_t to) {
      fds_inherited(raw->index, *raw->table, raw->current, domain, from, to);
    });
    r->rules = engines[i];
    replicas_.push_back(std::move(r));
  }
  updater0_.on_fds_inherited([this](DomainId domain, int64_t from, int64_t to) {
    fds_inherited(0, table0_, current0_, domain, from, to);
  });
}

EngineWorkers::~EngineWorkers() {
  stop();
  updater0_.on_fds_inherited({});
  table0_.budget().set_shared(false);
}

void EngineWorkers::start() {
  const size_t n = count();
  std::vector<ThreadInfo> all = table0_.snapshot();
  for (auto& r : replicas_) {
    std::vector<ThreadInfo> mine = all;
    for (ThreadInfo& t : mine)
      if (owner(t.domain, t.pid, n) != r->index) t.fds.clear();
    r->table->load(std::move(mine));
  }
  for (const ThreadInfo& t : all)
    if (t.tid == t.pid && owner(t.domain, t.pid, n) != 0) table0_.clear_fds(t.domain, t.pid);
  for (auto& r : replicas_) r->thread = std::thread([this, raw = r.get()] { run(*raw); });
  started_ = true;
}

size_t EngineWorkers::route(const Event& ev, uint64_t number) {
  const size_t n = count();
  const size_t own = owner_of(ev, n);
  const bool everywhere = !ev.enter && applies_everywhere(ev.view.type());
  current0_ = number;
  if (own == 0 && !everywhere) return own;
  bool full = false;
  const auto bytes = ev.view.bytes();
  for (auto& r : replicas_) {
    if (r->index != own && !everywhere) continue;
    Chunk& c = r->pending;
    Item item{static_cast<uint32_t>(c.bytes.size()), static_cast<uint32_t>(bytes.size()), ev.domain, ev.source_id,
              ev.enter, r->index == own, number};
    c.bytes.insert(c.bytes.end(), bytes.begin(), bytes.end());
    c.items.push_back(item);
    full = full || c.bytes.size() >= kChunkBytes || c.items.size() >= kChunkEvents;
  }
  if (full) flush();
  return own;
}

void EngineWorkers::flush() {
  // All or nothing: wait until every worker has room, then give each its
  // chunk, so an event applied everywhere reaches every queue together (a
  // worker waiting for another's hand-over never waits on a chunk still
  // held here).
  for (auto& r : replicas_) {
    std::unique_lock lock(r->mu);
    r->cv.wait(lock, [&] { return r->queue.size() < kMaxQueuedChunks; });
  }
  for (auto& r : replicas_)
    if (!r->pending.items.empty()) push(*r);
}

void EngineWorkers::push(Replica& r) {
  std::lock_guard lock(r.mu);
  r.queue.push_back(std::move(r.pending));
  ++r.pushed;
  r.pending = Chunk{};
  if (!r.spare.empty()) {
    r.pending = std::move(r.spare.back());
    r.spare.pop_back();
  }
  r.cv.notify_all();
}

void EngineWorkers::run(Replica& r) {
  std::vector<engine::Alert> alerts;
  for (;;) {
    Chunk chunk;
    {
      std::unique_lock lock(r.mu);
      r.cv.wait(lock, [&] { return !r.queue.empty() || r.stopping; });
      if (r.queue.empty()) return;
      chunk = std::move(r.queue.front());
      r.queue.pop_front();
      r.cv.notify_all();  // room for the pipeline's thread
    }
    alerts.clear();
    handle(r, chunk, alerts);
    std::lock_guard lock(r.mu);
    for (auto& a : alerts) r.alerts.push_back(std::move(a));
    r.stats = r.table->stats();
    ++r.done;
    chunk.bytes.clear();
    chunk.items.clear();
    if (r.spare.size() < kMaxQueuedChunks) r.spare.push_back(std::move(chunk));
    r.cv.notify_all();  // drain()
  }
}

void EngineWorkers::handle(Replica& r, const Chunk& chunk, std::vector<engine::Alert>& alerts) {
  std::vector<engine::Alert> raised;
  for (const Item& item : chunk.items) {
    auto view = EventView::parse(std::span(chunk.bytes).subspan(item.offset, item.len));
    if (!view.ok()) continue;  // parsed once already by its source: cannot fail
    const Event ev{*view, item.domain, item.source_id, item.enter};
    r.current = item.number;
    if (item.evaluate) {
      raised.clear();
      update_and_evaluate(ev, *r.updater, *r.table, *r.rules, raised, item.number, [] {});
      for (auto& a : raised) alerts.push_back(std::move(a));
    } else {
      r.updater->apply(ev);
    }
    if (!item.enter && applies_everywhere(ev.view.type())) mark_progress(r.index, item.number);
  }
}

void EngineWorkers::mark_progress(size_t worker, uint64_t number) {
  std::lock_guard lock(handover_mu_);
  progress_[worker] = number;
  if (waiting_.load(std::memory_order_relaxed) > 0) handover_cv_.notify_all();
}

void EngineWorkers::fds_inherited(size_t self, ThreadTable& table, uint64_t number, DomainId domain,
                                  int64_t from_pid, int64_t to_pid) {
  const size_t n = count();
  const size_t sender = owner(domain, from_pid, n), receiver = owner(domain, to_pid, n);
  if (self == receiver && sender == receiver) return;  // one table's copy, here
  if (self == sender) {
    std::lock_guard lock(handover_mu_);
    handovers_[receiver].by_number[number] = table.fds_oldest_first(domain, to_pid);
    if (waiting_.load(std::memory_order_relaxed) > 0) handover_cv_.notify_all();
  }
  if (self != receiver) {
    table.clear_fds(domain, to_pid);  // the owner keeps them
    return;
  }
  // The child's owner: the sender's copy, once the sender has applied this
  // event (it may make none: then ours stands).
  if (self == 0) flush();  // the sender may not have this event yet
  std::vector<FdInfo> fds;
  bool posted = false;
  {
    std::unique_lock lock(handover_mu_);
    waiting_.fetch_add(1);
    auto& mine = handovers_[self].by_number;
    handover_cv_.wait(lock, [&] { return mine.count(number) != 0 || progress_[sender] >= number; });
    waiting_.fetch_sub(1);
    if (auto it = mine.find(number); it != mine.end()) {
      fds = std::move(it->second);
      posted = true;
    }
    // Earlier posts no copy here asked for are void now.
    mine.erase(mine.begin(), mine.upper_bound(number));
  }
  if (!posted) return;
  table.clear_fds(domain, to_pid);
  for (FdInfo& f : fds) table.put_fd(domain, to_pid, std::move(f));
}

void EngineWorkers::collect(std::vector<engine::Alert>& out) {
  for (auto& r : replicas_) {
    std::lock_guard lock(r->mu);
    for (auto& a : r->alerts) out.push_back(std::move(a));
    r->alerts.clear();
  }
}

void EngineWorkers::drain() {
  flush();
  for (auto& r : replicas_) {
    std::unique_lock lock(r->mu);
    r->cv.wait(lock, [&] { return r->done == r->pushed; });
  }
}

void EngineWorkers::replace_rules(std::vector<engine::eval::RuleEngine*> engines) {
  drain();
  for (size_t i = 0; i < replicas_.size() && i < engines.size(); ++i) replicas_[i]->rules = engines[i];
}

void EngineWorkers::stop() {
  if (!started_) return;
  drain();
  for (auto& r : replicas_) {
    {
      std::lock_guard lock(r->mu);
      r->stopping = true;
    }
    r->cv.notify_all();
    r->thread.join();
  }
  started_ = false;
}

ThreadTableStats EngineWorkers::replica_stats() const {
  ThreadTableStats sum;
  for (const auto& r : replicas_) {
    std::lock_guard lock(r->mu);
    const ThreadTableStats& s = r->stats;
    sum.fds += s.fds;
    sum.thread_evictions += s.thread_evictions;
    sum.fd_evictions += s.fd_evictions;
    sum.memory_thread_evictions += s.memory_thread_evictions;
    sum.memory_fd_evictions += s.memory_fd_evictions;
    sum.lookups += s.lookups;
    sum.lookup_misses += s.lookup_misses;
    sum.fd_lookups += s.fd_lookups;
    sum.fd_lookup_misses += s.fd_lookup_misses;
  }
  return sum;
}

}  // namespace kestrel
