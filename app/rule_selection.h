// rule_selection.h — which loaded rules run: falco.yaml's `rules:` list,
// then Falco's -D/-T/-t.
//
// `rules:` entries (RulesToggle, app/config/config.h) apply first, in
// order, over the files' `enabled:`: each enables or disables the rules
// whose name matches its glob (`*` any run of characters) and/or that
// carry its tag (both must hold when both are given).
// -D SUBSTRING disables every rule whose name contains SUBSTRING; -T TAG
// disables every rule tagged TAG; -t TAG runs only rules tagged with one of
// the -t tags (everything else is disabled). A rule the file disables
// (`enabled: false`) stays disabled. Disabling (-D/-T) and enabling (-t) at
// once is refused, with Falco's words, since the two cannot both be meant.
#pragma once

#include <string>
#include <vector>

#include "app/config/config.h"
#include "engine/rule_set.h"

namespace kestrel {

struct RuleSelection {
  std::vector<std::string> disabled_name_substrings;  // -D
  std::vector<std::string> disabled_tags;             // -T
  std::vector<std::string> enabled_tags;              // -t
};

// Falco's message for -D/-T given with -t; "" when the selection is usable.
std::string rule_selection_conflict(const RuleSelection& s);

// Applies `toggles` (the config's rules:) then clears `enabled` on the rules
// the command line's selection turns off.
void apply_rule_selection(engine::RuleSet& rules, const std::vector<RulesToggle>& toggles, const RuleSelection& s);

}  // namespace kestrel
