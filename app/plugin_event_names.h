// plugin_event_names.h — evt.pluginname and evt.plugininfo for the plugins
// one app instance loaded (engine/eval/field_provider.h: PluginEventInfo).
//
// A plugin event record carries the id of the source plugin that produced
// it; the name is that plugin's plugin_get_name. The summary is the
// plugin's plugin_event_to_string when it exports one and it answers, else
// libsinsp's own rendering of the event data (sinsp_plugin::event_to_string
// in falcosecurity/libs userspace/libsinsp/plugin.cpp): "datalen=N data="
// followed by the first 50 bytes when they are all printable, "<binary>"
// when one is not, and "..." when there were more than 50.
//
// Lifetime: the plugins must outlive this object, which must outlive the
// rule engines it is given to. Called on the engine thread only.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "app/plugin_loading.h"
#include "engine/eval/field_provider.h"

namespace kestrel {

// libsinsp's summary of a plugin event's data when the plugin has none.
std::string default_plugin_event_summary(std::span<const uint8_t> data);

class PluginEventNames final : public engine::eval::PluginEventInfo {
 public:
  explicit PluginEventNames(const std::vector<LoadedPlugin>& plugins);

  std::string_view plugin_name(uint32_t plugin_id) const override;
  bool event_summary(uint32_t plugin_id, const Event& event, uint64_t event_number, std::string& out) override;

 private:
  std::map<uint32_t, plugin::PluginLibrary*> by_id_;  // source plugins, by plugin_get_id
};

}  // namespace kestrel
