#include "plugins/plugin_event_parsing.h"

#include <algorithm>

#include "plugins/plugin_async_events.h"

namespace kestrel::plugin {
namespace {

const std::string kSyscall(kSyscallEventSource);  // PluginParsers::parse takes a std::string

}  // namespace

bool extracts_syscall_events(const PluginInfo& info) {
  return info.can_extract && takes_source(info.extract_event_sources, info, kSyscallEventSource);
}

bool parses_syscall_events(const PluginInfo& info) {
  return info.can_parse && takes_source(info.parse_event_sources, info, kSyscallEventSource);
}

PluginEventParsing::PluginEventParsing(const std::vector<std::shared_ptr<PluginLibrary>>& libraries)
    : parsers_(libraries) {
  for (const auto& lib : libraries)
    if (lib && parses_syscall_events(lib->info())) syscall_ = true;
}

void PluginEventParsing::name_source(uint16_t source_id, std::string event_source) {
  if (by_source_id_.size() <= source_id) by_source_id_.resize(source_id + 1u);
  by_source_id_[source_id] = std::move(event_source);
}

void PluginEventParsing::name_plugin(uint32_t plugin_id, std::string event_source) {
  by_plugin_id_[plugin_id] = std::move(event_source);
}

const std::string* PluginEventParsing::plugin_source(const Event& event) const {
  if (event.source_id < by_source_id_.size() && !by_source_id_[event.source_id].empty())
    return &by_source_id_[event.source_id];
  auto id = event.view.param_int(KP_PLUGINEVENT_plugin_id);
  if (!id) return nullptr;
  auto it = by_plugin_id_.find(static_cast<uint32_t>(*id));
  return it == by_plugin_id_.end() ? nullptr : &it->second;
}

void PluginEventParsing::parse(const Event& event, uint64_t evtnum) {
  if (parsers_.empty()) return;
  const uint16_t type = event.view.type();
  if (type == KE_PLUGINEVENT) {
    if (const std::string* source = plugin_source(event)) parsers_.parse_record(event, evtnum, *source);
    return;
  }
  if (type == KE_ASYNCEVENT) {
    // Parsers that take code 402 in the source it was sent into.
    const std::string* source = async_event_source(event.view, by_plugin_id_);
    if (!source) return;
    std::vector<uint8_t> abi = async_record_to_plugin_event(event.view);
    if (!abi.empty()) parsers_.parse(reinterpret_cast<const ss_plugin_event*>(abi.data()), evtnum, *source);
    return;
  }
  if (!syscall_) return;
  std::span<const ss_plugin_event* const> all = encoder_.events(event.view);
  if (all.empty()) return;
  const uint32_t tid = event.view.tid();
  // With an enter the last two events are the record's enter and exit.
  const bool has_enter = all.size() >= 2;
  if (event.enter) {
    if (!has_enter) return;
    parsers_.parse(all[all.size() - 2], evtnum, kSyscall);
    parsed_enter_[tid] = type;
    return;
  }
  bool enter_done = false;
  if (auto it = parsed_enter_.find(tid); it != parsed_enter_.end()) {
    enter_done = it->second == type;
    parsed_enter_.erase(it);
  }
  for (size_t i = 0; i < all.size(); ++i) {
    if (enter_done && has_enter && i == all.size() - 2) continue;
    parsers_.parse(all[i], evtnum, kSyscall);
  }
}

}  // namespace kestrel::plugin
