#include "plugins/plugin_library.h"

#include <dlfcn.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>

#include "plugins/bounded_json.h"
#include "plugins/event_schema_version.h"
#include "plugins/init_schema.h"

namespace kestrel::plugin {
namespace {

// Strings a plugin returns are untrusted: never read past this.
constexpr size_t kMaxPluginString = 64 * 1024;

std::string bounded(const char* s, size_t max = kMaxPluginString) {
  if (!s) return {};
  return std::string(s, strnlen(s, max));
}

struct Semver {
  uint32_t major = 0, minor = 0, patch = 0;
};

std::optional<Semver> parse_semver(const std::string& text) {
  Semver v;
  uint32_t* parts[] = {&v.major, &v.minor, &v.patch};
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 3; ++i) {
    auto [next, ec] = std::from_chars(p, end, *parts[i]);
    if (ec != std::errc() || next == p) return std::nullopt;
    p = next;
    if (i < 2) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
  }
  // Allow a pre-release/build suffix ("3.0.0-rc1").
  if (p != end && *p != '-' && *p != '+') return std::nullopt;
  return v;
}

// A JSON array of strings a plugin returned (event sources, async event
// names); malformed text is an error naming `what`.
Result<std::vector<std::string>> string_array(const std::string& text, const std::string& what) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  nlohmann::json json;
  json_bounds::JsonError error = json_bounds::parse(text, json);
  if (error.refusal != json_bounds::JsonRefusal::kNone) return Status(StatusCode::kInvalidArgument, what + ": " + error.message);
  if (!json.is_array()) return Status(StatusCode::kInvalidArgument, what + ": not a JSON array");
  for (const auto& e : json) {
    if (!e.is_string()) return Status(StatusCode::kInvalidArgument, what + ": not an array of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::optional<uint32_t> ftype_by_name(const std::string& name) {
  if (name == "string") return FTYPE_STRING;
  if (name == "uint64") return FTYPE_UINT64;
  if (name == "bool") return FTYPE_BOOL;
  if (name == "reltime") return FTYPE_RELTIME;
  if (name == "abstime") return FTYPE_ABSTIME;
  if (name == "ipaddr") return FTYPE_IPADDR;
  if (name == "ipnet") return FTYPE_IPNET;
  return std::nullopt;
}

}  // namespace

std::string host_api_version() {
  return std::to_string(KESTREL_PLUGIN_API_MAJOR) + "." + std::to_string(KESTREL_PLUGIN_API_MINOR) + "." +
         std::to_string(KESTREL_PLUGIN_API_PATCH);
}

bool takes_source(const std::vector<std::string>& declared, const PluginInfo& info, std::string_view source) {
  if (!declared.empty()) return std::find(declared.begin(), declared.end(), source) != declared.end();
  if (info.can_source && !info.event_source.empty()) return source == info.event_source;
  return true;
}

bool async_takes_source(const PluginInfo& info, std::string_view source) {
  const auto& declared = info.async_event_sources;
  return declared.empty() || std::find(declared.begin(), declared.end(), source) != declared.end();
}

Status check_api_version(const std::string& required) {
  auto v = parse_semver(required);
  if (!v) return Status(StatusCode::kInvalidArgument, "required API version '" + required + "' is not <major>.<minor>.<patch>");
  // Semver as the API defines it: same major; any older minor; the same
  // minor up to our patch.
  bool ok = v->major == KESTREL_PLUGIN_API_MAJOR &&
            (v->minor < KESTREL_PLUGIN_API_MINOR ||
             (v->minor == KESTREL_PLUGIN_API_MINOR && v->patch <= KESTREL_PLUGIN_API_PATCH));
  if (!ok)
    return Status(StatusCode::kInvalidArgument, "plugin requires plugin API version " + required +
                                                    ", which this Kestrel (plugin API " + host_api_version() +
                                                    ") does not support");
  return ok_status();
}

Result<std::vector<PluginField>> parse_plugin_fields(const std::string& text) {
  auto bad = [](std::string what) { return Status(StatusCode::kInvalidArgument, "get_fields: " + what); };
  nlohmann::json json;
  json_bounds::JsonError error = json_bounds::parse(text, json);
  if (error.refusal != json_bounds::JsonRefusal::kNone) return bad(error.message);
  if (!json.is_array()) return bad("not a JSON array");
  std::vector<PluginField> fields;
  for (size_t i = 0; i < json.size(); ++i) {
    const auto& e = json[i];
    const std::string where = "entry " + std::to_string(i);
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string() || !e.contains("type") || !e["type"].is_string())
      return bad(where + ": needs string \"name\" and \"type\"");
    PluginField f;
    f.name = e["name"].get<std::string>();
    if (f.name.empty() || f.name.size() > 256) return bad(where + ": bad field name");
    auto t = ftype_by_name(e["type"].get<std::string>());
    if (!t) return bad(where + " (" + f.name + "): unknown type '" + e["type"].get<std::string>() + "'");
    f.ftype = *t;
    f.is_list = e.value("isList", false);
    f.add_output = e.value("addOutput", false);
    if (e.contains("arg") && e["arg"].is_object()) {
      f.arg_required = e["arg"].value("isRequired", false);
      f.arg_index = e["arg"].value("isIndex", false);
      f.arg_key = e["arg"].value("isKey", false);
      if (f.arg_required && !f.arg_index && !f.arg_key)
        return bad(where + " (" + f.name + "): a required argument must be isIndex or isKey");
    }
    if (e.contains("desc") && e["desc"].is_string()) f.description = e["desc"].get<std::string>();
    fields.push_back(std::move(f));
  }
  return fields;
}

