#include "plugins/state_tables/plugin_owned_table.h"

#include <cstring>

#include "plugins/state_tables/table_vtables.h"

namespace kestrel::plugin {
namespace {

bool known_key_type(ss_plugin_state_type t) {
  return std::strcmp(state_type_name(t), "unknown") != 0 && t != SS_PLUGIN_ST_TABLE;
}

}  // namespace

Result<std::unique_ptr<PluginOwnedTable>> PluginOwnedTable::make(const std::string& plugin_name, uint32_t owner_minor,
                                                                 const ss_plugin_table_input* in) {
  auto bad = [&](const std::string& why) {
    return Status(StatusCode::kInvalidArgument,
                  "plugin '" + plugin_name + "': add_table: " + why);
  };
  if (!in) return bad("NULL table input");
  if (!in->name || !*in->name) return bad("the table has no name");
  const std::string name(in->name, strnlen(in->name, 256));
  if (!in->table) return bad("table '" + name + "': NULL table pointer");
  if (!known_key_type(in->key_type))
    return bad("table '" + name + "': key type " + std::to_string(static_cast<int>(in->key_type)) +
               " is not a scalar or string state type");
  std::unique_ptr<PluginOwnedTable> t(new PluginOwnedTable());
  t->name_ = name;
  t->owner_ = plugin_name;
  t->key_type_ = in->key_type;
  t->table_ = in->table;
  if (owner_minor < 1) {
    // API 3.0: only the by-value vtables exist in the plugin's struct.
    t->reader_ = {in->reader.get_table_name, in->reader.get_table_size, in->reader.get_table_entry,
                  in->reader.read_entry_field, nullptr, nullptr};
    t->writer_ = {in->writer.clear_table,         in->writer.erase_table_entry, in->writer.create_table_entry,
                  in->writer.destroy_table_entry, in->writer.add_table_entry,   in->writer.write_entry_field};
    t->fields_ = {in->fields.list_table_fields, in->fields.get_table_field, in->fields.add_table_field};
  } else {
    if (!in->reader_ext || !in->writer_ext || !in->fields_ext)
      return bad("table '" + name + "': the reader_ext, writer_ext and fields_ext vtables must all be given");
    t->reader_ = *in->reader_ext;
    t->writer_ = *in->writer_ext;
    t->fields_ = *in->fields_ext;
    const bool same = t->reader_.get_table_name == in->reader.get_table_name &&
                      t->reader_.get_table_size == in->reader.get_table_size &&
                      t->reader_.get_table_entry == in->reader.get_table_entry &&
                      t->reader_.read_entry_field == in->reader.read_entry_field &&
                      t->writer_.clear_table == in->writer.clear_table &&
                      t->writer_.erase_table_entry == in->writer.erase_table_entry &&
                      t->writer_.create_table_entry == in->writer.create_table_entry &&
                      t->writer_.destroy_table_entry == in->writer.destroy_table_entry &&
                      t->writer_.add_table_entry == in->writer.add_table_entry &&
                      t->writer_.write_entry_field == in->writer.write_entry_field &&
                      t->fields_.list_table_fields == in->fields.list_table_fields &&
                      t->fields_.get_table_field == in->fields.get_table_field &&
                      t->fields_.add_table_field == in->fields.add_table_field;
    if (!same) return bad("table '" + name + "': the _ext vtables and the by-value vtables disagree");
    if (!t->reader_.release_table_entry || !t->reader_.iterate_entries)
      return bad("table '" + name + "': reader_ext lacks release_table_entry or iterate_entries");
  }
  const bool complete = t->reader_.get_table_name && t->reader_.get_table_size && t->reader_.get_table_entry &&
                        t->reader_.read_entry_field && t->writer_.clear_table && t->writer_.erase_table_entry &&
                        t->writer_.create_table_entry && t->writer_.destroy_table_entry &&
                        t->writer_.add_table_entry && t->writer_.write_entry_field && t->fields_.list_table_fields &&
                        t->fields_.get_table_field && t->fields_.add_table_field;
  if (!complete) return bad("table '" + name + "': a vtable entry is NULL");
  return t;
}

bool PluginOwnedTable::iterate(ss_plugin_table_iterator_func_t it, ss_plugin_table_iterator_state_t* s) {
  if (!reader_.iterate_entries) {
    set_table_error("table '" + name_ + "' (plugin '" + owner_ + "', API 3.0) cannot be iterated");
    return false;
  }
  return reader_.iterate_entries(table_, it, s) != 0;
}

}  // namespace kestrel::plugin
