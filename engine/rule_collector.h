// rule_collector.h — applies rule-file items to a RuleCollection with
// Falco's semantics for redefinition, `append: true` and `override:`.
//
//  - define: a new name is added at the end; an existing name is replaced in
//    place (keeps its position, `visibility` moves to now).
//  - append (lists: items; macros: condition, joined with a space; rules:
//    condition/output/desc joined with a space, tags added, exceptions with
//    a new name added, exceptions with an existing name get more values).
//    Appending to a name never defined is an error.
//  - selective replace (`override: {key: replace}`, rules only): the named
//    keys replace the previous values.
//  - enable (a rule item with only `enabled:`): flips an existing rule.
//
// Every operation returns the error that stops loading, if any.
#pragma once

#include <optional>

#include "engine/fields/field_registry.h"
#include "engine/rule_items.h"

namespace kestrel::engine {

struct ItemFailure {
  LoadError code = LoadError::kValidate;
  ItemContext ctx;
  std::string message;
};

// The parts of a rule an append or a replace may carry.
struct RuleUpdate {
  ItemContext ctx;
  std::string name;
  std::optional<std::string> cond;
  std::optional<std::string> output;
  std::optional<std::string> desc;
  std::optional<std::set<std::string>> tags;
  std::optional<std::vector<ExceptionInfo>> exceptions;
  std::optional<Priority> priority;
  std::optional<bool> enabled;
  std::optional<bool> warn_evttypes;
  std::optional<bool> skip_if_unknown_filter;
  bool has_any_value() const {
    return cond || output || desc || tags || exceptions || priority || enabled || warn_evttypes ||
           skip_if_unknown_filter;
  }
};

class RuleCollector {
 public:
  // Rule sources and exception fields are checked against `fields`, which
  // must outlive the collector.
  explicit RuleCollector(RuleCollection& out, const FieldRegistry& fields = builtin_field_registry())
      : c_(out), fields_(fields) {}

  std::optional<ItemFailure> define_list(ListInfo info);
  std::optional<ItemFailure> append_list(const ListInfo& info);
  std::optional<ItemFailure> define_macro(MacroInfo info);
  std::optional<ItemFailure> append_macro(const MacroInfo& info);
  // Adds LOAD_UNKNOWN_SOURCE to `warnings` for sources without fields.
  std::optional<ItemFailure> define_rule(RuleInfo info, LoadResult& warnings);
  std::optional<ItemFailure> append_rule(RuleUpdate update);
  std::optional<ItemFailure> replace_rule(RuleUpdate update);
  std::optional<ItemFailure> enable_rule(const ItemContext& ctx, const std::string& name, bool enabled);
  // `version` is x.y.z; `as_written` is what the file said (for messages).
  std::optional<ItemFailure> require_engine(const std::string& version, const std::string& as_written,
                                            const ItemContext& ctx);
  std::optional<ItemFailure> require_plugins(std::vector<PluginRequirement> alternatives, const ItemContext& ctx);

 private:
  RuleCollection& c_;
  const FieldRegistry& fields_;
};

// Falco's checks of one exception against its rule's source: fields exist,
// comps are operators, lengths agree; fills default comps ("=" per field,
// or "in" for the single-field form). `source_known` false skips the field
// check (rules of unknown sources are skipped anyway). Fields are looked up
// in `fields`.
std::optional<ItemFailure> validate_exception(ExceptionInfo& ex, const std::string& source, bool source_known,
                                              const FieldRegistry& fields = builtin_field_registry());

}  // namespace kestrel::engine
