// plugin_library.h — one loaded Falco-API plugin (a shared library).
//
// load() dlopens the library, resolves the exported plugin_* symbols,
// checks that the API version the plugin requires is one this host
// implements (3.0 to 3.12: major 3, minor no newer than ours) and reads its
// identity, field table (get_fields JSON) and the event sources / async
// event names it declares. init() validates the init_config against the
// plugin's JSON schema (init_schema.h) and creates the plugin's state with
// an owner whose tables input works on a TableRegistry (plugin_owner.h).
//
// Capabilities, each used when the plugin exports its symbols:
//   sourcing    open / next_batch / close (PluginSource, one reader thread)
//   extraction  extract() (PluginFieldProvider, engine thread)
//   parsing     parse(): every event of a source the plugin parses, before
//               extraction, with table reader/writer (wants_parse filters)
//   async       start_async(queue) / stop_async(): the plugin's async
//               events go through its owner into an AsyncEventQueue
//   listening   capture_open() / capture_close(), with routines
//   config      set_config() (a changed init_config on reload)
//   metrics     metrics()
// The plugin API does not promise that calls may overlap on one state, so
// every call into the plugin is serialised by one mutex — except the async
// handler and routines, which the API runs on the plugin's/host's threads.
//
// Plugin output is untrusted: strings it returns are copied with a bound,
// the field JSON is validated, and errors carry plugin_get_last_error's
// text (bounded) with the library path.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "plugins/plugin_abi.h"
#include "plugins/plugin_async_events.h"
#include "plugins/plugin_owner.h"
#include "plugins/state_tables/table_registry.h"

namespace kestrel::plugin {

// One field from the plugin's get_fields JSON.
struct PluginField {
  std::string name;
  uint32_t ftype = FTYPE_STRING;  // ss_plugin_field_type
  bool is_list = false;
  bool arg_required = false;
  bool arg_index = false;  // accepts [N]
  bool arg_key = false;    // accepts [name]
  bool add_output = false;  // "addOutput": suggested for outputs (append_output.suggested_output)
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
  bool can_parse = false;    // parse_event present
  bool can_async = false;    // get_async_events/set_async_event_handler present
  bool can_listen = false;   // capture_open/capture_close present
  bool can_set_config = false;
  uint32_t api_minor = 0;  // of required_api_version
  std::vector<PluginField> fields;
  // Declared event sources (JSON arrays of the plugin; empty: the default
  // of the API, see wants_parse / wants_extract).
  std::vector<std::string> extract_event_sources, parse_event_sources, async_event_sources;
  std::vector<std::string> async_events;  // names from get_async_events
};

// Whether a plugin takes the events of `source` for a capability, as the
// plugin API defines it (plugin_api.h, get_extract_event_sources /
// get_parse_event_sources / get_async_event_sources): the sources it
// declared for that capability when it lists some; else its own event
// source when it has one; else every source, "syscall" included.
bool takes_source(const std::vector<std::string>& declared, const PluginInfo& info, std::string_view source);

// Whether a plugin's async events go into the stream of `source`
// (plugin_api.h, get_async_event_sources): the sources it declared, or
// every source when it declares none (unlike parsing and extraction, a
// plugin's own event source is not the default).
bool async_takes_source(const PluginInfo& info, std::string_view source);

// "3.3.0" against this host: ok, or why not (the message names the
// version wanted and the one this host implements).
Status check_api_version(const std::string& required);

// The plugin API version this host implements, "3.12.0".
std::string host_api_version();

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

  // Creates the plugin state: the config is first checked against the
  // plugin's JSON init schema, if it has one (an empty config is then
  // "{}"). `tables`: the registry its tables input uses (nullptr: the
  // process-wide default_table_registry()). Error text is
  // plugin_get_last_error's.
  Status init(const std::string& config, TableRegistry* tables = nullptr);
  bool initialized() const { return state_ != nullptr; }

  // Event sourcing: open a capture with `params`; next_batch; close.
  Status open(const std::string& params);
  PluginBatch next_batch();
  void close();

  // plugin_list_open_params' JSON ("" when not exported).
  std::string list_open_params();

  // plugin_get_progress for the open capture (nullopt when not exported or
  // not open): percent*100 and the plugin's text.
  std::optional<std::pair<uint32_t, std::string>> progress();

  // plugin_event_to_string for one of its events ("" when not exported).
  std::string event_to_string(const ss_plugin_event* event, uint64_t evtnum);

