#include "state/containers/container_store.h"

#include <cstdio>

#include "state/memory_size.h"

namespace kestrel {

namespace {
// One std::map node: the pair, three pointers and a colour, malloc's overhead.
size_t map_heap_bytes(const std::map<std::string, std::string>& m) {
  size_t n = m.size() * (sizeof(std::pair<const std::string, std::string>) + 4 * sizeof(void*) + kMallocOverhead);
  for (const auto& [k, v] : m) n += heap_bytes(k) + heap_bytes(v);
  return n;
}

// A cache entry: its key, the entry, and what the runtime said.
size_t approx_bytes(const std::string& id, const std::shared_ptr<const ContainerInfo>& info) {
  size_t n = sizeof(std::string) + heap_bytes(id) + 64 /* Entry */ + kLruNodeOverhead;
  if (!info) return n;
  const ContainerInfo& c = *info;
  n += sizeof(ContainerInfo) + 2 * kMallocOverhead /* shared_ptr control block */;
  for (const std::string* s : {&c.id, &c.name, &c.image, &c.image_repository, &c.image_tag, &c.image_id,
                               &c.image_digest, &c.type, &c.runtime, &c.healthcheck, &c.ip, &c.pod_name,
                               &c.pod_namespace, &c.pod_uid, &c.pod_sandbox_id})
    n += heap_bytes(*s);
  n += vector_block_bytes(c.mounts);
  for (const ContainerMount& m : c.mounts)
    n += heap_bytes(m.source) + heap_bytes(m.dest) + heap_bytes(m.mode) + heap_bytes(m.propagation);
  return n + map_heap_bytes(c.labels) + map_heap_bytes(c.pod_labels);
}

uint64_t elapsed_ns(std::chrono::steady_clock::time_point since) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - since).count());
}
}  // namespace

ContainerStore::ContainerStore(std::vector<std::unique_ptr<ContainerRuntime>> runtimes, ContainerStoreOptions options)
    : runtimes_(std::move(runtimes)), options_(options) {
  if (options_.capacity == 0) options_.capacity = 1;
}

ContainerStore::~ContainerStore() { stop(); }

void ContainerStore::start() {
  if (!watchers_.empty()) return;
  stop_ = false;
  for (auto& rt : runtimes_) {
    ContainerRuntime* r = rt.get();
    watchers_.emplace_back([this, r] { r->watch([this](ContainerChange&& c) { on_change(std::move(c)); }, stop_); });
  }
}

void ContainerStore::stop() {
  stop_ = true;
  for (auto& t : watchers_) t.join();
  watchers_.clear();
}

