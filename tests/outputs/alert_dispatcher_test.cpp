#include "outputs/alert_dispatcher.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>
#include <sstream>

namespace kestrel::engine {
namespace {

Alert alert_n(int n) {
  Alert a;
  a.time_ns = 1;
  a.rule = "r";
  a.priority = Priority::kNotice;
  a.output = "n=" + std::to_string(n);
  return a;
}

// Records lines; can be made slow or failing.
class RecordingSink : public OutputSink {
 public:
  explicit RecordingSink(std::vector<std::string>* lines, bool fail = false, int delay_ms = 0)
      : lines_(lines), fail_(fail), delay_ms_(delay_ms) {}
  std::string_view name() const override { return fail_ ? "failing" : "recording"; }
  Status write(const Alert&, const std::string& line) override {
    if (delay_ms_) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
    if (fail_) return Status(StatusCode::kUnavailable, "down");
    lines_->push_back(line);
    return ok_status();
  }

 private:
  std::vector<std::string>* lines_;
  bool fail_;
  int delay_ms_;
};

std::vector<std::unique_ptr<OutputSink>> sinks(std::unique_ptr<OutputSink> a, std::unique_ptr<OutputSink> b = nullptr) {
  std::vector<std::unique_ptr<OutputSink>> v;
  v.push_back(std::move(a));
  if (b) v.push_back(std::move(b));
  return v;
}

TEST(AlertDispatcher, StopDrainsEverythingQueuedInOrder) {
  std::vector<std::string> lines;
  AlertDispatcher d({.queue_capacity = 1000, .format = {.iso_time = true}}, sinks(std::make_unique<RecordingSink>(&lines)));
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(d.submit(alert_n(i)));
  d.stop();
  ASSERT_EQ(lines.size(), 500u);
  for (int i = 0; i < 500; ++i) EXPECT_TRUE(lines[i].ends_with("n=" + std::to_string(i))) << lines[i];
  EXPECT_EQ(d.stats().sinks.at("recording").delivered, 500u);
}

TEST(AlertDispatcher, AFullQueueDropsAndCountsWithoutBlocking) {
  std::vector<std::string> lines;
  AlertDispatcher d({.queue_capacity = 4}, sinks(std::make_unique<RecordingSink>(&lines, false, 20)));
  int accepted = 0;
  for (int i = 0; i < 100; ++i) accepted += d.submit(alert_n(i));
  d.stop();
  auto s = d.stats();
  EXPECT_EQ(s.submitted, 100u);
  const SinkDelivery& r = s.sinks.at("recording");
  EXPECT_GT(r.dropped_queue_full, 0u);
  EXPECT_EQ(r.dropped_queue_full + accepted, 100u);
  EXPECT_EQ(r.delivered, static_cast<uint64_t>(accepted));
  EXPECT_EQ(lines.size(), static_cast<size_t>(accepted));
}

TEST(AlertDispatcher, RateLimiterDropsBeyondTheBurst) {
  std::vector<std::string> lines;
  AlertDispatcher d({.rate_per_second = 0.001, .max_burst = 10}, sinks(std::make_unique<RecordingSink>(&lines)));
  for (int i = 0; i < 50; ++i) d.submit(alert_n(i));
  d.stop();
  EXPECT_EQ(lines.size(), 10u);
  EXPECT_EQ(d.stats().dropped_rate_limited, 40u);
}

TEST(AlertDispatcher, AFailingSinkIsCountedAndOthersStillGetAlerts) {
  std::vector<std::string> good, unused;
  AlertDispatcher d({}, sinks(std::make_unique<RecordingSink>(&unused, true), std::make_unique<RecordingSink>(&good)));
  for (int i = 0; i < 5; ++i) d.submit(alert_n(i));
  d.stop();
  EXPECT_EQ(good.size(), 5u);
  EXPECT_EQ(d.stats().sinks.at("failing").failed, 5u);
  EXPECT_EQ(d.stats().sinks.at("failing").delivered, 0u);
  EXPECT_EQ(d.stats().sinks.at("recording").delivered, 5u);
}

// A sink whose write blocks until cancel() (a program that never reads).
class BlockedSink : public OutputSink {
 public:
  explicit BlockedSink(bool honours_cancel = true) : honours_cancel_(honours_cancel) {}
  std::string_view name() const override { return "blocked"; }
  Status write(const Alert&, const std::string&) override {
    std::unique_lock lock(mu_);
    ++writes_started_;
    if (honours_cancel_) cv_.wait(lock, [&] { return cancelled_; });
    else cv_.wait_for(lock, std::chrono::seconds(5), [] { return false; });
    return Status(StatusCode::kUnavailable, "cancelled");
  }
  void cancel() override {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    cv_.notify_all();
  }

