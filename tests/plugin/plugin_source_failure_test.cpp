// A plugin whose next_batch fails stops only its own source (issue 16,
// part C). Three sources in one kestrel: the live eBPF probe, the flaky
// test plugin (test_plugins/failing_source_plugin.cpp: 3 events, then
// SS_PLUGIN_FAILURE with get_last_error "flaky: the feed broke after 3
// events") and the counter plugin (5 events). The failure must be logged
// while the run goes on, naming the plugin and its error text; the
// metrics (JSON lines, metrics.kestrel_output_file) must mark the flaky source
// failed; every event flaky delivered before failing and every counter
// event raise their rules; and a syscall rule must still fire on a file
// read after the failure. Needs root and a BTF kernel; fails loudly
// without them.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "../support/kestrel_collector.h"

namespace {

using kestrel::testing::Collector;

TEST(PluginSourceFailure, AFailingNextBatchStopsOnlyItsSource) {
  ASSERT_EQ(geteuid(), 0u) << "needs root";
  const std::string tag = std::to_string(getpid());
  const std::string rules = ::testing::TempDir() + "/flaky_rules_" + tag + ".yaml";
  std::ofstream(rules) << R"(
- rule: Flaky Event
  desc: every event of the flaky plugin
  condition: flaky.n > 0
  output: flaky n=%flaky.n
  priority: NOTICE
  source: flaky
- rule: Counter Event
  desc: every event of the counter plugin
  condition: counter.n > 0
  output: counter n=%counter.n
  priority: NOTICE
  source: counter
- rule: Marker File Read
  desc: the file the test reads after the plugin failed
  condition: evt.type in (open, openat, openat2) and fd.name endswith "/flaky-marker-)" + tag + R"("
  output: marker read by %proc.name
  priority: WARNING
  source: syscall
)";
  const std::string marker = ::testing::TempDir() + "/flaky-marker-" + tag;
  std::ofstream(marker) << "x\n";
  const std::string metrics = ::testing::TempDir() + "/flaky_metrics_" + tag + ".jsonl";
  std::remove(metrics.c_str());

  Collector c;
  c.start({KESTREL_BINARY, "-r", rules, "-o", "engine.kind=ebpf", "-o", "json_output=true", "-o",
           "load_plugins=[flaky,counter]", "-o",
           std::string("plugins=[{name: flaky, library_path: ") + FLAKY_PLUGIN + ", open_params: \"3\"}, " +
               "{name: counter, library_path: " + COUNTER_PLUGIN + ", open_params: \"5\"}]",
           "-o", "metrics.enabled=true", "-o", "metrics.interval=1s", "-o", "metrics.kestrel_output_file=" + metrics, "-M",
           "120"});
  ASSERT_TRUE(c.wait_for_stderr("kestrel: capturing", std::chrono::seconds(90))) << c.err;
  // Logged while running, with the plugin's name and its own error text.
  ASSERT_TRUE(c.wait_for_stderr("kestrel: source 'flaky' failed and stopped", std::chrono::seconds(20))) << c.err;
  ASSERT_TRUE(c.wait_for_stderr("other source(s) go on\n", std::chrono::seconds(5))) << c.err;
  EXPECT_NE(c.err.find("flaky: the feed broke after 3 events"), std::string::npos) << c.err;
  EXPECT_NE(c.err.find("plugin 'flaky': next_batch failed"), std::string::npos) << c.err;

  // The syscall source goes on after the failure.
  ASSERT_EQ(std::system(("cat " + marker + " > /dev/null").c_str()), 0);
  for (int i = 0; i < 60; ++i) c.pump(50);
  // A metrics line after the failure marks it.
  for (int i = 0; i < 40 && c.err.find("failed_source=flaky") == std::string::npos; ++i) c.pump(50);
  EXPECT_NE(c.err.find("failed_source=flaky"), std::string::npos) << c.err;
  const int code = c.stop();
  // The run reports the failure in its exit status.
  EXPECT_EQ(code, 1) << c.err;

  int flaky = 0, counter = 0, marker_reads = 0;
  for (const auto& a : c.alerts()) {
    if (a["rule"] == "Flaky Event") ++flaky;
    if (a["rule"] == "Counter Event") ++counter;
    if (a["rule"] == "Marker File Read" && a["output_fields"]["proc.name"] == "cat") ++marker_reads;
  }
  EXPECT_EQ(flaky, 3) << c.out;
  EXPECT_EQ(counter, 5) << c.out;
  EXPECT_GE(marker_reads, 1) << c.out << c.err;
  EXPECT_NE(c.err.find("Source flaky: 3 events, failed: "), std::string::npos) << c.err;

  // The metrics JSON: flaky failed with its error, the others not.
  std::ifstream m(metrics);
  bool flaky_failed = false, ebpf_ok = false;
  for (std::string line; std::getline(m, line);) {
    auto j = nlohmann::json::parse(line);
    for (const auto& s : j["sources"]) {
      if (s["name"] == "flaky" && s["failed"] == true &&
          s["error"].get<std::string>().find("the feed broke after 3 events") != std::string::npos)
        flaky_failed = true;
      if (s["name"] == "ebpf" && s["failed"] == false) ebpf_ok = true;
    }
  }
  EXPECT_TRUE(flaky_failed) << "no metrics line marks flaky failed";
  EXPECT_TRUE(ebpf_ok);
  std::remove(rules.c_str());
  std::remove(marker.c_str());
  std::remove(metrics.c_str());
}

}  // namespace
