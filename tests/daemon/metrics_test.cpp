// Metrics: the webserver's /healthz and /metrics scraped over HTTP and the
// Prometheus text parsed line by line; the event-drop alarm's threshold.
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "app/drop_alarm.h"
#include "app/event_second_clock.h"
#include "base/token_bucket.h"
#include "app/falco_metrics.h"
#include "app/host_usage.h"
#include "app/cgroup_memory.h"
#include "app/falco_metric_names.h"
#include "app/host_netinfo.h"
#include "app/metrics.h"
#include "outputs/alert_format.h"
#include "sources/abi/kestrel_event.h"
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
  // What the probe could not fit, by type (7 in all): 2 openat, 1 creat,
  // 1 procexit, 1 setns, 2 read (a type in none of Falco's categories).
  src.stats.buffer_full_by_type.assign(KE_COUNT, 0);
  src.stats.buffer_full_by_type[KE_OPENAT] = 2;
  src.stats.buffer_full_by_type[KE_CREAT] = 1;
  src.stats.buffer_full_by_type[KE_PROCEXIT] = 1;
  src.stats.buffer_full_by_type[KE_SETNS] = 1;
  src.stats.buffer_full_by_type[KE_READ] = 2;
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

// falco.evts_rate_sec as Falco's stats writer gives it: left out of the
// first snapshot and of one that follows a snapshot with no events.
TEST(FalcoMetrics, UserspaceRateOnlyAfterASnapshotWithEvents) {
  auto has_rate = [](const MetricsSnapshot& s, const MetricsSnapshot* previous) {
    for (const auto& [name, value] : falco_metrics_output_fields(s, previous))
      if (name == "falco.evts_rate_sec") return true;
    return false;
  };
  auto summary = sample_summary();
  summary.events = 0;
  auto empty = make_snapshot(summary, nullptr, std::chrono::steady_clock::now() - std::chrono::seconds(4), {});
  EXPECT_FALSE(has_rate(empty, nullptr));
  summary.events = 1000;
  auto first = make_snapshot(summary, &empty, std::chrono::steady_clock::now() - std::chrono::seconds(2), {});
  EXPECT_FALSE(has_rate(first, nullptr)) << "first snapshot";
  EXPECT_FALSE(has_rate(first, &empty)) << "the previous one counted no events";
  summary.events = 1500;
  auto second = make_snapshot(summary, &first, std::chrono::steady_clock::now(), {});
  EXPECT_TRUE(has_rate(second, &first));
}

// Every metric the official Falco Grafana dashboard queries, as listed from
// its panels' `expr` and its template variables' label_values() queries:
// falcosecurity/falco chart/falco/dashboards/falco-dashboard.json at commit
// 5cd31fe98605f2e237ca6ccea7d5d11ff64187ef ("version": 46; the file is not
// copied here, only the names and label selectors it uses). `pod` and
// `namespace` in its selectors are Prometheus' target labels, not Falco's.
struct DashboardQuery {
  const char* metric;
  const char* labels;  // the label selector it filters on, "" for none
};
constexpr DashboardQuery kFalcoDashboardQueries[] = {
    {"falcosecurity_falco_rules_matches_total", ""},  // by rule_name, source, priority
    {"falcosecurity_scap_n_evts_total", ""},
    {"falcosecurity_falco_n_evts_total", ""},
    {"falcosecurity_falco_memory_rss_bytes", ""},
    {"falcosecurity_falco_memory_vsz_bytes", ""},
    {"falcosecurity_falco_cpu_usage_ratio", ""},
    {"falcosecurity_scap_n_drops_total", ""},
    {"falcosecurity_falco_outputs_queue_num_drops_total", ""},
    {"falcosecurity_scap_n_drops_buffer_total", "dir=\"enter\",drop=\"clone_fork\""},
    {"falcosecurity_scap_n_drops_buffer_total", "dir=\"enter\",drop=\"connect\""},
    {"falcosecurity_scap_n_drops_buffer_total", "dir=\"enter\",drop=\"dir_file\""},
    {"falcosecurity_scap_n_drops_buffer_total", "dir=\"enter\",drop=\"execve\""},
    {"falcosecurity_scap_n_drops_buffer_total", "dir=\"enter\",drop=\"open\""},
    {"falcosecurity_scap_n_drops_buffer_total", "dir=\"enter\",drop=\"other_interest\""},
    {"falcosecurity_scap_n_drops_buffer_total", "dir=\"exit\",drop=\"clone_fork\""},
    {"falcosecurity_scap_n_drops_buffer_total", "dir=\"exit\",drop=\"connect\""},
    {"falcosecurity_scap_n_drops_buffer_total", "dir=\"exit\",drop=\"dir_file\""},
    {"falcosecurity_scap_n_drops_buffer_total", "dir=\"exit\",drop=\"execve\""},
    {"falcosecurity_scap_n_drops_buffer_total", "dir=\"exit\",drop=\"open\""},
    {"falcosecurity_scap_n_drops_buffer_total", "dir=\"exit\",drop=\"other_interest\""},
    {"falcosecurity_scap_n_drops_cpu_total", ""},
    {"falcosecurity_scap_n_drops_full_threadtable_total", ""},
    {"falcosecurity_scap_n_drops_scratch_map_total", ""},
    {"falcosecurity_falco_version_info", ""},  // by version
    {"falcosecurity_scap_engine_name_info", ""},  // by engine_name
};

