#include "plugins/plugin_field_chain.h"

#include "engine/eval/extract.h"

namespace kestrel::plugin {

std::optional<uint32_t> FieldProviderChain::prepare(std::string_view name, const std::optional<std::string>& arg,
                                                    engine::FieldType type) {
  for (auto* member : members_)
    if (auto handle = member->prepare(name, arg, type)) {
      routes_.push_back({member, *handle});
      return static_cast<uint32_t>(routes_.size() - 1);
    }
  return std::nullopt;
}

engine::eval::ExtractedValue FieldProviderChain::extract(const Event& event, uint64_t event_number, uint32_t handle,
                                                         engine::eval::Scratch& scratch) {
  if (handle >= routes_.size()) return {};
  const Route& r = routes_[handle];
  return r.member->extract(event, event_number, r.handle, scratch);
}

}  // namespace kestrel::plugin
