#include "plugins/plugin_owner.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "plugins/state_tables/plugin_owned_table.h"
#include "plugins/state_tables/table_vtables.h"

namespace kestrel::plugin {
namespace {

void stderr_sink(const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); }

std::atomic<PluginLogSink> g_sink{&stderr_sink};

const char* severity_name(ss_plugin_log_severity sev) {
  switch (sev) {
    case SS_PLUGIN_LOG_SEV_FATAL: return "fatal";
    case SS_PLUGIN_LOG_SEV_CRITICAL: return "critical";
    case SS_PLUGIN_LOG_SEV_ERROR: return "error";
    case SS_PLUGIN_LOG_SEV_WARNING: return "warning";
    case SS_PLUGIN_LOG_SEV_NOTICE: return "notice";
    case SS_PLUGIN_LOG_SEV_INFO: return "info";
    default: return nullptr;  // debug, trace, unknown: not logged
  }
}

std::string bounded(const char* s, size_t max) { return s ? std::string(s, strnlen(s, max)) : std::string(); }

PluginOwner* owner_of(ss_plugin_owner_t* o) { return static_cast<PluginOwner*>(o); }

uint32_t read_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

uint64_t now_ns() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

// --- the C callbacks ------------------------------------------------------

void log_fn(ss_plugin_owner_t* o, const char* component, const char* msg, ss_plugin_log_severity sev) {
  if (o) owner_of(o)->log(component, msg, sev);
}

const char* get_owner_last_error(ss_plugin_owner_t* o) { return o ? owner_of(o)->last_error() : nullptr; }

ss_plugin_table_info* list_tables(ss_plugin_owner_t* o, uint32_t* ntables) {
  if (!o || !ntables) return nullptr;
  return owner_of(o)->tables().list(ntables);
}

ss_plugin_table_t* get_table(ss_plugin_owner_t* o, const char* name, ss_plugin_state_type key_type) {
  if (!o) return nullptr;
  PluginOwner* owner = owner_of(o);
  const std::string wanted = bounded(name, 256);
  StateTable* t = owner->tables().find(wanted);
  if (!t) {
    owner->set_last_error("no state table '" + wanted + "'");
    return nullptr;
  }
  if (t->key_type() != key_type) {
    owner->set_last_error("state table '" + wanted + "' has key type " + state_type_name(t->key_type()) +
                          ", not " + state_type_name(key_type));
    return nullptr;
  }
  return t;
}

ss_plugin_rc add_table(ss_plugin_owner_t* o, const ss_plugin_table_input* in) {
  if (!o) return SS_PLUGIN_FAILURE;
  PluginOwner* owner = owner_of(o);
  auto table = PluginOwnedTable::make(owner->name(), owner->api_minor(), in);
  if (!table.ok()) {
    owner->set_last_error(table.status().message());
    return SS_PLUGIN_FAILURE;
  }
  if (Status s = owner->tables().add(std::move(*table), "plugin '" + owner->name() + "'"); !s.ok()) {
    owner->set_last_error(s.message());
    return SS_PLUGIN_FAILURE;
  }
  return SS_PLUGIN_SUCCESS;
}

ss_plugin_rc async_handler(ss_plugin_owner_t* o, const ss_plugin_event* evt, char* err) {
  std::string why = "no owner";
  if (o && owner_of(o)->accept_async_event(evt, &why)) return SS_PLUGIN_SUCCESS;
  if (err) {
    size_t n = std::min(why.size(), static_cast<size_t>(KESTREL_PLUGIN_MAX_ERRLEN - 1));
    std::memcpy(err, why.data(), n);
    err[n] = '\0';
  }
  return SS_PLUGIN_FAILURE;
}

ss_plugin_routine_t* routine_subscribe(ss_plugin_owner_t* o, ss_plugin_routine_fn_t f, ss_plugin_routine_state_t* i) {
  if (!o || !f) return nullptr;
  return owner_of(o)->subscribe(f, i);
}

ss_plugin_rc routine_unsubscribe(ss_plugin_owner_t* o, ss_plugin_routine_t* r) {
  if (!o || !r) return SS_PLUGIN_FAILURE;
  return owner_of(o)->unsubscribe(r) ? SS_PLUGIN_SUCCESS : SS_PLUGIN_FAILURE;
}

ss_plugin_routine_vtable g_routines{&routine_subscribe, &routine_unsubscribe};

const ss_plugin_init_tables_input& tables_input() {
  static const ss_plugin_init_tables_input tables{&list_tables,         &get_table,           &add_table,
                                                  table_fields_vtable_v0(), table_fields_vtable(),
                                                  table_reader_vtable(), table_writer_vtable()};
  return tables;
}

}  // namespace

