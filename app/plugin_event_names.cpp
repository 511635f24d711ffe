#include "app/plugin_event_names.h"

#include <algorithm>

#include "plugins/plugin_source.h"

namespace kestrel {

std::string default_plugin_event_summary(std::span<const uint8_t> data) {
  // libsinsp: up to 50 bytes, isprint in the C locale.
  constexpr size_t kShown = 50;
  std::string out = "datalen=" + std::to_string(data.size()) + " data=";
  const size_t n = std::min(data.size(), kShown);
  for (size_t i = 0; i < n; ++i)
    if (data[i] < 0x20 || data[i] > 0x7e) return out + "<binary>";
  out.append(reinterpret_cast<const char*>(data.data()), n);
  if (data.size() > kShown) out += "...";
  return out;
}

PluginEventNames::PluginEventNames(const std::vector<LoadedPlugin>& plugins) {
  for (const auto& p : plugins)
    if (p.library->info().can_source && p.library->info().id != 0)
      by_id_.emplace(p.library->info().id, p.library.get());
}

std::string_view PluginEventNames::plugin_name(uint32_t plugin_id) const {
  auto it = by_id_.find(plugin_id);
  return it == by_id_.end() ? std::string_view() : std::string_view(it->second->info().name);
}

bool PluginEventNames::event_summary(uint32_t plugin_id, const Event& event, uint64_t event_number,
                                     std::string& out) {
  auto it = by_id_.find(plugin_id);
  if (it == by_id_.end()) return false;
  std::vector<uint8_t> abi_event = plugin::record_to_plugin_event(event.view);
  out.clear();
  if (!abi_event.empty())
    out = it->second->event_to_string(reinterpret_cast<const ss_plugin_event*>(abi_event.data()), event_number);
  if (out.empty()) out = default_plugin_event_summary(event.view.param(KP_PLUGINEVENT_event_data));
  return true;
}

}  // namespace kestrel