Result<std::shared_ptr<PluginLibrary>> PluginLibrary::load(const std::string& path) {
  std::shared_ptr<PluginLibrary> lib(new PluginLibrary());
  lib->info_.path = path;
  lib->handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib->handle_) {
    const char* why = dlerror();
    return Status(StatusCode::kNotFound, "plugin library '" + path + "': cannot load: " + bounded(why, 1024));
  }
  std::string missing;
  auto sym = [&](auto& slot, const char* name, bool required) {
    void* p = dlsym(lib->handle_, name);
    slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(p);
    if (!p && required) missing += (missing.empty() ? "" : ", ") + std::string(name);
  };
  Api& a = lib->api_;
  sym(a.get_required_api_version, "plugin_get_required_api_version", true);
  sym(a.get_name, "plugin_get_name", true);
  sym(a.get_description, "plugin_get_description", true);
  sym(a.get_contact, "plugin_get_contact", true);
  sym(a.get_version, "plugin_get_version", true);
  sym(a.init, "plugin_init", true);
  sym(a.destroy, "plugin_destroy", true);
  sym(a.get_last_error, "plugin_get_last_error", true);
  sym(a.get_init_schema, "plugin_get_init_schema", false);
  sym(a.get_id, "plugin_get_id", false);
  sym(a.get_event_source, "plugin_get_event_source", false);
  sym(a.open, "plugin_open", false);
  sym(a.close, "plugin_close", false);
  sym(a.list_open_params, "plugin_list_open_params", false);
  sym(a.next_batch, "plugin_next_batch", false);
  sym(a.get_fields, "plugin_get_fields", false);
  sym(a.extract_fields, "plugin_extract_fields", false);
  sym(a.get_metrics, "plugin_get_metrics", false);
  sym(a.get_progress, "plugin_get_progress", false);
  sym(a.event_to_string, "plugin_event_to_string", false);
  sym(a.get_extract_event_types, "plugin_get_extract_event_types", false);
  sym(a.get_extract_event_sources, "plugin_get_extract_event_sources", false);
  sym(a.get_parse_event_types, "plugin_get_parse_event_types", false);
  sym(a.get_parse_event_sources, "plugin_get_parse_event_sources", false);
  sym(a.parse_event, "plugin_parse_event", false);
  sym(a.get_async_event_sources, "plugin_get_async_event_sources", false);
  sym(a.get_async_events, "plugin_get_async_events", false);
  sym(a.set_async_event_handler, "plugin_set_async_event_handler", false);
  sym(a.dump_state, "plugin_dump_state", false);
  sym(a.set_config, "plugin_set_config", false);
  sym(a.capture_open, "plugin_capture_open", false);
  sym(a.capture_close, "plugin_capture_close", false);
  sym(a.get_required_event_schema_version, "plugin_get_required_event_schema_version", false);
  if (!missing.empty())
    return Status(StatusCode::kInvalidArgument,
                  "plugin library '" + path + "' is not a Falco plugin: missing symbol(s) " + missing);

  PluginInfo& info = lib->info_;
  info.required_api_version = bounded(a.get_required_api_version(), 64);
  if (Status s = check_api_version(info.required_api_version); !s.ok())
    return Status(s.code(), "plugin library '" + path + "': " + s.message());
  info.name = bounded(a.get_name(), 256);
  info.version = bounded(a.get_version(), 64);
  info.description = bounded(a.get_description(), 4096);
  info.contact = bounded(a.get_contact(), 1024);
  if (info.name.empty()) return Status(StatusCode::kInvalidArgument, "plugin library '" + path + "': empty plugin name");
  info.api_minor = parse_semver(info.required_api_version)->minor;
  lib->owner_ = std::make_unique<PluginOwner>(info.name, nullptr, info.api_minor);
  info.can_source = a.open && a.close && a.next_batch;
  if (a.get_event_source) info.event_source = bounded(a.get_event_source(), 256);
  if (a.get_id) info.id = a.get_id();
  if (info.can_source && (info.event_source.empty() || info.id == 0))
    return Status(StatusCode::kInvalidArgument, "plugin '" + info.name + "' (" + path +
                                                    "): a source plugin needs a non-zero plugin_get_id and a "
                                                    "plugin_get_event_source");
  info.can_extract = a.get_fields && a.extract_fields;
  if (info.can_extract) {
    auto fields = parse_plugin_fields(bounded(a.get_fields(), 1 << 20));
    if (!fields.ok()) return Status(fields.status().code(), "plugin '" + info.name + "' (" + path + "): " + fields.status().message());
    info.fields = std::move(*fields);
  }
  info.can_parse = a.parse_event != nullptr;
  info.can_async = a.get_async_events && a.set_async_event_handler;
  if ((a.get_async_events != nullptr) != (a.set_async_event_handler != nullptr))
    return Status(StatusCode::kInvalidArgument, "plugin '" + info.name + "' (" + path +
                                                    "): async events need both plugin_get_async_events and "
                                                    "plugin_set_async_event_handler");
  if (a.capture_open && !a.capture_close)
    return Status(StatusCode::kInvalidArgument, "plugin '" + info.name + "' (" + path +
                                                    "): plugin_capture_open without plugin_capture_close");
  info.can_listen = a.capture_open && a.capture_close;
  info.can_set_config = a.set_config != nullptr;
  auto where = [&](const std::string& sym) { return "plugin '" + info.name + "' (" + path + "): " + sym; };
  struct List {
    plugin_get_string_fn fn;
    const char* sym;
    std::vector<std::string>* out;
  } lists[] = {{a.get_extract_event_sources, "get_extract_event_sources", &info.extract_event_sources},
               {a.get_parse_event_sources, "get_parse_event_sources", &info.parse_event_sources},
               {a.get_async_event_sources, "get_async_event_sources", &info.async_event_sources},
               {a.get_async_events, "get_async_events", &info.async_events}};
  for (const List& l : lists) {
    if (!l.fn) continue;
    auto names = string_array(bounded(l.fn(), 1 << 20), where(l.sym));
    if (!names.ok()) return names.status();
    *l.out = std::move(*names);
  }
  if (info.can_async && info.async_events.empty())
    return Status(StatusCode::kInvalidArgument, where("get_async_events") + ": must name at least one async event");
  if (!info.can_source && !info.can_extract && !info.can_parse && !info.can_async && !info.can_listen)
    return Status(StatusCode::kInvalidArgument,
                  "plugin '" + info.name + "' (" + path + ") has no capability (sourcing, extraction, parsing, "
                  "async events or capture listening)");
  return lib;
}