// Every query of the dashboard finds its series, plus the rest of Falco's
// documented metrics that Kestrel measures, with the labels the dashboard
// groups by.
TEST(FalcoMetrics, EveryNameFalcosDashboardQueriesIsServed) {
  PipelineSummary summary = sample_summary();
  summary.rule_matches[{"syscall", "Shell \"quoted\" rule"}] = {"Shell \"quoted\" rule", "syscall",
                                                               engine::Priority::kCritical, {"shell", "mitre exec"}, 2};
  summary.rule_matches[{"k8s_audit", "Other"}] = {"Other", "k8s_audit", engine::Priority::kWarning, {}, 1};
  auto snapshot = make_snapshot(summary, nullptr, std::chrono::steady_clock::now() - std::chrono::seconds(10),
                                read_process_usage());
  snapshot.hostname = "node-1";
  // The dashboard's per-CPU panel needs kernel_event_counters_per_cpu_enabled
  // (off by default, in Falco as here).
  snapshot.groups.kernel_event_counters_per_cpu = true;
  const std::string text = metrics_prometheus(snapshot);
  auto m = parse_prometheus(text);
  std::set<std::string> names;
  for (const auto& [sample, value] : m) names.insert(sample.substr(0, sample.find('{')));
  // The dashboard's queries: each metric, and each label selector it uses
  // matches a served series (the selector is a subset of its labels).
  for (const auto& q : kFalcoDashboardQueries) {
    bool found = false;
    for (const auto& [sample, value] : m) {
      const size_t brace = sample.find('{');
      if (sample.substr(0, brace) != q.metric) continue;
      const std::string labels = brace == std::string::npos ? "" : sample.substr(brace);
      if (labels.find(q.labels) != std::string::npos) found = true;
    }
    EXPECT_TRUE(found) << q.metric << "{" << q.labels << "} missing from\n" << text;
  }
  // Falco's documented metrics Kestrel measures too.
  for (const char* name : {"falcosecurity_falco_n_evts_total", "falcosecurity_evt_hostname_info",
                           "falcosecurity_falco_kernel_release_info", "falcosecurity_falco_evt_source_info",
                           "falcosecurity_falco_start_timestamp_nanoseconds",
                           "falcosecurity_falco_host_boot_timestamp_nanoseconds",
                           "falcosecurity_falco_host_num_cpus_total", "falcosecurity_falco_duration_seconds_total",
                           "falcosecurity_scap_n_threads_total", "falcosecurity_scap_n_fds_total",
                           "falcosecurity_falco_memory_pss_bytes", "falcosecurity_falco_host_cpu_usage_ratio",
                           "falcosecurity_falco_host_memory_used_bytes", "falcosecurity_falco_host_procs_running_total",
                           "falcosecurity_falco_host_open_fds_total"})
    EXPECT_TRUE(names.count(name)) << name << " missing from\n" << text;
  // Falco's labels and values.
  EXPECT_EQ(m["falcosecurity_falco_rules_matches_total{priority=\"2\",rule_name=\"Shell \\\"quoted\\\" rule\","
              "source=\"syscall\",tags=\"mitre exec, shell\",tag_mitre_exec=\"true\",tag_shell=\"true\"}"],
            2);
  EXPECT_EQ(m["falcosecurity_falco_rules_matches_total{priority=\"4\",rule_name=\"Other\",source=\"k8s_audit\","
              "tags=\"\"}"],
            1);
  EXPECT_EQ(m["falcosecurity_scap_engine_name_info{engine_name=\"modern_bpf\",evt_source=\"syscall\"}"], 1);
  EXPECT_EQ(m["falcosecurity_falco_version_info{version=\"" KESTREL_TEST_VERSION "\"}"], 1);
  EXPECT_EQ(m["falcosecurity_evt_hostname_info{hostname=\"node-1\"}"], 1);
  EXPECT_EQ(m["falcosecurity_scap_n_evts_total"], 1000);
  EXPECT_EQ(m["falcosecurity_falco_n_evts_total"], 1000);
  EXPECT_EQ(m["falcosecurity_scap_n_drops_total"], 7 + 5 + 6);  // kernel, queue_full, dropped_at_exit
  // libs' categories: openat and creat are "open", procexit "proc",
  // setns "other_interest", all exits (Kestrel emits no enter events); read
  // is in none. No sample for the total, as Falco.
  auto buffer = [&](const char* dir, const char* drop) {
    const std::string key =
        std::string("falcosecurity_scap_n_drops_buffer_total{dir=\"") + dir + "\",drop=\"" + drop + "\"}";
    EXPECT_TRUE(m.count(key)) << key;
    return m[key];
  };
  EXPECT_EQ(buffer("exit", "open"), 3);
  EXPECT_EQ(buffer("exit", "proc"), 1);
  EXPECT_EQ(buffer("exit", "other_interest"), 1);
  for (const char* drop : {"clone_fork", "execve", "connect", "dir_file"}) EXPECT_EQ(buffer("exit", drop), 0) << drop;
  EXPECT_EQ(buffer("exit", "close"), 0);
  for (const char* drop : {"clone_fork", "execve", "connect", "open", "dir_file", "other_interest"})
    EXPECT_EQ(buffer("enter", drop), 0) << drop;
  EXPECT_FALSE(m.count("falcosecurity_scap_n_drops_buffer_total"));
  EXPECT_EQ(m["falcosecurity_scap_n_drops_cpu_total{cpu=\"1\"}"], 4);
  EXPECT_EQ(m["falcosecurity_falco_outputs_queue_num_drops_total"], 4);
  EXPECT_EQ(m["falcosecurity_scap_n_threads_total"], 120);
  EXPECT_GE(m["falcosecurity_falco_duration_seconds_total"], 10);
  EXPECT_GT(m["falcosecurity_falco_memory_rss_bytes"], 1e6);
  EXPECT_GT(m["falcosecurity_falco_memory_vsz_bytes"], m["falcosecurity_falco_memory_rss_bytes"]);
  EXPECT_GE(m["falcosecurity_falco_cpu_usage_ratio"], 0);
  EXPECT_LE(m["falcosecurity_falco_cpu_usage_ratio"], 2.5);  // at most this machine's 2 CPUs
  // Kestrel-only figures keep their own prefix: nothing else is falcosecurity_.
  for (const auto& n : names)
    EXPECT_TRUE(n.rfind("falcosecurity_", 0) == 0 || n.rfind("kestrel_", 0) == 0) << n;
}

