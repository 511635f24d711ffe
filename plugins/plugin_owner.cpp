#include "plugins/plugin_owner.h"

#include <atomic>
#include <cstdio>
#include <cstring>

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

// --- the C callbacks ------------------------------------------------------

void log_fn(ss_plugin_owner_t* o, const char* component, const char* msg, ss_plugin_log_severity sev) {
  if (o) owner_of(o)->log(component, msg, sev);
}

const char* get_owner_last_error(ss_plugin_owner_t* o) { return o ? owner_of(o)->last_error() : nullptr; }

ss_plugin_table_info* list_tables(ss_plugin_owner_t*, uint32_t* ntables) {
  static ss_plugin_table_info kNone{};  // a valid pointer to zero entries
  if (ntables) *ntables = 0;
  return &kNone;
}

ss_plugin_table_t* get_table(ss_plugin_owner_t* o, const char* name, ss_plugin_state_type) {
  if (o)
    owner_of(o)->set_last_error("Kestrel offers no state tables to plugins (asked for '" + bounded(name, 256) + "')");
  return nullptr;
}

ss_plugin_rc add_table(ss_plugin_owner_t* o, const ss_plugin_table_input*) {
  if (o) owner_of(o)->set_last_error("Kestrel does not accept state tables from plugins");
  return SS_PLUGIN_FAILURE;
}

// Entries that need a table: none can be reached without one, so each fails.
const ss_plugin_table_fieldinfo* list_table_fields(ss_plugin_table_t*, uint32_t* n) {
  if (n) *n = 0;
  return nullptr;
}
ss_plugin_table_field_t* table_field(ss_plugin_table_t*, const char*, ss_plugin_state_type) { return nullptr; }
const char* get_table_name(ss_plugin_table_t*) { return nullptr; }
uint64_t get_table_size(ss_plugin_table_t*) { return UINT64_MAX; }
ss_plugin_table_entry_t* get_table_entry(ss_plugin_table_t*, const ss_plugin_state_data*) { return nullptr; }
ss_plugin_rc read_entry_field(ss_plugin_table_t*, ss_plugin_table_entry_t*, const ss_plugin_table_field_t*,
                              ss_plugin_state_data*) {
  return SS_PLUGIN_FAILURE;
}
void release_table_entry(ss_plugin_table_t*, ss_plugin_table_entry_t*) {}
ss_plugin_bool iterate_entries(ss_plugin_table_t*, ss_plugin_table_iterator_func_t, ss_plugin_table_iterator_state_t*) {
  return 0;
}
ss_plugin_rc clear_table(ss_plugin_table_t*) { return SS_PLUGIN_FAILURE; }
ss_plugin_rc erase_table_entry(ss_plugin_table_t*, const ss_plugin_state_data*) { return SS_PLUGIN_FAILURE; }
ss_plugin_table_entry_t* create_table_entry(ss_plugin_table_t*) { return nullptr; }
void destroy_table_entry(ss_plugin_table_t*, ss_plugin_table_entry_t*) {}
ss_plugin_table_entry_t* add_table_entry(ss_plugin_table_t*, const ss_plugin_state_data*, ss_plugin_table_entry_t*) {
  return nullptr;
}
ss_plugin_rc write_entry_field(ss_plugin_table_t*, ss_plugin_table_entry_t*, const ss_plugin_table_field_t*,
                               const ss_plugin_state_data*) {
  return SS_PLUGIN_FAILURE;
}

ss_plugin_table_fields_vtable_ext g_fields{&list_table_fields, &table_field, &table_field};
ss_plugin_table_reader_vtable_ext g_reader{&get_table_name,   &get_table_size,      &get_table_entry,
                                           &read_entry_field, &release_table_entry, &iterate_entries};
ss_plugin_table_writer_vtable_ext g_writer{&clear_table,         &erase_table_entry, &create_table_entry,
                                           &destroy_table_entry, &add_table_entry,   &write_entry_field};
const ss_plugin_init_tables_input g_tables{&list_tables, &get_table, &add_table,
                                           {&list_table_fields, &table_field, &table_field},
                                           &g_fields,    &g_reader,  &g_writer};

}  // namespace

void set_plugin_log_sink(PluginLogSink sink) { g_sink.store(sink ? sink : &stderr_sink); }

const ss_plugin_init_tables_input* empty_tables_input() { return &g_tables; }

ss_plugin_init_input PluginOwner::init_input(const char* config) {
  ss_plugin_init_input in{};
  in.config = config;
  in.owner = this;
  in.get_owner_last_error = &get_owner_last_error;
  in.tables = empty_tables_input();
  in.log_fn = &log_fn;
  return in;
}

void PluginOwner::fill_extract_input(ss_plugin_field_extract_input& in) {
  in.owner = this;
  in.get_owner_last_error = &get_owner_last_error;
  in.table_reader = {g_reader.get_table_name, g_reader.get_table_size, g_reader.get_table_entry,
                     g_reader.read_entry_field};
  in.table_reader_ext = &g_reader;
}

void PluginOwner::set_last_error(std::string text) {
  std::lock_guard lock(mu_);
  last_error_ = std::move(text);
}

const char* PluginOwner::last_error() {
  // The pointer stays valid until the next set_last_error (the contract: a
  // string owned by the owner, read right after the failing call).
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

}  // namespace kestrel::plugin