PluginLibrary::~PluginLibrary() {
  close();
  if (listening_) (void)capture_close();
  if (owner_) {
    (void)stop_async();
    owner_->stop_routines();  // no routine runs while or after the state is destroyed
  }
  {
    std::lock_guard lock(mu_);
    if (state_ && api_.destroy) api_.destroy(state_);
    state_ = nullptr;
  }
  if (handle_) dlclose(handle_);
}

std::string PluginLibrary::init_schema() const {
  if (!api_.get_init_schema) return {};
  ss_plugin_schema_type type = SS_PLUGIN_SCHEMA_NONE;
  return bounded(api_.get_init_schema(&type));
}

std::string PluginLibrary::last_error_locked() {
  if (!state_ || !api_.get_last_error) return {};
  return bounded(api_.get_last_error(state_), KESTREL_PLUGIN_MAX_ERRLEN);
}

std::string PluginLibrary::last_error() {
  std::lock_guard lock(mu_);
  return last_error_locked();
}

Status PluginLibrary::plugin_error(const std::string& what, ss_plugin_rc rc) {
  std::string text = last_error_locked();
  std::string msg = "plugin '" + info_.name + "': " + what + " failed (rc " + std::to_string(static_cast<int>(rc)) + ")";
  if (!text.empty()) msg += ": " + text;
  return Status(StatusCode::kInvalidArgument, msg);
}

