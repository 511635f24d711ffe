#include "plugins/state_tables/table_vtables.h"

#include <atomic>

#include "plugins/state_tables/state_table.h"

namespace kestrel::plugin {
namespace {

std::atomic<uint64_t> g_error_seq{0};
thread_local std::string t_error;
thread_local uint64_t t_error_seq = 0;

StateTable* table_of(ss_plugin_table_t* t, const char* op) {
  if (!t) set_table_error(std::string(op) + ": NULL table");
  return static_cast<StateTable*>(t);
}

// ---- fields ----
const ss_plugin_table_fieldinfo* list_table_fields(ss_plugin_table_t* t, uint32_t* nfields) {
  if (nfields) *nfields = 0;
  StateTable* table = table_of(t, "list_table_fields");
  return table && nfields ? table->list_fields(nfields) : nullptr;
}
ss_plugin_table_field_t* get_table_field(ss_plugin_table_t* t, const char* name, ss_plugin_state_type type) {
  StateTable* table = table_of(t, "get_table_field");
  if (!table) return nullptr;
  if (!name) {
    set_table_error("get_table_field: NULL field name");
    return nullptr;
  }
  return table->get_field(name, type);
}
ss_plugin_table_field_t* add_table_field(ss_plugin_table_t* t, const char* name, ss_plugin_state_type type) {
  StateTable* table = table_of(t, "add_table_field");
  if (!table) return nullptr;
  if (!name || !*name) {
    set_table_error("add_table_field: empty field name");
    return nullptr;
  }
  return table->add_field(name, type);
}

// ---- reader ----
const char* get_table_name(ss_plugin_table_t* t) {
  StateTable* table = table_of(t, "get_table_name");
  return table ? table->name().c_str() : nullptr;
}
uint64_t get_table_size(ss_plugin_table_t* t) {
  StateTable* table = table_of(t, "get_table_size");
  return table ? table->size() : UINT64_MAX;
}
ss_plugin_table_entry_t* get_table_entry(ss_plugin_table_t* t, const ss_plugin_state_data* key) {
  StateTable* table = table_of(t, "get_table_entry");
  if (!table) return nullptr;
  if (!key) {
    set_table_error("get_table_entry: NULL key");
    return nullptr;
  }
  return table->get_entry(key);
}
ss_plugin_rc read_entry_field(ss_plugin_table_t* t, ss_plugin_table_entry_t* e, const ss_plugin_table_field_t* f,
                              ss_plugin_state_data* out) {
  StateTable* table = table_of(t, "read_entry_field");
  if (!table) return SS_PLUGIN_FAILURE;
  if (!e || !f || !out) {
    set_table_error("read_entry_field on table '" + table->name() + "': NULL entry, field or output");
    return SS_PLUGIN_FAILURE;
  }
  return table->read(e, f, out);
}
void release_table_entry(ss_plugin_table_t* t, ss_plugin_table_entry_t* e) {
  StateTable* table = table_of(t, "release_table_entry");
  if (table && e) table->release(e);
}
ss_plugin_bool iterate_entries(ss_plugin_table_t* t, ss_plugin_table_iterator_func_t it,
                               ss_plugin_table_iterator_state_t* s) {
  StateTable* table = table_of(t, "iterate_entries");
  if (!table) return 0;
  if (!it) {
    set_table_error("iterate_entries on table '" + table->name() + "': NULL iterator");
    return 0;
  }
  return table->iterate(it, s) ? 1 : 0;
}

// ---- writer ----
ss_plugin_rc clear_table(ss_plugin_table_t* t) {
  StateTable* table = table_of(t, "clear_table");
  return table ? table->clear() : SS_PLUGIN_FAILURE;
}
ss_plugin_rc erase_table_entry(ss_plugin_table_t* t, const ss_plugin_state_data* key) {
  StateTable* table = table_of(t, "erase_table_entry");
  if (!table) return SS_PLUGIN_FAILURE;
  if (!key) {
    set_table_error("erase_table_entry on table '" + table->name() + "': NULL key");
    return SS_PLUGIN_FAILURE;
  }
  return table->erase(key);
}
ss_plugin_table_entry_t* create_table_entry(ss_plugin_table_t* t) {
  StateTable* table = table_of(t, "create_table_entry");
  return table ? table->create_entry() : nullptr;
}
void destroy_table_entry(ss_plugin_table_t* t, ss_plugin_table_entry_t* e) {
  StateTable* table = table_of(t, "destroy_table_entry");
  if (table && e) table->destroy_entry(e);
}
ss_plugin_table_entry_t* add_table_entry(ss_plugin_table_t* t, const ss_plugin_state_data* key,
                                         ss_plugin_table_entry_t* e) {
  StateTable* table = table_of(t, "add_table_entry");
  if (!table) return nullptr;
  if (!key || !e) {
    set_table_error("add_table_entry on table '" + table->name() + "': NULL key or entry");
    return nullptr;
  }
  return table->add_entry(key, e);
}
ss_plugin_rc write_entry_field(ss_plugin_table_t* t, ss_plugin_table_entry_t* e, const ss_plugin_table_field_t* f,
                               const ss_plugin_state_data* in) {
  StateTable* table = table_of(t, "write_entry_field");
  if (!table) return SS_PLUGIN_FAILURE;
  if (!e || !f || !in) {
    set_table_error("write_entry_field on table '" + table->name() + "': NULL entry, field or input");
    return SS_PLUGIN_FAILURE;
  }
  return table->write(e, f, in);
}

ss_plugin_table_fields_vtable_ext g_fields{&list_table_fields, &get_table_field, &add_table_field};
ss_plugin_table_reader_vtable_ext g_reader{&get_table_name,   &get_table_size,      &get_table_entry,
                                           &read_entry_field, &release_table_entry, &iterate_entries};
ss_plugin_table_writer_vtable_ext g_writer{&clear_table,         &erase_table_entry, &create_table_entry,
                                           &destroy_table_entry, &add_table_entry,   &write_entry_field};

}  // namespace

const char* state_type_name(ss_plugin_state_type type) {
  switch (type) {
    case SS_PLUGIN_ST_INT8: return "int8";
    case SS_PLUGIN_ST_INT16: return "int16";
    case SS_PLUGIN_ST_INT32: return "int32";
    case SS_PLUGIN_ST_INT64: return "int64";
    case SS_PLUGIN_ST_UINT8: return "uint8";
    case SS_PLUGIN_ST_UINT16: return "uint16";
    case SS_PLUGIN_ST_UINT32: return "uint32";
    case SS_PLUGIN_ST_UINT64: return "uint64";
    case SS_PLUGIN_ST_STRING: return "string";
    case SS_PLUGIN_ST_TABLE: return "table";
    case SS_PLUGIN_ST_BOOL: return "bool";
  }
  return "unknown";
}

ss_plugin_table_fields_vtable_ext* table_fields_vtable() { return &g_fields; }
ss_plugin_table_reader_vtable_ext* table_reader_vtable() { return &g_reader; }
ss_plugin_table_writer_vtable_ext* table_writer_vtable() { return &g_writer; }

ss_plugin_table_fields_vtable table_fields_vtable_v0() {
  return {g_fields.list_table_fields, g_fields.get_table_field, g_fields.add_table_field};
}
ss_plugin_table_reader_vtable table_reader_vtable_v0() {
  return {g_reader.get_table_name, g_reader.get_table_size, g_reader.get_table_entry, g_reader.read_entry_field};
}
ss_plugin_table_writer_vtable table_writer_vtable_v0() {
  return {g_writer.clear_table,         g_writer.erase_table_entry, g_writer.create_table_entry,
          g_writer.destroy_table_entry, g_writer.add_table_entry,   g_writer.write_entry_field};
}

void set_table_error(std::string text) {
  t_error = std::move(text);
  t_error_seq = next_error_seq();
}
const std::string& table_error() { return t_error; }
uint64_t table_error_seq() { return t_error_seq; }
uint64_t next_error_seq() { return g_error_seq.fetch_add(1) + 1; }

}  // namespace kestrel::plugin
