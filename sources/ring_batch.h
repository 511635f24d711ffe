// ring_batch.h — one batch from a set of per-CPU ring buffers.
//
// The kernel-side sources (ebpf/, kmod/) both hand userspace one ring per
// CPU (or group of CPUs), each in time order. This gathers what the rings
// hold, up to a budget, as zero-copy views, and merges them by timestamp.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sources/abi/kestrel_event.h"
#include "sources/source.h"

namespace kestrel {

// Counters a ring source keeps for stats().
struct RingBatchCounters {
  std::atomic<uint64_t> events{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> malformed{0};  // records that failed EventView::parse
  // Records delivered per ring, for the first kMaxCountedRings rings (the
  // rest count in `events` only): per-CPU event counts where a ring is one
  // CPU's. Counted when read, so a record still in its ring is not yet in.
  static constexpr size_t kMaxCountedRings = 1024;
  std::array<std::atomic<uint64_t>, kMaxCountedRings> per_ring{};
  // Records delivered per event type (what the kernel sent up, before any
  // rule: the in-kernel filter's effect, issue #19). One reader thread
  // writes them, so a relaxed load and store, not a locked add.
  std::array<std::atomic<uint64_t>, KE_COUNT> per_type{};
};

// The per-ring counts of the first `rings` rings.
inline std::vector<uint64_t> ring_events(const RingBatchCounters& counters, size_t rings) {
  std::vector<uint64_t> out(std::min(rings, RingBatchCounters::kMaxCountedRings));
  for (size_t i = 0; i < out.size(); ++i) out[i] = counters.per_ring[i].load(std::memory_order_relaxed);
  return out;
}

// Appends to `out` what `rings` hold, at most `max_batch` records, as host
// events. `Ring` has `size_t read(callback(std::span<const uint8_t>), size_t
// budget)` returning the records it passed on; views stay valid until the
// ring is read again. `merge` sorts by timestamp (stable: equal times keep
// ring order) — needed whenever more than one ring, or one ring shared by
// several CPUs, was read. Returns whether anything was appended.
template <typename Ring>
bool read_ring_batch(std::vector<Ring>& rings, size_t max_batch, bool merge, EventBatch& out,
                     RingBatchCounters& counters) {
  const size_t first = out.events.size();
  size_t budget = max_batch;
  for (size_t index = 0; index < rings.size(); ++index) {
    auto& ring = rings[index];
    if (budget == 0) break;
    const size_t ring_first = out.events.size();
    budget -= ring.read(
        [&](std::span<const uint8_t> rec) {
          auto view = EventView::parse(rec);
          if (!view.ok()) {
            counters.malformed.fetch_add(1, std::memory_order_relaxed);
            return;
          }
          out.events.push_back(Event{*view, kHostDomain, 0});
          if (uint16_t t = view->type(); t < KE_COUNT) {
            auto& n = counters.per_type[t];
            n.store(n.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
          }
          counters.bytes.fetch_add(rec.size(), std::memory_order_relaxed);
        },
        budget);
    if (index < RingBatchCounters::kMaxCountedRings)
      counters.per_ring[index].fetch_add(out.events.size() - ring_first, std::memory_order_relaxed);
  }
  if (out.events.size() == first) return false;
  counters.events.fetch_add(out.events.size() - first, std::memory_order_relaxed);
  if (merge)
    std::stable_sort(out.events.begin() + static_cast<std::ptrdiff_t>(first), out.events.end(),
                     [](const Event& a, const Event& b) { return a.view.ts() < b.view.ts(); });
  return true;
}

// Drop counters per reason, one value per ring: what the kernel side
// counted (buffer full, record too large, ...).
using RingDropsPerCpu = std::vector<std::pair<std::string, std::vector<uint64_t>>>;

// stats() of a ring source: its counters plus the kernel's drops, summed
// over rings per reason (reasons with no drop are left out).
inline SourceStats ring_source_stats(const RingBatchCounters& counters, const RingDropsPerCpu& drops) {
  SourceStats s;
  s.events = counters.events.load(std::memory_order_relaxed);
  s.bytes = counters.bytes.load(std::memory_order_relaxed);
  if (uint64_t m = counters.malformed.load(std::memory_order_relaxed)) s.drops["malformed"] = m;
  s.events_by_type.resize(KE_COUNT);
  for (size_t t = 0; t < KE_COUNT; ++t) s.events_by_type[t] = counters.per_type[t].load(std::memory_order_relaxed);
  for (const auto& [reason, per_ring] : drops) {
    uint64_t total = 0;
    for (uint64_t n : per_ring) total += n;
    if (!total) continue;
    s.drops[reason] += total;
    s.drops_per_cpu[reason] = per_ring;
  }
  return s;
}

}  // namespace kestrel