// metrics.output_rule: the snapshot as Falco's internal alert, shaped as
// the JSON Falco documents for "Falco internal: metrics snapshot".
TEST(FalcoMetrics, SnapshotAlertIsFalcos) {
  PipelineSummary summary = sample_summary();
  summary.rule_matches[{"syscall", "Read sensitive file untrusted"}] = {"Read sensitive file untrusted", "syscall",
                                                                        engine::Priority::kWarning, {}, 11};
  auto snapshot = make_snapshot(summary, nullptr, std::chrono::steady_clock::now() - std::chrono::seconds(4),
                                read_process_usage());
  snapshot.hostname = "node-1";
  engine::Alert a = falco_metrics_snapshot_alert(snapshot, nullptr);
  auto j = nlohmann::json::parse(engine::format_alert(a, {.json = true}));
  EXPECT_EQ(j["rule"], "Falco internal: metrics snapshot");
  EXPECT_EQ(j["priority"], "Informational");
  EXPECT_EQ(j["source"], "internal");
  EXPECT_EQ(j["output"], "Falco metrics snapshot");
  EXPECT_EQ(j["hostname"], "node-1");
  EXPECT_FALSE(j.contains("tags"));
  const auto& f = j["output_fields"];
  EXPECT_EQ(f["falco.version"], KESTREL_TEST_VERSION);
  EXPECT_EQ(f["falco.num_evts"], 1000);
  EXPECT_EQ(f["falco.rules.Read_sensitive_file_untrusted"], 11);
  EXPECT_EQ(f["falco.rules.matches_total"], 11);
  EXPECT_EQ(f["scap.engine_name"], "modern_bpf");
  EXPECT_EQ(f["scap.n_evts"], 1000);
  EXPECT_EQ(f["scap.n_drops"], 18);
  EXPECT_EQ(f["evt.hostname"], "node-1");
  EXPECT_TRUE(f["evt.time"].is_number_unsigned());
  EXPECT_TRUE(f["falco.cpu_usage_perc"].is_number_float());
  EXPECT_GT(f["falco.memory_rss_mb"].get<double>(), 1.0);
  EXPECT_GE(f["falco.duration_sec"].get<uint64_t>(), 4u);
  // Falco's kernel_event_counters keys: the total and the fourteen categories.
  EXPECT_EQ(f["scap.n_drops_buffer_total"], 7);
  EXPECT_EQ(f["scap.n_drops_buffer_open_exit"], 3);
  EXPECT_EQ(f["scap.n_drops_buffer_proc_exit"], 1);
  EXPECT_EQ(f["scap.n_drops_buffer_other_interest_exit"], 1);
  // Zero-valued categories: left out by default (include_empty_values
  // false, as Falco's falco.yaml), present as 0 when asked for.
  const auto empty_keys = {"scap.n_drops_buffer_clone_fork_enter", "scap.n_drops_buffer_clone_fork_exit",
                           "scap.n_drops_buffer_execve_enter", "scap.n_drops_buffer_execve_exit",
                           "scap.n_drops_buffer_connect_enter", "scap.n_drops_buffer_connect_exit",
                           "scap.n_drops_buffer_open_enter", "scap.n_drops_buffer_dir_file_enter",
                           "scap.n_drops_buffer_dir_file_exit", "scap.n_drops_buffer_other_interest_enter",
                           "scap.n_drops_buffer_close_exit"};
  for (const char* key : empty_keys) EXPECT_FALSE(f.contains(key)) << key;
  snapshot.groups.include_empty_values = true;
  auto with_empty = nlohmann::json::parse(engine::format_alert(falco_metrics_snapshot_alert(snapshot, nullptr),
                                                               {.json = true}))["output_fields"];
  for (const char* key : empty_keys) EXPECT_EQ(with_empty[key], 0) << key;
  // Falco's resource_utilization keys for the host.
  for (const char* key : {"falco.host_cpu_usage_perc", "falco.host_memory_used_mb", "falco.memory_pss_mb"})
    EXPECT_TRUE(f[key].is_number()) << key;
  EXPECT_GE(f["falco.host_procs_running"].get<uint64_t>(), 1u);
  EXPECT_GT(f["falco.host_open_fds"].get<uint64_t>(), 0u);
}