Status PluginLibrary::init(const std::string& config_in, TableRegistry* tables) {
  std::string config = config_in;
  if (api_.get_init_schema) {
    ss_plugin_schema_type type = SS_PLUGIN_SCHEMA_NONE;
    std::string schema = bounded(api_.get_init_schema(&type));
    if (type == SS_PLUGIN_SCHEMA_JSON && !schema.empty()) {
      auto checked = validate_init_config(schema, config);
      if (!checked.ok()) return Status(checked.status().code(), "plugin '" + info_.name + "': " + checked.status().message());
      config = std::move(*checked);
    }
  }
  std::lock_guard lock(mu_);
  if (state_) return Status(StatusCode::kInternal, "plugin '" + info_.name + "' is already initialised");
  owner_->set_tables(tables);
  // A real owner, logger and tables: plugins built with the SDKs use them
  // unconditionally in init (plugin_owner.h).
  ss_plugin_init_input input = owner_->init_input(config.c_str());
  ss_plugin_rc rc = SS_PLUGIN_FAILURE;
  ss_plugin_t* s = api_.init(&input, &rc);
  if (rc != SS_PLUGIN_SUCCESS) {
    // The plugin may hand back a state only so its error can be read.
    state_ = s;
    Status st = plugin_error("init", rc);
    if (state_) api_.destroy(state_);
    state_ = nullptr;
    return st;
  }
  if (!s) return Status(StatusCode::kInvalidArgument, "plugin '" + info_.name + "': init returned no state");
  state_ = s;
  // A plugin that parses or extracts syscall events needs their schema
  // (event_schema_version.h); it is read from the initialised state.
  const bool takes_syscall = (info_.can_parse && takes_source(info_.parse_event_sources, info_, "syscall")) ||
                             (info_.can_extract && takes_source(info_.extract_event_sources, info_, "syscall"));
  if (takes_syscall) {
    std::string required;
    if (api_.get_required_event_schema_version) required = bounded(api_.get_required_event_schema_version(s), 64);
    Status compatible = check_event_schema_version("'" + info_.name + "' (" + info_.path + ")", required);
    if (!compatible.ok()) {
      api_.destroy(s);
      state_ = nullptr;
      return compatible;
    }
  }
  owner_->set_plugin_state(s);
  // Event-type filters are read once, after init (the API's contract).
  parse_types_ = read_event_types(api_.get_parse_event_types);
  extract_types_ = read_event_types(api_.get_extract_event_types);
  return ok_status();
}

