#include "tests/ebpf/live_capture.h"

namespace kestrel::testing {

std::vector<OwnedEvent> collect(Source& source, const std::set<uint32_t>& tgids,
                                const std::function<bool(const std::vector<OwnedEvent>&)>& done,
                                std::chrono::milliseconds timeout) {
  std::vector<OwnedEvent> out;
  EventBatch batch;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done(out) && std::chrono::steady_clock::now() < deadline) {
    auto r = source.next(batch, std::chrono::milliseconds(20));
    if (!r.ok()) break;
    for (const Event& e : batch.events) {
      if (!tgids.empty() && !tgids.count(e.view.tgid())) continue;
      auto b = e.view.bytes();
      out.push_back(OwnedEvent{{b.begin(), b.end()}});
    }
  }
  return out;
}

std::vector<const OwnedEvent*> of_type(const std::vector<OwnedEvent>& events, uint16_t type) {
  std::vector<const OwnedEvent*> out;
  for (const auto& e : events)
    if (e.type() == type) out.push_back(&e);
  return out;
}

size_t count_type(const std::vector<OwnedEvent>& events, uint16_t type) { return of_type(events, type).size(); }

}  // namespace kestrel::testing
