// validate.h — `kestrel -V FILE…`: load rule files and report, like
// `falco -V`.
//
// validate_rules reads the given files/directories in order as one rule set
// (so files that extend others — incubating rules on top of falco_rules.yaml
// — validate together, as Falco users load them) and returns every error and
// warning. print_validation writes them in Falco's format followed by a
// one-line verdict per file set.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "engine/fields/field_registry.h"
#include "engine/load_result.h"
#include "engine/rule_items.h"

namespace kestrel::engine {

struct ValidationResult {
  std::vector<std::string> paths;
  LoadResult result;
  size_t rule_count = 0;
  size_t macro_count = 0;
  size_t list_count = 0;
  // required_plugin_versions of these files (and, in validate_rules_in_order,
  // of the files before them), for the app to check against its plugins.
  std::vector<std::vector<PluginRequirement>> required_plugin_versions;
  bool ok() const { return result.ok(); }
};

// Fields are looked up in `fields` (builtin_field_registry() unless the
// caller loaded plugins).
ValidationResult validate_rules(const std::vector<std::string>& paths,
                                const FieldRegistry& fields = builtin_field_registry());

// `falco -V F1 -V F2 …`: Falco loads the files one after the other into one
// engine, each on top of those before it, and reports one result per file.
// Here result i comes from loading paths[0..i] together and holds the
// messages that loading paths[i] added (those the load of paths[0..i-1]
// did not already report: Falco recompiles everything at each file and
// would repeat them); its counts are those of the whole set so far. So a
// base file validates Ok on its own and a file that breaks it is the one
// reported Invalid. One path: the same as validate_rules.
std::vector<ValidationResult> validate_rules_in_order(const std::vector<std::string>& paths,
                                                      const FieldRegistry& fields = builtin_field_registry());

// Errors and warnings (one line each, see print_load_message), then
// "<paths>: Ok" or "<paths>: Invalid". `with_warnings` false hides warnings.
void print_validation(std::ostream& out, const ValidationResult& v, bool with_warnings = true);

}  // namespace kestrel::engine
