#include "sources/multiplexer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>

#include "sources/event/event_builder.h"
#include "sources/memory_source.h"

namespace kestrel {
namespace {

std::vector<std::vector<uint8_t>> close_events(uint32_t tid, int n) {
  std::vector<std::vector<uint8_t>> out;
  for (int i = 0; i < n; ++i)
    out.push_back(EventBuilder(KE_CLOSE, 1000 + i, tid, tid)
                      .put_int(KPARAM(CLOSE, res), 0)
                      .put_int(KPARAM(CLOSE, fd), i)
                      .finish_or_throw());
  return out;
}

struct Collected {
  std::map<uint16_t, std::vector<int64_t>> fds_by_source;
  std::map<uint16_t, DomainId> domain_by_source;
};

Collected drain(Multiplexer& mux) {
  Collected c;
  EventBatch batch;
  for (;;) {
    auto r = mux.next(batch, std::chrono::milliseconds(100));
    EXPECT_TRUE(r.ok());
    if (!r.ok() || *r == NextOutcome::kEof) break;
    for (const auto& ev : batch.events) {
      c.fds_by_source[ev.source_id].push_back(*ev.view.param_int(KP_CLOSE_fd));
      c.domain_by_source[ev.source_id] = ev.domain;
    }
  }
  return c;
}

std::vector<int64_t> iota(int n) {
  std::vector<int64_t> v(n);
  for (int i = 0; i < n; ++i) v[i] = i;
  return v;
}

TEST(Multiplexer, MergesSourcesTaggedAndInOrder) {
  Multiplexer mux;
  auto a = mux.add(std::make_unique<MemorySource>("a", close_events(1, 500), kHostDomain, 7));
  auto b = mux.add(std::make_unique<MemorySource>("b", close_events(2, 300), DomainId{5}, 11));
  ASSERT_TRUE(mux.start().ok());
  auto c = drain(mux);
  EXPECT_EQ(c.fds_by_source[a], iota(500));
  EXPECT_EQ(c.fds_by_source[b], iota(300));
  EXPECT_EQ(c.domain_by_source[a], kHostDomain);
  EXPECT_EQ(c.domain_by_source[b], 5u);
  auto reports = mux.reports();
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].stats.events, 500u);
  EXPECT_TRUE(reports[1].ended);
  EXPECT_TRUE(reports[1].error.ok());
}

// A replay source is never dropped from: a tiny queue makes it wait.
TEST(Multiplexer, ReplaySourcesGetBackpressureNotDrops) {
  Multiplexer mux(MultiplexerOptions{64, std::chrono::milliseconds(10)});
  mux.add(std::make_unique<MemorySource>("replay", close_events(1, 2000), kHostDomain, 3));
  ASSERT_TRUE(mux.start().ok());
  auto c = drain(mux);
  EXPECT_EQ(c.fds_by_source[0], iota(2000));
  EXPECT_EQ(mux.reports()[0].queue_drops, 0u);
}

// A live source that outruns the consumer loses events, and says how many.
class LiveMemorySource : public MemorySource {
 public:
  using MemorySource::MemorySource;
  const SourceCapabilities& capabilities() const override {
    static SourceCapabilities caps = [] {
      SourceCapabilities c;
      c.name = "live";
      c.live = true;
      return c;
    }();
    return caps;
  }
};

