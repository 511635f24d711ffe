// The real kestrel binary, live (eBPF), with Falco's metrics section:
// metrics.output_file gets Falco's stats_writer lines
// ({"output_fields":{...},"sample":N}, one a metrics.interval), the
// output_rule alert carries the same fields, and Falco's group switches
// take keys out of both the file and /metrics.
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/free_port.h"
#include "tests/support/kestrel_collector.h"

namespace {

using kestrel::testing::Collector;

// The file's complete lines: one the collector is still writing (no
// newline yet) is left for the next read.
std::vector<nlohmann::json> file_lines(const std::string& path) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (size_t at = 0, end; (end = text.find('\n', at)) != std::string::npos; at = end + 1)
    lines.push_back(nlohmann::json::parse(text.substr(at, end - at)));
  return lines;
}

struct MetricsRun {
  std::vector<nlohmann::json> lines;  // the metrics file's
  std::vector<nlohmann::json> snapshot_alerts;  // "Falco internal: metrics snapshot" on stdout
  std::string prometheus;  // /metrics after the lines
  std::string err;
  std::string rules_name, rules_sha256;    // the rules file's name and `sha256sum`
  std::string config_name, config_sha256;  // likewise for the -c file (empty without one)
  // The collector's cgroup memory file (read by the test, from
  // /proc/<pid>/cgroup) just before and just after /metrics was read.
  uint64_t cgroup_memory_before = 0, cgroup_memory_after = 0;
};