std::vector<uint16_t> PluginLibrary::read_event_types(plugin_get_event_types_fn fn) {
  std::vector<uint16_t> out;
  if (!fn) return out;
  uint32_t n = 0;
  const uint16_t* types = fn(&n, state_);
  if (!types) return out;
  out.assign(types, types + std::min<uint32_t>(n, 65536));
  return out;
}

bool PluginLibrary::wants(const std::vector<std::string>& sources, const std::vector<uint16_t>& types,
                          const PluginInfo& info, const std::string& source, uint16_t type) {
  if (!takes_source(sources, info, source)) return false;
  // Types: the declared list; without one, every type for a plugin that
  // takes syscall events, else plugin events (322) only.
  if (!types.empty()) return std::find(types.begin(), types.end(), type) != types.end();
  return takes_source(sources, info, "syscall") || type == KESTREL_PLUGIN_EVENT_CODE;
}

bool PluginLibrary::wants_parse(const std::string& source, uint16_t type) const {
  return info_.can_parse && wants(info_.parse_event_sources, parse_types_, info_, source, type);
}

bool PluginLibrary::wants_extract(const std::string& source, uint16_t type) const {
  return info_.can_extract && wants(info_.extract_event_sources, extract_types_, info_, source, type);
}

Status PluginLibrary::parse(const ss_plugin_event* event, uint64_t evtnum, const std::string& source) {
  std::lock_guard lock(mu_);
  if (!info_.can_parse || !state_) return Status(StatusCode::kInternal, "plugin '" + info_.name + "' cannot parse");
  ss_plugin_event_input in{};
  in.evt = event;
  in.evtnum = evtnum;
  in.evtsrc = source.c_str();
  ss_plugin_event_parse_input req{};
  owner_->fill_parse_input(req);
  ss_plugin_rc rc = api_.parse_event(state_, &in, &req);
  if (rc != SS_PLUGIN_SUCCESS) return plugin_error("parse_event", rc);
  return ok_status();
}

Status PluginLibrary::start_async(std::shared_ptr<AsyncEventQueue> queue, uint32_t plugin_id) {
  return start_async(std::move(queue), std::vector<uint32_t>{plugin_id});
}

Status PluginLibrary::start_async(std::shared_ptr<AsyncEventQueue> queue, std::vector<uint32_t> plugin_ids) {
  if (!info_.can_async) return Status(StatusCode::kInvalidArgument, "plugin '" + info_.name + "' has no async events");
  owner_->set_async_target(std::move(queue), info_.async_events, std::move(plugin_ids));
  std::lock_guard lock(mu_);
  if (!state_) return Status(StatusCode::kInternal, "plugin '" + info_.name + "' is not initialised");
  ss_plugin_rc rc = api_.set_async_event_handler(state_, owner_.get(), PluginOwner::async_handler());
  if (rc != SS_PLUGIN_SUCCESS) return plugin_error("set_async_event_handler", rc);
  return ok_status();
}

Status PluginLibrary::stop_async() {
  if (!info_.can_async) return ok_status();
  std::lock_guard lock(mu_);
  if (!state_) return ok_status();
  // The API: a NULL handler tells the plugin to stop its async jobs and
  // wait for them before returning.
  ss_plugin_rc rc = api_.set_async_event_handler(state_, owner_.get(), nullptr);
  owner_->set_async_target(nullptr, {}, {});
  if (rc != SS_PLUGIN_SUCCESS) return plugin_error("set_async_event_handler(NULL)", rc);
  return ok_status();
}

Status PluginLibrary::dump_state(std::shared_ptr<AsyncEventQueue> queue, uint32_t plugin_id) {
  if (!api_.dump_state) return Status(StatusCode::kUnimplemented, "plugin '" + info_.name + "' has no dump_state");
  // Events the plugin dumps go through the async handler, so they must be
  // names it declared, like any async event.
  owner_->set_async_target(std::move(queue), info_.async_events, {plugin_id});
  std::lock_guard lock(mu_);
  if (!state_) return Status(StatusCode::kInternal, "plugin '" + info_.name + "' is not initialised");
  ss_plugin_rc rc = api_.dump_state(state_, owner_.get(), PluginOwner::async_handler());
  if (rc != SS_PLUGIN_SUCCESS) return plugin_error("dump_state", rc);
  return ok_status();
}

