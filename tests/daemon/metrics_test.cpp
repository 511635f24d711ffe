// Metrics: the webserver's /healthz and /metrics scraped over HTTP and the
// Prometheus text parsed line by line; the event-drop alarm's threshold.
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "app/drop_alarm.h"
#include "app/metrics.h"
#include "app/webserver.h"

namespace kestrel {
namespace {

PipelineSummary sample_summary() {
  PipelineSummary s;
  s.events = 1000;
  s.alerts = 3;
  s.alerts_by_rule = {{"Shell \"quoted\" rule", 2}, {"Other", 1}};
  s.alerts_by_priority = {{"Critical", 2}, {"Warning", 1}};
  SourceReport src;
  src.name = "ebpf";
  src.stats.events = 1000;
  src.stats.drops = {{"buffer_full", 7}};
  src.stats.drops_per_cpu = {{"buffer_full", {3, 4}}};
  src.queue_drops = 5;
  src.dropped_at_exit = 6;
  s.sources.push_back(src);
  s.outputs.submitted = 20;
  s.outputs.dropped_rate_limited = 1;
  s.outputs.sinks["http"] = {.offered = 19, .delivered = 12, .failed = 2, .dropped_queue_full = 4,
                             .dropped_shutdown = 1, .queued = 0, .counters = {{"retries", 9}}};
  s.state.threads = 120;
  s.state.fds = 900;
  s.state.thread_evictions = 2;
  return s;
}

// Parses Prometheus text: "name{labels} value" → value, keyed by the
// sample as written before the value; checks every family has HELP and TYPE.
std::map<std::string, double> parse_prometheus(const std::string& text) {
  std::map<std::string, double> out;
  std::set<std::string> typed;
  std::istringstream in(text);
  const std::regex sample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([-+0-9.eE]+|NaN|\+Inf|-Inf)$)");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      typed.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    std::smatch m;
    EXPECT_TRUE(std::regex_match(line, m, sample)) << "not a Prometheus sample: " << line;
    if (m.empty()) continue;
    EXPECT_TRUE(typed.count(m[1].str())) << "sample before its # TYPE: " << line;
    out[m[1].str() + m[2].str()] = std::stod(m[3].str());
  }
  return out;
}

TEST(Metrics, WebserverServesHealthAndPrometheusMetrics) {
  auto server = Webserver::start("127.0.0.1", 0);
  ASSERT_TRUE(server.ok()) << server.status().to_string();
  httplib::Client client("127.0.0.1", (*server)->port());

  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(nlohmann::json::parse(health->body)["status"], "ok");

  auto before = client.Get("/metrics");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 503);  // no snapshot yet

  (*server)->publish(make_snapshot(sample_summary(), nullptr, std::chrono::steady_clock::now(), read_process_usage()));
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  auto m = parse_prometheus(res->body);
  EXPECT_EQ(m["kestrel_events_total{source=\"ebpf\"}"], 1000);
  EXPECT_EQ(m["kestrel_event_drops_total{source=\"ebpf\",reason=\"buffer_full\"}"], 7);
  EXPECT_EQ(m["kestrel_event_drops_total{source=\"ebpf\",reason=\"queue_full\"}"], 5);
  EXPECT_EQ(m["kestrel_alerts_total{rule=\"Shell \\\"quoted\\\" rule\"}"], 2);
  EXPECT_EQ(m["kestrel_alerts_by_priority_total{priority=\"Critical\"}"], 2);
  EXPECT_EQ(m["kestrel_event_drops_total{source=\"ebpf\",reason=\"dropped_at_exit\"}"], 6);
  EXPECT_EQ(m["kestrel_event_drops_per_cpu_total{source=\"ebpf\",reason=\"buffer_full\",cpu=\"1\"}"], 4);
  EXPECT_EQ(m["kestrel_output_drops_total{sink=\"http\",reason=\"queue_full\"}"], 4);
  EXPECT_EQ(m["kestrel_output_drops_total{sink=\"http\",reason=\"write_error\"}"], 2);
  EXPECT_EQ(m["kestrel_output_drops_total{sink=\"http\",reason=\"shutdown\"}"], 1);
  EXPECT_EQ(m["kestrel_output_drops_total{sink=\"all\",reason=\"rate_limited\"}"], 1);
  EXPECT_EQ(m["kestrel_output_delivered_total{sink=\"http\"}"], 12);
  EXPECT_EQ(m["kestrel_output_alerts_submitted_total"], 20);
  EXPECT_EQ(m["kestrel_output_sink_counter{sink=\"http\",counter=\"retries\"}"], 9);
  EXPECT_EQ(m["kestrel_state_threads"], 120);
  EXPECT_EQ(m["kestrel_state_fds"], 900);
  EXPECT_EQ(m["kestrel_state_evictions_total{table=\"threads\"}"], 2);
  EXPECT_GT(m["kestrel_resident_memory_bytes"], 1e6);  // this test process
  EXPECT_GT(m["kestrel_open_fds"], 2);

  auto json = client.Get("/metrics.json");
  ASSERT_TRUE(json);
  auto j = nlohmann::json::parse(json->body);
  EXPECT_EQ(j["sources"][0]["drops"]["buffer_full"], 7);
  EXPECT_EQ(j["alerts"]["by_priority"]["Warning"], 1);
  (*server)->stop();
}

TEST(Metrics, EventsPerSecondFromThePreviousSnapshot) {
  auto summary = sample_summary();
  auto first = make_snapshot(summary, nullptr, std::chrono::steady_clock::now(), {});
  first.taken -= std::chrono::seconds(2);  // as if taken 2 s ago
  summary.events += 500;
  summary.sources[0].stats.events += 500;
  auto second = make_snapshot(summary, &first, std::chrono::steady_clock::now(), {});
  EXPECT_NEAR(second.events_per_second, 250, 5);
  EXPECT_NEAR(second.sources[0].events_per_second, 250, 5);
  EXPECT_NE(metrics_log_line(second).find("events=1500"), std::string::npos) << metrics_log_line(second);
  // Every output loss counts: rate limited 1 + http 4 + 2 + 1.
  EXPECT_NE(metrics_log_line(second).find("output_drops=8"), std::string::npos) << metrics_log_line(second);
}

TEST(DropAlarm, FiresAboveTheThresholdWithTheConfiguredActions) {
  DropAlarm alarm({.threshold = 0.1, .log = true, .alert = true, .exit = true, .min_interval = {}}, "h");
  PipelineSummary s;
  SourceReport src;
  src.name = "ebpf";
  s.sources.push_back(src);
  s.events = 1000;
  s.sources[0].stats.drops["buffer_full"] = 50;  // 50 / 1050 < 10 %
  EXPECT_FALSE(alarm.check(s));
  s.events = 1100;
  s.sources[0].stats.drops["buffer_full"] = 100;  // 50 new of 150 since: 33 %
  auto a = alarm.check(s);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->exit);
  ASSERT_TRUE(a->alert);
  EXPECT_EQ(a->alert->rule, "Kestrel internal: event drops");
  EXPECT_EQ(a->alert->priority, engine::Priority::kCritical);
  EXPECT_NE(a->message.find("ebpf/buffer_full=100"), std::string::npos) << a->message;
  EXPECT_FALSE(alarm.check(s));  // nothing new since
}

}  // namespace
}  // namespace kestrel