// Falco's metrics groups: a disabled group's keys are absent from the
// snapshot's output_fields and its falcosecurity_* families from /metrics;
// the wrapper fields stay; convert_memory_to_mb false gives libs' *_kb.
TEST(FalcoMetrics, DisabledGroupsAreAbsentFromSnapshotAndPrometheus) {
  PipelineSummary summary = sample_summary();
  summary.rule_matches[{"syscall", "Some rule"}] = {"Some rule", "syscall", engine::Priority::kWarning, {}, 3};
  auto snapshot = make_snapshot(summary, nullptr, std::chrono::steady_clock::now() - std::chrono::seconds(2),
                                read_process_usage());
  snapshot.hostname = "node-1";
  snapshot.groups = MetricsGroups{.rules_counters = false,
                                  .resource_utilization = false,
                                  .state_counters = false,
                                  .kernel_event_counters = false,
                                  .kernel_event_counters_per_cpu = false,
                                  .convert_memory_to_mb = true,
                                  .include_empty_values = true};
  std::set<std::string> keys;
  for (const auto& [name, value] : falco_metrics_output_fields(snapshot, nullptr)) keys.insert(name);
  for (const char* key : {"evt.time", "evt.hostname", "falco.version", "falco.num_evts", "falco.duration_sec",
                          "scap.engine_name", "falco.outputs_queue_num_drops"})
    EXPECT_TRUE(keys.count(key)) << key;
  for (const auto& k : keys) {
    EXPECT_NE(k.rfind("falco.rules.", 0), 0u) << k;
    EXPECT_NE(k.rfind("falco.memory_", 0), 0u) << k;
    EXPECT_NE(k.rfind("falco.host_cpu", 0), 0u) << k;
    EXPECT_NE(k.rfind("scap.n_", 0), 0u) << k;
    EXPECT_NE(k, "falco.cpu_usage_perc");
    EXPECT_NE(k, "falco.n_threads");
  }
  auto m = parse_prometheus(metrics_prometheus(snapshot));
  std::set<std::string> names;
  for (const auto& [sample, value] : m) names.insert(sample.substr(0, sample.find('{')));
  for (const char* name : {"falcosecurity_falco_rules_matches_total", "falcosecurity_falco_cpu_usage_ratio",
                           "falcosecurity_falco_memory_rss_bytes", "falcosecurity_falco_host_open_fds_total",
                           "falcosecurity_scap_n_evts_total", "falcosecurity_scap_n_drops_total",
                           "falcosecurity_scap_n_drops_buffer_total", "falcosecurity_scap_n_drops_cpu_total",
                           "falcosecurity_scap_n_threads_total", "falcosecurity_scap_n_fds_total"})
    EXPECT_FALSE(names.count(name)) << name;
  for (const char* name : {"falcosecurity_falco_n_evts_total", "falcosecurity_falco_version_info"})
    EXPECT_TRUE(names.count(name)) << name;

  snapshot.groups = MetricsGroups{};
  snapshot.groups.convert_memory_to_mb = false;
  keys.clear();
  for (const auto& [name, value] : falco_metrics_output_fields(snapshot, nullptr)) keys.insert(name);
  EXPECT_TRUE(keys.count("falco.memory_rss_kb"));
  EXPECT_FALSE(keys.count("falco.memory_rss_mb"));
  EXPECT_TRUE(keys.count("falco.rules.Some_rule"));
}