Status PluginLibrary::capture_open() {
  if (!info_.can_listen) return ok_status();
  std::lock_guard lock(mu_);
  if (!state_) return Status(StatusCode::kInternal, "plugin '" + info_.name + "' is not initialised");
  if (listening_) return ok_status();
  ss_plugin_capture_listen_input in{};
  owner_->fill_capture_listen_input(in);
  ss_plugin_rc rc = api_.capture_open(state_, &in);
  if (rc != SS_PLUGIN_SUCCESS) return plugin_error("capture_open", rc);
  listening_ = true;
  return ok_status();
}

Status PluginLibrary::capture_close() {
  if (!info_.can_listen) return ok_status();
  std::lock_guard lock(mu_);
  if (!state_ || !listening_) return ok_status();
  listening_ = false;
  ss_plugin_capture_listen_input in{};
  owner_->fill_capture_listen_input(in);
  ss_plugin_rc rc = api_.capture_close(state_, &in);
  if (rc != SS_PLUGIN_SUCCESS) return plugin_error("capture_close", rc);
  return ok_status();
}

Status PluginLibrary::set_config(const std::string& config_in) {
  if (!api_.set_config)
    return Status(StatusCode::kUnimplemented, "plugin '" + info_.name + "' cannot change its config while running (no plugin_set_config)");
  std::string config = config_in;
  if (api_.get_init_schema) {
    ss_plugin_schema_type type = SS_PLUGIN_SCHEMA_NONE;
    std::string schema = bounded(api_.get_init_schema(&type));
    if (type == SS_PLUGIN_SCHEMA_JSON && !schema.empty()) {
      auto checked = validate_init_config(schema, config);
      if (!checked.ok()) return Status(checked.status().code(), "plugin '" + info_.name + "': " + checked.status().message());
      config = std::move(*checked);
    }
  }
  std::lock_guard lock(mu_);
  if (!state_) return Status(StatusCode::kInternal, "plugin '" + info_.name + "' is not initialised");
  ss_plugin_set_config_input in{config.c_str()};
  ss_plugin_rc rc = api_.set_config(state_, &in);
  if (rc != SS_PLUGIN_SUCCESS) return plugin_error("set_config", rc);
  return ok_status();
}

std::string PluginLibrary::required_event_schema_version() {
  std::lock_guard lock(mu_);
  if (!api_.get_required_event_schema_version) return {};
  return bounded(api_.get_required_event_schema_version(state_), 64);
}

std::optional<std::pair<uint32_t, std::string>> PluginLibrary::progress() {
  std::lock_guard lock(mu_);
  if (!api_.get_progress || !state_ || !instance_) return std::nullopt;
  uint32_t pct = 0;
  const char* text = api_.get_progress(state_, instance_, &pct);
  return std::make_pair(std::min<uint32_t>(pct, 10000), bounded(text, 1024));
}

std::string PluginLibrary::event_to_string(const ss_plugin_event* event, uint64_t evtnum) {
  std::lock_guard lock(mu_);
  if (!api_.event_to_string || !state_) return {};
  ss_plugin_event_input in{event, evtnum, info_.event_source.c_str()};
  return bounded(api_.event_to_string(state_, &in));
}

Status PluginLibrary::open(const std::string& params) {
  std::lock_guard lock(mu_);
  if (!info_.can_source) return Status(StatusCode::kInvalidArgument, "plugin '" + info_.name + "' has no event source");
  if (!state_) return Status(StatusCode::kInternal, "plugin '" + info_.name + "' is not initialised");
  if (instance_) return Status(StatusCode::kInternal, "plugin '" + info_.name + "' is already open");
  ss_plugin_rc rc = SS_PLUGIN_FAILURE;
  ss_instance_t* h = api_.open(state_, params.c_str(), &rc);
  if (rc != SS_PLUGIN_SUCCESS) {
    Status st = plugin_error("open('" + params + "')", rc);
    if (h) api_.close(state_, h);
    return st;
  }
  instance_ = h;
  return ok_status();
}

