// Every field the upstream syscall rulesets (stable, incubating, sandbox)
// read, in conditions, exceptions and outputs, of every rule (disabled ones
// too: users enable them), has an extractor, or is excluded below with the
// reason. A field with no extractor reads <NA>, so a rule testing it never
// fires: this test is what keeps that from happening silently. An excluded
// field that gains an extractor, or that no rule reads any more, fails too,
// so the list cannot go stale.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "engine/eval/extract.h"
#include "engine/rule_fields.h"
#include "engine/rule_set.h"

namespace kestrel::engine {
namespace {

const std::string kDir = std::string(KESTREL_SHARED_DIR) + "/upstream-rules/";

// field -> why it has no extractor. Every entry needs a reason.
const std::map<std::string, std::string> kExcluded = {
    {"fd.cip.name", "a DNS name for an IP needs a resolver cache of the domains the rules list (Falco's dns manager); "
                    "not part of container metadata (issue 17)"},
    {"fd.lip.name", "as fd.cip.name: needs a DNS name cache"},
    {"fd.rip.name", "as fd.cip.name: needs a DNS name cache"},
    {"fd.sip.name", "as fd.cip.name: needs a DNS name cache"},
};

// evt.arg.NAME and evt.rawarg.NAME are one registry row each (evt.arg,
// evt.rawarg) whose extractor finds the named param per event type.
std::string registry_row(const std::string& field) {
  for (const char* family : {"evt.arg.", "evt.rawarg."})
    if (field.rfind(family, 0) == 0) return std::string(family, std::string_view(family).size() - 1);
  return field;
}

TEST(UpstreamFieldCoverage, EveryFieldTheRulesReadHasAnExtractor) {
  LoadResult result;
  RuleSet set = load_rules(
      {kDir + "falco_rules.yaml", kDir + "falco-incubating_rules.yaml", kDir + "falco-sandbox_rules.yaml"}, result);
  ASSERT_TRUE(result.ok());
  size_t rules = 0;
  for (auto& rule : set.rules) {
    rule.enabled = true;
    ++rules;
  }
  ASSERT_GT(rules, 80u);
  const std::set<std::string> fields = fields_read(set, "syscall");
  ASSERT_GT(fields.size(), 50u);
  std::string missing;
  for (const auto& f : fields) {
    if (eval::has_extractor(registry_row(f))) continue;
    auto it = kExcluded.find(f);
    if (it == kExcluded.end()) missing += "  " + f + "\n";
  }
  EXPECT_TRUE(missing.empty()) << "fields the upstream rules read with no extractor:\n" << missing;
  for (const auto& [f, why] : kExcluded) {
    EXPECT_FALSE(why.empty()) << f << " is excluded without a reason";
    EXPECT_TRUE(fields.count(f)) << f << " is excluded but no upstream rule reads it any more";
    EXPECT_FALSE(eval::has_extractor(f)) << f << " is excluded but has an extractor now";
  }
}

}  // namespace
}  // namespace kestrel::engine
