// Rule-triggered captures (Falco's `capture:`): the file a trigger starts,
// Falco's two stop conditions (a deadline later triggers extend, a size cap
// nothing extends), a new file for the next trigger, and the files read
// back with the capture reader.
#include "sources/capture/triggered_capture.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <map>
#include <regex>

#include "sources/event/event_builder.h"
#include "sources/event/event_view.h"
#include "tests/capture/capture_test_data.h"

namespace kestrel {
namespace {

using kcap::testing::Bytes;

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kStart = 1'700'000'000'000'000'000ull;

// `n` openat records one millisecond apart, all of one size.
std::vector<Bytes> events_1ms_apart(size_t n) {
  std::vector<Bytes> out;
  for (size_t i = 0; i < n; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/etc/file%03zu", i);
    out.push_back(EventBuilder(KE_OPENAT, kStart + i * kMs, 100, 100)
                      .put_int(KPARAM(OPENAT, fd), 3)
                      .put_int(KPARAM(OPENAT, dirfd), -100)
                      .put_str(KPARAM(OPENAT, name), name)
                      .put_int(KPARAM(OPENAT, flags), 0)
                      .put_int(KPARAM(OPENAT, mode), 0)
                      .put_int(KPARAM(OPENAT, dev), 0x801)
                      .put_int(KPARAM(OPENAT, ino), 1000 + i)
                      .finish_or_throw());
  }
  return out;
}

uint64_t ts_of(const Bytes& record) {
  auto view = EventView::parse(record);
  EXPECT_TRUE(view.ok());
  return view.ok() ? view->ts() : 0;
}

struct CaptureRun {
  std::vector<std::string> log;
  std::unique_ptr<TriggeredCapture> capture;
  explicit CaptureRun(TriggeredCaptureOptions o) {
    capture = std::make_unique<TriggeredCapture>(std::move(o), [this](const std::string& l) { log.push_back(l); });
  }
  // Offers `events` in order; the event at each index of `triggers`
  // matched a rule asking for `duration_ms`.
  void feed(const std::vector<Bytes>& events, const std::map<size_t, uint64_t>& triggers) {
    for (size_t i = 0; i < events.size(); ++i) {
      if (auto t = triggers.find(i); t != triggers.end())
        capture->trigger(ts_of(events[i]), i + 1, t->second, [] { return kcap::testing::make_snapshot(); });
      capture->on_event(events[i], 0, false, ts_of(events[i]));
    }
    capture->finish();
  }
};

// The events of a file, as timestamps.
std::vector<uint64_t> times_in(const std::string& path) {
  auto read = kcap::testing::read_capture(path);
  EXPECT_TRUE(read.status.ok()) << read.status.to_string();
  std::vector<uint64_t> out;
  for (const auto& e : read.events) out.push_back(ts_of(e));
  return out;
}

TEST(TriggeredCapture, RecordsFromTheMatchUntilTheDeadlineWhichLaterMatchesExtend) {
  kcap::testing::TempDir dir;
  auto events = events_1ms_apart(40);
  CaptureRun run({.path_prefix = dir.file("falco"), .default_duration_ms = 5, .format = CaptureFormat::kKcap});
  // Match at 3 starts a capture until 3 + 5 ms; the match at 6 extends it
  // to 11 (the later deadline wins); the match at 30 starts a second file.
  run.feed(events, {{3, 0}, {6, 0}, {30, 0}});
  ASSERT_EQ(run.capture->files().size(), 2u);
  std::vector<uint64_t> want_first, want_second;
  for (uint64_t i = 3; i <= 11; ++i) want_first.push_back(kStart + i * kMs);
  for (uint64_t i = 30; i <= 35; ++i) want_second.push_back(kStart + i * kMs);
  EXPECT_EQ(times_in(run.capture->files()[0]), want_first);
  EXPECT_EQ(times_in(run.capture->files()[1]), want_second);
  // The file starts with the state at the trigger, so it replays alone.
  auto read = kcap::testing::read_capture(run.capture->files()[0]);
  EXPECT_EQ(read.snapshot.size(), kcap::testing::make_snapshot().size());
  // Falco's naming: <prefix>_<ts>_<evtnum>, zero-padded.
  char name[128];
  std::snprintf(name, sizeof name, "falco_%020llu_%020llu.kcap", static_cast<unsigned long long>(kStart + 3 * kMs), 4ull);
  EXPECT_EQ(run.capture->files()[0], dir.file(name));
  EXPECT_EQ(run.capture->stats().captures, 2u);
  EXPECT_EQ(run.capture->stats().stopped_by_size, 0u);
}

TEST(TriggeredCapture, TheRulesDurationOverridesTheDefault) {
  kcap::testing::TempDir dir;
  auto events = events_1ms_apart(20);
  CaptureRun run({.path_prefix = dir.file("falco"), .default_duration_ms = 1, .format = CaptureFormat::kKcap});
  // A rule's capture_duration of 10 ms instead of the default 1.
  run.feed(events, {{2, 10}});
  ASSERT_EQ(run.capture->files().size(), 1u);
  EXPECT_EQ(times_in(run.capture->files()[0]).size(), 11u);  // 2 … 12
}

TEST(TriggeredCapture, TheSizeCapEndsACaptureNoMatchExtends) {
  kcap::testing::TempDir dir;
  auto events = events_1ms_apart(30);
  CaptureRun run({.path_prefix = dir.file("falco"), .default_duration_ms = 3'600'000,
                  .max_file_size_bytes = 5 * events[0].size(), .format = CaptureFormat::kKcap});
  // Matches at every event, each asking for an hour: the cap still ends
  // each capture after 5 records, and the next match starts a new file.
  std::map<size_t, uint64_t> all;
  for (size_t i = 0; i < events.size(); ++i) all[i] = 0;
  run.feed(events, all);
  ASSERT_EQ(run.capture->files().size(), 6u);
  EXPECT_EQ(run.capture->stats().stopped_by_size, 6u);
  for (size_t f = 0; f < 6; ++f) {
    std::vector<uint64_t> want;
    for (uint64_t i = f * 5; i < f * 5 + 5; ++i) want.push_back(kStart + i * kMs);
    EXPECT_EQ(times_in(run.capture->files()[f]), want);
  }
}

TEST(TriggeredCapture, ModeRulesWantsOnlyCaptureRulesAllRulesWantsEvery) {
  TriggeredCapture rules({.all_rules = false}, [](const std::string&) {});
  EXPECT_TRUE(rules.wanted(true));
  EXPECT_FALSE(rules.wanted(false));
  TriggeredCapture all({.all_rules = true}, [](const std::string&) {});
  EXPECT_TRUE(all.wanted(false));
}

// Falco's default: a .scap that Falco and sysdig replay.
TEST(TriggeredCapture, WritesScapByDefault) {
  kcap::testing::TempDir dir;
  auto events = events_1ms_apart(10);
  CaptureRun run({.path_prefix = dir.file("falco"), .default_duration_ms = 3'600'000});
  run.feed(events, {{0, 0}});
  ASSERT_EQ(run.capture->files().size(), 1u);
  EXPECT_TRUE(std::regex_match(run.capture->files()[0], std::regex(".*/falco_[0-9]{20}_0{19}1\\.scap")))
      << run.capture->files()[0];
  Bytes file = kcap::testing::read_file(run.capture->files()[0]);
  ASSERT_GE(file.size(), 4u);
  // pcapng's section header block type, which scap files start with.
  EXPECT_EQ(file[0], 0x0A);
  EXPECT_EQ(file[1], 0x0D);
  EXPECT_EQ(file[2], 0x0D);
  EXPECT_EQ(file[3], 0x0A);
}

}  // namespace
}  // namespace kestrel
