// rule_selection.h — Falco's -D/-T/-t: which loaded rules run.
//
// -D SUBSTRING disables every rule whose name contains SUBSTRING; -T TAG
// disables every rule tagged TAG; -t TAG runs only rules tagged with one of
// the -t tags (everything else is disabled). A rule the file disables
// (`enabled: false`) stays disabled. Disabling (-D/-T) and enabling (-t) at
// once is refused, with Falco's words, since the two cannot both be meant.
#pragma once

#include <string>
#include <vector>

#include "engine/rule_set.h"

namespace kestrel {

struct RuleSelection {
  std::vector<std::string> disabled_name_substrings;  // -D
  std::vector<std::string> disabled_tags;             // -T
  std::vector<std::string> enabled_tags;              // -t
};

// Falco's message for -D/-T given with -t; "" when the selection is usable.
std::string rule_selection_conflict(const RuleSelection& s);

// Clears `enabled` on the rules the selection turns off.
void apply_rule_selection(engine::RuleSet& rules, const RuleSelection& s);

}  // namespace kestrel
