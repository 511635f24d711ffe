// live_collect.h — helpers for tests that drive a live GvisorSource.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "gvisor/gvisor_source.h"
#include "sources/event/event_view.h"
#include "tests/support/record_conformance.h"

namespace kestrel::gvisor::testing {

// An event copied out of a batch (views die at the next next()).
struct Collected {
  std::vector<uint8_t> record;
  DomainId domain = 0;
  std::string container_id, process_name, cwd;
  EventView view() const { return *EventView::parse(record); }
};

// Drains `src` into `out` until `done()` is true and nothing arrived for
// `quiet`, or `deadline` passes.
template <typename Done>
void collect(GvisorSource& src, std::vector<Collected>& out, Done done,
             std::chrono::milliseconds deadline = std::chrono::seconds(90),
             std::chrono::milliseconds quiet = std::chrono::milliseconds(500)) {
  auto end = std::chrono::steady_clock::now() + deadline;
  auto last = std::chrono::steady_clock::now();
  EventBatch batch;
  while (std::chrono::steady_clock::now() < end) {
    auto r = src.next(batch, std::chrono::milliseconds(100));
    if (!r.ok()) return;
    if (*r == NextOutcome::kBatch) {
      last = std::chrono::steady_clock::now();
      for (size_t i = 0; i < batch.events.size(); ++i) {
        const Event& e = batch.events[i];
        GvisorContext c = src.context(i);
        auto bytes = e.view.bytes();
        // Every record a live sandbox produced conforms to the ABI and the table.
        if (auto problems = test::record_problems(e.view); !problems.empty())
          ADD_FAILURE() << "gVisor record does not conform:\n" << test::describe_problems(problems);
        out.push_back({std::vector<uint8_t>(bytes.begin(), bytes.end()), e.domain, std::string(c.container_id),
                       std::string(c.process_name), std::string(c.cwd)});
      }
    } else if (done() && std::chrono::steady_clock::now() - last > quiet) {
      return;
    }
  }
}

}  // namespace kestrel::gvisor::testing
