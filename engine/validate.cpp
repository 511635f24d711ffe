#include "engine/validate.h"

#include "engine/rule_set.h"

namespace kestrel::engine {

ValidationResult validate_rules(const std::vector<std::string>& paths, const FieldRegistry& fields) {
  ValidationResult v;
  v.paths = paths;
  RuleSet set = load_rules(paths, v.result, kDefaultMaxRulesFileBytes, fields);
  v.rule_count = set.rules.size();
  v.macro_count = set.macro_count;
  v.list_count = set.list_count;
  return v;
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
