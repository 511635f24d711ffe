// plugin_owner.h — the host side of one loaded plugin, as the plugin API's
// "owner" (ss_plugin_owner_t*): what init, extract, parse and capture
// listening hand the plugin besides its data.
//
// Contract with the plugin (plugin API 3.12, plugin_abi.h):
//  - log_fn forwards to Kestrel's log as
//      "kestrel: plugin '<name>'[/<component>]: <severity>: <msg>"
//    for severities FATAL..INFO (DEBUG and TRACE are dropped); messages are
//    cut at kMaxPluginLogLine bytes. Callable from any thread.
//  - tables is never NULL: list_tables/get_table/add_table work on the
//    owner's TableRegistry (the "threads" table and plugin tables); the
//    field/reader/writer vtables are the shared ones of table_vtables.h.
//    A table a plugin adds is read with the plugin's declared API minor
//    (3.0 plugins have no _ext vtables in it).
//  - get_owner_last_error answers the newest error of this owner or of
//    the last failed table call on the calling thread.
//  - the async event handler (set_async_event_handler) checks each event
//    (code 402, three u32-length params, a name the plugin declared in
//    get_async_events) and copies it into the AsyncEventQueue; refusals
//    write their reason into the plugin's err buffer.
//  - routines (capture_listen_input.routine) run on one thread per owner,
//    each routine called in turn until it returns false or unsubscribes.
//
// Lifetime: a PluginOwner lives as long as its PluginLibrary (plugins may
// keep the owner pointer and log_fn for their whole life).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "plugins/plugin_abi.h"
#include "plugins/plugin_async_events.h"
#include "plugins/state_tables/table_registry.h"

namespace kestrel::plugin {

inline constexpr size_t kMaxPluginLogLine = 4096;

// Where plugin log lines go (one complete line, without '\n'). Default:
// stderr. Process-wide; set before plugins load (tests capture it).
using PluginLogSink = void (*)(const std::string& line);
void set_plugin_log_sink(PluginLogSink sink);

class PluginOwner {
 public:
  // `tables`: the registry the plugin's tables input works on (nullptr:
  // default_table_registry()). `api_minor`: the minor the plugin declared.
  explicit PluginOwner(std::string plugin_name, TableRegistry* tables = nullptr, uint32_t api_minor = 0);
  ~PluginOwner();
  PluginOwner(const PluginOwner&) = delete;
  PluginOwner& operator=(const PluginOwner&) = delete;

  const std::string& name() const { return name_; }
  uint32_t api_minor() const { return api_minor_; }
  TableRegistry& tables() { return *tables_; }
  // Before init: the registry its tables input works on (nullptr: default).
  void set_tables(TableRegistry* tables) { tables_ = tables ? tables : &default_table_registry(); }

  // The init input for this plugin: config, this owner, its callbacks.
  ss_plugin_init_input init_input(const char* config);
  // Owner, last error and table vtables of the per-call inputs.
  void fill_extract_input(ss_plugin_field_extract_input& in);
  void fill_parse_input(ss_plugin_event_parse_input& in);
  void fill_capture_listen_input(ss_plugin_capture_listen_input& in);

  // The error text the host set last (for get_owner_last_error).
  void set_last_error(std::string text);
  const char* last_error();

  void log(const char* component, const char* msg, ss_plugin_log_severity sev) const;

  // ---- async events ----
  // Where the plugin's async events go (nullptr: refused), the names it
  // declared, and the plugin id stamped on them (that of the event source
  // they are injected into; 0 for syscall).
  // One copy of each event goes to each of `plugin_ids` (the event sources
  // it is delivered to: 0 for syscall, else the id of the plugin whose
  // source it is); none when empty.
  void set_async_target(std::shared_ptr<AsyncEventQueue> queue, std::vector<std::string> names,
                        std::vector<uint32_t> plugin_ids);
  // The handler's work: check and queue one event; false with `why`.
  bool accept_async_event(const ss_plugin_event* evt, std::string* why);
  static ss_plugin_async_event_handler_t async_handler();

  // ---- routines ----
  // The plugin state routines are called with (set after init).
  void set_plugin_state(ss_plugin_t* state) { state_.store(state); }
  ss_plugin_routine_t* subscribe(ss_plugin_routine_fn_t fn, ss_plugin_routine_state_t* arg);
  bool unsubscribe(ss_plugin_routine_t* r);
  // Stops the routine thread (before the plugin is destroyed).
  void stop_routines();
  size_t routine_count();

 private:
  struct Routine {
    ss_plugin_routine_fn_t fn;
    ss_plugin_routine_state_t* arg;
  };
  void run_routines();

  std::string name_;
  TableRegistry* tables_;
  uint32_t api_minor_;
  std::mutex mu_;
  std::string last_error_;
  uint64_t last_error_seq_ = 0;

  std::mutex async_mu_;
  std::shared_ptr<AsyncEventQueue> async_queue_;
  std::set<std::string> async_names_;
  std::vector<uint32_t> async_plugin_ids_;

  std::atomic<ss_plugin_t*> state_{nullptr};
  std::mutex routines_mu_;
  std::condition_variable routines_cv_;
  std::vector<std::unique_ptr<Routine>> routines_;
  bool routines_stop_ = false;
  std::thread routines_thread_;
};

}  // namespace kestrel::plugin
