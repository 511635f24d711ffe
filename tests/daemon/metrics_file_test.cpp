// The real kestrel binary, live (eBPF), with Falco's metrics section:
// metrics.output_file gets Falco's stats_writer lines
// ({"output_fields":{...},"sample":N}, one a metrics.interval), the
// output_rule alert carries the same fields, and Falco's group switches
// take keys out of both the file and /metrics.
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/free_port.h"
#include "tests/support/kestrel_collector.h"

namespace {

using kestrel::testing::Collector;

std::vector<nlohmann::json> file_lines(const std::string& path) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

struct MetricsRun {
  std::vector<nlohmann::json> lines;  // the metrics file's
  std::vector<nlohmann::json> snapshot_alerts;  // "Falco internal: metrics snapshot" on stdout
  std::string prometheus;  // /metrics after the lines
  std::string err;
};

// Runs kestrel live with `extra` -o settings until the metrics file has
// three lines, then reads /metrics and stops it.
MetricsRun run_with(const std::vector<std::string>& extra) {
  MetricsRun r;
  const std::string file = ::testing::TempDir() + "/kestrel_metrics_file_" + std::to_string(getpid()) + ".jsonl";
  std::remove(file.c_str());
  const std::string rules = ::testing::TempDir() + "/kestrel_metrics_file_rules_" + std::to_string(getpid()) + ".yaml";
  std::ofstream(rules) << "- rule: Never\n  desc: a rule, for the rules counters\n"
                          "  condition: evt.type = openat and fd.name = /nonexistent/kestrel-metrics-file\n"
                          "  output: never %fd.name\n  priority: WARNING\n";
  const int port = kestrel::testing::free_port();
  std::vector<std::string> args = {KESTREL_BINARY, "-r", rules, "-o", "engine.kind=ebpf", "-o", "json_output=true",
                                   "-o", "metrics.enabled=true", "-o", "metrics.interval=1s",
                                   "-o", "metrics.output_file=" + file, "-o", "metrics.output_rule=true",
                                   "-o", "webserver.enabled=true", "-o", "webserver.listen_address=127.0.0.1",
                                   "-o", "webserver.listen_port=" + std::to_string(port), "-M", "120"};
  for (const auto& e : extra) {
    args.push_back("-o");
    args.push_back(e);
  }
  Collector c;
  c.start(args);
  EXPECT_TRUE(c.wait_for_stderr("kestrel: capturing", std::chrono::seconds(90))) << c.err;
  // Three snapshots (the collector writes one per 1 s tick); bounded wait.
  for (int i = 0; i < 400 && file_lines(file).size() < 3; ++i) c.pump(50);
  httplib::Client client("127.0.0.1", port);
  if (auto res = client.Get("/metrics")) r.prometheus = res->body;
  c.stop();
  r.err = c.err;
  r.lines = file_lines(file);
  std::istringstream out(c.out);
  for (std::string line; std::getline(out, line);) {
    if (line.empty() || line[0] != '{') continue;
    auto j = nlohmann::json::parse(line);
    if (j.value("rule", "") == "Falco internal: metrics snapshot") r.snapshot_alerts.push_back(j);
  }
  std::remove(file.c_str());
  std::remove(rules.c_str());
  return r;
}

std::set<std::string> keys_of(const nlohmann::json& fields) {
  std::set<std::string> keys;
  for (auto it = fields.begin(); it != fields.end(); ++it) keys.insert(it.key());
  return keys;
}

bool has_family(const std::string& text, const std::string& name) {
  return text.find("\n" + name + " ") != std::string::npos || text.find("\n" + name + "{") != std::string::npos;
}

TEST(MetricsFile, OutputFileIsFalcosLineAndTheAlertCarriesTheSameFields) {
  ASSERT_EQ(geteuid(), 0u) << "needs root";
  MetricsRun r = run_with({});
  ASSERT_GE(r.lines.size(), 3u) << r.err;
  for (size_t i = 0; i < r.lines.size(); ++i) {
    const auto& l = r.lines[i];
    // Falco's stats_writer line: exactly these two keys, samples counted from 1.
    EXPECT_EQ(keys_of(l), (std::set<std::string>{"output_fields", "sample"})) << l.dump();
    EXPECT_EQ(l["sample"], i + 1) << l.dump();
    const auto& f = l["output_fields"];
    for (const char* key : {"evt.time", "evt.hostname", "evt.source", "falco.version", "falco.num_evts",
                            "falco.duration_sec", "falco.host_num_cpus", "scap.engine_name", "scap.n_evts",
                            "scap.n_drops", "scap.n_drops_perc", "falco.rules.matches_total",
                            "falco.memory_rss_mb", "falco.cpu_usage_perc", "falco.n_threads"})
      EXPECT_TRUE(f.contains(key)) << key << " missing from " << l.dump();
    EXPECT_EQ(f["scap.engine_name"], "modern_bpf");
    EXPECT_FALSE(f.contains("falco.memory_rss_kb"));
  }
  // The output_rule alert of the same snapshot (same evt.time) has the same fields.
  size_t matched = 0;
  for (const auto& a : r.snapshot_alerts)
    for (const auto& l : r.lines)
      if (a["output_fields"]["evt.time"] == l["output_fields"]["evt.time"]) {
        EXPECT_EQ(a["output_fields"], l["output_fields"]);
        ++matched;
      }
  EXPECT_GE(matched, 2u) << r.err;
  for (const char* family : {"falcosecurity_falco_cpu_usage_ratio", "falcosecurity_scap_n_evts_total",
                             "falcosecurity_scap_n_threads_total"})
    EXPECT_TRUE(has_family(r.prometheus, family)) << family << "\n" << r.prometheus;
  EXPECT_FALSE(has_family(r.prometheus, "falcosecurity_scap_n_drops_cpu_total"));  // per-CPU off by default
}

TEST(MetricsFile, DisabledGroupsLeaveTheFileAndPrometheus) {
  ASSERT_EQ(geteuid(), 0u) << "needs root";
  MetricsRun r = run_with({"metrics.kernel_event_counters_enabled=false", "metrics.state_counters_enabled=false",
                    "metrics.rules_counters_enabled=false", "metrics.convert_memory_to_mb=false",
                    "metrics.include_empty_values=true"});
  ASSERT_GE(r.lines.size(), 3u) << r.err;
  for (const auto& l : r.lines) {
    const auto& f = l["output_fields"];
    for (const auto& k : keys_of(f)) {
      EXPECT_NE(k.rfind("scap.n_", 0), 0u) << k;
      EXPECT_NE(k.rfind("falco.rules.", 0), 0u) << k;
      EXPECT_NE(k, "falco.n_threads");
      EXPECT_NE(k, "falco.n_fds");
    }
    // resource_utilization stays, memory in libs' kB.
    EXPECT_TRUE(f.contains("falco.memory_rss_kb")) << l.dump();
    EXPECT_FALSE(f.contains("falco.memory_rss_mb")) << l.dump();
    EXPECT_TRUE(f.contains("falco.num_evts")) << l.dump();
  }
  for (const char* family : {"falcosecurity_scap_n_evts_total", "falcosecurity_scap_n_drops_total",
                             "falcosecurity_scap_n_drops_buffer_total", "falcosecurity_scap_n_threads_total",
                             "falcosecurity_falco_rules_matches_total"})
    EXPECT_FALSE(has_family(r.prometheus, family)) << family;
  EXPECT_TRUE(has_family(r.prometheus, "falcosecurity_falco_memory_rss_bytes")) << r.prometheus;

  MetricsRun off = run_with({"metrics.resource_utilization_enabled=false", "metrics.kernel_event_counters_per_cpu_enabled=true"});
  ASSERT_GE(off.lines.size(), 1u) << off.err;
  for (const auto& l : off.lines)
    for (const auto& k : keys_of(l["output_fields"])) {
      EXPECT_NE(k.rfind("falco.memory_", 0), 0u) << k;
      const bool host_usage = k.rfind("falco.host_", 0) == 0 && k != "falco.host_boot_ts" && k != "falco.host_num_cpus";
      EXPECT_FALSE(host_usage) << k;
      EXPECT_NE(k, "falco.cpu_usage_perc");
    }
  EXPECT_FALSE(has_family(off.prometheus, "falcosecurity_falco_cpu_usage_ratio"));
  EXPECT_FALSE(has_family(off.prometheus, "falcosecurity_falco_memory_rss_bytes"));
  // Per-CPU turns the kernel counters on, as in Falco.
  EXPECT_TRUE(has_family(off.prometheus, "falcosecurity_scap_n_drops_cpu_total")) << off.prometheus;
  EXPECT_TRUE(has_family(off.prometheus, "falcosecurity_scap_n_evts_total"));
}

}  // namespace
