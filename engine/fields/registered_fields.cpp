// Field sets registered at run time by loaded plugins (field_registry.h:
// register_plugin_fields), combined with the static plugin field sets.
#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "engine/eval/extract.h"
#include "engine/fields/field_registry.h"

namespace kestrel::engine {
namespace {

struct OwnedSet {
  std::string set_name, description;
  std::vector<std::string> names, descriptions;  // what the FieldInfos view
  std::vector<FieldInfo> fields;
  FieldSet set;
};

struct Registry {
  std::deque<std::unique_ptr<OwnedSet>> owned;
  // source -> static sets followed by registered ones.
  std::map<std::string, std::vector<const FieldSet*>, std::less<>> by_source;
};

Registry& registry() {
  static Registry* r = new Registry();
  return *r;
}

}  // namespace

void register_plugin_fields(std::string_view source, std::string_view set_name, std::string_view description,
                            std::span<const RegisteredField> fields) {
  auto owned = std::make_unique<OwnedSet>();
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
  Registry& r = registry();
  auto [it, fresh] = r.by_source.try_emplace(std::string(source));
  auto& sets = it->second;
  if (fresh) {
    // The static copies follow the plugin's sets: a name both declare
    // resolves to what the loaded plugin says (its type, its argument form),
    // since the plugin is what fills it.
    auto base = plugin_field_sets(source);
    if (base.empty()) sets.push_back(&eval::plugin_evt_field_set());
    else sets.assign(base.begin(), base.end());
  }
  // A set registered again under the same name replaces the earlier one.
  std::erase_if(sets, [&](const FieldSet* s) {
    for (const auto& o : r.owned)
      if (&o->set == s && o->set_name == set_name) return true;
    return false;
  });
  // Before the static sets, after the sets registered earlier.
  auto first_static = std::find_if(sets.begin(), sets.end(), [&](const FieldSet* s) {
    return std::none_of(r.owned.begin(), r.owned.end(), [&](const auto& o) { return &o->set == s; });
  });
  sets.insert(first_static, &owned->set);
  r.owned.push_back(std::move(owned));
}

std::span<const FieldSet* const> registered_field_sets(std::string_view source) {
  const Registry& r = registry();
  auto it = r.by_source.find(source);
  if (it == r.by_source.end()) return {};
  return it->second;
}

}  // namespace kestrel::engine
