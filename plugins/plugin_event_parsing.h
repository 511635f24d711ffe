// plugin_event_parsing.h — every event of the stream, in order, to the
// plugins that parse it (plugin API parse_event), before the rules read
// it: plugin events as the plugin ABI's code 322 (their plugin source's
// name as evtsrc), syscall records as the scap events that carry them
// (plugin_event_encoding.h: enter then exit, as a scap capture or libsinsp
// delivers them; evtsrc "syscall"). Built on pluginhost's PluginParsers
// (plugin_parsers.h), which asks each plugin's wants_parse per event type
// and logs and counts failures.
//
// A replayed .scap gives enter records of their own (evt.dir '>'): such a
// record is parsed as its enter event, and the exit record that follows on
// the same thread then as its exit only, so no event is parsed twice.
//
// Syscall records are encoded only when some plugin parses syscall events.
// Engine thread only.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "plugins/plugin_event_encoding.h"
#include "plugins/plugin_parsers.h"

namespace kestrel::plugin {

class PluginEventParsing {
 public:
  explicit PluginEventParsing(const std::vector<std::shared_ptr<PluginLibrary>>& libraries);

  // No plugin parses anything: parse() need not be called.
  bool empty() const { return parsers_.empty(); }

  // Plugin events from multiplexer source `source_id` (a live plugin
  // source) are of event source `event_source`.
  void name_source(uint16_t source_id, std::string event_source);
  // Plugin events carrying `plugin_id` from any other source (a replayed
  // capture) are of `event_source`.
  void name_plugin(uint32_t plugin_id, std::string event_source);

  // `event` to every plugin that parses it; `evtnum` as the plugin sees it.
  void parse(const Event& event, uint64_t evtnum);

  // parse_event failures by plugin name.
  std::map<std::string, uint64_t> failures() const { return parsers_.failures(); }

 private:
  const std::string* plugin_source(const Event& event) const;

  PluginParsers parsers_;
  bool syscall_ = false;  // some plugin parses syscall events
  SyscallEventEncoder encoder_;
  std::vector<std::string> by_source_id_;
  std::map<uint32_t, std::string> by_plugin_id_;
  std::unordered_map<uint32_t, uint16_t> parsed_enter_;  // tid -> Kestrel type of its replayed enter record
};

// Whether a plugin takes syscall events for parsing at all, by the API's
// source rule (as extracts_syscall_events for extraction).
bool parses_syscall_events(const PluginInfo& info);

}  // namespace kestrel::plugin
