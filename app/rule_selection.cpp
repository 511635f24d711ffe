#include "app/rule_selection.h"

#include <fnmatch.h>

#include <algorithm>

namespace kestrel {
namespace {

bool has_any_tag(const engine::LoadedRule& r, const std::vector<std::string>& tags) {
  return std::any_of(tags.begin(), tags.end(), [&](const std::string& t) { return r.tags.count(t) > 0; });
}

}  // namespace

std::string rule_selection_conflict(const RuleSelection& s) {
  const bool disabling = !s.disabled_name_substrings.empty() || !s.disabled_tags.empty();
  if (disabling && !s.enabled_tags.empty())
    return "Error: You can not specify both disabled (-D/-T) and enabled (-t) rules";
  return "";
}

void apply_rule_selection(engine::RuleSet& rules, const std::vector<RulesToggle>& toggles, const RuleSelection& s) {
  for (const RulesToggle& t : toggles)
    for (auto& r : rules.rules) {
      if (!t.rule.empty() && fnmatch(t.rule.c_str(), r.name.c_str(), 0) != 0) continue;
      if (!t.tag.empty() && r.tags.count(t.tag) == 0) continue;
      r.enabled = t.enable;
    }
  for (auto& r : rules.rules) {
    for (const auto& part : s.disabled_name_substrings)
      if (r.name.find(part) != std::string::npos) r.enabled = false;
    if (has_any_tag(r, s.disabled_tags)) r.enabled = false;
    if (!s.enabled_tags.empty() && !has_any_tag(r, s.enabled_tags)) r.enabled = false;
  }
}

}  // namespace kestrel