// metrics.output_file: Falco's stats_writer line, the same output_fields
// as the snapshot alert under "output_fields", and the sample number.
TEST(FalcoMetrics, OutputFileLineIsFalcos) {
  auto snapshot = make_snapshot(sample_summary(), nullptr, std::chrono::steady_clock::now() - std::chrono::seconds(2),
                                read_process_usage());
  snapshot.hostname = "node-1";
  auto line = nlohmann::json::parse(falco_metrics_file_line(snapshot, nullptr, 3));
  ASSERT_TRUE(line.is_object());
  EXPECT_EQ(line.size(), 2u) << line.dump();
  EXPECT_EQ(line["sample"], 3);
  auto alert = nlohmann::json::parse(engine::format_alert(falco_metrics_snapshot_alert(snapshot, nullptr),
                                                          {.json = true}));
  EXPECT_EQ(line["output_fields"], alert["output_fields"]);
}

// The host figures computed as libs does, from a /proc tree whose numbers
// give known answers: cpu 100 - 600*100/1000 = 40 %, memory 8000 - 1000 -
// 500 - 2500 = 4000 kB, procs_running 3, file-nr's first field 1234.
TEST(HostUsage, ReadsTheFiguresLibsReadsTheWayLibsComputesThem) {
  char tmpl[] = "/tmp/kestrel_host_usage_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string root = tmpl;
  ASSERT_EQ(mkdir((root + "/sys").c_str(), 0700), 0);
  ASSERT_EQ(mkdir((root + "/sys/fs").c_str(), 0700), 0);
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(root + "/" + name) << text;
  };
  write("stat",
        "cpu  100 50 150 600 40 30 30 0 0 0\ncpu0 100 50 150 600 40 30 30 0 0 0\nintr 5\nctxt 9\n"
        "btime 1700000000\nprocesses 77\nprocs_running 3\nprocs_blocked 0\n");
  write("meminfo",
        "MemTotal:        8000 kB\nMemFree:         1000 kB\nMemAvailable:    5000 kB\nBuffers:          500 kB\n"
        "Cached:          2500 kB\nSwapCached:        7 kB\n");
  write("sys/fs/file-nr", "1234\t0\t9223372036854775807\n");
  const HostUsage h = read_host_usage(root);
  std::filesystem::remove_all(root);
  EXPECT_DOUBLE_EQ(h.cpu_usage_perc, 40.0);
  EXPECT_EQ(h.memory_used_kb, 4000u);
  EXPECT_EQ(h.procs_running, 3u);
  EXPECT_EQ(h.open_fds, 1234u);
}