// Starts `mux` with one live source of 5000 events and lets its reader run
// ahead of a consumer that is not consuming yet, until it has counted a
// drop: the queue is full (a deadline, not a speed).
void start_until_the_queue_is_full(Multiplexer& mux) {
  mux.add(std::make_unique<LiveMemorySource>("live", close_events(1, 5000), kHostDomain, 5));
  ASSERT_TRUE(mux.start().ok());
  for (auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
       mux.reports()[0].queue_drops == 0 && std::chrono::steady_clock::now() < end;)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

TEST(Multiplexer, LiveSourcesCountQueueDrops) {
  Multiplexer mux(MultiplexerOptions{200, std::chrono::milliseconds(10)});
  start_until_the_queue_is_full(mux);
  auto c = drain(mux);
  auto report = mux.reports()[0];
  EXPECT_GT(report.queue_drops, 0u);
  EXPECT_EQ(c.fds_by_source[0].size() + report.queue_drops, 5000u);
  // What did arrive is in order.
  EXPECT_TRUE(std::is_sorted(c.fds_by_source[0].begin(), c.fds_by_source[0].end()));
}

// A stop ends the reading; what the reader had already queued is still
// handed out (the pipeline evaluates it) instead of being dropped at exit.
TEST(Multiplexer, AfterStopReadingWhatWasQueuedIsStillHandedOut) {
  Multiplexer mux(MultiplexerOptions{4096, std::chrono::milliseconds(10)});
  start_until_the_queue_is_full(mux);
  mux.stop_reading();
  auto c = drain(mux);
  mux.stop();
  auto report = mux.reports()[0];
  EXPECT_FALSE(c.fds_by_source[0].empty());
  EXPECT_EQ(report.dropped_at_exit, 0u);
  // Everything the source gave up was handed out or counted as a queue drop.
  EXPECT_EQ(c.fds_by_source[0].size() + report.queue_drops, report.stats.events);
  EXPECT_TRUE(std::is_sorted(c.fds_by_source[0].begin(), c.fds_by_source[0].end()));
}

// Stopping without draining still counts what was queued.
TEST(Multiplexer, StopCountsWhatWasStillQueuedAsDroppedAtExit) {
  Multiplexer mux(MultiplexerOptions{4096, std::chrono::milliseconds(10)});
  start_until_the_queue_is_full(mux);
  mux.stop();
  auto report = mux.reports()[0];
  EXPECT_GT(report.dropped_at_exit, 0u);
  EXPECT_EQ(report.dropped_at_exit + report.queue_drops, report.stats.events);
}

class FailingSource : public MemorySource {
 public:
  FailingSource() : MemorySource("failing", {}) {}
  Result<NextOutcome> next(EventBatch& out, std::chrono::milliseconds) override {
    out.clear();
    return Status(StatusCode::kUnavailable, "ring buffer vanished");
  }
};

TEST(Multiplexer, AFailingSourceDoesNotStopTheOthers) {
  Multiplexer mux;
  mux.add(std::make_unique<FailingSource>());
  mux.add(std::make_unique<MemorySource>("ok", close_events(1, 50)));
  ASSERT_TRUE(mux.start().ok());
  auto c = drain(mux);
  EXPECT_EQ(c.fds_by_source[1], iota(50));
  auto reports = mux.reports();
  EXPECT_FALSE(reports[0].error.ok());
  EXPECT_NE(reports[0].error.message().find("ring buffer vanished"), std::string::npos);
}

class UnopenableSource : public MemorySource {
 public:
  UnopenableSource() : MemorySource("ebpf", {}) {}
  Status open() override { return Status(StatusCode::kPermissionDenied, "BPF needs CAP_BPF"); }
};

TEST(Multiplexer, OpenFailureNamesTheSource) {
  Multiplexer mux;
  mux.add(std::make_unique<MemorySource>("ok", close_events(1, 5)));
  mux.add(std::make_unique<UnopenableSource>());
  auto s = mux.start();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("'ebpf'"), std::string::npos);
}

// A source that must keep its input until the engine is done with it (the
// fleet bus's events source acks then) learns it through consumed(): a
// batch counts as done when the consumer comes back for the next one, the
// last one at stop().
class ConsumedCounting final : public MemorySource {
 public:
  using MemorySource::MemorySource;
  void consumed(uint64_t events) override { consumed_ += events; }
  std::atomic<uint64_t> consumed_{0};
};

TEST(Multiplexer, TellsASourceWhichOfItsEventsTheConsumerIsDoneWith) {
  Multiplexer mux;
  auto owned = std::make_unique<ConsumedCounting>("acking", close_events(1, 100), kHostDomain, 10);
  ConsumedCounting* src = owned.get();
  mux.add(std::move(owned));
  ASSERT_TRUE(mux.start().ok());
  EventBatch batch;
  uint64_t handed = 0;
  while (handed < 100) {
    auto r = mux.next(batch, std::chrono::milliseconds(1000));
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(*r, NextOutcome::kBatch);
    // Everything before this batch is done; this one is not yet.
    EXPECT_EQ(src->consumed_.load(), handed);
    handed += batch.events.size();
  }
  mux.stop();
  EXPECT_EQ(src->consumed_.load(), 100u);
}

TEST(MemorySource, CountsMalformedRecords) {
  auto records = close_events(1, 3);
  records[1].resize(10);  // truncated record
  MemorySource src("m", records);
  ASSERT_TRUE(src.open().ok());
  EventBatch batch;
  ASSERT_EQ(*src.next(batch, {}), NextOutcome::kBatch);
  EXPECT_EQ(batch.events.size(), 2u);
  EXPECT_EQ(src.stats().drops.at("malformed"), 1u);
  EXPECT_EQ(*src.next(batch, {}), NextOutcome::kEof);
}

}  // namespace
}  // namespace kestrel
