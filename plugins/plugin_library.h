// plugin_library.h — one loaded Falco-API plugin (a shared library).
//
// load() dlopens the library, resolves the exported plugin_* symbols,
// checks that the API version the plugin requires is one this host
// implements (same major; minor.patch not newer) and reads its identity and
// field table (get_fields JSON). init() then creates the plugin's state with
// its init_config. The same instance serves both capabilities: the plugin
// source (open / next_batch / close, one reader thread) and the field
// provider (extract on the engine thread). The plugin API does not promise
// that those calls may overlap on one state, so every call into the plugin
// is serialised by one mutex.
//
// Plugin output is untrusted: strings it returns are copied with a bound,
// the field JSON is validated, and errors carry plugin_get_last_error's
// text (bounded) with the library path.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "plugins/plugin_abi.h"
#include "plugins/plugin_owner.h"

namespace kestrel::plugin {

// One field from the plugin's get_fields JSON.
struct PluginField {
  std::string name;
  uint32_t ftype = FTYPE_STRING;  // ss_plugin_field_type
  bool is_list = false;
  bool arg_required = false;
  bool arg_index = false;  // accepts [N]
  bool arg_key = false;    // accepts [name]
  std::string description;
};

struct PluginInfo {
  std::string path;
  std::string name, version, description, contact;
  std::string required_api_version;
  uint32_t id = 0;
  std::string event_source;  // empty: no event sourcing capability
  bool can_source = false;   // open/close/next_batch present
  bool can_extract = false;  // get_fields/extract_fields present
  bool can_parse = false;    // parse_event present (Falco's CAP_PARSING)
  bool can_async = false;    // get_async_events and set_async_event_handler present (CAP_ASYNC)
  // get_extract_event_sources' JSON array of sources; empty when not
  // exported or empty, which the API reads as: the plugin's own source
  // when it has one, else every source (extract_sources_of()).
  std::vector<std::string> extract_event_sources;
  std::vector<PluginField> fields;
};

// The event sources a plugin extracts fields from, as the plugin API
// defines them (plugin_api.h, get_extract_event_sources): its
// extract_event_sources when it lists some; else its own event source
// when it has one; else every source, returned as an empty vector with
// `all` set.
std::vector<std::string> extract_sources_of(const PluginInfo& info, bool& all);

// "3.3.0" against this host: ok, or why not.
Status check_api_version(const std::string& required);

// At most this many metrics are read from one plugin_get_metrics answer.
inline constexpr uint32_t kMaxPluginMetrics = 256;

// Parses a get_fields JSON array (depth-bounded, bounded_json.h). Errors
// name the entry at fault.
Result<std::vector<PluginField>> parse_plugin_fields(const std::string& json);

// One batch from next_batch: views of the plugin's events, valid until the
// next call to next_batch() or close().
struct PluginBatch {
  ss_plugin_rc rc = SS_PLUGIN_SUCCESS;
  std::vector<const ss_plugin_event*> events;
};

class PluginLibrary {
 public:
  // dlopen + symbols + version + identity + fields. Errors: kNotFound (no
  // file / not loadable, with dlerror), kInvalidArgument (missing required
  // symbol, incompatible API version, bad get_fields JSON).
  static Result<std::shared_ptr<PluginLibrary>> load(const std::string& path);

  ~PluginLibrary();
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  const PluginInfo& info() const { return info_; }

  // plugin_get_init_schema's text ("" when the plugin has none).
  std::string init_schema() const;

  // Creates the plugin state. Error text is plugin_get_last_error's.
  Status init(const std::string& config);
  bool initialized() const { return state_ != nullptr; }

  // Event sourcing: open a capture with `params`; next_batch; close.
  Status open(const std::string& params);
  PluginBatch next_batch();
  void close();

  // plugin_list_open_params' JSON ("" when not exported).
  std::string list_open_params();

  // Field extraction on one event (the ss_plugin_event bytes). `fields`
  // are filled by the plugin; their res pointers stay valid until the next
  // extract() call — callers copy under the same serialisation, so this
  // takes a callback that runs with the lock held.
  template <typename Fn>
  Status extract(const ss_plugin_event* event, uint64_t evtnum, std::span<ss_plugin_extract_field> fields, Fn&& use) {
    std::lock_guard lock(mu_);
    Status s = extract_locked(event, evtnum, fields);
    if (s.ok()) use();
    return s;
  }

  // plugin_event_to_string's text for one of its events (bounded); "" when
  // the plugin does not export it, is not initialised or returns nothing.
  std::string event_to_string(const ss_plugin_event* event, uint64_t evtnum);

  // The last error the plugin reported (bounded), for messages.
  std::string last_error();

  // plugin_get_metrics' monotonic integer metrics by name (at most
  // kMaxPluginMetrics, names cut at 128 bytes); empty when the plugin
  // exports none. Non-monotonic and floating-point metrics are skipped:
  // they are not counters.
  std::map<std::string, uint64_t> metrics();

 private:
  PluginLibrary() = default;
  Status extract_locked(const ss_plugin_event* event, uint64_t evtnum, std::span<ss_plugin_extract_field> fields);
  std::string last_error_locked();
  Status plugin_error(const std::string& what, ss_plugin_rc rc);

  struct Api {
    plugin_get_required_api_version_fn get_required_api_version = nullptr;
    plugin_get_string_fn get_name = nullptr, get_description = nullptr, get_contact = nullptr,
                         get_version = nullptr, get_event_source = nullptr, get_fields = nullptr;
    plugin_get_init_schema_fn get_init_schema = nullptr;
    plugin_init_fn init = nullptr;
    plugin_destroy_fn destroy = nullptr;
    plugin_get_last_error_fn get_last_error = nullptr;
    plugin_get_id_fn get_id = nullptr;
    plugin_open_fn open = nullptr;
    plugin_close_fn close = nullptr;
    plugin_list_open_params_fn list_open_params = nullptr;
    plugin_next_batch_fn next_batch = nullptr;
    plugin_extract_fields_fn extract_fields = nullptr;
    plugin_get_metrics_fn get_metrics = nullptr;
    plugin_get_string_fn get_extract_event_sources = nullptr;
    const char* (*event_to_string)(ss_plugin_t* s, const ss_plugin_event_input* evt) = nullptr;
  };

  void* handle_ = nullptr;
  Api api_;
  PluginInfo info_;
  std::unique_ptr<PluginOwner> owner_;  // outlives every call into the plugin
  std::mutex mu_;
  ss_plugin_t* state_ = nullptr;
  ss_instance_t* instance_ = nullptr;
};

}  // namespace kestrel::plugin