// Names as Falco's published examples show them (falco.org metrics docs).
TEST(FalcoMetricNames, AreTheNamesFalcosDocsShow) {
  EXPECT_EQ(falco_sanitized_name("falco_rules.yaml"), "falco_rules_yaml");
  EXPECT_EQ(falco_sanitized_name("Read sensitive file untrusted"), "Read_sensitive_file_untrusted");
  EXPECT_EQ(falco_sanitized_name("Launch Privileged Container (k8s)"), "Launch_Privileged_Container_k8s");
  EXPECT_EQ(libs_prometheus_name("scap", "sched_process_e.run_cnt", "total"),
            "falcosecurity_scap_sched_process_e_run_cnt_total");
  EXPECT_EQ(libs_prometheus_name("scap", "sched_process_e.run_time_ns", "nanoseconds_total"),
            "falcosecurity_scap_sched_process_e_run_time_nanoseconds_total");
  EXPECT_EQ(libs_prometheus_name("scap", "sched_process_e.avg_time_ns", "nanoseconds"),
            "falcosecurity_scap_sched_process_e_avg_time_nanoseconds");
  EXPECT_EQ(libs_prometheus_name("plugins", "container.n_containers", "total"),
            "falcosecurity_plugins_container_n_containers_total");
  // IPv6 as libs prints it: eight groups, no "::".
  const unsigned char fe80[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x9a, 0xc2, 0xaa, 0xa4, 0x22, 0xb3, 0xf7, 0x53};
  EXPECT_EQ(ipv6_as_libs_prints_it(fe80), "fe80:0:0:0:9ac2:aaa4:22b3:f753");
}

// Kestrel's own cgroup: v1's memory line first (a hybrid host accounts
// memory there), else v2's "0::" line; "/" is the (namespace's) root.
TEST(CgroupMemory, FollowsProcSelfCgroupToTheMemoryFile) {
  char tmpl[] = "/tmp/kestrel_cgroup_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string root = tmpl;
  std::filesystem::create_directories(root + "/memory/k/me");
  std::filesystem::create_directories(root + "/v2/app");
  std::ofstream(root + "/memory/k/me/memory.usage_in_bytes") << "4096\n";
  std::ofstream(root + "/v2/app/memory.current") << "8192\n";
  std::ofstream(root + "/hybrid") << "9:pids:/\n4:cpu,memory:/k/me\n0::/\n";
  std::ofstream(root + "/unified") << "0::/app\n";
  unsetenv("FALCO_CGROUP_MEM_PATH");
  EXPECT_EQ(cgroup_memory_file(root, root + "/hybrid"), root + "/memory/k/me/memory.usage_in_bytes");
  EXPECT_EQ(cgroup_memory_file(root + "/v2", root + "/unified"), root + "/v2/app/memory.current");
  EXPECT_EQ(cgroup_memory_file(root + "/none", root + "/unified"), "");
  setenv("FALCO_CGROUP_MEM_PATH", (root + "/v2/app/memory.current").c_str(), 1);
  EXPECT_EQ(cgroup_memory_file(root, root + "/hybrid"), root + "/v2/app/memory.current");
  unsetenv("FALCO_CGROUP_MEM_PATH");
  std::filesystem::remove_all(root);
}