// sha256sum's answer for `path`: the test's own digest, not Kestrel's.
std::string sha256sum(const std::string& path) {
  std::string out;
  if (FILE* p = popen(("sha256sum '" + path + "'").c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  return out.substr(0, out.find(' '));
}

// The memory file of `pid`'s v1 memory cgroup (this host's accounting).
uint64_t cgroup_memory_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  for (std::string line; std::getline(in, line);) {
    const auto at = line.find(":memory:");
    if (at == std::string::npos) continue;
    std::string path = line.substr(at + 8);
    if (path == "/") path.clear();
    std::ifstream f("/sys/fs/cgroup/memory" + path + "/memory.usage_in_bytes");
    uint64_t bytes = 0;
    f >> bytes;
    return bytes;
  }
  return 0;
}

struct RunOptions {
  std::vector<std::string> extra;  // -o settings
  std::string config;              // a -c file's text (none when empty)
  size_t lines = 3;                // snapshots to wait for
  // Called once when the file has `at_line` lines, with the collector's pid.
  size_t at_line = 0;
  void (*at)(pid_t) = nullptr;
  bool workload = false;  // open files while waiting, so there are events
};

// Runs kestrel live as `o` says until the metrics file has o.lines lines,
// then reads /metrics and stops it.
MetricsRun run_with_options(const RunOptions& o) {
  MetricsRun r;
  const auto& extra = o.extra;
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
  r.rules_name = rules.substr(rules.rfind('/') + 1);
  r.rules_sha256 = sha256sum(rules);
  const std::string config = ::testing::TempDir() + "/kestrel_metrics_file_config_" + std::to_string(getpid()) + ".yaml";
  if (!o.config.empty()) {
    std::ofstream(config) << o.config;
    r.config_name = config.substr(config.rfind('/') + 1);
    r.config_sha256 = sha256sum(config);
    args.insert(args.begin() + 1, {"-c", config});
  }
  for (const auto& e : extra) {
    args.push_back("-o");
    args.push_back(e);
  }
  Collector c;
  c.start(args);
  EXPECT_TRUE(c.wait_for_stderr("kestrel: capturing", std::chrono::seconds(90))) << c.err;
  // The snapshots (the collector writes one per 1 s tick); bounded wait.
  bool called = false;
  for (int i = 0; i < 200 * static_cast<int>(o.lines) && file_lines(file).size() < o.lines; ++i) {
    c.pump(50);
    if (o.at && !called && file_lines(file).size() >= o.at_line) {
      o.at(c.pid);
      called = true;
    }
    for (int k = 0; o.workload && k < 200; ++k) std::ifstream("/etc/hostname").get();
  }
  httplib::Client client("127.0.0.1", port);
  r.cgroup_memory_before = cgroup_memory_of(c.pid);
  if (auto res = client.Get("/metrics")) r.prometheus = res->body;
  r.cgroup_memory_after = cgroup_memory_of(c.pid);
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
  std::remove(config.c_str());
  return r;
}

// Runs kestrel live with `extra` -o settings until the metrics file has
// three lines, then reads /metrics and stops it.
MetricsRun run_with(const std::vector<std::string>& extra) {
  RunOptions o;
  o.extra = extra;
  return run_with_options(o);
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

  MetricsRun off = run_with({"metrics.resource_utilization_enabled=false", "metrics.kernel_event_counters_per_cpu_enabled=true",
                             "metrics.libbpf_stats_enabled=false"});
  ASSERT_GE(off.lines.size(), 1u) << off.err;
  for (const auto& l : off.lines)
    for (const auto& k : keys_of(l["output_fields"])) {
      EXPECT_NE(k.rfind("falco.memory_", 0), 0u) << k;
      const bool host_usage = k.rfind("falco.host_", 0) == 0 && k != "falco.host_boot_ts" && k != "falco.host_num_cpus" &&
                              k.rfind("falco.host_netinfo.", 0) != 0;  // a wrapper field, as in Falco
      EXPECT_FALSE(host_usage) << k;
      EXPECT_NE(k, "falco.cpu_usage_perc");
    }
  EXPECT_FALSE(has_family(off.prometheus, "falcosecurity_falco_cpu_usage_ratio"));
  EXPECT_FALSE(has_family(off.prometheus, "falcosecurity_falco_memory_rss_bytes"));
  EXPECT_FALSE(has_family(off.prometheus, "falcosecurity_falco_container_memory_used_bytes"));
  // libbpf_stats_enabled=false: no program figures at all.
  EXPECT_EQ(off.prometheus.find("_run_cnt_total"), std::string::npos) << off.prometheus;
  for (const auto& l : off.lines)
    for (const auto& k : keys_of(l["output_fields"])) EXPECT_EQ(k.find(".run_cnt"), std::string::npos) << k;
  // Per-CPU turns the kernel counters on, as in Falco.
  EXPECT_TRUE(has_family(off.prometheus, "falcosecurity_scap_n_drops_cpu_total")) << off.prometheus;
  EXPECT_TRUE(has_family(off.prometheus, "falcosecurity_scap_n_evts_cpu_total")) << off.prometheus;
  // Per-CPU event counts (a ring per CPU by default): they add up to at
  // most the events delivered, and some CPU had events.
  for (const auto& l : off.lines) {
    const auto& f = l["output_fields"];
    uint64_t per_cpu = 0;
    for (const auto& [k, v] : f.items())
      if (k.rfind("scap.n_evts_cpu_", 0) == 0) per_cpu += v.get<uint64_t>();
    EXPECT_GT(per_cpu, 0u) << f.dump();
    EXPECT_LE(per_cpu, f["scap.n_evts"].get<uint64_t>()) << f.dump();
  }
  EXPECT_TRUE(has_family(off.prometheus, "falcosecurity_scap_n_evts_total"));
}

// Falco's wrapper fields that name the files, the reload and the host,
// the kernel counters' previous values and rates, the container memory and
// the eBPF programs' run counts, checked against what the test measures
// itself (sha256sum, `ip`, the cgroup file, a SIGHUP it sends).
TEST(MetricsFile, FilesReloadHostRatesMemoryAndProgramsAreFalcos) {
  ASSERT_EQ(geteuid(), 0u) << "needs root";
  RunOptions o;
  o.config = "stdout_output:\n  enabled: true\nmetrics:\n  convert_memory_to_mb: false\n";
  o.lines = 5;
  o.at_line = 2;
  o.at = [](pid_t pid) { kill(pid, SIGHUP); };
  o.workload = true;
  MetricsRun r = run_with_options(o);
  ASSERT_GE(r.lines.size(), 5u) << r.err;
  ASSERT_EQ(r.rules_sha256.size(), 64u);
  ASSERT_NE(r.err.find("SIGHUP: output files reopened"), std::string::npos) << r.err;

  // Falco's key: falco.sha256_<kind>_file.<file name, '.' and '-' as '_'>.
  auto key_of = [](std::string name) {
    for (char& ch : name)
      if (ch == '.' || ch == '-') ch = '_';
    return name;
  };
  const std::string rules_key = "falco.sha256_rules_file." + key_of(r.rules_name);
  const std::string config_key = "falco.sha256_config_file." + key_of(r.config_name);
  // Addresses of this host's interfaces, as `ip` lists them (lo aside).
  std::vector<std::pair<std::string, std::string>> ipv4;
  if (FILE* p = popen("ip -o -4 addr show", "r")) {
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) {
      std::istringstream line(buf);
      std::string index, ifname, family, cidr;
      line >> index >> ifname >> family >> cidr;
      if (ifname != "lo" && family == "inet") ipv4.emplace_back(ifname, cidr.substr(0, cidr.find('/')));
    }
    pclose(p);
  }
  uint64_t first_reload = 0;
  for (size_t i = 0; i < r.lines.size(); ++i) {
    const auto& f = r.lines[i]["output_fields"];
    EXPECT_EQ(f.value(rules_key, ""), r.rules_sha256) << f.dump();
    EXPECT_EQ(f.value(config_key, ""), r.config_sha256) << f.dump();
    for (const auto& [ifname, address] : ipv4) {
      const std::string key = "falco.host_netinfo.interfaces." + ifname + ".protocols.ipv4.addresses";
      EXPECT_NE(f.value(key, "").find(address), std::string::npos) << key << " " << address << "\n" << f.dump();
    }
    ASSERT_TRUE(f.contains("falco.reload_ts")) << f.dump();
    const uint64_t reload = f["falco.reload_ts"];
    EXPECT_GT(reload, f["falco.host_boot_ts"].get<uint64_t>());
    EXPECT_LE(reload, f["evt.time"].get<uint64_t>());
    if (i == 0) first_reload = reload;
    EXPECT_GT(f.value("falco.container_memory_used_bytes", uint64_t{0}), 0u) << f.dump();
    if (i == 0) continue;
    const auto& prev = r.lines[i - 1]["output_fields"];
    EXPECT_EQ(f["scap.n_evts_prev"], prev["scap.n_evts"]) << f.dump();
    EXPECT_EQ(f["scap.n_drops_prev"], prev["scap.n_drops"]) << f.dump();
    EXPECT_GT(f.value("scap.evts_rate_sec", 0.0), 0.0) << f.dump();
  }
  // The SIGHUP reloaded config and rules: the last snapshots say when.
  EXPECT_GT(r.lines.back()["output_fields"]["falco.reload_ts"].get<uint64_t>(), first_reload);

  // eBPF programs' run counts and times (libbpf_stats_enabled, on by default).
  size_t programs_run = 0;
  for (const auto& [k, v] : r.lines.back()["output_fields"].items())
    if (k.rfind("scap.", 0) == 0 && k.size() > 8 && k.compare(k.size() - 8, 8, ".run_cnt") == 0 && v.get<uint64_t>() > 0) {
      ++programs_run;
      const std::string prog = k.substr(5, k.size() - 13);
      EXPECT_GT(r.lines.back()["output_fields"].value("scap." + prog + ".run_time_ns", uint64_t{0}), 0u) << prog;
    }
  EXPECT_GT(programs_run, 0u) << r.lines.back().dump();

  // Prometheus: the same facts under Falco's families.
  const std::string& text = r.prometheus;
  EXPECT_NE(text.find("falcosecurity_falco_sha256_rules_files_info{file_name=\"" + r.rules_name + "\",sha256=\"" +
                      r.rules_sha256 + "\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("falcosecurity_falco_sha256_config_files_info{file_name=\"" + r.config_name + "\",sha256=\"" +
                      r.config_sha256 + "\"} 1\n"), std::string::npos) << text;
  EXPECT_TRUE(has_family(text, "falcosecurity_falco_reload_timestamp_nanoseconds")) << text;
  std::smatch m;
  const std::string sys_enter_runs = "falcosecurity_scap_[a-z0-9_]+_run_cnt_total ([1-9][0-9]*)\n";
  EXPECT_TRUE(std::regex_search(text, m, std::regex(sys_enter_runs))) << text;
  EXPECT_TRUE(std::regex_search(text, m, std::regex("falcosecurity_scap_[a-z0-9_]+_run_time_nanoseconds_total [1-9]")))
      << text;
  EXPECT_TRUE(std::regex_search(text, m, std::regex("falcosecurity_scap_[a-z0-9_]+_avg_time_nanoseconds [0-9]"))) << text;
  // Container memory: Kestrel's own cgroup's figure, which the test read
  // itself around the request (the host's root cgroup would be far larger).
  ASSERT_TRUE(std::regex_search(text, m, std::regex("\nfalcosecurity_falco_container_memory_used_bytes ([0-9]+)\n")))
      << text;
  const uint64_t published = std::stoull(m[1]);
  const uint64_t low = std::min(r.cgroup_memory_before, r.cgroup_memory_after);
  const uint64_t high = std::max(r.cgroup_memory_before, r.cgroup_memory_after);
  ASSERT_GT(low, 0u);
  // /metrics is refreshed every second: allow the cgroup to have moved by half.
  EXPECT_GE(published, low / 2) << published << " vs " << low << ".." << high;
  EXPECT_LE(published, high * 2) << published << " vs " << low << ".." << high;
}

}  // namespace
