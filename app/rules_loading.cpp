#include "app/rules_loading.h"

#include <algorithm>
#include <sstream>

#include "engine/rule_reader.h"
#include "engine/validate.h"

namespace kestrel {

Result<engine::RuleSet> load_configured_rules(const std::vector<std::string>& paths, std::ostream& log,
                                              uint64_t max_file_bytes, const engine::FieldRegistry& fields) {
  engine::LoadResult result;
  engine::RuleSet rules;
  if (paths.empty()) {
    engine::RuleCollection collection;
    if (engine::read_rules_content("<embedded kestrel_rules.yaml>", std::string(default_rules_text()), collection,
                                   result, fields))
      rules = engine::build_rule_set(collection, result, fields);
  } else {
    rules = engine::load_rules(paths, result, max_file_bytes, fields);
  }
  engine::ValidationResult report;
  report.paths = paths.empty() ? std::vector<std::string>{"<embedded kestrel_rules.yaml>"} : paths;
  report.result = result;
  if (!result.ok()) {
    std::ostringstream text;
    engine::print_validation(text, report);
    return Status(StatusCode::kInvalidArgument, "rules failed to load:\n" + text.str());
  }
  std::ostringstream warnings;
  engine::print_validation(warnings, report, true);
  // Only print when there is more than the one-line verdict.
  std::string w = warnings.str();
  if (std::count(w.begin(), w.end(), '\n') > 1) log << w;
  return rules;
}

void print_rule_table(std::ostream& out, const engine::RuleSet& rules) {
  size_t width = 4;
  for (const auto& r : rules.rules) width = std::max(width, r.name.size());
  auto pad = [](std::string s, size_t n) {
    s.resize(std::max(n, s.size()), ' ');
    return s;
  };
  out << pad("RULE", width + 2) << pad("PRIORITY", 15) << pad("SOURCE", 10) << pad("ENABLED", 9) << "TAGS\n";
  for (const auto& r : rules.rules) {
    std::string tags;
    for (const auto& t : r.tags) tags += (tags.empty() ? "" : ",") + t;
    out << pad(r.name, width + 2) << pad(std::string(engine::priority_name(r.priority)), 15) << pad(r.source, 10)
        << pad(r.enabled ? "yes" : "no", 9) << tags << "\n";
  }
}

}  // namespace kestrel