PluginBatch PluginLibrary::next_batch() {
  std::lock_guard lock(mu_);
  PluginBatch batch;
  if (!instance_) {
    batch.rc = SS_PLUGIN_EOF;
    return batch;
  }
  uint32_t n = 0;
  ss_plugin_event** evts = nullptr;
  batch.rc = api_.next_batch(state_, instance_, &n, &evts);
  if ((batch.rc == SS_PLUGIN_SUCCESS || batch.rc == SS_PLUGIN_EOF || batch.rc == SS_PLUGIN_TIMEOUT) && evts) {
    // A plugin may return a batch together with EOF; keep its events.
    batch.events.reserve(n);
    for (uint32_t i = 0; i < n; ++i) batch.events.push_back(evts[i]);
  }
  return batch;
}

void PluginLibrary::close() {
  std::lock_guard lock(mu_);
  if (instance_ && api_.close) api_.close(state_, instance_);
  instance_ = nullptr;
}

std::string PluginLibrary::list_open_params() {
  std::lock_guard lock(mu_);
  if (!api_.list_open_params || !state_) return {};
  ss_plugin_rc rc = SS_PLUGIN_FAILURE;
  const char* p = api_.list_open_params(state_, &rc);
  return rc == SS_PLUGIN_SUCCESS ? bounded(p) : std::string();
}

Status PluginLibrary::extract_locked(const ss_plugin_event* event, uint64_t evtnum,
                                     std::span<ss_plugin_extract_field> fields, const char* evtsrc) {
  if (!info_.can_extract || !state_) return Status(StatusCode::kInternal, "plugin cannot extract");
  ss_plugin_event_input in{};
  in.evt = event;
  in.evtnum = evtnum;
  in.evtsrc = evtsrc ? evtsrc : info_.event_source.c_str();
  ss_plugin_field_extract_input req{};
  owner_->fill_extract_input(req);
  req.num_fields = static_cast<uint32_t>(fields.size());
  req.fields = fields.data();
  // Offsets are optional output; Kestrel does not ask for them (NULL).
  req.value_offsets = nullptr;
  for (auto& f : fields) {
    f.res.str = nullptr;
    f.res_len = 0;
  }
  ss_plugin_rc rc = api_.extract_fields(state_, &in, &req);
  if (rc != SS_PLUGIN_SUCCESS) return plugin_error("extract_fields", rc);
  return ok_status();
}

std::map<std::string, uint64_t> PluginLibrary::metrics() {
  std::map<std::string, uint64_t> out;
  std::lock_guard lock(mu_);
  if (!api_.get_metrics || !state_) return out;
  uint32_t n = 0;
  const ss_plugin_metric* m = api_.get_metrics(state_, &n);
  if (!m) return out;
  for (uint32_t i = 0; i < std::min(n, kMaxPluginMetrics); ++i) {
    if (m[i].type != SS_PLUGIN_METRIC_TYPE_MONOTONIC) continue;
    std::string name = bounded(m[i].name, 128);
    if (name.empty()) continue;
    switch (m[i].value_type) {
      case SS_PLUGIN_METRIC_VALUE_TYPE_U32: out[name] = m[i].value.u32; break;
      case SS_PLUGIN_METRIC_VALUE_TYPE_U64: out[name] = m[i].value.u64; break;
      case SS_PLUGIN_METRIC_VALUE_TYPE_S32: out[name] = m[i].value.s32 < 0 ? 0 : static_cast<uint64_t>(m[i].value.s32); break;
      case SS_PLUGIN_METRIC_VALUE_TYPE_S64: out[name] = m[i].value.s64 < 0 ? 0 : static_cast<uint64_t>(m[i].value.s64); break;
      default: break;  // floating point and "int": not counters
    }
  }
  return out;
}

}  // namespace kestrel::plugin
