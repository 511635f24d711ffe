// plugin_owned_table.h — a state table a plugin owns and offered to the
// host with add_table, as a StateTable other plugins can use.
//
// Every call forwards to the owning plugin's vtables with the plugin's own
// table pointer. The input is copied at add_table time and checked as the
// published contract requires: a name, a table pointer, every vtable entry
// present, and (from API 3.1 on) the _ext vtables given and holding the
// same functions as the by-value 3.0 ones. A plugin that declared 3.0 has
// no _ext vtables (its struct ends before them): its 3.0 entries are used
// and release/iterate, which 3.0 lacks, do nothing (iterate reports
// failure).
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "plugins/state_tables/state_table.h"

namespace kestrel::plugin {

class PluginOwnedTable final : public StateTable {
 public:
  // `owner_minor`: the plugin API minor the offering plugin declared.
  static Result<std::unique_ptr<PluginOwnedTable>> make(const std::string& plugin_name, uint32_t owner_minor,
                                                        const ss_plugin_table_input* in);

  const std::string& name() const override { return name_; }
  ss_plugin_state_type key_type() const override { return key_type_; }

  const ss_plugin_table_fieldinfo* list_fields(uint32_t* n) override { return fields_.list_table_fields(table_, n); }
  ss_plugin_table_field_t* get_field(const char* name, ss_plugin_state_type type) override {
    return fields_.get_table_field(table_, name, type);
  }
  ss_plugin_table_field_t* add_field(const char* name, ss_plugin_state_type type) override {
    return fields_.add_table_field(table_, name, type);
  }
  uint64_t size() override { return reader_.get_table_size(table_); }
  ss_plugin_table_entry_t* get_entry(const ss_plugin_state_data* key) override {
    return reader_.get_table_entry(table_, key);
  }
  ss_plugin_rc read(ss_plugin_table_entry_t* e, const ss_plugin_table_field_t* f, ss_plugin_state_data* out) override {
    return reader_.read_entry_field(table_, e, f, out);
  }
  void release(ss_plugin_table_entry_t* e) override {
    if (reader_.release_table_entry) reader_.release_table_entry(table_, e);
  }
  bool iterate(ss_plugin_table_iterator_func_t it, ss_plugin_table_iterator_state_t* s) override;
  ss_plugin_rc clear() override { return writer_.clear_table(table_); }
  ss_plugin_rc erase(const ss_plugin_state_data* key) override { return writer_.erase_table_entry(table_, key); }
  ss_plugin_table_entry_t* create_entry() override { return writer_.create_table_entry(table_); }
  void destroy_entry(ss_plugin_table_entry_t* e) override { writer_.destroy_table_entry(table_, e); }
  ss_plugin_table_entry_t* add_entry(const ss_plugin_state_data* key, ss_plugin_table_entry_t* e) override {
    return writer_.add_table_entry(table_, key, e);
  }
  ss_plugin_rc write(ss_plugin_table_entry_t* e, const ss_plugin_table_field_t* f,
                     const ss_plugin_state_data* in) override {
    return writer_.write_entry_field(table_, e, f, in);
  }

  const std::string& owner() const { return owner_; }

 private:
  PluginOwnedTable() = default;

  std::string name_;
  std::string owner_;
  ss_plugin_state_type key_type_ = SS_PLUGIN_ST_INT64;
  ss_plugin_table_t* table_ = nullptr;
  ss_plugin_table_reader_vtable_ext reader_{};
  ss_plugin_table_writer_vtable_ext writer_{};
  ss_plugin_table_fields_vtable_ext fields_{};
};

}  // namespace kestrel::plugin