// On this machine: the published host gauges agree with /proc read here.
TEST(HostUsage, PublishedHostGaugesMatchThisMachine) {
  auto snapshot = make_snapshot(sample_summary(), nullptr, std::chrono::steady_clock::now(), read_process_usage());
  auto m = parse_prometheus(metrics_prometheus(snapshot));
  uint64_t file_nr = 0;
  std::ifstream("/proc/sys/fs/file-nr") >> file_nr;
  uint64_t mem_total_kb = 0;
  {
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    meminfo >> key >> mem_total_kb;
    ASSERT_EQ(key, "MemTotal:");
  }
  const double fds = m["falcosecurity_falco_host_open_fds_total"];
  EXPECT_GT(fds, 0);
  // Others open and close files meanwhile: the same order of magnitude.
  EXPECT_LT(std::abs(fds - static_cast<double>(file_nr)), static_cast<double>(file_nr) / 2 + 1000) << file_nr;
  EXPECT_GT(m["falcosecurity_falco_host_memory_used_bytes"], 0);
  EXPECT_LT(m["falcosecurity_falco_host_memory_used_bytes"], static_cast<double>(mem_total_kb) * 1024);
  EXPECT_GT(m["falcosecurity_falco_host_cpu_usage_ratio"], 0);  // this machine has been busy since boot
  EXPECT_LE(m["falcosecurity_falco_host_cpu_usage_ratio"], 1);
  EXPECT_GE(m["falcosecurity_falco_host_procs_running_total"], 1);  // this test is running
  EXPECT_GT(m["falcosecurity_falco_memory_pss_bytes"], 1e5);
  EXPECT_LE(m["falcosecurity_falco_memory_pss_bytes"], m["falcosecurity_falco_memory_rss_bytes"] + 4096);
}

