// plugin_owner.h — what the host hands a plugin in plugin_init and
// plugin_extract_fields besides the config: the "owner" (one per loaded
// plugin), its last-error text, a logger and the state-table vtables.
//
// Contract with the plugin (plugin API 3.3.0, plugin_abi.h):
//  - log_fn forwards to Kestrel's log as
//      "kestrel: plugin '<name>'[/<component>]: <severity>: <msg>"
//    for severities FATAL..INFO (DEBUG and TRACE are dropped); messages are
//    cut at kMaxPluginLogLine bytes. Callable from any thread.
//  - tables is never NULL. Kestrel owns no state tables a plugin could
//    share, and says so through the published contract: list_tables answers
//    an empty list (non-NULL, *ntables = 0); get_table answers NULL ("error")
//    with get_owner_last_error naming the table; add_table (a plugin offering
//    its own table) answers SS_PLUGIN_FAILURE. Every field/reader/writer
//    entry exists and fails the same way (NULL, (uint64_t)-1 or FAILURE),
//    though a plugin can only reach them with a table it never got.
// So an SDK plugin that merely reads the inputs initialises; one that needs
// the host's "threads" table fails its own init with the host's message,
// which PluginLibrary::init reports with the plugin's name.
//
// Lifetime: a PluginOwner lives as long as its PluginLibrary (plugins may
// keep the owner pointer and log_fn for their whole life). The vtables are
// static.
#pragma once

#include <mutex>
#include <string>

#include "plugins/plugin_abi.h"

namespace kestrel::plugin {

inline constexpr size_t kMaxPluginLogLine = 4096;

// Where plugin log lines go (one complete line, without '\n'). Default:
// stderr. Process-wide; set before plugins load (tests capture it).
using PluginLogSink = void (*)(const std::string& line);
void set_plugin_log_sink(PluginLogSink sink);

class PluginOwner {
 public:
  explicit PluginOwner(std::string plugin_name) : name_(std::move(plugin_name)) {}

  // The init input for this plugin: config, this owner, its callbacks.
  ss_plugin_init_input init_input(const char* config);

  // Fills owner, get_owner_last_error and the table reader entries.
  void fill_extract_input(ss_plugin_field_extract_input& in);

  // The error text the host set last (for get_owner_last_error).
  void set_last_error(std::string text);
  const char* last_error();

  void log(const char* component, const char* msg, ss_plugin_log_severity sev) const;

 private:
  std::string name_;
  std::mutex mu_;
  std::string last_error_;
};

// The empty tables input every plugin receives (static storage).
const ss_plugin_init_tables_input* empty_tables_input();

}  // namespace kestrel::plugin
