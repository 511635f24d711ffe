// evt.pluginname, evt.plugininfo, evt.asynctype and (on plugin sources)
// evt.is_async: what a plugin event record (KE_PLUGINEVENT) says about the
// plugin behind it. Semantics of libsinsp's sinsp_filter_check_event
// (TYPE_PLUGINNAME, TYPE_PLUGININFO, TYPE_ISASYNC, TYPE_ASYNCTYPE):
//  - evt.pluginname: the name of the loaded plugin whose id the event
//    carries; missing for other events or an id no loaded plugin has; for
//    an async event (KE_ASYNCEVENT), the plugin that sent it;
//  - evt.plugininfo: that plugin's event_to_string, else libsinsp's own
//    summary (the app's PluginEventInfo decides, app/plugin_event_info.h);
//  - evt.asynctype: an async event's name; on the syscall source, other
//    non-syscall events (Kestrel's evt.is_async ones) by their event name,
//    as libsinsp names its other meta events; missing otherwise.
#include <cstring>

#include "engine/eval/extract.h"

namespace kestrel::engine::eval {
namespace {

using V = ExtractedValue;

// A plugin event's plugin id; an async event's (KE_ASYNCEVENT) is the
// plugin source it was injected into, 0 for syscall, which names no plugin.
std::optional<uint32_t> plugin_id(ExtractContext& c) {
  const uint16_t type = c.view().type();
  if (type != KE_PLUGINEVENT && type != KE_ASYNCEVENT) return std::nullopt;
  auto id = c.view().param(type == KE_PLUGINEVENT ? uint16_t{KP_PLUGINEVENT_plugin_id} : uint16_t{KP_ASYNCEVENT_plugin_id});
  if (id.size() != sizeof(uint32_t)) return std::nullopt;
  uint32_t v;
  std::memcpy(&v, id.data(), sizeof v);
  return v;
}

// The async name of a plugin event; empty for an ordinary one (and for
// records written before the param existed).
std::string_view async_name(ExtractContext& c) {
  const uint16_t type = c.view().type();
  if (type != KE_PLUGINEVENT && type != KE_ASYNCEVENT) return {};
  auto name = c.view().param_str(type == KE_PLUGINEVENT ? uint16_t{KP_PLUGINEVENT_async_name} : uint16_t{KP_ASYNCEVENT_name});
  return name ? *name : std::string_view();
}

}  // namespace

V evt_pluginname(ExtractContext& c, const FieldRef&, Scratch& s) {
  if (c.view().type() == KE_ASYNCEVENT) {
    // The plugin that sent it (its plugin_id names the stream it went to,
    // 0 for syscall, no plugin).
    auto sender = c.view().param_str(KP_ASYNCEVENT_plugin_name);
    if (!sender || sender->empty()) return V{};
    s.text.assign(*sender);
    return V::string(s.text);
  }
  auto id = plugin_id(c);
  if (!id || !c.env().plugin_events) return V{};
  std::string_view name = c.env().plugin_events->plugin_name(*id);
  if (name.empty()) return V{};
  s.text.assign(name);
  return V::string(s.text);
}

V evt_plugininfo(ExtractContext& c, const FieldRef&, Scratch& s) {
  auto id = plugin_id(c);
  if (!id || !c.env().plugin_events) return V{};
  if (!c.env().plugin_events->event_summary(*id, c.event(), c.event_number(), s.text)) return V{};
  return V::string(s.text);
}

V evt_plugin_asynctype(ExtractContext& c, const FieldRef&, Scratch& s) {
  std::string_view name = async_name(c);
  if (name.empty()) return V{};
  s.text.assign(name);
  return V::string(s.text);
}

V evt_syscall_asynctype(ExtractContext& c, const FieldRef& ref, Scratch& s) {
  if (c.view().type() == KE_PLUGINEVENT || c.view().type() == KE_ASYNCEVENT) return evt_plugin_asynctype(c, ref, s);
  if (c.view().info().is_syscall()) return V{};
  s.text.assign(c.view().info().name);
  return V::string(s.text);
}

V evt_plugin_is_async(ExtractContext& c, const FieldRef&, Scratch&) { return V::boolean(!async_name(c).empty()); }

}  // namespace kestrel::engine::eval
