#include "engine/outputs/alert_dispatcher.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
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
  EXPECT_EQ(d.stats().delivered, 500u);
}

TEST(AlertDispatcher, AFullQueueDropsAndCountsWithoutBlocking) {
  std::vector<std::string> lines;
  AlertDispatcher d({.queue_capacity = 4}, sinks(std::make_unique<RecordingSink>(&lines, false, 20)));
  int accepted = 0;
  for (int i = 0; i < 100; ++i) accepted += d.submit(alert_n(i));
  d.stop();
  auto s = d.stats();
  EXPECT_EQ(s.submitted, 100u);
  EXPECT_GT(s.dropped_queue_full, 0u);
  EXPECT_EQ(s.dropped_queue_full + accepted, 100u);
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
  EXPECT_EQ(d.stats().sink_errors.at("failing"), 5u);
  EXPECT_EQ(d.stats().delivered, 0u);
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
  EXPECT_EQ(d.stats().sink_errors.at("file"), 1u);
}

}  // namespace
}  // namespace kestrel::engine
