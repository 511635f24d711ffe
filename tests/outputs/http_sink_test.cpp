// HTTP output against a real HTTP server on 127.0.0.1 (cpp-httplib) that
// records what it receives and can be told to fail.
#include "outputs/http_sink.h"

#include "outputs/alert_dispatcher.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <mutex>
#include <thread>

namespace kestrel::engine {
namespace {

class RecordingServer {
 public:
  RecordingServer() {
    server_.Post("/", [this](const httplib::Request& req, httplib::Response& res) {
      ++requests_;
      if (failing_.load()) {
        res.status = 500;
        return;
      }
      std::lock_guard lock(mu_);
      bodies_.push_back(req.body);
      content_types_.push_back(req.get_header_value("Content-Type"));
      res.status = 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~RecordingServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  void set_failing(bool f) { failing_.store(f); }
  int requests() const { return requests_.load(); }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }
  std::vector<std::string> content_types() {
    std::lock_guard lock(mu_);
    return content_types_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> failing_{false};
  std::atomic<int> requests_{0};
  std::mutex mu_;
  std::vector<std::string> bodies_, content_types_;
};

Alert numbered(int n) {
  Alert a;
  a.time_ns = 1764417418000000000ull + n;
  a.rule = "Rule " + std::to_string(n);
  a.priority = Priority::kError;
  a.hostname = "host";
  a.output = "alert " + std::to_string(n);
  a.output_fields = {{"proc.name", std::string("cat")}, {"n", int64_t{n}}};
  a.tags = {"t"};
  return a;
}

TEST(HttpSink, PostsFalcoJsonPerAlert) {
  RecordingServer server;
  auto sink = make_http_sink({.url = server.url()});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(sink->write(numbered(i), "text form is ignored").ok());
  auto bodies = server.bodies();
  ASSERT_EQ(bodies.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    auto j = nlohmann::json::parse(bodies[i]);
    EXPECT_EQ(j["rule"], "Rule " + std::to_string(i));
    EXPECT_EQ(j["priority"], "Error");
    // Falco's `output`: the text line, "<time>: Priority message".
    const std::string output = j["output"];
    EXPECT_TRUE(output.ends_with(": Error alert " + std::to_string(i))) << output;
    EXPECT_EQ(j["hostname"], "host");
    EXPECT_EQ(j["source"], "syscall");
    EXPECT_EQ(j["output_fields"]["n"], i);
    EXPECT_EQ(j["tags"], nlohmann::json({"t"}));
    EXPECT_EQ(j["time"], "2025-11-29T11:56:58.00000000" + std::to_string(i) + "Z");
  }
  EXPECT_EQ(server.content_types()[0], "application/json");
  EXPECT_EQ(sink->counters().at("sent"), 3u);
}

// Through the dispatcher, as the collector runs it: the sink's own queue
// holds what waits while the server is down.
std::vector<std::unique_ptr<OutputSink>> only(std::unique_ptr<OutputSink> sink) {
  std::vector<std::unique_ptr<OutputSink>> v;
  v.push_back(std::move(sink));
  return v;
}

TEST(HttpSink, ServerErrorsAreRetriedAndNothingWithinTheBoundIsLost) {
  RecordingServer server;
  server.set_failing(true);
  AlertDispatcher d({.sink_queue_capacity = {{"http", 10}}, .shutdown_timeout = std::chrono::seconds(20)},
                    only(make_http_sink({.url = server.url(), .initial_backoff = std::chrono::milliseconds(10),
                                         .max_backoff = std::chrono::milliseconds(50)})));
  int accepted = 0;
  for (int i = 0; i < 15; ++i) accepted += d.submit(numbered(i));
  EXPECT_EQ(accepted, 10);
  // Let the sender fail a few times before the server recovers.
  for (int tries = 0; server.requests() < 3 && tries < 500; ++tries)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GE(server.requests(), 3);
  server.set_failing(false);
  d.stop();
  auto bodies = server.bodies();
  ASSERT_EQ(bodies.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    const std::string output = nlohmann::json::parse(bodies[i])["output"];
    EXPECT_TRUE(output.ends_with(": Error alert " + std::to_string(i))) << output;
  }
  const SinkDelivery http = d.stats().sinks.at("http");
  EXPECT_EQ(http.counters.at("sent"), 10u);
  EXPECT_EQ(http.delivered, 10u);
  EXPECT_EQ(http.dropped_queue_full, 5u);
  EXPECT_GE(http.counters.at("retries"), 3u);
}

TEST(HttpSink, UnreachableServerCountsWhatIsLostAtShutdown) {
  // A port nobody listens on: bind a server, take its port, stop it.
  std::string url;
  { RecordingServer gone; url = gone.url(); }
  AlertDispatcher d({.sink_queue_capacity = {{"http", 4}}, .shutdown_timeout = std::chrono::milliseconds(100)},
                    only(make_http_sink({.url = url, .initial_backoff = std::chrono::milliseconds(5),
                                         .max_backoff = std::chrono::milliseconds(20)})));
  for (int i = 0; i < 6; ++i) d.submit(numbered(i));
  d.stop();  // gives up after the shutdown deadline
  const SinkDelivery http = d.stats().sinks.at("http");
  EXPECT_EQ(http.dropped_queue_full, 2u);
  EXPECT_EQ(http.dropped_shutdown, 4u);
  EXPECT_EQ(http.delivered, 0u);
  EXPECT_EQ(http.counters.at("sent"), 0u);
  EXPECT_GT(http.counters.at("retries"), 0u);
}

TEST(HttpSink, RejectedAlertsAreWriteErrorsNotRetried) {
  httplib::Server server;
  std::atomic<int> requests{0};
  server.Post("/", [&](const httplib::Request&, httplib::Response& res) {
    ++requests;
    res.status = 400;
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  SinkDelivery http;
  {
    AlertDispatcher d({}, only(make_http_sink({.url = "http://127.0.0.1:" + std::to_string(port) + "/"})));
    for (int i = 0; i < 3; ++i) d.submit(numbered(i));
    d.stop();
    http = d.stats().sinks.at("http");
  }  // closes the client's kept-alive connection before the server stops
  server.stop();
  t.join();
  EXPECT_EQ(http.failed, 3u);
  EXPECT_EQ(http.counters.at("rejected"), 3u);
  EXPECT_EQ(requests.load(), 3);
}

}  // namespace
}  // namespace kestrel::engine