 private:
  bool honours_cancel_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool cancelled_ = false;
  int writes_started_ = 0;
};

// Alerts offered to a sink, once its worker has finished, are each in
// exactly one counter.
void expect_accounted(const DispatcherStats& s) {
  for (const auto& [name, d] : s.sinks) {
    EXPECT_EQ(d.queued, 0u) << name;
    EXPECT_EQ(d.offered, s.submitted - s.dropped_rate_limited) << name;
    EXPECT_EQ(d.delivered + d.failed + d.dropped_queue_full + d.dropped_shutdown, d.offered) << name;
  }
}

TEST(AlertDispatcher, ABlockedSinkDropsOnlyItsOwnAlertsAndStopKeepsItsDeadline) {
  std::vector<std::string> good;
  AlertDispatcher d({.queue_capacity = 100, .shutdown_timeout = std::chrono::milliseconds(300)},
                    sinks(std::make_unique<BlockedSink>(), std::make_unique<RecordingSink>(&good)));
  for (int i = 0; i < 1000; ++i) d.submit(alert_n(i));
  // The recording sink's queue is 100 too: let it keep up.
  for (int i = 1000; i < 2000; ++i) {
    while (d.stats().sinks.at("recording").queued >= 100) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    d.submit(alert_n(i));
  }
  const auto before = std::chrono::steady_clock::now();
  d.stop();
  const auto took = std::chrono::steady_clock::now() - before;
  auto s = d.stats();
  EXPECT_EQ(good.size(), 2000u - s.sinks.at("recording").dropped_queue_full);
  const SinkDelivery& b = s.sinks.at("blocked");
  EXPECT_EQ(b.delivered, 0u);
  EXPECT_EQ(b.dropped_queue_full, 2000u - 100u);  // the one being written stays queued
  EXPECT_EQ(b.dropped_shutdown, 100u);
  expect_accounted(s);
  // stop() returned at its deadline, not after the blocked write.
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST(AlertDispatcher, ASinkThatIgnoresCancelIsAbandonedAndStopStillReturns) {
  std::vector<std::string> good;
  AlertDispatcher d({.shutdown_timeout = std::chrono::milliseconds(100)},
                    sinks(std::make_unique<BlockedSink>(false), std::make_unique<RecordingSink>(&good)));
  for (int i = 0; i < 10; ++i) d.submit(alert_n(i));
  d.stop();  // 100 ms deadline + 1 s grace, then the stuck worker is left behind
  auto s = d.stats();
  EXPECT_EQ(good.size(), 10u);
  EXPECT_EQ(s.sinks.at("blocked").dropped_shutdown, 10u);
  expect_accounted(s);
  // Alerts after stop() are counted too.
  d.submit(alert_n(11));
  EXPECT_EQ(d.stats().sinks.at("recording").dropped_shutdown, 1u);
}

TEST(FileSink, AppendsAndSurvivesRotation) {
  std::string path = "/tmp/kestrel_file_sink_" + std::to_string(getpid()) + ".txt";
  unlink(path.c_str());
  {
    AlertDispatcher d({.format = {.json = true}}, sinks(make_file_sink(path, true)));
    d.submit(alert_n(1));
    d.stop();
  }
  std::string rotated = path + ".1";
  rename(path.c_str(), rotated.c_str());
  {
    AlertDispatcher d({.format = {.json = true}}, sinks(make_file_sink(path, true)));
    d.submit(alert_n(2));
    d.reopen();
    d.submit(alert_n(3));
    d.stop();
  }
  auto read = [](const std::string& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  EXPECT_NE(read(rotated).find("n=1"), std::string::npos);
  std::string now = read(path);
  EXPECT_NE(now.find("n=2"), std::string::npos);
  EXPECT_NE(now.find("n=3"), std::string::npos);
  EXPECT_EQ(std::count(now.begin(), now.end(), '\n'), 2);
  unlink(path.c_str());
  unlink(rotated.c_str());
}

TEST(FileSink, UnwritablePathIsAnErrorNotACrash) {
  std::vector<std::string> lines;
  AlertDispatcher d({}, sinks(make_file_sink("/nonexistent/dir/x.txt", false)));
  d.submit(alert_n(1));
  d.stop();
  EXPECT_EQ(d.stats().sinks.at("file").failed, 1u);
}

}  // namespace
}  // namespace kestrel::engine
