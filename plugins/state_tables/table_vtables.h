// table_vtables.h — the C vtables through which plugins use StateTables,
// and where their errors go.
//
// Every entry takes the ss_plugin_table_t* it was handed (a StateTable*),
// refuses NULL with an error, and calls the StateTable. The vtables are
// static and shared by every plugin; the 3.0 by-value copies inside the
// inputs hold the same functions as the 3.1 _ext vtables.
//
// Errors: table calls carry no owner, so a failing table call records its
// message per thread (set_table_error); get_owner_last_error answers the
// most recent of that and the owner's own error (plugin_owner.cpp).
#pragma once

#include <string>

#include "plugins/plugin_abi.h"

namespace kestrel::plugin {

ss_plugin_table_fields_vtable_ext* table_fields_vtable();
ss_plugin_table_reader_vtable_ext* table_reader_vtable();
ss_plugin_table_writer_vtable_ext* table_writer_vtable();

// The same functions in the deprecated by-value forms of 3.0.
ss_plugin_table_fields_vtable table_fields_vtable_v0();
ss_plugin_table_reader_vtable table_reader_vtable_v0();
ss_plugin_table_writer_vtable table_writer_vtable_v0();

// Per-thread error text of the last failed host call a plugin made, with a
// sequence number so the owner can tell which error is newer.
void set_table_error(std::string text);
const std::string& table_error();
uint64_t table_error_seq();
uint64_t next_error_seq();

}  // namespace kestrel::plugin
