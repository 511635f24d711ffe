// CaptureSource replays a .kcap through the Source interface.
#include "sources/capture/capture_source.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "sources/capture/kcap_writer.h"
#include "tests/capture/capture_test_data.h"

namespace kestrel {
namespace {

using kcap::testing::Bytes;

TEST(CaptureSource, ReplaysTheSameSnapshotAndEvents) {
  kcap::testing::TempDir dir;
  auto events = kcap::testing::make_events(350, 21);
  auto snapshot = kcap::testing::make_snapshot();
  std::string path = dir.file("replay.kcap");
  kcap::KcapWriterOptions opt;
  opt.max_batch_records = 50;
  kcap::KcapWriter w(opt);
  ASSERT_TRUE(w.open(path).ok());
  ASSERT_TRUE(w.write_header(kcap::testing::make_header()).ok());
  ASSERT_TRUE(w.write_snapshot(snapshot).ok());
  for (size_t i = 0; i < events.size(); ++i) ASSERT_TRUE(w.append(events[i], i >= 300 ? 3 : 0).ok());
  ASSERT_TRUE(w.close().ok());

  std::unique_ptr<Source> src = make_capture_source(path);
  EXPECT_EQ(src->capabilities().name, "capture");
  EXPECT_FALSE(src->capabilities().live);
  EXPECT_TRUE(src->capabilities().event_types.test(KE_EXECVE));
  ASSERT_TRUE(src->open().ok());

  auto state = src->initial_state();
  ASSERT_EQ(state.size(), snapshot.size());
  for (size_t i = 0; i < snapshot.size(); ++i) kcap::testing::expect_same_thread(snapshot[i], state[i]);

  std::vector<Bytes> got;
  std::vector<DomainId> domains;
  uint64_t bytes = 0;
  EventBatch batch;
  int batches = 0;
  for (;;) {
    auto r = src->next(batch, std::chrono::milliseconds(10));
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    if (*r == NextOutcome::kEof) break;
    ASSERT_EQ(*r, NextOutcome::kBatch);
    ASSERT_FALSE(batch.events.empty());
    ++batches;
    for (const Event& e : batch.events) {
      got.emplace_back(e.view.bytes().begin(), e.view.bytes().end());
      domains.push_back(e.domain);
      bytes += e.view.len();
    }
  }
  EXPECT_EQ(batches, 7);
  ASSERT_EQ(got.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(got[i], events[i]) << "event " << i;
    EXPECT_EQ(domains[i], i >= 300 ? 3u : 0u) << "event " << i;
  }
  SourceStats stats = src->stats();
  EXPECT_EQ(stats.events, events.size());
  EXPECT_EQ(stats.bytes, bytes);
  EXPECT_EQ(stats.total_drops(), 0u);

  auto again = src->next(batch, std::chrono::milliseconds(0));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, NextOutcome::kEof);
  EXPECT_TRUE(batch.events.empty());
  src->close();
  src->close();  // idempotent
}

TEST(CaptureSource, DamageMidFileEndsTheReplayWithItsOffset) {
  kcap::testing::TempDir dir;
  auto events = kcap::testing::make_events(200, 4);
  std::string path = dir.file("cut.kcap");
  kcap::KcapWriterOptions opt;
  opt.max_batch_records = 25;
  ASSERT_TRUE(kcap::write_capture(path, kcap::testing::make_header(), {}, events, opt).ok());
  Bytes file = kcap::testing::read_file(path);
  file.resize(file.size() * 2 / 3);
  kcap::testing::write_file(path, file);

  CaptureSource src(path);
  ASSERT_TRUE(src.open().ok());
  EventBatch batch;
  size_t delivered = 0;
  Status error;
  for (int i = 0; i < 100; ++i) {
    auto r = src.next(batch, std::chrono::milliseconds(0));
    if (!r.ok()) {
      error = r.status();
      break;
    }
    ASSERT_EQ(*r, NextOutcome::kBatch);
    delivered += batch.events.size();
  }
  EXPECT_EQ(error.code(), StatusCode::kTruncated);
  ASSERT_TRUE(error.where().offset.has_value());
  EXPECT_LE(*error.where().offset, file.size());
  EXPECT_EQ(error.where().file, path);
  EXPECT_GT(delivered, 0u);
  EXPECT_LT(delivered, events.size());
  EXPECT_EQ(src.stats().events, delivered);
  // The error sticks.
  auto r = src.next(batch, std::chrono::milliseconds(0));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().to_string(), error.to_string());
}

TEST(CaptureSource, OpenFailsClearly) {
  kcap::testing::TempDir dir;
  CaptureSource missing(dir.file("nope.kcap"));
  Status st = missing.open();
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.to_string().find("nope.kcap"), std::string::npos);

  std::string text = dir.file("rules.yaml");
  kcap::testing::write_file(text, Bytes{'-', ' ', 'r', 'u', 'l', 'e', ':', '\n'});
  CaptureSource foreign(text);
  st = foreign.open();
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_NE(st.message().find("not a Kestrel capture"), std::string::npos);
}

TEST(CaptureSource, StatsCanBeReadWhileReplaying) {
  kcap::testing::TempDir dir;
  auto events = kcap::testing::make_events(2000, 9);
  std::string path = dir.file("stats.kcap");
  kcap::KcapWriterOptions opt;
  opt.max_batch_records = 10;
  ASSERT_TRUE(kcap::write_capture(path, kcap::testing::make_header(), {}, events, opt).ok());
  CaptureSource src(path);
  ASSERT_TRUE(src.open().ok());
  std::atomic<bool> done{false};
  uint64_t last_seen = 0;
  bool monotonic = true;
  std::thread watcher([&] {
    while (!done.load()) {
      uint64_t n = src.stats().events;
      if (n < last_seen) monotonic = false;
      last_seen = n;
    }
  });
  EventBatch batch;
  for (;;) {
    auto r = src.next(batch, std::chrono::milliseconds(0));
    ASSERT_TRUE(r.ok());
    if (*r == NextOutcome::kEof) break;
  }
  done = true;
  watcher.join();
  EXPECT_TRUE(monotonic);
  EXPECT_EQ(src.stats().events, events.size());
}

}  // namespace
}  // namespace kestrel
