// Our plugin ABI header (plugins/plugin_abi.h) against the published one
// (../shared/reference/plugin-api, 3.12.0): both in one translation unit,
// the published one inside namespace ref. Every struct the host and a
// plugin share has the same size, alignment and member offsets; every enum
// the same values; every exported symbol and callback the same signature
// once our type names are mapped to theirs. A disagreement is a compile
// error naming the type.
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>

#include <cstring>
#include <type_traits>
#include <utility>

#include "plugins/plugin_abi.h"

namespace ref {
#include <plugin/plugin_api.h>
}  // namespace ref

#include <gtest/gtest.h>

namespace {

// ---- mapping our types to theirs, through pointers, const and functions ----
template <class T>
struct ToRef {
  using type = T;
};
template <class T>
using to_ref_t = typename ToRef<T>::type;
template <class T>
struct ToRef<T*> {
  using type = to_ref_t<T>*;
};
template <class T>
struct ToRef<const T> {
  using type = const to_ref_t<T>;
};
template <class R, class... A>
struct ToRef<R(A...)> {
  using type = to_ref_t<R>(to_ref_t<A>...);
};
#define KESTREL_MAP(name)              \
  template <>                          \
  struct ToRef<::name> {               \
    using type = ref::name;            \
  };
KESTREL_MAP(ss_plugin_field_type)
KESTREL_MAP(ss_plugin_rc)
KESTREL_MAP(ss_plugin_schema_type)
KESTREL_MAP(ss_plugin_event)
KESTREL_MAP(ss_plugin_event_input)
KESTREL_MAP(ss_plugin_byte_buffer)
KESTREL_MAP(ss_plugin_extract_value_offsets)
KESTREL_MAP(ss_plugin_extract_field)
KESTREL_MAP(ss_plugin_state_type)
KESTREL_MAP(ss_plugin_state_data)
KESTREL_MAP(ss_plugin_table_info)
KESTREL_MAP(ss_plugin_table_fieldinfo)
KESTREL_MAP(ss_plugin_log_severity)
KESTREL_MAP(ss_plugin_metric_value_type)
KESTREL_MAP(ss_plugin_metric_value)
KESTREL_MAP(ss_plugin_metric_type)
KESTREL_MAP(ss_plugin_metric)
KESTREL_MAP(ss_plugin_table_fields_vtable)
KESTREL_MAP(ss_plugin_table_fields_vtable_ext)
KESTREL_MAP(ss_plugin_table_reader_vtable)
KESTREL_MAP(ss_plugin_table_reader_vtable_ext)
KESTREL_MAP(ss_plugin_table_writer_vtable)
KESTREL_MAP(ss_plugin_table_writer_vtable_ext)
KESTREL_MAP(ss_plugin_table_input)
KESTREL_MAP(ss_plugin_init_tables_input)
KESTREL_MAP(ss_plugin_init_input)
KESTREL_MAP(ss_plugin_field_extract_input)
KESTREL_MAP(ss_plugin_event_parse_input)
KESTREL_MAP(ss_plugin_set_config_input)
KESTREL_MAP(ss_plugin_routine_vtable)
KESTREL_MAP(ss_plugin_capture_listen_input)
#undef KESTREL_MAP

template <class Ours, class Theirs>
inline constexpr bool kSameType = std::is_same_v<to_ref_t<Ours>, Theirs>;

// ---- constants ----
static_assert(KESTREL_PLUGIN_API_MAJOR == PLUGIN_API_VERSION_MAJOR);
static_assert(KESTREL_PLUGIN_API_MINOR == PLUGIN_API_VERSION_MINOR);
static_assert(KESTREL_PLUGIN_API_PATCH == PLUGIN_API_VERSION_PATCH);
static_assert(KESTREL_PLUGIN_MAX_ERRLEN == PLUGIN_MAX_ERRLEN);
static_assert(KESTREL_PLUGIN_EVENT_PAYLOAD_OFFSET == PLUGIN_EVENT_PAYLOAD_OFFSET);

// ---- enums: same values, same size ----
#define SAME_ENUM_VALUE(v) static_assert(static_cast<long long>(::v) == static_cast<long long>(ref::v), #v);
#define SAME_ENUM_SIZE(e) static_assert(sizeof(::e) == sizeof(ref::e), #e);
SAME_ENUM_SIZE(ss_plugin_field_type)
SAME_ENUM_VALUE(FTYPE_UINT64)
SAME_ENUM_VALUE(FTYPE_STRING)
SAME_ENUM_VALUE(FTYPE_RELTIME)
SAME_ENUM_VALUE(FTYPE_ABSTIME)
SAME_ENUM_VALUE(FTYPE_BOOL)
SAME_ENUM_VALUE(FTYPE_IPADDR)
SAME_ENUM_VALUE(FTYPE_IPNET)
SAME_ENUM_SIZE(ss_plugin_rc)
SAME_ENUM_VALUE(SS_PLUGIN_SUCCESS)
SAME_ENUM_VALUE(SS_PLUGIN_FAILURE)
SAME_ENUM_VALUE(SS_PLUGIN_TIMEOUT)
SAME_ENUM_VALUE(SS_PLUGIN_EOF)
SAME_ENUM_VALUE(SS_PLUGIN_NOT_SUPPORTED)
SAME_ENUM_SIZE(ss_plugin_schema_type)
SAME_ENUM_VALUE(SS_PLUGIN_SCHEMA_NONE)
SAME_ENUM_VALUE(SS_PLUGIN_SCHEMA_JSON)
SAME_ENUM_SIZE(ss_plugin_state_type)
SAME_ENUM_VALUE(SS_PLUGIN_ST_INT8)
SAME_ENUM_VALUE(SS_PLUGIN_ST_INT16)
SAME_ENUM_VALUE(SS_PLUGIN_ST_INT32)
SAME_ENUM_VALUE(SS_PLUGIN_ST_INT64)
SAME_ENUM_VALUE(SS_PLUGIN_ST_UINT8)
SAME_ENUM_VALUE(SS_PLUGIN_ST_UINT16)
SAME_ENUM_VALUE(SS_PLUGIN_ST_UINT32)
SAME_ENUM_VALUE(SS_PLUGIN_ST_UINT64)
SAME_ENUM_VALUE(SS_PLUGIN_ST_STRING)
SAME_ENUM_VALUE(SS_PLUGIN_ST_TABLE)
SAME_ENUM_VALUE(SS_PLUGIN_ST_BOOL)
SAME_ENUM_SIZE(ss_plugin_log_severity)
SAME_ENUM_VALUE(SS_PLUGIN_LOG_SEV_FATAL)
SAME_ENUM_VALUE(SS_PLUGIN_LOG_SEV_CRITICAL)
SAME_ENUM_VALUE(SS_PLUGIN_LOG_SEV_ERROR)
SAME_ENUM_VALUE(SS_PLUGIN_LOG_SEV_WARNING)
SAME_ENUM_VALUE(SS_PLUGIN_LOG_SEV_NOTICE)
SAME_ENUM_VALUE(SS_PLUGIN_LOG_SEV_INFO)
SAME_ENUM_VALUE(SS_PLUGIN_LOG_SEV_DEBUG)
SAME_ENUM_VALUE(SS_PLUGIN_LOG_SEV_TRACE)
SAME_ENUM_SIZE(ss_plugin_metric_value_type)
SAME_ENUM_VALUE(SS_PLUGIN_METRIC_VALUE_TYPE_U32)
SAME_ENUM_VALUE(SS_PLUGIN_METRIC_VALUE_TYPE_S32)
SAME_ENUM_VALUE(SS_PLUGIN_METRIC_VALUE_TYPE_U64)
SAME_ENUM_VALUE(SS_PLUGIN_METRIC_VALUE_TYPE_S64)
SAME_ENUM_VALUE(SS_PLUGIN_METRIC_VALUE_TYPE_D)
SAME_ENUM_VALUE(SS_PLUGIN_METRIC_VALUE_TYPE_F)
SAME_ENUM_VALUE(SS_PLUGIN_METRIC_VALUE_TYPE_I)
SAME_ENUM_SIZE(ss_plugin_metric_type)
SAME_ENUM_VALUE(SS_PLUGIN_METRIC_TYPE_MONOTONIC)
SAME_ENUM_VALUE(SS_PLUGIN_METRIC_TYPE_NON_MONOTONIC)

// ---- plain typedefs ----
static_assert(std::is_same_v<::ss_plugin_bool, ref::ss_plugin_bool>);
static_assert(std::is_same_v<::ss_plugin_t, ref::ss_plugin_t>);
static_assert(std::is_same_v<::ss_instance_t, ref::ss_instance_t>);
static_assert(std::is_same_v<::ss_plugin_owner_t, ref::ss_plugin_owner_t>);
static_assert(std::is_same_v<::ss_plugin_table_t, ref::ss_plugin_table_t>);
static_assert(std::is_same_v<::ss_plugin_table_entry_t, ref::ss_plugin_table_entry_t>);
static_assert(std::is_same_v<::ss_plugin_table_field_t, ref::ss_plugin_table_field_t>);
static_assert(std::is_same_v<::ss_plugin_table_iterator_state_t, ref::ss_plugin_table_iterator_state_t>);
static_assert(std::is_same_v<::ss_plugin_routine_t, ref::ss_plugin_routine_t>);
static_assert(std::is_same_v<::ss_plugin_routine_state_t, ref::ss_plugin_routine_state_t>);

// ---- struct layouts: size, alignment, every member's offset and type ----
#define SAME_SIZE(s) \
  static_assert(sizeof(::s) == sizeof(ref::s) && alignof(::s) == alignof(ref::s), #s " size/alignment");
#define SAME_MEMBER(s, m)                                                                            \
  static_assert(offsetof(::s, m) == offsetof(ref::s, m), #s "." #m " offset");                      \
  static_assert(kSameType<decltype(std::declval<::s&>().m), decltype(std::declval<ref::s&>().m)>, \
                #s "." #m " type");

SAME_SIZE(ss_plugin_event)
SAME_MEMBER(ss_plugin_event, ts)
SAME_MEMBER(ss_plugin_event, tid)
SAME_MEMBER(ss_plugin_event, len)
SAME_MEMBER(ss_plugin_event, type)
SAME_MEMBER(ss_plugin_event, nparams)

SAME_SIZE(ss_plugin_event_input)
SAME_MEMBER(ss_plugin_event_input, evt)
SAME_MEMBER(ss_plugin_event_input, evtnum)
SAME_MEMBER(ss_plugin_event_input, evtsrc)

SAME_SIZE(ss_plugin_byte_buffer)
SAME_MEMBER(ss_plugin_byte_buffer, len)
SAME_MEMBER(ss_plugin_byte_buffer, ptr)

SAME_SIZE(ss_plugin_extract_value_offsets)
SAME_MEMBER(ss_plugin_extract_value_offsets, start)
SAME_MEMBER(ss_plugin_extract_value_offsets, length)

SAME_SIZE(ss_plugin_extract_field)
static_assert(offsetof(::ss_plugin_extract_field, res) == offsetof(ref::ss_plugin_extract_field, res));
static_assert(sizeof(::ss_plugin_extract_field::res) == sizeof(ref::ss_plugin_extract_field::res));
SAME_MEMBER(ss_plugin_extract_field, res.str)
SAME_MEMBER(ss_plugin_extract_field, res.u64)
SAME_MEMBER(ss_plugin_extract_field, res.u32)
SAME_MEMBER(ss_plugin_extract_field, res.boolean)
SAME_MEMBER(ss_plugin_extract_field, res.buf)
SAME_MEMBER(ss_plugin_extract_field, res_len)
SAME_MEMBER(ss_plugin_extract_field, field_id)
SAME_MEMBER(ss_plugin_extract_field, field)
SAME_MEMBER(ss_plugin_extract_field, arg_key)
SAME_MEMBER(ss_plugin_extract_field, arg_index)
SAME_MEMBER(ss_plugin_extract_field, arg_present)
SAME_MEMBER(ss_plugin_extract_field, ftype)
SAME_MEMBER(ss_plugin_extract_field, flist)

SAME_SIZE(ss_plugin_state_data)
SAME_MEMBER(ss_plugin_state_data, s8)
SAME_MEMBER(ss_plugin_state_data, s16)
SAME_MEMBER(ss_plugin_state_data, s32)
SAME_MEMBER(ss_plugin_state_data, s64)
SAME_MEMBER(ss_plugin_state_data, u8)
SAME_MEMBER(ss_plugin_state_data, u16)
SAME_MEMBER(ss_plugin_state_data, u32)
SAME_MEMBER(ss_plugin_state_data, u64)
SAME_MEMBER(ss_plugin_state_data, str)
SAME_MEMBER(ss_plugin_state_data, b)
SAME_MEMBER(ss_plugin_state_data, table)

SAME_SIZE(ss_plugin_table_info)
SAME_MEMBER(ss_plugin_table_info, name)
SAME_MEMBER(ss_plugin_table_info, key_type)

SAME_SIZE(ss_plugin_table_fieldinfo)
SAME_MEMBER(ss_plugin_table_fieldinfo, name)
SAME_MEMBER(ss_plugin_table_fieldinfo, field_type)
SAME_MEMBER(ss_plugin_table_fieldinfo, read_only)

SAME_SIZE(ss_plugin_metric_value)
SAME_MEMBER(ss_plugin_metric_value, u32)
SAME_MEMBER(ss_plugin_metric_value, s32)
SAME_MEMBER(ss_plugin_metric_value, u64)
SAME_MEMBER(ss_plugin_metric_value, s64)
SAME_MEMBER(ss_plugin_metric_value, d)
SAME_MEMBER(ss_plugin_metric_value, f)
SAME_MEMBER(ss_plugin_metric_value, i)

SAME_SIZE(ss_plugin_metric)
SAME_MEMBER(ss_plugin_metric, name)
SAME_MEMBER(ss_plugin_metric, type)
SAME_MEMBER(ss_plugin_metric, value)
SAME_MEMBER(ss_plugin_metric, value_type)

SAME_SIZE(ss_plugin_table_fields_vtable)
SAME_MEMBER(ss_plugin_table_fields_vtable, list_table_fields)
SAME_MEMBER(ss_plugin_table_fields_vtable, get_table_field)
SAME_MEMBER(ss_plugin_table_fields_vtable, add_table_field)

SAME_SIZE(ss_plugin_table_fields_vtable_ext)
SAME_MEMBER(ss_plugin_table_fields_vtable_ext, list_table_fields)
SAME_MEMBER(ss_plugin_table_fields_vtable_ext, get_table_field)
SAME_MEMBER(ss_plugin_table_fields_vtable_ext, add_table_field)

SAME_SIZE(ss_plugin_table_reader_vtable)
SAME_MEMBER(ss_plugin_table_reader_vtable, get_table_name)
SAME_MEMBER(ss_plugin_table_reader_vtable, get_table_size)
SAME_MEMBER(ss_plugin_table_reader_vtable, get_table_entry)
SAME_MEMBER(ss_plugin_table_reader_vtable, read_entry_field)

static_assert(kSameType<::ss_plugin_table_iterator_func_t, ref::ss_plugin_table_iterator_func_t>);

SAME_SIZE(ss_plugin_table_reader_vtable_ext)
SAME_MEMBER(ss_plugin_table_reader_vtable_ext, get_table_name)
SAME_MEMBER(ss_plugin_table_reader_vtable_ext, get_table_size)
SAME_MEMBER(ss_plugin_table_reader_vtable_ext, get_table_entry)
SAME_MEMBER(ss_plugin_table_reader_vtable_ext, read_entry_field)
SAME_MEMBER(ss_plugin_table_reader_vtable_ext, release_table_entry)
SAME_MEMBER(ss_plugin_table_reader_vtable_ext, iterate_entries)

SAME_SIZE(ss_plugin_table_writer_vtable)
SAME_MEMBER(ss_plugin_table_writer_vtable, clear_table)
SAME_MEMBER(ss_plugin_table_writer_vtable, erase_table_entry)
SAME_MEMBER(ss_plugin_table_writer_vtable, create_table_entry)
SAME_MEMBER(ss_plugin_table_writer_vtable, destroy_table_entry)
SAME_MEMBER(ss_plugin_table_writer_vtable, add_table_entry)
SAME_MEMBER(ss_plugin_table_writer_vtable, write_entry_field)

SAME_SIZE(ss_plugin_table_writer_vtable_ext)
SAME_MEMBER(ss_plugin_table_writer_vtable_ext, clear_table)
SAME_MEMBER(ss_plugin_table_writer_vtable_ext, erase_table_entry)
SAME_MEMBER(ss_plugin_table_writer_vtable_ext, create_table_entry)
SAME_MEMBER(ss_plugin_table_writer_vtable_ext, destroy_table_entry)
SAME_MEMBER(ss_plugin_table_writer_vtable_ext, add_table_entry)
SAME_MEMBER(ss_plugin_table_writer_vtable_ext, write_entry_field)

SAME_SIZE(ss_plugin_table_input)
SAME_MEMBER(ss_plugin_table_input, name)
SAME_MEMBER(ss_plugin_table_input, key_type)
SAME_MEMBER(ss_plugin_table_input, table)
SAME_MEMBER(ss_plugin_table_input, reader)
SAME_MEMBER(ss_plugin_table_input, writer)
SAME_MEMBER(ss_plugin_table_input, fields)
SAME_MEMBER(ss_plugin_table_input, reader_ext)
SAME_MEMBER(ss_plugin_table_input, writer_ext)
SAME_MEMBER(ss_plugin_table_input, fields_ext)

SAME_SIZE(ss_plugin_init_tables_input)
SAME_MEMBER(ss_plugin_init_tables_input, list_tables)
SAME_MEMBER(ss_plugin_init_tables_input, get_table)
SAME_MEMBER(ss_plugin_init_tables_input, add_table)
SAME_MEMBER(ss_plugin_init_tables_input, fields)
SAME_MEMBER(ss_plugin_init_tables_input, fields_ext)
SAME_MEMBER(ss_plugin_init_tables_input, reader_ext)
SAME_MEMBER(ss_plugin_init_tables_input, writer_ext)

static_assert(kSameType<::ss_plugin_log_fn_t, ref::ss_plugin_log_fn_t>);

SAME_SIZE(ss_plugin_init_input)
SAME_MEMBER(ss_plugin_init_input, config)
SAME_MEMBER(ss_plugin_init_input, owner)
SAME_MEMBER(ss_plugin_init_input, get_owner_last_error)
SAME_MEMBER(ss_plugin_init_input, tables)
SAME_MEMBER(ss_plugin_init_input, log_fn)

SAME_SIZE(ss_plugin_field_extract_input)
SAME_MEMBER(ss_plugin_field_extract_input, owner)
SAME_MEMBER(ss_plugin_field_extract_input, get_owner_last_error)
SAME_MEMBER(ss_plugin_field_extract_input, num_fields)
SAME_MEMBER(ss_plugin_field_extract_input, fields)
SAME_MEMBER(ss_plugin_field_extract_input, table_reader)
SAME_MEMBER(ss_plugin_field_extract_input, table_reader_ext)
SAME_MEMBER(ss_plugin_field_extract_input, value_offsets)

SAME_SIZE(ss_plugin_event_parse_input)
SAME_MEMBER(ss_plugin_event_parse_input, owner)
SAME_MEMBER(ss_plugin_event_parse_input, get_owner_last_error)
SAME_MEMBER(ss_plugin_event_parse_input, table_reader)
SAME_MEMBER(ss_plugin_event_parse_input, table_writer)
SAME_MEMBER(ss_plugin_event_parse_input, table_reader_ext)
SAME_MEMBER(ss_plugin_event_parse_input, table_writer_ext)

SAME_SIZE(ss_plugin_set_config_input)
SAME_MEMBER(ss_plugin_set_config_input, config)

static_assert(kSameType<::ss_plugin_routine_fn_t, ref::ss_plugin_routine_fn_t>);

SAME_SIZE(ss_plugin_routine_vtable)
SAME_MEMBER(ss_plugin_routine_vtable, subscribe)
SAME_MEMBER(ss_plugin_routine_vtable, unsubscribe)

SAME_SIZE(ss_plugin_capture_listen_input)
SAME_MEMBER(ss_plugin_capture_listen_input, owner)
SAME_MEMBER(ss_plugin_capture_listen_input, routine)
SAME_MEMBER(ss_plugin_capture_listen_input, table_reader_ext)
SAME_MEMBER(ss_plugin_capture_listen_input, table_writer_ext)
SAME_MEMBER(ss_plugin_capture_listen_input, get_owner_last_error)

static_assert(kSameType<::ss_plugin_async_event_handler_t, ref::ss_plugin_async_event_handler_t>);

// ---- exported symbols: our typedef against the published vtable member ----
#define SAME_SYMBOL(ours, member)                                                           \
  static_assert(kSameType<std::remove_pointer_t<ours>,                                    \
                          std::remove_pointer_t<decltype(std::declval<ref::plugin_api&>().member)>>, \
                "plugin_" #member " signature");
SAME_SYMBOL(plugin_get_required_api_version_fn, get_required_api_version)
SAME_SYMBOL(plugin_get_init_schema_fn, get_init_schema)
SAME_SYMBOL(plugin_init_fn, init)
SAME_SYMBOL(plugin_destroy_fn, destroy)
SAME_SYMBOL(plugin_get_last_error_fn, get_last_error)
SAME_SYMBOL(plugin_get_string_fn, get_name)
SAME_SYMBOL(plugin_get_string_fn, get_description)
SAME_SYMBOL(plugin_get_string_fn, get_contact)
SAME_SYMBOL(plugin_get_string_fn, get_version)
SAME_SYMBOL(plugin_get_id_fn, get_id)
SAME_SYMBOL(plugin_get_string_fn, get_event_source)
SAME_SYMBOL(plugin_open_fn, open)
SAME_SYMBOL(plugin_close_fn, close)
SAME_SYMBOL(plugin_list_open_params_fn, list_open_params)
SAME_SYMBOL(plugin_get_progress_fn, get_progress)
SAME_SYMBOL(plugin_event_to_string_fn, event_to_string)
SAME_SYMBOL(plugin_next_batch_fn, next_batch)
SAME_SYMBOL(plugin_get_event_types_fn, get_extract_event_types)
SAME_SYMBOL(plugin_get_string_fn, get_extract_event_sources)
SAME_SYMBOL(plugin_get_fields_fn, get_fields)
SAME_SYMBOL(plugin_extract_fields_fn, extract_fields)
SAME_SYMBOL(plugin_get_event_types_fn, get_parse_event_types)
SAME_SYMBOL(plugin_get_string_fn, get_parse_event_sources)
SAME_SYMBOL(plugin_parse_event_fn, parse_event)
SAME_SYMBOL(plugin_get_string_fn, get_async_event_sources)
SAME_SYMBOL(plugin_get_string_fn, get_async_events)
SAME_SYMBOL(plugin_set_async_event_handler_fn, set_async_event_handler)
SAME_SYMBOL(plugin_dump_state_fn, dump_state)
SAME_SYMBOL(plugin_set_config_fn, set_config)
SAME_SYMBOL(plugin_get_metrics_fn, get_metrics)
SAME_SYMBOL(plugin_capture_listen_fn, capture_open)
SAME_SYMBOL(plugin_capture_listen_fn, capture_close)
SAME_SYMBOL(plugin_get_required_event_schema_version_fn, get_required_event_schema_version)

// The static_asserts above are the test; this one checks at run time that
// an event header written through our declaration reads back through theirs
// (packing included), so the binary itself is exercised too.
TEST(PluginAbiAgreement, EventHeaderWrittenByUsReadsBackThroughThePublishedHeader) {
  unsigned char bytes[sizeof(::ss_plugin_event)];
  ::ss_plugin_event ours{};
  ours.ts = 0x0102030405060708ull;
  ours.tid = UINT64_MAX;
  ours.len = 38 + 5;
  ours.type = KESTREL_PLUGIN_EVENT_CODE;
  ours.nparams = 2;
  std::memcpy(bytes, &ours, sizeof ours);
  ref::ss_plugin_event theirs;
  std::memcpy(&theirs, bytes, sizeof theirs);
  EXPECT_EQ(theirs.ts, 0x0102030405060708ull);
  EXPECT_EQ(theirs.tid, UINT64_MAX);
  EXPECT_EQ(theirs.len, 43u);
  EXPECT_EQ(theirs.type, 322);
  EXPECT_EQ(theirs.nparams, 2u);
  EXPECT_EQ(sizeof(theirs), 26u);
}

}  // namespace