void set_plugin_log_sink(PluginLogSink sink) { g_sink.store(sink ? sink : &stderr_sink); }

PluginOwner::PluginOwner(std::string plugin_name, TableRegistry* tables, uint32_t api_minor)
    : name_(std::move(plugin_name)), tables_(tables ? tables : &default_table_registry()), api_minor_(api_minor) {}

PluginOwner::~PluginOwner() { stop_routines(); }

ss_plugin_init_input PluginOwner::init_input(const char* config) {
  // Every member of the newest layout is filled: the host owns this
  // memory, and a plugin of an older minor reads a prefix of it.
  ss_plugin_init_input in{};
  in.config = config;
  in.owner = this;
  in.get_owner_last_error = &get_owner_last_error;
  in.tables = &tables_input();
  in.log_fn = &log_fn;
  return in;
}

void PluginOwner::fill_extract_input(ss_plugin_field_extract_input& in) {
  in.owner = this;
  in.get_owner_last_error = &get_owner_last_error;
  in.table_reader = table_reader_vtable_v0();
  in.table_reader_ext = table_reader_vtable();
}

void PluginOwner::fill_parse_input(ss_plugin_event_parse_input& in) {
  in.owner = this;
  in.get_owner_last_error = &get_owner_last_error;
  in.table_reader = table_reader_vtable_v0();
  in.table_writer = table_writer_vtable_v0();
  in.table_reader_ext = table_reader_vtable();
  in.table_writer_ext = table_writer_vtable();
}

void PluginOwner::fill_capture_listen_input(ss_plugin_capture_listen_input& in) {
  in.owner = this;
  in.routine = &g_routines;
  in.table_reader_ext = table_reader_vtable();
  in.table_writer_ext = table_writer_vtable();
  in.get_owner_last_error = &get_owner_last_error;
}

void PluginOwner::set_last_error(std::string text) {
  std::lock_guard lock(mu_);
  last_error_ = std::move(text);
  last_error_seq_ = next_error_seq();
}

const char* PluginOwner::last_error() {
  // The pointer stays valid until the next error (the contract: a string
  // owned by the owner, read right after the failing call).
  if (table_error_seq() != 0 && !table_error().empty()) {
    std::lock_guard lock(mu_);
    if (table_error_seq() > last_error_seq_) return table_error().c_str();
  }
  std::lock_guard lock(mu_);
  return last_error_.empty() ? nullptr : last_error_.c_str();
}

void PluginOwner::log(const char* component, const char* msg, ss_plugin_log_severity sev) const {
  const char* level = severity_name(sev);
  if (!level) return;
  std::string line = "kestrel: plugin '" + name_ + "'";
  if (component && *component) line += "/" + bounded(component, 128);
  line += ": " + std::string(level) + ": " + bounded(msg, kMaxPluginLogLine);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  g_sink.load()(line);
}

// ---- async events ----------------------------------------------------------

void PluginOwner::set_async_target(std::shared_ptr<AsyncEventQueue> queue, std::vector<std::string> names,
                                   std::vector<uint32_t> plugin_ids) {
  std::lock_guard lock(async_mu_);
  async_queue_ = std::move(queue);
  async_names_ = std::set<std::string>(names.begin(), names.end());
  async_plugin_ids_ = std::move(plugin_ids);
}

ss_plugin_async_event_handler_t PluginOwner::async_handler() { return &plugin::async_handler; }

