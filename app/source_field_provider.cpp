#include "app/source_field_provider.h"

namespace kestrel {

void SourceFieldProvider::add(engine::eval::FieldProvider* provider, const plugin::PluginInfo& info) {
  Extractor e{provider, {}};
  for (const auto& f : info.fields) e.fields.insert(f.name);
  extractors_.push_back(std::move(e));
}

void SourceFieldProvider::add(engine::eval::FieldProvider* provider, const std::vector<std::string>& field_names) {
  extractors_.push_back(Extractor{provider, {field_names.begin(), field_names.end()}});
}

std::optional<uint32_t> SourceFieldProvider::prepare(std::string_view name, const std::optional<std::string>& arg,
                                                     engine::FieldType type) {
  for (auto& e : extractors_) {
    if (!e.fields.contains(std::string(name))) continue;
    auto handle = e.provider->prepare(name, arg, type);
    if (!handle) return std::nullopt;
    handles_.emplace_back(e.provider, *handle);
    return static_cast<uint32_t>(handles_.size() - 1);
  }
  return std::nullopt;
}

engine::eval::ExtractedValue SourceFieldProvider::extract(const Event& event, uint64_t event_number,
                                                          uint32_t handle, engine::eval::Scratch& scratch) {
  if (handle >= handles_.size()) return {};
  auto [provider, own] = handles_[handle];
  return provider->extract(event, event_number, own, scratch);
}

}  // namespace kestrel
