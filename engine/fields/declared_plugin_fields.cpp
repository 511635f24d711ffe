// FieldRegistry's plugin side (field_registry.h: add_plugin_fields): the
// sets a loaded plugin declares, owned by the registry, combined with the
// static plugin field sets of their source.
#include <algorithm>

#include "engine/eval/extract.h"
#include "engine/fields/field_registry.h"

namespace kestrel::engine {

struct FieldRegistry::PluginSet {
  std::string source, set_name, description;
  std::vector<std::string> names, descriptions;  // what the FieldInfos view
  std::vector<FieldInfo> fields;
  FieldSet set;
  bool from_plugin = true;  // false: a static set with fields withdrawn
};

FieldRegistry::FieldRegistry() = default;
FieldRegistry::~FieldRegistry() = default;
// The sets live behind unique_ptrs, so the FieldInfo pointers handed out
// (and the FieldSet pointers in by_source_) survive a move.
FieldRegistry::FieldRegistry(FieldRegistry&&) noexcept = default;
FieldRegistry& FieldRegistry::operator=(FieldRegistry&&) noexcept = default;

void FieldRegistry::add_plugin_fields(std::string_view source, std::string_view set_name,
                                      std::string_view description, std::span<const RegisteredField> fields) {
  if (source.empty()) return;
  // A plugin extracting from syscall events adds fields after Kestrel's
  // own: a name both have stays Kestrel's (Falco refuses such a plugin).
  const bool syscall = source == "syscall";
  auto owned = std::make_unique<PluginSet>();
  owned->source = source;
  owned->set_name = set_name;
  owned->description = description;
  owned->names.reserve(fields.size());
  owned->descriptions.reserve(fields.size());
  for (const auto& f : fields) {
    owned->names.push_back(f.name);
    owned->descriptions.push_back(f.description);
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    FieldInfo info{owned->names[i], fields[i].type,          fields[i].arg,
                   fields[i].arg_required, false, eval::extract_by_provider, owned->descriptions[i]};
    owned->fields.push_back(info);
  }
  owned->set = FieldSet{owned->set_name, owned->description, owned->fields};

  auto& sets = source_sets(source);
  auto is_plugin_set = [&](const FieldSet* s) {
    return std::any_of(plugin_sets_.begin(), plugin_sets_.end(),
                       [&](const auto& o) { return &o->set == s && o->from_plugin; });
  };
  // A set added again under the same name replaces the earlier one.
  std::erase_if(sets, [&](const FieldSet* s) {
    for (const auto& o : plugin_sets_)
      if (&o->set == s && o->from_plugin && o->set_name == set_name) return true;
    return false;
  });
  // Before the static sets, after the sets added earlier (syscall: after
  // everything).
  auto first_static =
      syscall ? sets.end() : std::find_if(sets.begin(), sets.end(), [&](const FieldSet* s) { return !is_plugin_set(s); });
  sets.insert(first_static, &owned->set);
  plugin_sets_.push_back(std::move(owned));
}

std::vector<const FieldSet*>& FieldRegistry::source_sets(std::string_view source) {
  auto [it, fresh] = by_source_.try_emplace(std::string(source));
  auto& sets = it->second;
  if (fresh) {
    // The static copies follow the plugin's sets: a name both declare
    // resolves to what the loaded plugin says (its type, its argument form),
    // since the plugin is what fills it.
    auto base = source == "syscall" ? syscall_field_sets() : plugin_field_sets(source);
    if (base.empty()) sets.push_back(&eval::plugin_evt_field_set());
    else sets.assign(base.begin(), base.end());
  }
  return sets;
}

void FieldRegistry::withdraw_static_fields(std::string_view source, std::span<const std::string> names) {
  if (source.empty() || source == "syscall" || !is_known_source(source)) return;
  auto withdrawn = [&](const FieldInfo& f) { return std::find(names.begin(), names.end(), f.name) != names.end(); };
  for (const FieldSet*& set : source_sets(source)) {
    const bool added = std::any_of(plugin_sets_.begin(), plugin_sets_.end(),
                                   [&](const auto& o) { return &o->set == set && o->from_plugin; });
    if (added || std::none_of(set->fields.begin(), set->fields.end(), withdrawn)) continue;
    // A copy of the static set without those rows (its strings stay the
    // static table's), in its place.
    auto copy = std::make_unique<PluginSet>();
    copy->from_plugin = false;
    copy->source = source;
    copy->set_name = set->name;
    copy->description = set->description;
    for (const FieldInfo& f : set->fields)
      if (!withdrawn(f)) copy->fields.push_back(f);
    copy->set = FieldSet{copy->set_name, copy->description, copy->fields};
    set = &copy->set;
    plugin_sets_.push_back(std::move(copy));
  }
}

}  // namespace kestrel::engine
