#include "engine/rule_collector.h"

#include <algorithm>

#include "engine/engine_version.h"
#include "engine/fields/field_registry.h"
#include "engine/parser.h"

namespace kestrel::engine {
namespace {

ItemFailure failure(const ItemContext& ctx, std::string message) {
  return ItemFailure{LoadError::kValidate, ctx, std::move(message)};
}

// Redefinition keeps the first position but moves visibility to now.
template <typename T>
void define_item(ItemTable<T>& table, T info, uint32_t now) {
  if (T* prev = table.find(info.name)) {
    info.index = prev->index;
    info.visibility = now;
    *prev = std::move(info);
    return;
  }
  info.index = now;
  info.visibility = now;
  table.insert(std::move(info));
}

}  // namespace

std::optional<ItemFailure> validate_exception(ExceptionInfo& ex, const std::string& source, bool source_known,
                                              const FieldRegistry& fields) {
  if (ex.fields.is_list) {
    if (!ex.comps.defined) {
      ex.comps.defined = true;
      ex.comps.is_list = true;
      for (size_t i = 0; i < ex.fields.items.size(); ++i) {
        ExceptionEntry eq;
        eq.defined = true;
        eq.item = "=";
        ex.comps.items.push_back(eq);
      }
    }
    if (ex.fields.items.size() != ex.comps.items.size()) {
      return failure(ex.ctx, "Fields and comps lists must have equal length");
    }
    for (const auto& comp : ex.comps.items) {
      if (!is_known_operator(comp.item)) {
        return failure(ex.ctx, "'" + comp.item + "' is not a supported comparison operator");
      }
    }
    if (source_known) {
      for (const auto& f : ex.fields.items) {
        if (!fields.is_field_defined(source, f.item)) {
          return failure(ex.ctx, "'" + f.item + "' is not a supported filter field");
        }
      }
    }
    return std::nullopt;
  }
  if (!ex.comps.defined) {
    ex.comps.defined = true;
    ex.comps.is_list = false;
    ex.comps.item = "in";
  }
  if (ex.comps.is_list) return failure(ex.ctx, "Fields and comps must both be strings");
  if (ex.comps.item != "in" && ex.comps.item != "pmatch" && ex.comps.item != "intersects") {
    return failure(ex.ctx, "When fields is a single value, comps must be one of (in, pmatch, intersects)");
  }
  if (source_known && !fields.is_field_defined(source, ex.fields.item)) {
    return failure(ex.ctx, "'" + ex.fields.item + "' is not a supported filter field");
  }
  return std::nullopt;
}

std::optional<ItemFailure> RuleCollector::define_list(ListInfo info) {
  define_item(c_.lists, std::move(info), c_.next_index++);
  return std::nullopt;
}

std::optional<ItemFailure> RuleCollector::append_list(const ListInfo& info) {
  ListInfo* prev = c_.lists.find(info.name);
  if (!prev) return failure(info.ctx, "List has 'append' key but no list by that name already exists");
  prev->items.insert(prev->items.end(), info.items.begin(), info.items.end());
  prev->visibility = c_.next_index++;
  return std::nullopt;
}

std::optional<ItemFailure> RuleCollector::define_macro(MacroInfo info) {
  define_item(c_.macros, std::move(info), c_.next_index++);
  return std::nullopt;
}

std::optional<ItemFailure> RuleCollector::append_macro(const MacroInfo& info) {
  MacroInfo* prev = c_.macros.find(info.name);
  if (!prev) return failure(info.ctx, "Macro has 'append' key but no macro by that name already exists");
  prev->cond += " ";
  prev->cond += info.cond;
  prev->visibility = c_.next_index++;
  return std::nullopt;
}

std::optional<ItemFailure> RuleCollector::define_rule(RuleInfo info, LoadResult& warnings) {
  if (const RuleInfo* prev = c_.rules.find(info.name); prev && prev->source != info.source) {
    return failure(info.ctx, "Rule has been re-defined with a different source");
  }
  bool known = fields_.is_known_source(info.source);
  if (!known) {
    info.unknown_source = true;
    warnings.add_warning(LoadWarning::kUnknownSource, info.ctx.item_type, info.ctx.item_name, info.ctx.where,
                         "Unknown source " + info.source + ", skipping");
  }
  for (auto& ex : info.exceptions) {
    if (!ex.fields.defined) {
      return failure(ex.ctx, "Rule exception item must have fields property with a list of fields");
    }
    if (auto err = validate_exception(ex, info.source, known, fields_)) return err;
  }
  define_item(c_.rules, std::move(info), c_.next_index++);
  return std::nullopt;
}

std::optional<ItemFailure> RuleCollector::append_rule(RuleUpdate update) {
  RuleInfo* prev = c_.rules.find(update.name);
  if (!prev) return failure(update.ctx, "Rule has 'append' key but no rule by that name already exists");
  if (!update.has_any_value()) {
    return failure(update.ctx, "Appended rule must have exceptions or condition property");
  }
  bool known = !prev->unknown_source;
  if (update.cond && !update.cond->empty()) prev->cond += " " + *update.cond;
  if (update.output && !update.output->empty()) prev->output += " " + *update.output;
  if (update.desc && !update.desc->empty()) prev->desc += " " + *update.desc;
  if (update.tags) prev->tags.insert(update.tags->begin(), update.tags->end());
  if (update.exceptions) {
    for (auto& ex : *update.exceptions) {
      auto it = std::find_if(prev->exceptions.begin(), prev->exceptions.end(),
                             [&](const ExceptionInfo& e) { return e.name == ex.name; });
      if (it == prev->exceptions.end()) {
        if (!ex.fields.defined) {
          return failure(ex.ctx, "Rule exception must have fields property with a list of fields");
        }
        if (ex.values.empty()) {
          return failure(ex.ctx, "Rule exception must have values property with a list of values");
        }
        if (auto err = validate_exception(ex, prev->source, known, fields_)) return err;
        prev->exceptions.push_back(std::move(ex));
      } else {
        if (ex.fields.defined) {
          return failure(ex.ctx, "Can not append exception fields to existing exception, only values");
        }
        if (ex.comps.defined) {
          return failure(ex.ctx, "Can not append exception comps to existing exception, only values");
        }
        it->values.insert(it->values.end(), ex.values.begin(), ex.values.end());
      }
    }
  }
  prev->visibility = c_.next_index++;
  return std::nullopt;
}

std::optional<ItemFailure> RuleCollector::replace_rule(RuleUpdate update) {
  RuleInfo* prev = c_.rules.find(update.name);
  if (!prev) return failure(update.ctx, "An replace to a rule was requested but no rule by that name already exists");
  if (!update.has_any_value()) return failure(update.ctx, "The rule must have at least one field that can be replaced");
  if (update.cond) prev->cond = *update.cond;
  if (update.output) prev->output = *update.output;
  if (update.desc) prev->desc = *update.desc;
  if (update.tags) prev->tags = *update.tags;
  if (update.exceptions) {
    for (auto& ex : *update.exceptions) {
      if (!ex.fields.defined) {
        return failure(ex.ctx, "Rule exception must have fields property with a list of fields");
      }
      if (auto err = validate_exception(ex, prev->source, !prev->unknown_source, fields_)) return err;
    }
    prev->exceptions = *update.exceptions;
  }
  if (update.priority) prev->priority = *update.priority;
  if (update.enabled) prev->enabled = *update.enabled;
  if (update.warn_evttypes) prev->warn_evttypes = *update.warn_evttypes;
  if (update.skip_if_unknown_filter) prev->skip_if_unknown_filter = *update.skip_if_unknown_filter;
  prev->visibility = c_.next_index++;
  return std::nullopt;
}

std::optional<ItemFailure> RuleCollector::enable_rule(const ItemContext& ctx, const std::string& name,
                                                      bool enabled) {
  RuleInfo* prev = c_.rules.find(name);
  if (!prev) return failure(ctx, "Rule has 'enabled' key but no rule by that name already exists");
  prev->enabled = enabled;
  return std::nullopt;
}

std::optional<ItemFailure> RuleCollector::require_engine(const std::string& version, const std::string& as_written,
                                                         const ItemContext& ctx) {
  auto v = parse_semver(version);
  if (!v) {
    return ItemFailure{LoadError::kYamlValidate, ctx,
                       "Unable to parse engine version '" + version + "' as a semver string. Expected \"x.y.z\" semver format."};
  }
  if (!engine_compatible_with(*v)) {
    return failure(ctx, "Rules require engine version " + as_written + ", but engine version is " +
                            kEngineVersion.to_string());
  }
  auto prev = parse_semver(c_.required_engine_version);
  if (!prev || *prev < *v) c_.required_engine_version = v->to_string();
  return std::nullopt;
}

std::optional<ItemFailure> RuleCollector::require_plugins(std::vector<PluginRequirement> alternatives,
                                                          const ItemContext& ctx) {
  std::set<std::string> names;
  for (const auto& req : alternatives) {
    if (!parse_semver(req.version)) {
      return failure(ctx, "Invalid required version '" + req.version + "' for plugin '" + req.name + "'");
    }
    if (!names.insert(req.name).second) {
      return failure(ctx, "Defined multiple alternative version requirements for plugin '" + req.name + "'");
    }
  }
  c_.required_plugin_versions.push_back(std::move(alternatives));
  return std::nullopt;
}

}  // namespace kestrel::engine
