// Our cloudtrail, github, okta and json plugins against the upstream
// rulesets they exist for (../shared/upstream-rules/plugins/), loaded with
// the host's own loader (PluginLibrary: dlopen, symbols, API version,
// get_fields):
// - each plugin loads and declares the name, event source and id Falco's
//   plugin registry gives it;
// - its version satisfies every required_plugin_versions entry of the
//   ruleset that names it (same major, not older: Falco's rule);
// - every field the ruleset names in a condition or output (and the
//   macros' conditions) is declared by the plugins it requires, with the
//   argument form it is used with; so the ruleset's fields are filled by
//   our plugins, not by the static field tables' placeholders.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "plugins/plugin_library.h"

namespace {

using kestrel::plugin::PluginLibrary;

const std::string kRules = std::string(KESTREL_SHARED_DIR) + "/upstream-rules/plugins/";

struct Ours {
  const char* path;
  const char* name;
  const char* source;  // "" for the extractor-only json plugin
  uint32_t id;
};
const std::vector<Ours> kPlugins = {
    {CLOUDTRAIL_PLUGIN, "cloudtrail", "aws_cloudtrail", 2},
    {OKTA_PLUGIN, "okta", "okta", 7},
    {GITHUB_PLUGIN, "github", "github", 8},
    {JSON_PLUGIN, "json", "", 0},
    {K8SAUDIT_PLUGIN, "k8saudit", "k8s_audit", 1},
};

std::shared_ptr<PluginLibrary> load(const std::string& name) {
  for (const auto& p : kPlugins)
    if (name == p.name) {
      auto lib = PluginLibrary::load(p.path);
      EXPECT_TRUE(lib.ok()) << p.path << ": " << lib.status().message();
      return lib.ok() ? *lib : nullptr;
    }
  ADD_FAILURE() << "no plugin of ours is named " << name;
  return nullptr;
}

std::vector<int> semver(const std::string& v) {
  std::vector<int> out;
  std::stringstream ss(v);
  for (std::string part; std::getline(ss, part, '.');) out.push_back(std::stoi(part));
  out.resize(3);
  return out;
}

TEST(OurPlugins, IdentityAsFalcosRegistryGivesIt) {
  for (const auto& p : kPlugins) {
    auto lib = PluginLibrary::load(p.path);
    ASSERT_TRUE(lib.ok()) << p.path << ": " << lib.status().message();
    const auto& info = (*lib)->info();
    EXPECT_EQ(info.name, p.name);
    EXPECT_EQ(info.event_source, p.source) << p.name;
    EXPECT_EQ(info.can_source, *p.source != '\0') << p.name;
    EXPECT_TRUE(info.can_extract) << p.name;
    if (*p.source) {
      EXPECT_EQ(info.id, p.id) << p.name;
    }
  }
}

struct Ruleset {
  std::string file;
  std::set<std::string> plugins;  // required_plugin_versions names (first choice)
  std::vector<std::pair<std::string, std::string>> required;  // name, version
  std::string text;  // every condition and output
};

Ruleset read_ruleset(const std::string& file) {
  Ruleset r{file, {}, {}, {}};
  for (const auto& item : YAML::LoadFile(kRules + file)) {
    if (item["required_plugin_versions"])
      for (const auto& req : item["required_plugin_versions"]) {
        r.plugins.insert(req["name"].as<std::string>());
        r.required.emplace_back(req["name"].as<std::string>(), req["version"].as<std::string>());
      }
    for (const char* key : {"condition", "output"})
      if (item[key]) r.text += item[key].as<std::string>() + "\n";
  }
  return r;
}

TEST(OurPlugins, VersionsSatisfyTheRulesetsRequirements) {
  for (const char* file : {"aws_cloudtrail_rules.yaml", "github.yaml", "okta_rules.yaml", "k8s_audit_rules.yaml"}) {
    Ruleset r = read_ruleset(file);
    ASSERT_FALSE(r.required.empty()) << file;
    for (const auto& [name, version] : r.required) {
      auto lib = load(name);
      ASSERT_TRUE(lib) << file;
      const auto have = semver(lib->info().version), want = semver(version);
      EXPECT_EQ(have[0], want[0]) << file << ": " << name << " " << lib->info().version << " vs " << version;
      EXPECT_GE(have, want) << file << ": " << name << " " << lib->info().version << " vs " << version;
    }
  }
}

TEST(OurPlugins, EveryFieldTheRulesetsNameIsDeclaredByTheirPlugins) {
  // Field names as rules write them: a known prefix, dotted words, an
  // optional [argument].
  static const std::regex kField(R"(\b((?:ct|s3|ec2|ecr|github|okta|json|jevt|ka)\.[A-Za-z0-9_.]*[A-Za-z0-9_])(\[[^\]]*\])?)");
  for (const char* file : {"aws_cloudtrail_rules.yaml", "github.yaml", "okta_rules.yaml", "k8s_audit_rules.yaml"}) {
    Ruleset r = read_ruleset(file);
    std::map<std::string, kestrel::plugin::PluginField> declared;
    for (const auto& name : r.plugins) {
      auto lib = load(name);
      ASSERT_TRUE(lib) << file;
      for (const auto& f : lib->info().fields) declared.emplace(f.name, f);
    }
    size_t checked = 0;
    for (auto it = std::sregex_iterator(r.text.begin(), r.text.end(), kField); it != std::sregex_iterator(); ++it) {
      const std::string name = (*it)[1];
      const bool has_arg = (*it)[2].matched;
      auto f = declared.find(name);
      ASSERT_NE(f, declared.end()) << file << " names " << name << ", which none of its plugins declares";
      if (has_arg) {
        EXPECT_TRUE(f->second.arg_index || f->second.arg_key) << file << ": " << (*it)[0];
      } else {
        EXPECT_FALSE(f->second.arg_required) << file << ": " << name << " needs an argument";
      }
      ++checked;
    }
    EXPECT_GT(checked, 10u) << file;
  }
}

}  // namespace
