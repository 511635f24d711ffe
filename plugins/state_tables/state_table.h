// state_table.h — one state table as plugins see it through the plugin API
// (ss_plugin_table_* in plugins/plugin_abi.h), in C++.
//
// The ss_plugin_table_t* a plugin receives from get_table is a StateTable*;
// the C vtables (table_vtables.h) cast it back and call these methods. Two
// kinds exist: host tables (the "threads" table over Kestrel's ThreadTable,
// thread_state_table.h) and tables a plugin offered with add_table
// (plugin_owned_table.h), which forward to that plugin's own vtables so
// that other plugins can use them.
//
// Contract (the published API's): accessors from get_field/add_field stay
// valid for the table's life; an entry from get_entry/add_entry is valid
// until release(); a string read from an entry is valid until the entry's
// next write or release. A failing call returns the API's error value and
// leaves a message for get_owner_last_error (table_errors.h).
//
// Thread safety: none of its own. Plugins reach tables from the engine
// thread (parse_event, extract_fields, capture_open/close) and from
// plugin_init; the integrator keeps those on one thread at a time.
#pragma once

#include <cstdint>
#include <string>

#include "plugins/plugin_abi.h"

namespace kestrel::plugin {

class StateTable {
 public:
  virtual ~StateTable() = default;

  virtual const std::string& name() const = 0;
  virtual ss_plugin_state_type key_type() const = 0;

  // ---- fields ----
  virtual const ss_plugin_table_fieldinfo* list_fields(uint32_t* nfields) = 0;
  virtual ss_plugin_table_field_t* get_field(const char* name, ss_plugin_state_type type) = 0;
  virtual ss_plugin_table_field_t* add_field(const char* name, ss_plugin_state_type type) = 0;

  // ---- reading ----
  virtual uint64_t size() = 0;  // UINT64_MAX on error
  virtual ss_plugin_table_entry_t* get_entry(const ss_plugin_state_data* key) = 0;
  virtual ss_plugin_rc read(ss_plugin_table_entry_t* e, const ss_plugin_table_field_t* f,
                            ss_plugin_state_data* out) = 0;
  virtual void release(ss_plugin_table_entry_t* e) = 0;
  virtual bool iterate(ss_plugin_table_iterator_func_t it, ss_plugin_table_iterator_state_t* s) = 0;

  // ---- writing ----
  virtual ss_plugin_rc clear() = 0;
  virtual ss_plugin_rc erase(const ss_plugin_state_data* key) = 0;
  virtual ss_plugin_table_entry_t* create_entry() = 0;
  virtual void destroy_entry(ss_plugin_table_entry_t* e) = 0;
  virtual ss_plugin_table_entry_t* add_entry(const ss_plugin_state_data* key, ss_plugin_table_entry_t* e) = 0;
  virtual ss_plugin_rc write(ss_plugin_table_entry_t* e, const ss_plugin_table_field_t* f,
                             const ss_plugin_state_data* in) = 0;
};

// The name Falco uses for a state type ("int64", "string", ...), for errors.
const char* state_type_name(ss_plugin_state_type type);

}  // namespace kestrel::plugin