void ContainerStore::on_change(ContainerChange&& change) {
  if (change.kind == ContainerChange::Kind::kRefresh) {
    // On the watch thread: the engine never waits for this lookup.
    stats_.runtime_refreshes.fetch_add(1, std::memory_order_relaxed);
    bool answered = false;
    for (auto& rt : runtimes_) {
      LookupResult r = rt->inspect(change.id, options_.lookup_timeout);
      if (r.outcome == LookupOutcome::kFound) {
        change.kind = ContainerChange::Kind::kUpdated;
        change.info = std::move(r.info);
        change.only_if_cached = true;
        return push_change(std::move(change));
      }
      if (r.outcome == LookupOutcome::kNotFound) answered = true;
      if (r.outcome == LookupOutcome::kTimeout || r.outcome == LookupOutcome::kError) {
        stats_.runtime_refresh_failures.fetch_add(1, std::memory_order_relaxed);
        return;  // keep what is held: a runtime could not say
      }
    }
    if (!answered) {  // no runtime running: nothing to go by
      stats_.runtime_refresh_failures.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    change.kind = ContainerChange::Kind::kGone;  // every running runtime said: no such container
    return push_change(std::move(change));
  }
  push_change(std::move(change));
}

void ContainerStore::push_change(ContainerChange&& change) {
  std::lock_guard lock(pending_mu_);
  if (pending_.size() >= options_.max_pending) {
    stats_.runtime_updates_dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  pending_.push_back(std::move(change));
  pending_flag_.store(true, std::memory_order_release);
}

void ContainerStore::apply_pending() {
  std::vector<ContainerChange> changes;
  {
    std::lock_guard lock(pending_mu_);
    changes.swap(pending_);
    pending_flag_.store(false, std::memory_order_relaxed);
  }
  for (auto& c : changes) {
    stats_.runtime_updates.fetch_add(1, std::memory_order_relaxed);
    if (c.kind == ContainerChange::Kind::kGone) {
      erase(c.id);
      continue;
    }
    if (c.only_if_cached) {
      Entry* held = cache_.find(c.id);
      if (held == nullptr) continue;  // not asked about yet: the first event's lookup will
      stats_.runtime_refreshes_applied.fetch_add(1, std::memory_order_relaxed);
    }
    Entry& e = insert(c.id);
    Entry fresh = e;
    fresh.info = std::make_shared<const ContainerInfo>(std::move(c.info));
    assign(c.id, e, std::move(fresh));
  }
}

ContainerStore::Entry& ContainerStore::insert(const std::string& id) {
  auto [entry, inserted] = cache_.try_emplace(id);
  if (inserted) {
    entry->bytes = static_cast<uint32_t>(approx_bytes(id, nullptr));
    if (budget_) budget_->add(MemoryTable::kContainers, entry->bytes);
    trim(id);
  } else {
    cache_.touch(id);
  }
  return *entry;
}

void ContainerStore::assign(const std::string& id, Entry& e, Entry&& from) {
  const uint32_t old_bytes = e.bytes;
  e.info = std::move(from.info);
  e.retry_at = from.retry_at;
  e.bytes = static_cast<uint32_t>(approx_bytes(id, e.info));
  if (budget_) budget_->resize(MemoryTable::kContainers, old_bytes, e.bytes);
  trim(id);
}

void ContainerStore::erase(const std::string& id) {
  Entry* e = cache_.find(id);
  if (e == nullptr) return;
  if (budget_) budget_->sub(MemoryTable::kContainers, e->bytes);
  cache_.erase(id);
}

void ContainerStore::trim(const std::string& keep) {
  for (;;) {
    const bool over_capacity = cache_.size() > options_.capacity;
    const bool over_share = budget_ != nullptr && budget_->over_share(MemoryTable::kContainers);
    if (!over_capacity && !over_share) return;
    const std::string* old = cache_.oldest();
    if (old == nullptr || *old == keep) return;
    erase(std::string(*old));
    stats_.evictions.fetch_add(1, std::memory_order_relaxed);
    if (!over_capacity) budget_->count_eviction(MemoryTable::kContainers);
  }
}

void ContainerStore::set_budget(MemoryBudget* budget) {
  if (budget_) cache_.for_each([&](const std::string&, const Entry& e) { budget_->sub(MemoryTable::kContainers, e.bytes); });
  budget_ = budget;
  if (budget_) cache_.for_each([&](const std::string&, const Entry& e) { budget_->add(MemoryTable::kContainers, e.bytes); });
}

ContainerStore::Entry ContainerStore::lookup(std::string_view id) {
  Entry out;
  auto t0 = std::chrono::steady_clock::now();
  stats_.lookups.fetch_add(1, std::memory_order_relaxed);
  bool failed = false;
  for (auto& rt : runtimes_) {
    LookupResult r = rt->inspect(id, options_.lookup_timeout);
    switch (r.outcome) {
      case LookupOutcome::kFound:
        stats_.lookup_found.fetch_add(1, std::memory_order_relaxed);
        out.info = std::make_shared<const ContainerInfo>(std::move(r.info));
        stats_.lookup_ns_total.fetch_add(elapsed_ns(t0), std::memory_order_relaxed);
        return out;
      case LookupOutcome::kNotFound:
        break;
      case LookupOutcome::kUnavailable:
        stats_.lookup_unavailable.fetch_add(1, std::memory_order_relaxed);
        break;
      case LookupOutcome::kTimeout:
        stats_.lookup_timeouts.fetch_add(1, std::memory_order_relaxed);
        failed = true;
        break;
      case LookupOutcome::kError:
        stats_.lookup_errors.fetch_add(1, std::memory_order_relaxed);
        failed = true;
        std::fprintf(stderr, "kestrel: containers: %.*s: inspect %.*s: %s\n", static_cast<int>(rt->name().size()),
                     rt->name().data(), static_cast<int>(id.size()), id.data(), r.error.c_str());
        break;
    }
  }
  if (!failed) stats_.lookup_not_found.fetch_add(1, std::memory_order_relaxed);
  out.retry_at = std::chrono::steady_clock::now() + options_.retry_after;
  stats_.lookup_ns_total.fetch_add(elapsed_ns(t0), std::memory_order_relaxed);
  return out;
}

const ContainerInfo* ContainerStore::find(std::string_view full_id) {
  if (full_id.empty()) return nullptr;
  if (pending_flag_.load(std::memory_order_acquire)) apply_pending();
  key_.assign(full_id);
  if (Entry* e = cache_.find_and_touch(key_)) {
    if (e->info || std::chrono::steady_clock::now() < e->retry_at) {
      stats_.hits.fetch_add(1, std::memory_order_relaxed);
      return e->info.get();
    }
  }
  Entry fresh = lookup(full_id);
  // lookup() may have taken a while: changes that arrived meanwhile win
  // over an older answer only when they name this id, so apply them first
  // and keep what they said.
  if (pending_flag_.load(std::memory_order_acquire)) apply_pending();
  Entry& slot = insert(key_);
  if (fresh.info || !slot.info) assign(key_, slot, std::move(fresh));
  return slot.info.get();
}

}  // namespace kestrel
