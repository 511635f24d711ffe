#include "plugins/plugin_parsers.h"

#include <cstddef>
#include <cstring>

#include "plugins/plugin_source.h"

namespace kestrel::plugin {

PluginParsers::PluginParsers(const std::vector<std::shared_ptr<PluginLibrary>>& libraries) {
  for (const auto& lib : libraries) {
    if (!lib || !lib->info().can_parse) continue;
    auto p = std::make_unique<Parser>();
    p->library = lib;
    parsers_.push_back(std::move(p));
  }
}

void PluginParsers::parse(const ss_plugin_event* event, uint64_t evtnum, const std::string& source) {
  if (!event) return;
  uint16_t type;
  std::memcpy(&type, reinterpret_cast<const uint8_t*>(event) + offsetof(ss_plugin_event, type), sizeof type);
  for (auto& p : parsers_) {
    if (!p->library->wants_parse(source, type)) continue;
    Status s = p->library->parse(event, evtnum, source);
    if (s.ok()) continue;
    p->failures.fetch_add(1);
    if (s.message() != p->last_logged) {  // once per distinct message, not per event
      p->last_logged = s.message();
      p->library->owner().log("parse", s.message().c_str(), SS_PLUGIN_LOG_SEV_WARNING);
    }
  }
}

void PluginParsers::parse_record(const Event& event, uint64_t evtnum, const std::string& source) {
  if (parsers_.empty() || event.view.type() != KE_PLUGINEVENT) return;
  std::vector<uint8_t> abi = record_to_plugin_event(event.view);
  if (abi.empty()) return;
  parse(reinterpret_cast<const ss_plugin_event*>(abi.data()), evtnum, source);
}

std::map<std::string, uint64_t> PluginParsers::failures() const {
  std::map<std::string, uint64_t> out;
  for (const auto& p : parsers_) out[p->library->info().name] = p->failures.load();
  return out;
}

}  // namespace kestrel::plugin
