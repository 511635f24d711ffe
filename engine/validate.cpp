#include "engine/validate.h"

#include <algorithm>

#include "engine/rule_set.h"

namespace kestrel::engine {

ValidationResult validate_rules(const std::vector<std::string>& paths, const FieldRegistry& fields) {
  ValidationResult v;
  v.paths = paths;
  RuleSet set = load_rules(paths, v.result, kDefaultMaxRulesFileBytes, fields);
  v.rule_count = set.rules.size();
  v.macro_count = set.macro_count;
  v.list_count = set.list_count;
  v.required_plugin_versions = std::move(set.required_plugin_versions);
  return v;
}

std::vector<ValidationResult> validate_rules_in_order(const std::vector<std::string>& paths,
                                                      const FieldRegistry& fields) {
  std::vector<ValidationResult> steps;
  std::vector<LoadMessage> before;  // what the load of the files so far reported
  for (size_t i = 0; i < paths.size(); ++i) {
    ValidationResult whole = validate_rules({paths.begin(), paths.begin() + static_cast<std::ptrdiff_t>(i) + 1}, fields);
    ValidationResult step;
    step.paths = {paths[i]};
    step.rule_count = whole.rule_count;
    step.macro_count = whole.macro_count;
    step.list_count = whole.list_count;
    step.required_plugin_versions = whole.required_plugin_versions;
    for (const auto& m : whole.result.messages()) {
      auto seen = std::find_if(before.begin(), before.end(), [&](const LoadMessage& b) { return same_message(b, m); });
      if (seen != before.end()) before.erase(seen);  // each earlier message answers for one repeat
      else step.result.add(m);
    }
    before = whole.result.messages();
    steps.push_back(std::move(step));
  }
  return steps;
}

void print_validation(std::ostream& out, const ValidationResult& v, bool with_warnings) {
  // Falco's layout: errors first, then warnings, each block counted.
  auto errors = v.result.filtered(true);
  auto warnings = v.result.filtered(false);
  if (!errors.empty()) {
    out << errors.size() << " Errors:\n";
    for (const auto& m : errors) print_load_message(out, m);
  }
  if (with_warnings && !warnings.empty()) {
    out << warnings.size() << " Warnings:\n";
    for (const auto& m : warnings) print_load_message(out, m);
  }
  std::string names;
  for (const auto& p : v.paths) names += (names.empty() ? "" : ", ") + p;
  out << names << ": " << (v.ok() ? "Ok" : "Invalid");
  if (v.ok()) {
    out << " (" << v.rule_count << " rules, " << v.macro_count << " macros, " << v.list_count << " lists";
    if (v.result.warning_count() > 0) out << ", " << v.result.warning_count() << " warnings";
    out << ")";
  }
  out << '\n';
}

}  // namespace kestrel::engine