bool PluginOwner::accept_async_event(const ss_plugin_event* evt, std::string* why) {
  constexpr size_t kHeader = sizeof(ss_plugin_event);
  if (!evt) {
    *why = "NULL event";
    return false;
  }
  ss_plugin_event hdr;
  std::memcpy(&hdr, evt, kHeader);
  if (hdr.type != KESTREL_ASYNC_EVENT_CODE || hdr.nparams != 3) {
    *why = "not an async event (type " + std::to_string(hdr.type) + ", " + std::to_string(hdr.nparams) +
           " params; want type 402 with 3 params)";
    return false;
  }
  if (hdr.len < kHeader + 12 || hdr.len > (16u << 20)) {
    *why = "bad event length " + std::to_string(hdr.len);
    return false;
  }
  const auto* base = reinterpret_cast<const uint8_t*>(evt);
  const uint32_t id_len = read_u32(base + kHeader), name_len = read_u32(base + kHeader + 4),
                 data_len = read_u32(base + kHeader + 8);
  if (id_len != 4 || uint64_t{kHeader} + 12 + id_len + name_len + data_len > hdr.len || name_len == 0) {
    *why = "async event params do not fit its length";
    return false;
  }
  const char* name_p = reinterpret_cast<const char*>(base + kHeader + 12 + 4);
  std::string name(name_p, strnlen(name_p, name_len));
  const uint8_t* data = base + kHeader + 12 + 4 + name_len;
  std::lock_guard lock(async_mu_);
  if (!async_queue_) {
    *why = "async events are not enabled for plugin '" + name_ + "'";
    return false;
  }
  if (!async_names_.count(name)) {
    *why = "async event name '" + name + "' is not among those plugin '" + name_ + "' declared (get_async_events)";
    return false;
  }
  AsyncEvent e;
  e.plugin = name_;
  e.ts = hdr.ts == UINT64_MAX ? now_ns() : hdr.ts;
  e.tid = hdr.tid;
  e.name = std::move(name);
  e.data.assign(data, data + data_len);
  // One copy per event source it goes to (get_async_event_sources).
  for (size_t i = 0; i < async_plugin_ids_.size(); ++i) {
    AsyncEvent copy = i + 1 < async_plugin_ids_.size() ? e : std::move(e);
    copy.plugin_id = async_plugin_ids_[i];
    if (!async_queue_->push(std::move(copy))) {
      *why = "async event queue full";
      return false;
    }
  }
  return true;
}

// ---- routines ---------------------------------------------------------------

ss_plugin_routine_t* PluginOwner::subscribe(ss_plugin_routine_fn_t fn, ss_plugin_routine_state_t* arg) {
  std::lock_guard lock(routines_mu_);
  if (routines_stop_) return nullptr;
  routines_.push_back(std::make_unique<Routine>(Routine{fn, arg}));
  ss_plugin_routine_t* handle = routines_.back().get();
  if (!routines_thread_.joinable()) routines_thread_ = std::thread([this] { run_routines(); });
  routines_cv_.notify_all();
  return handle;
}

bool PluginOwner::unsubscribe(ss_plugin_routine_t* r) {
  std::lock_guard lock(routines_mu_);
  for (auto it = routines_.begin(); it != routines_.end(); ++it) {
    if (it->get() == r) {
      routines_.erase(it);
      return true;
    }
  }
  return false;
}

size_t PluginOwner::routine_count() {
  std::lock_guard lock(routines_mu_);
  return routines_.size();
}

void PluginOwner::run_routines() {
  // One pass calls every routine once; a routine returning false is
  // unsubscribed. Between passes a short pause, so a routine that returns
  // at once does not spin a CPU.
  std::unique_lock lock(routines_mu_);
  while (!routines_stop_) {
    if (routines_.empty()) {
      routines_cv_.wait(lock, [&] { return routines_stop_ || !routines_.empty(); });
      continue;
    }
    std::vector<Routine*> pass;
    for (auto& r : routines_) pass.push_back(r.get());
    for (Routine* r : pass) {
      // Still subscribed? (a previous routine may have unsubscribed it)
      bool present = false;
      for (auto& x : routines_) present = present || x.get() == r;
      if (!present || routines_stop_) continue;
      Routine copy = *r;
      lock.unlock();
      const bool again = copy.fn(state_.load(), copy.arg) != 0;
      lock.lock();
      if (!again) {
        for (auto it = routines_.begin(); it != routines_.end(); ++it)
          if (it->get() == r) {
            routines_.erase(it);
            break;
          }
      }
    }
    routines_cv_.wait_for(lock, std::chrono::milliseconds(1), [&] { return routines_stop_; });
  }
}

void PluginOwner::stop_routines() {
  {
    std::lock_guard lock(routines_mu_);
    routines_stop_ = true;
    routines_.clear();
  }
  routines_cv_.notify_all();
  if (routines_thread_.joinable()) routines_thread_.join();
}

}  // namespace kestrel::plugin
