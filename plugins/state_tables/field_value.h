// field_value.h — one value of a state-table field a plugin defined
// (add_table_field), stored by the host for each entry.
//
// Numbers and bools keep the bits of their ss_plugin_state_data member;
// strings are copied (a plugin's pointer is only valid during its call).
// Table-typed fields (SS_PLUGIN_ST_TABLE) cannot be defined by plugins on
// host tables: see ThreadStateTable::add_field.
#pragma once

#include <cstdint>
#include <string>

#include "plugins/plugin_abi.h"
#include "state/thread_info.h"

namespace kestrel::plugin {

// The same thing as a value kept on a state row (state/thread_info.h).
using FieldValue = PluginFieldValue;

inline void store_value(FieldValue& v, ss_plugin_state_type type, const ss_plugin_state_data& in) {
  switch (type) {
    case SS_PLUGIN_ST_INT8: v.bits = static_cast<uint64_t>(static_cast<int64_t>(in.s8)); break;
    case SS_PLUGIN_ST_INT16: v.bits = static_cast<uint64_t>(static_cast<int64_t>(in.s16)); break;
    case SS_PLUGIN_ST_INT32: v.bits = static_cast<uint64_t>(static_cast<int64_t>(in.s32)); break;
    case SS_PLUGIN_ST_INT64: v.bits = static_cast<uint64_t>(in.s64); break;
    case SS_PLUGIN_ST_UINT8: v.bits = in.u8; break;
    case SS_PLUGIN_ST_UINT16: v.bits = in.u16; break;
    case SS_PLUGIN_ST_UINT32: v.bits = in.u32; break;
    case SS_PLUGIN_ST_UINT64: v.bits = in.u64; break;
    case SS_PLUGIN_ST_BOOL: v.bits = in.b ? 1 : 0; break;
    case SS_PLUGIN_ST_STRING: v.str = in.str ? in.str : ""; break;
    case SS_PLUGIN_ST_TABLE: break;
  }
}

inline void load_value(const FieldValue& v, ss_plugin_state_type type, ss_plugin_state_data* out) {
  switch (type) {
    case SS_PLUGIN_ST_INT8: out->s8 = static_cast<int8_t>(v.bits); break;
    case SS_PLUGIN_ST_INT16: out->s16 = static_cast<int16_t>(v.bits); break;
    case SS_PLUGIN_ST_INT32: out->s32 = static_cast<int32_t>(v.bits); break;
    case SS_PLUGIN_ST_INT64: out->s64 = static_cast<int64_t>(v.bits); break;
    case SS_PLUGIN_ST_UINT8: out->u8 = static_cast<uint8_t>(v.bits); break;
    case SS_PLUGIN_ST_UINT16: out->u16 = static_cast<uint16_t>(v.bits); break;
    case SS_PLUGIN_ST_UINT32: out->u32 = static_cast<uint32_t>(v.bits); break;
    case SS_PLUGIN_ST_UINT64: out->u64 = v.bits; break;
    case SS_PLUGIN_ST_BOOL: out->b = v.bits ? 1 : 0; break;
    case SS_PLUGIN_ST_STRING: out->str = v.str.c_str(); break;
    case SS_PLUGIN_ST_TABLE: out->table = nullptr; break;
  }
}

}  // namespace kestrel::plugin
