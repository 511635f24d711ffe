// plugin_parsers.h — the event-parsing capability for a set of loaded
// plugins: each event of the stream goes, before any field extraction, to
// every plugin that parses events of its source and type (plugin API
// parse_event, in the order the plugins were loaded).
//
// Call parse() on the engine thread for every event, in stream order:
//   - plugin events (KE_PLUGINEVENT records of a plugin source): parse_record
//     rebuilds the plugin-ABI event (type 322) from the record;
//   - syscall events: the caller passes the scap-format bytes (pluginsys'
//     encoder) with source "syscall" to parse().
// A plugin whose parse_event fails is reported once per distinct message
// through the plugin log (warning) and counted (failures()); the event goes
// on to the other plugins and to the rules, as in Falco.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "plugins/plugin_library.h"
#include "sources/event/event.h"

namespace kestrel::plugin {

class PluginParsers {
 public:
  // The plugins among `libraries` that can parse (others are ignored).
  explicit PluginParsers(const std::vector<std::shared_ptr<PluginLibrary>>& libraries);

  bool empty() const { return parsers_.empty(); }

  // One event in the plugin-ABI layout, from event source `source`.
  void parse(const ss_plugin_event* event, uint64_t evtnum, const std::string& source);
  // A KE_PLUGINEVENT record of event source `source` (other records are
  // ignored: syscall events need the scap encoding, see above).
  void parse_record(const Event& event, uint64_t evtnum, const std::string& source);

  // parse_event failures by plugin name.
  std::map<std::string, uint64_t> failures() const;

 private:
  struct Parser {
    std::shared_ptr<PluginLibrary> library;
    std::atomic<uint64_t> failures{0};
    std::string last_logged;
  };
  std::vector<std::unique_ptr<Parser>> parsers_;
};

}  // namespace kestrel::plugin
