// Falco's static_fields through the real `kestrel` binary, replaying the
// alert scenario (tests/daemon/scenario.h: bash runs `cat /etc/shadow`,
// then nc spawns `sh -i`): static.<key> in a rule's condition and output,
// ${VAR} in a value, append_output's suggested_output appending
// "static_<key>=<value>" to every rule's output (and output_fields), and a
// config that refuses what is not a map of strings.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/daemon/scenario.h"
#include "tests/support/run_command.h"

namespace kestrel {
namespace {

using testing::run_command;

std::string temp(const std::string& name) { return ::testing::TempDir() + "/static_fields_" + std::to_string(getpid()) + "_" + name; }

std::vector<nlohmann::json> json_lines(const std::string& out) {
  std::vector<nlohmann::json> v;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line.front() == '{') v.push_back(nlohmann::json::parse(line));
  return v;
}

TEST(StaticFieldsRun, ConditionsOutputsAndSuggestedOutputSeeTheConfiguredValues) {
  const std::string capture = temp("scenario.kcap");
  testing::write_alert_scenario_to(capture);
  const std::string config = temp("config.yaml"), rules = temp("rules.yaml");
  ASSERT_EQ(setenv("KESTREL_STATIC_TEST_REGION", "eu-west-9", 1), 0);
  std::ofstream(config) << R"(
json_output: true
static_fields:
  cluster: prod-a
  region: ${KESTREL_STATIC_TEST_REGION}
append_output:
  - match:
      rule: Shadow Read In Cluster
    suggested_output: true
)";
  std::ofstream(rules) << R"(
- rule: Shadow Read In Cluster
  desc: a static field in the condition and the output
  condition: evt.type = openat and fd.name = /etc/shadow and static.cluster = prod-a
  output: "shadow read by %proc.name in %static.cluster"
  priority: WARNING
- rule: Never In Another Cluster
  desc: a static field that does not match
  condition: evt.type = openat and static.cluster = prod-b
  output: "never %proc.name"
  priority: WARNING
)";
  auto [code, out] = run_command(std::string(KESTREL_BINARY) + " -c " + config + " -r " + rules + " -e " + capture +
                                 " 2>/dev/null");
  ASSERT_EQ(code, 0) << out;
  const auto alerts = json_lines(out);
  ASSERT_EQ(alerts.size(), 1u) << out;
  const auto& a = alerts[0];
  EXPECT_EQ(a["rule"], "Shadow Read In Cluster");
  const std::string output = a["output"];
  // The rule's own text, then Falco's suggested format per static field,
  // in file order: "static_cluster=%static.cluster static_region=%static.region".
  EXPECT_TRUE(output.ends_with(": Warning shadow read by cat in prod-a static_cluster=prod-a static_region=eu-west-9"))
      << output;
  EXPECT_EQ(a["output_fields"]["static.cluster"], "prod-a") << a.dump();
  EXPECT_EQ(a["output_fields"]["static.region"], "eu-west-9") << a.dump();

  // Without suggested_output nothing is appended; the field still works.
  std::ofstream(config) << R"(
json_output: true
static_fields:
  cluster: prod-a
)";
  auto [code2, out2] = run_command(std::string(KESTREL_BINARY) + " -c " + config + " -r " + rules + " -e " + capture +
                                   " 2>/dev/null");
  ASSERT_EQ(code2, 0) << out2;
  const auto plain = json_lines(out2);
  ASSERT_EQ(plain.size(), 1u) << out2;
  EXPECT_TRUE(std::string(plain[0]["output"]).ends_with(": Warning shadow read by cat in prod-a")) << plain[0].dump();
  EXPECT_FALSE(plain[0]["output_fields"].contains("static.region")) << plain[0].dump();

  // A rule naming a key static_fields does not define is refused, as an unknown field.
  std::ofstream(rules) << R"(
- rule: Unknown Static
  desc: x
  condition: evt.type = openat and static.zone = a
  output: "x"
  priority: WARNING
)";
  auto [code3, out3] = run_command(std::string(KESTREL_BINARY) + " -c " + config + " -r " + rules + " -e " + capture +
                                   " 2>&1");
  EXPECT_NE(code3, 0) << out3;
  EXPECT_NE(out3.find("static.zone"), std::string::npos) << out3;

  // static_fields must be a map of strings: file:line in the error, exit 2.
  std::ofstream(config) << "static_fields:\n  - a\n";
  auto [code4, out4] = run_command(std::string(KESTREL_BINARY) + " -c " + config + " --dry-run 2>&1");
  EXPECT_EQ(code4, 2) << out4;
  EXPECT_NE(out4.find("static_fields"), std::string::npos) << out4;
  EXPECT_NE(out4.find(config + ":2"), std::string::npos) << out4;
  std::remove(capture.c_str());
  std::remove(config.c_str());
  std::remove(rules.c_str());
}

}  // namespace
}  // namespace kestrel
