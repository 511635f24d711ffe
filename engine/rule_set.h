// rule_set.h — from collected items to resolved, validated rules.
//
// build_rule_set runs Falco's compile phase on a RuleCollection: lists are
// compiled, macro conditions parsed and resolved (visibility order), each
// rule's condition gets its exceptions, is parsed, list-expanded,
// macro-resolved and checked against its source's fields; its output
// tokens are checked; syscall rules get their event type set
// (engine/evttype_index.h) and a LOAD_NO_EVTTYPE warning when it is too
// wide. As in Falco, the first error stops the phase; rules with
// `skip-if-unknown-filter: true` that name unknown fields are dropped with a
// LOAD_UNKNOWN_FILTER warning; unused macros/lists are warned about.
//
// The result holds resolved condition trees: the input of the predicate
// compiler (the next pipeline stage).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "engine/ast.h"
#include "engine/evttype_index.h"
#include "engine/fields/field_registry.h"
#include "engine/load_result.h"
#include "engine/rule_reader.h"
#include "engine/rule_items.h"

namespace kestrel::engine {

struct LoadedRule {
  std::string name;
  std::string desc;
  std::string output;
  std::string source;
  Priority priority = Priority::kDebug;
  std::set<std::string> tags;
  bool enabled = true;
  bool capture = false;              // `capture: true`: a match starts (or extends) a capture
  uint64_t capture_duration_ms = 0;  // `capture_duration`; 0: the configured default
  std::string condition_text;  // with exceptions folded in
  ExprPtr condition;           // resolved: no macro references, lists expanded
  EvttypeSet evttypes;         // meaningful for the syscall source
};

struct RuleSet {
  std::vector<LoadedRule> rules;  // in definition order
  size_t macro_count = 0;
  size_t list_count = 0;
  std::string required_engine_version;
  std::vector<std::vector<PluginRequirement>> required_plugin_versions;
};

// Fields are looked up in `fields` (the app's registry, with its loaded
// plugins' fields); it must outlive the call only.
RuleSet build_rule_set(const RuleCollection& collection, LoadResult& result,
                       const FieldRegistry& fields = builtin_field_registry());

// Reads `paths` (files or directories, in order) and builds the rule set.
// Reading errors stop before building, like Falco.
// Each file is bounded by `max_file_bytes` (rule_reader.h).
RuleSet load_rules(const std::vector<std::string>& paths, LoadResult& result,
                   uint64_t max_file_bytes = kDefaultMaxRulesFileBytes,
                   const FieldRegistry& fields = builtin_field_registry());

}  // namespace kestrel::engine
