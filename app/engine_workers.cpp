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

EngineWorkers::EngineWorkers(std::vector<engine::eval::RuleEngine*> engines, ThreadTable& table0,
                             ProcessResolver resolver)
    : table0_(table0) {
  table0_.budget().set_shared(true);
  for (size_t i = 0; i < engines.size(); ++i) {
    auto w = std::make_unique<Worker>();
    w->index = i + 1;
    w->table = std::make_unique<ThreadTable>(table0_.config());
    w->table->set_budget(&table0_.budget());
    w->updater = std::make_unique<StateUpdater>(*w->table);
    w->updater->set_resolver(resolver);
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

size_t EngineWorkers::route(const Event& ev, uint64_t number) {
  const size_t own = owner_of(ev, count());
  const bool everywhere = applies_everywhere(ev);
  if (own == 0 && !everywhere) return own;
  bool full = false;
  const auto bytes = ev.view.bytes();
  for (auto& w : workers_) {
    if (w->index != own && !everywhere) continue;
    Chunk& c = w->pending;
    c.items.push_back(Item{static_cast<uint32_t>(c.bytes.size()), static_cast<uint32_t>(bytes.size()), ev.domain,
                           ev.source_id, ev.enter, w->index == own, number});
    c.bytes.insert(c.bytes.end(), bytes.begin(), bytes.end());
    full = full || c.bytes.size() >= kChunkBytes || c.items.size() >= kChunkEvents;
  }
  if (full) flush();
  return own;
}

void EngineWorkers::flush() {
  for (auto& w : workers_)
    if (!w->pending.items.empty()) push(*w);
}

void EngineWorkers::push(Worker& w) {
  std::unique_lock lock(w.mu);
  w.cv.wait(lock, [&] { return w.queue.size() < kMaxQueuedChunks; });
  w.queue.push_back(std::move(w.pending));
  ++w.pushed;
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
    ++w.done;
    chunk.bytes.clear();
    chunk.items.clear();
    if (w.spare.size() < kMaxQueuedChunks) w.spare.push_back(std::move(chunk));
    w.cv.notify_all();  // drain()
  }
}

void EngineWorkers::handle(Worker& w, const Chunk& chunk, std::vector<engine::Alert>& alerts) {
  for (const Item& item : chunk.items) {
    auto view = EventView::parse(std::span(chunk.bytes).subspan(item.offset, item.len));
    if (!view.ok()) continue;  // parsed once already by its source: cannot fail
    const Event ev{*view, item.domain, item.source_id, item.enter};
    if (item.evaluate) update_and_evaluate(ev, *w.updater, *w.table, *w.rules, alerts, item.number, [] {});
    else w.updater->apply(ev);
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
    w->cv.wait(lock, [&] { return w->done == w->pushed; });
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
