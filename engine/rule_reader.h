// rule_reader.h — reads Falco rule files (YAML) into a RuleCollection.
//
// Accepts what Falco's rule loader accepts: several YAML documents per file,
// each a sequence of items (required_engine_version,
// required_plugin_versions, list, macro, rule); `append: true`; `override:`
// with the keys Falco allows (lists: items; macros: condition; rules: append
// condition/output/desc/tags/exceptions, replace those plus priority,
// enabled, warn_evttypes, skip-if-unknown-filter); rules that only carry
// `enabled:`. Unknown top-level items are LOAD_UNKNOWN_ITEM warnings.
//
// As in Falco, the first error in a file stops reading that file (items read
// before it stay collected); errors and warnings go to the LoadResult with
// item type/name and file:line:column.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/load_result.h"
#include "engine/rule_items.h"

namespace kestrel::engine {

// Reads `content` as the rules file called `name`. False if an error was
// added.
bool read_rules_content(std::string_view name, const std::string& content, RuleCollection& out,
                        LoadResult& result);

// Reads a file, or every *.yaml/*.yml file of a directory in name order.
bool read_rules_path(const std::string& path, RuleCollection& out, LoadResult& result);

}  // namespace kestrel::engine
