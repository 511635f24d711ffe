// required_plugin_versions: what the reader collects from rules files, and
// the check against loaded plugins (engine/plugin_requirements.h) with
// Falco's messages (falco_engine.cpp, check_plugin_requirements).
#include <gtest/gtest.h>

#include <fstream>

#include "engine/plugin_requirements.h"
#include "engine/rule_set.h"

namespace kestrel::engine {
namespace {

const std::string kK8sRules = std::string(KESTREL_SHARED_DIR) + "/upstream-rules/plugins/k8s_audit_rules.yaml";

using Required = std::vector<std::vector<PluginRequirement>>;

Required required_by(const std::string& path) {
  LoadResult result;
  RuleSet set = load_rules({path}, result);
  EXPECT_TRUE(result.ok());
  return set.required_plugin_versions;
}

Required required_by_text(const std::string& yaml) {
  const std::string path = ::testing::TempDir() + "/plugin_requirements_test.yaml";
  std::ofstream(path) << yaml;
  return required_by(path);
}

std::optional<std::string> check(const Required& req, std::vector<LoadedPluginVersion> loaded) {
  return unmet_plugin_requirement(req, loaded);
}

TEST(PluginRequirements, UpstreamK8sAuditRulesReadAsWritten) {
  Required r = required_by(kK8sRules);
  ASSERT_EQ(r.size(), 2u);
  ASSERT_EQ(r[0].size(), 5u);  // k8saudit and its four alternatives
  EXPECT_EQ(r[0][0].name, "k8saudit");
  EXPECT_EQ(r[0][0].version, "0.18.0");
  EXPECT_EQ(r[0][2].name, "k8saudit-eks");
  EXPECT_EQ(r[0][2].version, "0.12.0");
  ASSERT_EQ(r[1].size(), 1u);
  EXPECT_EQ(r[1][0].name, "json");
  EXPECT_EQ(r[1][0].version, "0.7.0");
}

TEST(PluginRequirements, UpstreamK8sAuditRulesMetByK8sauditAndJson) {
  Required r = required_by(kK8sRules);
  EXPECT_EQ(check(r, {{"k8saudit", "0.18.0"}, {"json", "0.7.0"}}), std::nullopt);
  EXPECT_EQ(check(r, {{"json", "0.9.1"}, {"k8saudit", "0.19.2"}}), std::nullopt);  // newer minor, any order
  EXPECT_EQ(check(r, {{"k8saudit-eks", "0.12.0"}, {"json", "0.7.0"}}), std::nullopt);  // an alternative
}

TEST(PluginRequirements, UpstreamK8sAuditRulesUnmet) {
  Required r = required_by(kK8sRules);
  EXPECT_EQ(check(r, {{"k8saudit", "0.18.0"}}),
            "Plugin requirement not satisfied, must load one of: json (>= 0.7.0)");
  EXPECT_EQ(check(r, {}),
            "Plugin requirement not satisfied, must load one of: k8saudit (>= 0.18.0), k8saudit-aks (>= 0.6.0), "
            "k8saudit-eks (>= 0.12.0), k8saudit-gke (>= 0.9.0), k8saudit-ovh (>= 0.6.0)");
  EXPECT_EQ(check(r, {{"k8saudit", "0.17.9"}, {"json", "0.7.0"}}),
            "Plugin 'k8saudit' version '0.17.9' is not compatible with required plugin version '0.18.0'");
  // Another major is not compatible, newer or not.
  EXPECT_EQ(check(r, {{"k8saudit", "1.18.0"}, {"json", "0.7.0"}}),
            "Plugin 'k8saudit' version '1.18.0' is not compatible with required plugin version '0.18.0'");
  EXPECT_EQ(check(r, {{"k8saudit", "latest"}, {"json", "0.7.0"}}),
            "Plugin 'k8saudit' has invalid version string 'latest'");
}

TEST(PluginRequirements, FirstLoadedAlternativeDecides) {
  // As in Falco: alternatives are tried in order and the first one loaded
  // decides, even when a later loaded one would be recent enough.
  Required r = required_by_text(R"(
- required_plugin_versions:
  - name: a
    version: 1.2.0
    alternatives:
      - name: b
        version: 0.3.0
)");
  EXPECT_EQ(check(r, {{"b", "0.3.1"}}), std::nullopt);
  EXPECT_EQ(check(r, {{"b", "0.2.9"}}),
            "Plugin 'b' version '0.2.9' is not compatible with required plugin version '0.3.0'");
  EXPECT_EQ(check(r, {{"b", "0.3.1"}, {"a", "1.1.0"}}),
            "Plugin 'a' version '1.1.0' is not compatible with required plugin version '1.2.0'");
  EXPECT_EQ(check(r, {{"a", "1.3.0"}, {"b", "0.0.1"}}), std::nullopt);
}

TEST(PluginRequirements, SyntheticTooHighVersion) {
  Required r = required_by_text(R"(
- required_plugin_versions:
  - name: k8saudit
    version: 99.0.0
)");
  EXPECT_EQ(check(r, {{"k8saudit", "0.18.0"}}),
            "Plugin 'k8saudit' version '0.18.0' is not compatible with required plugin version '99.0.0'");
}

TEST(PluginRequirements, EveryEntryOfEveryFileCounts) {
  Required r = required_by_text(R"(
- required_plugin_versions:
  - name: a
    version: 0.1.0
- rule: r
  desc: d
  condition: evt.type = open
  output: o
  priority: INFO
- required_plugin_versions:
  - name: c
    version: 0.2.0
)");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(check(r, {{"a", "0.1.0"}}), "Plugin requirement not satisfied, must load one of: c (>= 0.2.0)");
  EXPECT_EQ(check(r, {{"a", "0.1.0"}, {"c", "0.2.5"}}), std::nullopt);
}

TEST(PluginRequirements, NoRequirementNeedsNoPlugin) { EXPECT_EQ(check({}, {}), std::nullopt); }

TEST(PluginRequirements, FalcoRulesNeedTheContainerPluginWhoseFieldsKestrelFillsItself) {
  Required r = required_by(std::string(KESTREL_SHARED_DIR) + "/upstream-rules/falco_rules.yaml");
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].size(), 1u);
  EXPECT_EQ(r[0][0].name, "container");
  // Falco's answer without the plugin…
  EXPECT_EQ(check(r, {}), "Plugin requirement not satisfied, must load one of: container (>= 0.4.0)");
  // …Kestrel's: container.* is built in.
  EXPECT_EQ(unmet_plugin_requirement(r, {}, built_in_plugins()), std::nullopt);
  // A container plugin that is loaded is checked all the same.
  std::vector<LoadedPluginVersion> old_container = {{"container", "0.3.9"}};
  EXPECT_EQ(unmet_plugin_requirement(r, old_container, built_in_plugins()),
            "Plugin 'container' version '0.3.9' is not compatible with required plugin version '0.4.0'");
  // Built in is not a wildcard for other plugins.
  std::vector<LoadedPluginVersion> json_only = {{"json", "0.7.0"}};
  EXPECT_EQ(unmet_plugin_requirement(required_by(kK8sRules), json_only, built_in_plugins()),
            "Plugin requirement not satisfied, must load one of: k8saudit (>= 0.18.0), k8saudit-aks (>= 0.6.0), "
            "k8saudit-eks (>= 0.12.0), k8saudit-gke (>= 0.9.0), k8saudit-ovh (>= 0.6.0)");
}

}  // namespace
}  // namespace kestrel::engine