  // ---- event parsing ----
  // Whether the plugin parses events of scap type `type` from event source
  // `source` ("syscall" or a plugin source), per its get_parse_event_types
  // and get_parse_event_sources (defaults of the API when absent).
  bool wants_parse(const std::string& source, uint16_t type) const;
  // Same for extraction (get_extract_event_types/_sources).
  bool wants_extract(const std::string& source, uint16_t type) const;
  // plugin_parse_event on one event (scap layout), with the table reader
  // and writer. Call on the engine thread, before extraction of the event.
  Status parse(const ss_plugin_event* event, uint64_t evtnum, const std::string& source);

  // ---- async events ----
  // Hands the plugin the host's handler: its async events (names it
  // declared) go to `queue`, stamped with `plugin_id` (the plugin event
  // source's id they are injected into, 0 for syscall).
  Status start_async(std::shared_ptr<AsyncEventQueue> queue, uint32_t plugin_id = 0);
  // The same, each event delivered once to each of `plugin_ids` (0:
  // syscall; else a plugin source's plugin id): see async_takes_source.
  Status start_async(std::shared_ptr<AsyncEventQueue> queue, std::vector<uint32_t> plugin_ids);
  // Sets a NULL handler (the plugin stops its async jobs).
  Status stop_async();
  // plugin_dump_state: the plugin's state as async events into `queue`.
  Status dump_state(std::shared_ptr<AsyncEventQueue> queue, uint32_t plugin_id = 0);

  // ---- capture listening ----
  // capture_open / capture_close (no-ops for plugins without them).
  Status capture_open();
  Status capture_close();

  // ---- configuration ----
  // plugin_set_config with a new config (checked against the init schema
  // first, as init's). kUnimplemented if the plugin has no set_config.
  Status set_config(const std::string& config);

  // The event schema version the plugin requires (get_required_event_
  // schema_version, after init), "" when it states none.
  std::string required_event_schema_version();

  PluginOwner& owner() { return *owner_; }

  // Field extraction on one event (the ss_plugin_event bytes). `fields`
  // are filled by the plugin; their res pointers stay valid until the next
  // extract() call — callers copy under the same serialisation, so this
  // takes a callback that runs with the lock held.
  // `evtsrc` is the event's source as the plugin is told it ("syscall" for
  // Kestrel's records; nullptr: the plugin's own event source).
  template <typename Fn>
  Status extract(const ss_plugin_event* event, uint64_t evtnum, std::span<ss_plugin_extract_field> fields, Fn&& use,
                 const char* evtsrc = nullptr) {
    std::lock_guard lock(mu_);
    Status s = extract_locked(event, evtnum, fields, evtsrc);
    if (s.ok()) use();
    return s;
  }


  // The last error the plugin reported (bounded), for messages.
  std::string last_error();

  // plugin_get_metrics' monotonic integer metrics by name (at most
  // kMaxPluginMetrics, names cut at 128 bytes); empty when the plugin
  // exports none. Non-monotonic and floating-point metrics are skipped:
  // they are not counters.
  std::map<std::string, uint64_t> metrics();

 private:
  PluginLibrary() = default;
  Status extract_locked(const ss_plugin_event* event, uint64_t evtnum, std::span<ss_plugin_extract_field> fields,
                        const char* evtsrc);
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
    plugin_get_progress_fn get_progress = nullptr;
    plugin_event_to_string_fn event_to_string = nullptr;
    plugin_get_event_types_fn get_extract_event_types = nullptr, get_parse_event_types = nullptr;
    plugin_get_string_fn get_extract_event_sources = nullptr, get_parse_event_sources = nullptr,
                         get_async_event_sources = nullptr, get_async_events = nullptr;
    plugin_parse_event_fn parse_event = nullptr;
    plugin_set_async_event_handler_fn set_async_event_handler = nullptr;
    plugin_dump_state_fn dump_state = nullptr;
    plugin_set_config_fn set_config = nullptr;
    plugin_capture_listen_fn capture_open = nullptr, capture_close = nullptr;
    plugin_get_required_event_schema_version_fn get_required_event_schema_version = nullptr;
  };
  // Event types from get_*_event_types after init; empty: none given.
  static bool wants(const std::vector<std::string>& sources, const std::vector<uint16_t>& types,
                    const PluginInfo& info, const std::string& source, uint16_t type);
  std::vector<uint16_t> read_event_types(plugin_get_event_types_fn fn);

  void* handle_ = nullptr;
  Api api_;
  PluginInfo info_;
  std::unique_ptr<PluginOwner> owner_;  // outlives every call into the plugin
  std::mutex mu_;
  ss_plugin_t* state_ = nullptr;
  ss_instance_t* instance_ = nullptr;
  std::vector<uint16_t> parse_types_, extract_types_;
  bool listening_ = false;
};

}  // namespace kestrel::plugin