TEST(DropAlarm, FiresAboveTheThresholdWithTheConfiguredActions) {
  // A bucket that never runs dry: every detection acts.
  DropAlarm alarm({.threshold = 0.1, .log = true, .alert = true, .exit = true, .rate = 0, .max_burst = 1e9}, "h");
  PipelineSummary s;
  SourceReport src;
  src.name = "ebpf";
  s.sources.push_back(src);
  s.events = 1000;
  s.sources[0].stats.drops["buffer_full"] = 50;  // 50 / 1050 < 10 %
  EXPECT_FALSE(alarm.check(s, 1'000'000'000));
  s.events = 1100;
  s.sources[0].stats.drops["buffer_full"] = 100;  // 50 new of 150 since: 33 %
  auto a = alarm.check(s, 2'000'000'000);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->exit);
  ASSERT_TRUE(a->alert);
  EXPECT_EQ(a->alert->rule, "Falco internal: syscall event drop");
  EXPECT_EQ(a->alert->priority, engine::Priority::kCritical);
  EXPECT_EQ(a->alert->time_ns, 2'000'000'000u) << "alerts carry the check's time";
  EXPECT_EQ(a->message.rfind("Falco internal: syscall event drop. 50 system calls dropped in last second.", 0), 0u)
      << a->message;
  EXPECT_NE(a->message.find("ebpf/buffer_full=100"), std::string::npos) << a->message;
  // The alert is Falco's: source internal, its sentence alone, its fields.
  EXPECT_EQ(a->alert->source, "internal");
  EXPECT_EQ(a->alert->output, "Falco internal: syscall event drop. 50 system calls dropped in last second.");
  std::map<std::string, engine::FieldValue> fields(a->alert->output_fields.begin(), a->alert->output_fields.end());
  EXPECT_EQ(fields["n_drops"], engine::FieldValue(uint64_t{50}));
  EXPECT_EQ(fields["n_evts"], engine::FieldValue(uint64_t{150}));
  EXPECT_EQ(fields["n_drops_buffer"], engine::FieldValue(uint64_t{50}));
  EXPECT_EQ(fields["ebpf_enabled"], engine::FieldValue(int64_t{1}));
  EXPECT_FALSE(alarm.check(s, 3'000'000'000));  // nothing new since
  EXPECT_EQ(alarm.counts().detected, 1u);
  EXPECT_EQ(alarm.counts().actions, 1u);
}

// A rate of one token every 4 s of the check clock and a burst of 1: one
// action, then none until a token has refilled; detections still count.
// (Falco's default .03333 is the same at one per 30 s.)
TEST(DropAlarm, TheTokenBucketLimitsActionsNotDetections) {
  DropAlarm alarm({.threshold = 0, .log = true, .rate = 0.25, .max_burst = 1}, "h");
  PipelineSummary s;
  s.sources.push_back(SourceReport{});
  s.sources[0].name = "ebpf";
  const uint64_t second = 1'000'000'000;
  std::vector<uint64_t> acted;
  for (uint64_t t = 1; t <= 12; ++t) {
    s.events += 100;
    s.sources[0].stats.drops["buffer_full"] += 1;
    if (alarm.check(s, t * second)) acted.push_back(t);
  }
  EXPECT_EQ(acted, (std::vector<uint64_t>{1, 5, 9}));
  EXPECT_EQ(alarm.counts().detected, 12u);
  EXPECT_EQ(alarm.counts().actions, 3u);
}

// simulate_drops: one drop at every check whatever the threshold, even with
// no event lost; the real drops still add to it.
TEST(DropAlarm, SimulatedDropsIgnoreTheThreshold) {
  DropAlarm alarm({.threshold = 1, .log = true, .rate = 0, .max_burst = 10, .simulate_drops = true}, "h");
  PipelineSummary s;
  for (uint64_t t = 1; t <= 12; ++t) {
    s.events += 1000;
    auto a = alarm.check(s, t * 1'000'000'000);
    EXPECT_EQ(a.has_value(), t <= 10) << "a full bucket of 10 that never refills, at " << t;
    if (a) {
      EXPECT_NE(a->message.find("1 system calls dropped"), std::string::npos) << a->message;
    }
  }
  EXPECT_EQ(alarm.counts().detected, 12u);
  EXPECT_EQ(alarm.counts().actions, 10u);
  std::ostringstream out;
  print_drop_monitoring(out, alarm.counts());
  EXPECT_EQ(out.str(),
            "Syscall event drop monitoring:\n   - event drop detected: 12 occurrences\n"
            "   - num times actions taken: 10\n");
}

// Falco's checkpoints: the first event starts the clock, the first event
// more than a second after the last checkpoint is the next one.
TEST(EventSecondClock, ChecksAtTheFirstEventMoreThanASecondOnOfEventTime) {
  EventSecondClock clock;
  const uint64_t s = 1'000'000'000;
  EXPECT_FALSE(clock.passed(10 * s));          // starts the clock: next after 11 s
  EXPECT_FALSE(clock.passed(10 * s + s / 2));
  EXPECT_FALSE(clock.passed(11 * s));          // not *more* than a second
  EXPECT_TRUE(clock.passed(11 * s + 1));       // next after 12 s + 1 ns
  EXPECT_FALSE(clock.passed(12 * s));
  EXPECT_TRUE(clock.passed(20 * s));           // a gap is one checkpoint, not eight
  EXPECT_FALSE(clock.passed(21 * s));
  EXPECT_FALSE(clock.passed(5 * s));           // a timestamp going back checks nothing
  EXPECT_TRUE(clock.passed(21 * s + 1));
}

// The token bucket on a caller's clock: starts full, refills at `rate`
// per second of that clock, capped at the burst.
TEST(TokenBucket, StartsFullRefillsOnTheCallersClockAndCaps) {
  const uint64_t s = 1'000'000'000;
  TokenBucket b(0.5, 2);
  EXPECT_TRUE(b.claim(100 * s));
  EXPECT_TRUE(b.claim(100 * s));
  EXPECT_FALSE(b.claim(100 * s));
  EXPECT_FALSE(b.claim(101 * s));  // half a token
  EXPECT_TRUE(b.claim(102 * s));   // one
  EXPECT_TRUE(b.claim(200 * s));   // capped at 2 after a long wait
  EXPECT_TRUE(b.claim(200 * s));
  EXPECT_FALSE(b.claim(200 * s));
}

}  // namespace
}  // namespace kestrel
