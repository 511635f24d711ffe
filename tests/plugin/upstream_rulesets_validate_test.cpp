// `kestrel -V` (Falco's validate flag) on every upstream plugin ruleset in
// ../shared/upstream-rules/plugins/, through the real binary, with the
// plugins of ours each ruleset is written for loaded (issue 16): the
// ruleset's fields and required_plugin_versions are then checked against
// what our plugins declare, as `falco -V` does with the configured plugins.
// Every file of the directory is covered or excluded with a printed reason,
// so a ruleset added there is not silently skipped.
// The negative case: a field of a plugin that is not loaded fails the file
// with its file:line.
// Expected texts are Falco's: "<file>: Ok" / "<file>: Invalid" (falco
// userspace/falco/app/actions/validate_rules_files.cpp), the JSON
// falco_load_results with "successful" (rule_loader::result::as_json), and
// libsinsp's "filter_check called with nonexistent field".
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "../support/run_command.h"
#include "../support/test_files.h"
#include "our_plugin_run.h"

namespace {

using kestrel::testing::plugin_entry;
using kestrel::testing::plugin_options;
using kestrel::testing::run_command;
using Entries = std::vector<std::pair<std::string, std::string>>;

const std::string kRulesDir = std::string(KESTREL_SHARED_DIR) + "/upstream-rules/plugins";

std::pair<std::string, std::string> entry(const std::string& name, const char* library,
                                          const std::string& init_config = "''") {
  return {name, plugin_entry(name, library, "", init_config)};
}

// Each upstream ruleset and the plugins of ours it names in
// required_plugin_versions (init_config: what each plugin's schema requires).
const std::map<std::string, Entries>& rulesets() {
  static const std::map<std::string, Entries> kRulesets = {
      {"k8s_audit_rules.yaml", {entry("k8saudit", K8SAUDIT_PLUGIN), entry("json", JSON_PLUGIN)}},
      {"aws_cloudtrail_rules.yaml", {entry("cloudtrail", CLOUDTRAIL_PLUGIN), entry("json", JSON_PLUGIN)}},
      {"github.yaml", {entry("github", GITHUB_PLUGIN, "{webhookSecret: validate-only}")}},
      {"okta_rules.yaml", {entry("okta", OKTA_PLUGIN, "{organization: example}")}},
  };
  return kRulesets;
}

// Files of the directory that are not validated here, each with why.
const std::map<std::string, std::string> kExcluded = {};

std::pair<int, std::string> validate(const std::string& path, const Entries& plugins, bool json = false) {
  return run_command(std::string(KESTREL_BINARY) + " -V " + path + " " + plugin_options(plugins) +
                     (json ? " -o json_output=true" : "") + " 2>&1");
}

// The falco_load_results line of a JSON-mode run (an invalid file's text
// goes to stderr, which the run merges).
std::string json_line(const std::string& out) {
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with("{\"falco_load_results\"")) return line;
  return {};
}

TEST(UpstreamRulesetsValidate, EveryFileOfTheDirectoryIsCoveredOrExcluded) {
  size_t files = 0;
  for (const auto& f : std::filesystem::directory_iterator(kRulesDir)) {
    if (!f.is_regular_file()) continue;
    ++files;
    const std::string name = f.path().filename().string();
    if (auto ex = kExcluded.find(name); ex != kExcluded.end()) {
      std::cout << "not validated: " << name << ": " << ex->second << "\n";
      continue;
    }
    EXPECT_TRUE(rulesets().contains(name)) << kRulesDir << "/" << name
                                           << " is neither validated by this test nor excluded with a reason";
  }
  EXPECT_EQ(files, rulesets().size() + kExcluded.size()) << "a covered or excluded file is missing from " << kRulesDir;
}

TEST(UpstreamRulesetsValidate, EachRulesetIsOkWithItsPluginsLoaded) {
  for (const auto& [name, plugins] : rulesets()) {
    const std::string path = kRulesDir + "/" + name;
    auto [code, out] = validate(path, plugins);
    EXPECT_EQ(code, 0) << name << "\n" << out;
    EXPECT_NE(out.find(path + ": Ok"), std::string::npos) << out;
    EXPECT_EQ(out.find("Errors:"), std::string::npos) << out;
  }
}

TEST(UpstreamRulesetsValidate, EachRulesetIsSuccessfulInFalcosJsonResults) {
  for (const auto& [name, plugins] : rulesets()) {
    const std::string path = kRulesDir + "/" + name;
    auto [code, out] = validate(path, plugins, true);
    EXPECT_EQ(code, 0) << name << "\n" << out;
    const auto results = nlohmann::json::parse(json_line(out), nullptr, false);
    ASSERT_FALSE(results.is_discarded()) << out;
    ASSERT_EQ(results["falco_load_results"].size(), 1u) << out;
    const auto& r = results["falco_load_results"][0];
    EXPECT_EQ(r["name"], path) << out;
    EXPECT_EQ(r["successful"], true) << out;
    EXPECT_TRUE(r["errors"].empty()) << out;
  }
}

// An okta rule naming ct.name: the cloudtrail plugin that declares it is
// not loaded (and would not extract it from okta events anyway).
TEST(UpstreamRulesetsValidate, AFieldOfAPluginNotLoadedFailsAtItsFileAndLine) {
  const std::string rules = R"(- rule: Okta Rule Naming A CloudTrail Field
  desc: ct.name belongs to the cloudtrail plugin
  condition: okta.evt.type = "user.session.start" and ct.name = "ConsoleLogin"
  output: type=%okta.evt.type
  priority: NOTICE
  source: okta
)";
  const int line = 3;  // the condition's, 1-based as Falco's text prints it
  const std::string path = kestrel::testing::write_temp_file("validate_foreign_field.yaml", rules);
  const Entries okta_only = {rulesets().at("okta_rules.yaml")};
  auto [code, out] = validate(path, okta_only);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find(path + ":" + std::to_string(line) + ":"), std::string::npos) << out;
  EXPECT_NE(out.find("filter_check called with nonexistent field ct.name"), std::string::npos) << out;
  EXPECT_NE(out.find(path + ": Invalid"), std::string::npos) << out;

  // Falco's JSON: 0-based line of the rule's location.
  auto [json_code, json_out] = validate(path, okta_only, true);
  EXPECT_EQ(json_code, 1) << json_out;
  const auto results = nlohmann::json::parse(json_line(json_out), nullptr, false);
  ASSERT_FALSE(results.is_discarded()) << json_out;
  const auto& r = results["falco_load_results"][0];
  EXPECT_EQ(r["successful"], false) << json_out;
  ASSERT_EQ(r["errors"].size(), 1u) << json_out;
  const auto& locations = r["errors"][0]["context"]["locations"];
  ASSERT_EQ(locations.size(), 2u) << json_out;
  EXPECT_EQ(locations[1]["position"]["name"], path) << json_out;
  EXPECT_EQ(locations[1]["position"]["line"], line - 1) << json_out;
}

}  // namespace
