// A plugin whose event source ("counter") and fields (counter.*) appear in
// no static field table: once loaded, its get_fields table is registered,
// rules of that source validate against it, and the kestrel binary
// evaluates them with values the plugin extracts — numbers, strings and
// lists. The counter plugin (test_plugins/counter_plugin.cpp) yields
// "event-1" … "event-N".
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../support/run_command.h"

namespace {

std::pair<int, std::string> run(const std::string& args, bool with_stderr) {
  return kestrel::testing::run_command(std::string(KESTREL_BINARY) + " " + args +
                                      (with_stderr ? " 2>&1" : " 2>/dev/null"));
}

std::string write_rules(const std::string& text) {
  std::string path = ::testing::TempDir() + "/counter_rules_" + std::to_string(getpid()) + ".yaml";
  std::ofstream(path) << text;
  return path;
}

const std::string kPlugin = std::string("-o load_plugins=counter -o 'plugins=[{name: counter, library_path: ") +
                            COUNTER_PLUGIN + ", open_params: \"7\"}]'";

TEST(PluginFields, RulesOnAPluginOnlySourceUseItsFields) {
  std::string rules = write_rules(R"(
- rule: Late Odd Counter Event
  desc: odd events after the third
  condition: counter.n > 3 and counter.tags intersects (odd) and counter.msg startswith "event-"
  output: counted %counter.msg n=%counter.n
  priority: NOTICE
  source: counter
)");
  auto [code, out] = run("-r " + rules + " -o engine.kind=none -o json_output=true " + kPlugin, false);
  ASSERT_EQ(code, 0) << out;
  std::vector<std::string> outputs;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] != '{') continue;
    auto a = nlohmann::json::parse(line);
    EXPECT_EQ(a.value("source", std::string()), "counter");
    outputs.push_back(a.value("output", std::string()));
  }
  // 1..7: odd and > 3 are 5 and 7.
  ASSERT_EQ(outputs.size(), 2u) << out;
  EXPECT_NE(outputs[0].find("counted event-5 n=5"), std::string::npos) << outputs[0];
  EXPECT_NE(outputs[1].find("counted event-7 n=7"), std::string::npos) << outputs[1];
}

TEST(PluginFields, TheSourceIsKnownOnlyWithThePlugin) {
  std::string rules = write_rules(R"(
- rule: Counter
  desc: any
  condition: counter.n > 0
  output: n=%counter.n
  priority: NOTICE
  source: counter
)");
  // Without the plugin the source is unknown: the rule is skipped with
  // Falco's warning.
  auto [code, out] = run("-r " + rules + " --list-rules", true);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("Unknown source counter"), std::string::npos) << out;
  EXPECT_EQ(out.find("Counter  "), std::string::npos) << out;
  // With it, the rule compiles for that source and fires on every event.
  auto ran = run("-r " + rules + " -o engine.kind=none " + kPlugin, true);
  EXPECT_EQ(ran.first, 0) << ran.second;
  EXPECT_NE(ran.second.find("1 rules for source counter"), std::string::npos) << ran.second;
  EXPECT_NE(ran.second.find("Counter: 7"), std::string::npos) << ran.second;
  // With the plugin its fields are known and listed.
  auto listed = run("--list counter " + kPlugin, true);
  EXPECT_EQ(listed.first, 0) << listed.second;
  EXPECT_NE(listed.second.find("Event Sources: counter"), std::string::npos) << listed.second;
  for (const char* field : {"counter.n ", "counter.msg ", "counter.tags "})
    EXPECT_NE(listed.second.find(field), std::string::npos) << field << "\n" << listed.second;
}

}  // namespace
