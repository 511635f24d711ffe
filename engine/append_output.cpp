#include "engine/append_output.h"

#include <algorithm>

namespace kestrel::engine {

bool AppendOutput::matches(const std::string& rule_name, const std::string& rule_source,
                           const std::vector<std::string>& rule_tags) const {
  if (source && *source != rule_source) return false;
  if (rule && *rule != rule_name) return false;
  return std::all_of(tags.begin(), tags.end(), [&](const std::string& t) {
    return std::find(rule_tags.begin(), rule_tags.end(), t) != rule_tags.end();
  });
}

AppendOutput suggested_field_output(const AppendOutput& match, const std::string& field) {
  AppendOutput e;
  e.source = match.source;
  e.tags = match.tags;
  e.rule = match.rule;
  std::string underscored = field;
  std::replace(underscored.begin(), underscored.end(), '.', '_');
  e.extra_output = underscored + "=%" + field;
  return e;
}

std::string append_extra_output(const std::string& output, const std::vector<AppendOutput>& entries,
                                const std::string& rule_name, const std::string& rule_source,
                                const std::vector<std::string>& rule_tags) {
  std::string out = output;
  for (const auto& e : entries)
    if (!e.extra_output.empty() && e.matches(rule_name, rule_source, rule_tags)) out += " " + e.extra_output;
  return out;
}

}  // namespace kestrel::engine
