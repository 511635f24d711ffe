// The upstream Falco rulesets validate with no errors, loaded as Falco
// users load them (incubating/sandbox on top of falco_rules.yaml).
#include <gtest/gtest.h>

#include <sstream>

#include "tests/oracle/rule_index.h"
#include "engine/rule_set.h"
#include "engine/validate.h"

namespace kestrel::engine {
namespace {
using namespace kestrel::engine::reference;

const std::string kDir = std::string(KESTREL_SHARED_DIR) + "/upstream-rules/";

std::string dump(const ValidationResult& v) {
  std::ostringstream out;
  print_validation(out, v, false);
  return out.str();
}

void expect_valid(const std::vector<std::string>& files, size_t min_rules) {
  std::vector<std::string> paths;
  for (const auto& f : files) paths.push_back(kDir + f);
  ValidationResult v = validate_rules(paths);
  EXPECT_TRUE(v.ok()) << dump(v);
  EXPECT_GE(v.rule_count, min_rules) << dump(v);
}

TEST(UpstreamRules, FalcoRules) { expect_valid({"falco_rules.yaml"}, 20); }
TEST(UpstreamRules, FalcoRules101) { expect_valid({"falco_rules-1.0.1.yaml"}, 20); }
TEST(UpstreamRules, Incubating) { expect_valid({"falco_rules.yaml", "falco-incubating_rules.yaml"}, 40); }
TEST(UpstreamRules, Sandbox) { expect_valid({"falco_rules.yaml", "falco-sandbox_rules.yaml"}, 40); }
TEST(UpstreamRules, AllSyscallTogether) {
  expect_valid({"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"}, 80);
}
TEST(UpstreamRules, K8sAudit) { expect_valid({"plugins/k8s_audit_rules.yaml"}, 20); }
TEST(UpstreamRules, Cloudtrail) { expect_valid({"plugins/aws_cloudtrail_rules.yaml"}, 10); }
TEST(UpstreamRules, Github) { expect_valid({"plugins/github.yaml"}, 5); }
TEST(UpstreamRules, Okta) { expect_valid({"plugins/okta_rules.yaml"}, 3); }

// Every syscall rule of the stable ruleset is narrowed to some event types
// (upstream rules are written not to trigger LOAD_NO_EVTTYPE).
TEST(UpstreamRules, StableRulesHaveEventTypes) {
  LoadResult r;
  RuleSet set = load_rules({kDir + "falco_rules.yaml"}, r);
  ASSERT_TRUE(r.ok());
  for (const auto& rule : set.rules) {
    EXPECT_FALSE(matches_too_many_evttypes(rule.evttypes)) << rule.name;
  }
  for (const auto& m : r.messages()) EXPECT_NE(m.code, "LOAD_NO_EVTTYPE") << m.item_name;
}

}  // namespace
}  // namespace kestrel::engine

#include "tests/oracle/rule_index.h"

namespace kestrel::engine {
namespace {
using namespace kestrel::engine::reference;

// Every enabled upstream rule compiles to a program, and the syscall rules
// ask for event types Kestrel emits.
TEST(UpstreamRules, CompileIntoTheRuleIndex) {
  for (const auto& files : std::vector<std::vector<std::string>>{
           {"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"},
           {"plugins/k8s_audit_rules.yaml"},
           {"plugins/aws_cloudtrail_rules.yaml"},
           {"plugins/github.yaml"},
           {"plugins/okta_rules.yaml"}}) {
    std::vector<std::string> paths;
    for (const auto& f : files) paths.push_back(kDir + f);
    LoadResult result;
    RuleSet set = load_rules(paths, result);
    ASSERT_TRUE(result.ok());
    RuleIndex index = RuleIndex::build(set, result);
    EXPECT_TRUE(result.ok()) << files[0];
    size_t enabled = 0;
    for (const auto& r : set.rules) enabled += r.enabled ? 1 : 0;
    EXPECT_EQ(index.rules().size(), enabled) << files[0];
    if (files[0] == "falco_rules.yaml") {
      auto needed = index.needed_event_types();
      EXPECT_GE(needed.size(), 10u);
      EXPECT_TRUE(std::find(needed.begin(), needed.end(), KE_EXECVE) != needed.end());
      EXPECT_TRUE(std::find(needed.begin(), needed.end(), KE_OPENAT) != needed.end());
    }
  }
}

}  // namespace
}  // namespace kestrel::engine
