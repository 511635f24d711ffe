#include "tests/ebpf/live_capture.h"

#include <time.h>
#include <unistd.h>

#include <filesystem>

#include "tests/support/record_conformance.h"

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
      // Every record a live test sees is held to the ABI and the table.
      if (auto problems = test::record_problems(e.view); !problems.empty())
        ADD_FAILURE() << "eBPF record does not conform:\n" << test::describe_problems(problems);
      out.push_back(OwnedEvent{{b.begin(), b.end()}});
    }
  }
  return out;
}

void drain(Source& source, std::chrono::milliseconds quiet) {
  // A batch smaller than the cap means every buffer was read up to where
  // its producer was: all that existed when drain() began is gone. (Waiting
  // for silence instead never ends on a busy host with I/O events on.)
  const size_t cap = EbpfOptions{}.max_batch;
  EventBatch batch;
  for (int i = 0; i < 10000; ++i) {
    auto r = source.next(batch, quiet);
    if (!r.ok() || *r != NextOutcome::kBatch || batch.events.size() < cap) return;
  }
}

std::vector<const OwnedEvent*> of_type(const std::vector<OwnedEvent>& events, uint16_t type) {
  std::vector<const OwnedEvent*> out;
  for (const auto& e : events)
    if (e.type() == type) out.push_back(&e);
  return out;
}

size_t count_type(const std::vector<OwnedEvent>& events, uint16_t type) { return of_type(events, type).size(); }

uint64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

std::string temp_path(const char* tag) {
  return (std::filesystem::temp_directory_path() /
          ("kestrel-ebpf-" + std::string(tag) + "-" + std::to_string(::getpid())))
      .string();
}

EbpfSource* EbpfLive::source_ = nullptr;
Status EbpfLive::open_status_;

void EbpfLive::SetUpTestSuite() {
  EbpfOptions opt;
  opt.drop_own_events = false;  // the workloads run in this process
  opt.buffer_bytes = 16u << 20;  // room for the whole host's I/O events between reads
  source_ = new EbpfSource(opt);
  open_status_ = source_->open();
}

void EbpfLive::TearDownTestSuite() {
  delete source_;
  source_ = nullptr;
}

void EbpfLive::SetUp() {
  ASSERT_TRUE(open_status_.ok()) << open_status_.to_string();
  EventTypeSet all;
  all.set();
  ASSERT_TRUE(source_->set_event_filter(all).ok());
  drain(*source_);  // what earlier tests left behind
}

}  // namespace kestrel::testing
