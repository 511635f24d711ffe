// Falco's own falco.yaml (shared/reference/falco-config, unchanged) runs
// the real binary live on the eBPF source, and watch_config_files reloads
// a running collector when its rules file or its config_files directory
// changes. Root and a BTF kernel; fails (never skips) when the probe
// cannot load.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "../support/kestrel_collector.h"

namespace {

using kestrel::testing::Collector;
namespace fs = std::filesystem;

void run(const std::string& command) { ASSERT_EQ(std::system(command.c_str()), 0) << command; }

std::string read(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The HTTP status of GET url (curl), or 0 when nothing answers.
int http_status(const std::string& url) {
  FILE* p = popen(("curl -s -o /dev/null -w '%{http_code}' " + url).c_str(), "r");
  if (!p) return 0;
  char code[8] = {};
  size_t n = fread(code, 1, sizeof code - 1, p);
  pclose(p);
  return n ? std::atoi(code) : 0;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/kestrel_falcolive_XXXXXX";
    path_ = mkdtemp(name);
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A rule alerting when `file` is opened: the marker each phase reads.
std::string rule_for(const std::string& name, const std::string& file, const std::string& priority) {
  return "- rule: " + name + "\n  desc: test\n  condition: evt.type in (open, openat, openat2) and fd.name = " + file +
         "\n  output: \"" + name + " opened %fd.name by %proc.name\"\n  priority: " + priority + "\n";
}

TEST(FalcoConfigLive, ReferenceFalcoYamlRunsLiveAndAlerts) {
  ASSERT_EQ(geteuid(), 0u) << "the live test needs root";
  TempDir dir;
  const std::string pidfile = dir.path() + "/kestrel.pid";
  const std::string port = std::to_string(20000 + getpid() % 20000);
  Collector c;
  // The file as Falco ships it; only the rules (Falco's /etc/falco ones are
  // not installed here), the port (tests may run beside a real service on
  // 8765) and the run's length come from the command line.
  c.start({KESTREL_BINARY, "-c", KESTREL_REFERENCE_FALCO_YAML, "-r", KESTREL_RULES, "-o",
           "webserver.listen_port=" + port, "-P", pidfile, "-M", "120"});
  ASSERT_TRUE(c.wait_for_stderr("kestrel: capturing", std::chrono::seconds(90))) << c.err;
  EXPECT_EQ(read(pidfile), std::to_string(c.pid) + "\n");
  EXPECT_NE(c.err.find("webserver on 0.0.0.0:" + port), std::string::npos) << c.err;
  EXPECT_EQ(http_status("http://127.0.0.1:" + port + "/healthz"), 200);
  // prometheus_metrics_enabled: false in falco.yaml: no /metrics, as Falco.
  EXPECT_EQ(http_status("http://127.0.0.1:" + port + "/metrics"), 404);

  run("cat /etc/shadow > /dev/null");
  for (int i = 0; i < 30; ++i) c.pump(50);
  const int code = c.stop();
  ASSERT_EQ(code, 0) << c.err;
  EXPECT_FALSE(fs::exists(pidfile)) << "-P: the pid file is removed at exit";
  // json_output: false: Falco's text line, "HH:MM:SS.nnnnnnnnn: Warning ...".
  EXPECT_NE(c.out.find(": Warning Sensitive file opened for reading (file=/etc/shadow proc=cat"), std::string::npos)
      << c.out << c.err;
  EXPECT_NE(c.err.find("Source ebpf:"), std::string::npos) << "engine.kind modern_ebpf runs the eBPF probe\n" << c.err;
  EXPECT_EQ(count(c.err, "'plugins_hostinfo' has no meaning for Kestrel"), 1u) << c.err;
  EXPECT_EQ(count(c.err, "'falco_libs.snaplen' has no meaning for Kestrel"), 1u) << c.err;
}

TEST(FalcoConfigLive, WatchConfigFilesReloadsOnRulesAndConfigDirChanges) {
  ASSERT_EQ(geteuid(), 0u) << "the live test needs root";
  TempDir dir;
  const std::string d = dir.path();
  const std::string rules = d + "/rules.yaml";
  const std::string marker_a = d + "/marker_a", marker_b = d + "/marker_b";
  run("touch " + marker_a + " " + marker_b);
  fs::create_directories(d + "/conf.d");
  std::ofstream(rules) << rule_for("Marker A", marker_a, "WARNING");
  std::ofstream(d + "/main.yaml") << "watch_config_files: true\nconfig_files: [" << d
                                   << "/conf.d]\nrules_files: [" << rules << "]\njson_output: true\n";
  Collector c;
  c.start({KESTREL_BINARY, "-c", d + "/main.yaml", "-M", "180"});
  ASSERT_TRUE(c.wait_for_stderr("kestrel: capturing", std::chrono::seconds(90))) << c.err;

  auto alerts_for = [&](const std::string& rule) {
    size_t n = 0;
    for (const auto& a : c.alerts()) n += a["rule"] == rule;
    return n;
  };
  auto wait_alert = [&](const std::string& rule, const std::string& file) {
    for (int i = 0; i < 100 && alerts_for(rule) == 0; ++i) {
      if (i % 10 == 0) run("cat " + file + " > /dev/null");
      c.pump(100);
    }
    return alerts_for(rule);
  };
  auto wait_reloads = [&](size_t n) {
    for (int i = 0; i < 100 && count(c.err, "rules reloaded") < n; ++i) c.pump(100);
    return count(c.err, "rules reloaded");
  };

  EXPECT_GT(wait_alert("Marker A", marker_a), 0u) << c.out << c.err;

  // 1. The rules file changes: reloaded without a signal.
  std::ofstream(rules, std::ios::trunc) << rule_for("Marker B", marker_b, "WARNING");
  ASSERT_EQ(wait_reloads(1), 1u) << c.err;
  EXPECT_NE(c.err.find("watch_config_files: a watched file changed"), std::string::npos);
  EXPECT_GT(wait_alert("Marker B", marker_b), 0u) << c.out << c.err;

  // 2. A Critical rule joins, then a file appears in the config_files
  //    directory: its priority: critical hides the Warning rule's alerts
  //    and the Critical one still fires.
  std::ofstream(rules, std::ios::trunc) << rule_for("Marker B", marker_b, "WARNING")
                                        << rule_for("Marker A critical", marker_a, "CRITICAL");
  ASSERT_EQ(wait_reloads(2), 2u) << c.err;
  std::ofstream(d + "/conf.d/50-priority.yaml") << "priority: critical\n";
  ASSERT_EQ(wait_reloads(3), 3u) << c.err;
  const size_t b_before = alerts_for("Marker B");
  EXPECT_GT(wait_alert("Marker A critical", marker_a), 0u) << c.out << c.err;
  run("cat " + marker_b + " > /dev/null");
  for (int i = 0; i < 20; ++i) c.pump(50);
  EXPECT_EQ(alerts_for("Marker B"), b_before) << "priority: critical from conf.d must hide Warning alerts";
  EXPECT_EQ(c.stop(), 0) << c.err;
}

}  // namespace
