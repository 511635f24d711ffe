#include "app/static_fields.h"

#include <algorithm>

#include "engine/eval/extract.h"

namespace kestrel {
namespace {

constexpr std::string_view kPrefix = "static.";

}  // namespace

std::vector<std::string> StaticFieldProvider::field_names() const {
  std::vector<std::string> out;
  for (const auto& [key, value] : fields_) out.push_back(std::string(kPrefix) + key);
  return out;
}

std::optional<uint32_t> StaticFieldProvider::prepare(std::string_view name, const std::optional<std::string>& arg,
                                                     engine::FieldType) {
  if (arg || !name.starts_with(kPrefix)) return std::nullopt;
  name.remove_prefix(kPrefix.size());
  for (uint32_t i = 0; i < fields_.size(); ++i)
    if (fields_[i].first == name) return i;
  return std::nullopt;
}

engine::eval::ExtractedValue StaticFieldProvider::extract(const Event&, uint64_t, uint32_t handle,
                                                          engine::eval::Scratch&) {
  if (handle >= fields_.size()) return {};
  return engine::eval::ExtractedValue::string(fields_[handle].second);
}

void add_static_fields(engine::FieldRegistry& registry, const StaticFields& fields) {
  if (fields.empty()) return;
  std::vector<engine::RegisteredField> registered;
  for (const auto& [key, value] : fields) {
    engine::RegisteredField r;
    r.name = std::string(kPrefix) + key;
    r.type = engine::FieldType::kString;
    r.description = "static_fields value of '" + key + "' (falco.yaml)";
    registered.push_back(std::move(r));
  }
  for (const auto& source : registry.sources())
    registry.add_plugin_fields(source, "static", "Static, user-defined fields (static_fields)", registered);
}

std::vector<engine::AppendOutput> suggested_static_output(const engine::AppendOutput& suggested,
                                                          const StaticFields& fields) {
  std::vector<engine::AppendOutput> out;
  for (const auto& [key, value] : fields) out.push_back(engine::suggested_field_output(suggested, std::string(kPrefix) + key));
  return out;
}

}  // namespace kestrel
