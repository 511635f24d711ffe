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

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/fields/field_registry.h"
#include "engine/load_result.h"
#include "engine/rule_items.h"

namespace kestrel::engine {

// Reads `content` as the rules file called `name`. False if an error was
// added. Rule sources and exception fields are checked against `fields`.
bool read_rules_content(std::string_view name, const std::string& content, RuleCollection& out,
                        LoadResult& result, const FieldRegistry& fields = builtin_field_registry());

// Rules files are untrusted input: their size is bounded before anything
// is parsed (a 50 MB file used to take 43 s and 4.6 GB to load).
inline constexpr uint64_t kDefaultMaxRulesFileBytes = 16u << 20;

// Reads a file, or every *.yaml/*.yml file of a directory in name order. A
// file larger than `max_file_bytes` is a LOAD_ERR_FILE_READ error naming
// the limit; nothing of it is parsed.
bool read_rules_path(const std::string& path, RuleCollection& out, LoadResult& result,
                     uint64_t max_file_bytes = kDefaultMaxRulesFileBytes,
                     const FieldRegistry& fields = builtin_field_registry());

}  // namespace kestrel::engine
