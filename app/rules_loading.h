// rules_loading.h — the rules the collector runs: -r/rules_files, or the
// embedded default ruleset (rules/kestrel_rules.yaml compiled in).
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "engine/rule_set.h"
#include "base/status.h"

namespace kestrel {

// The embedded default ruleset, verbatim.
std::string_view default_rules_text();

// Loads `paths` in order, or the embedded ruleset when `paths` is empty.
// Warnings are printed to `log`; any error fails with every message in the
// Status (file:line:col, code, item), as `kestrel -V` would print them.
// Each file is bounded by `max_file_bytes` (limits.rules_file_bytes).
// Fields are looked up in `fields` (plugin_field_registry when plugins are
// loaded).
Result<engine::RuleSet> load_configured_rules(
    const std::vector<std::string>& paths, std::ostream& log,
    uint64_t max_file_bytes = engine::kDefaultMaxRulesFileBytes,
    const engine::FieldRegistry& fields = engine::builtin_field_registry());

// `kestrel --list-rules`: one line per rule — name, priority, source,
// enabled, tags.
void print_rule_table(std::ostream& out, const engine::RuleSet& rules);

}  // namespace kestrel
