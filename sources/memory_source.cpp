#include "sources/memory_source.h"

namespace kestrel {

MemorySource::MemorySource(std::string name, std::vector<std::vector<uint8_t>> records, DomainId domain,
                           size_t batch_size, std::vector<ThreadInfo> initial)
    : records_(std::move(records)), domain_(domain), batch_size_(batch_size ? batch_size : 1),
      initial_(std::move(initial)) {
  caps_.name = std::move(name);
  caps_.live = false;
  caps_.event_types.set();
}

Status MemorySource::open() {
  pos_ = 0;
  return ok_status();
}

Result<NextOutcome> MemorySource::next(EventBatch& out, std::chrono::milliseconds) {
  out.clear();
  while (pos_ < records_.size() && out.events.size() < batch_size_) {
    const auto& rec = records_[pos_++];
    auto view = EventView::parse(rec);
    if (!view.ok()) {
      malformed_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    out.events.push_back(Event{*view, domain_, 0});
    events_.fetch_add(1, std::memory_order_relaxed);
    bytes_.fetch_add(rec.size(), std::memory_order_relaxed);
  }
  if (!out.events.empty()) return NextOutcome::kBatch;
  return NextOutcome::kEof;
}

SourceStats MemorySource::stats() const {
  SourceStats s;
  s.events = events_.load(std::memory_order_relaxed);
  s.bytes = bytes_.load(std::memory_order_relaxed);
  if (auto m = malformed_.load(std::memory_order_relaxed)) s.drops["malformed"] = m;
  return s;
}

}  // namespace kestrel
