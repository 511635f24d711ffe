// append_output.h — Falco's `append_output`: extra text and fields added to
// the output of every rule an entry matches, applied when rules compile.
//
// An entry matches a rule when each condition it sets holds: `source` is
// the rule's source, every tag of `tags` is one of the rule's, `rule` is
// its name; an entry that sets none matches every rule. Entries apply in
// order. `extra_output` is appended to the rule's output after one space
// (it may name fields: "on CPU %evt.cpu"), so it is in the text line and
// JSON's output. `extra_fields` go only into JSON's output_fields, never
// into the text: a plain field name ("evt.hostname") gives the field's
// typed value under its name; a custom name with a format
// ({home_directory: "${HOME}"}, {cmd: "%proc.cmdline"}) gives the rendered
// format as a string. Environment variables in the values are expanded by
// the config loader, as Falco's loader does; `suggested_output` (a
// plugin's suggested fields) is not supported.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace kestrel::engine {

struct AppendOutputField {
  std::string name{};
  // Empty: `name` is a field, its typed value is taken. Otherwise the
  // format rendered as text.
  std::string format{};
};

struct AppendOutput {
  std::optional<std::string> source{};  // match.source
  std::vector<std::string> tags{};      // match.tags: the rule has all of them
  std::optional<std::string> rule{};    // match.rule
  std::string extra_output{};
  std::vector<AppendOutputField> extra_fields{};

  bool matches(const std::string& rule_name, const std::string& rule_source,
               const std::vector<std::string>& rule_tags) const;
};

// Falco's suggested_output for one field: an entry matching what `match`
// matches whose extra output is "name_with_underscores=%name".
AppendOutput suggested_field_output(const AppendOutput& match, const std::string& field);

// The rule's output with every matching entry's extra_output appended.
std::string append_extra_output(const std::string& output, const std::vector<AppendOutput>& entries,
                                const std::string& rule_name, const std::string& rule_source,
                                const std::vector<std::string>& rule_tags);

}  // namespace kestrel::engine
