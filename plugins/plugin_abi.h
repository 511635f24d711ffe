/* plugin_abi.h — the C ABI of Falco plugins (API 3.x, up to 3.12), as
 * Kestrel's plugin host and our own plugins see it.
 *
 * Written by us from the published description of the Falco plugin API
 * (falcosecurity/libs userspace/plugin, 3.12.0; a read-only copy sits in
 * ../shared/reference/plugin-api): exported symbol names, argument lists,
 * struct layouts and constant values are facts of that ABI and must match
 * it bit for bit so that plugins built for Falco load here.
 * tests/plugin/plugin_abi_agreement_test.cpp compiles this header and the
 * published one side by side and static_asserts that every struct layout,
 * enum value and symbol signature agrees.
 *
 * A plugin is a shared library exporting `plugin_<name>` functions
 * (typedefs plugin_*_fn at the end):
 *   required:          get_required_api_version, get_name, get_description,
 *                      get_contact, get_version, init, destroy, get_last_error
 *   event sourcing:    get_id, get_event_source, open, close, next_batch
 *                      (list_open_params, get_progress, event_to_string optional)
 *   field extraction:  get_fields, extract_fields
 *                      (get_extract_event_types, get_extract_event_sources optional)
 *   event parsing:     parse_event
 *                      (get_parse_event_types, get_parse_event_sources optional)
 *   async events:      get_async_events, set_async_event_handler
 *                      (get_async_event_sources, dump_state optional)
 *   capture listening: capture_open, capture_close
 *   others (optional): get_init_schema, set_config, get_metrics,
 *                      get_required_event_schema_version
 *
 * How the structs grow between minors: every struct only ever gains members
 * at its end, so a struct the HOST allocates (init input, extract/parse/
 * listen inputs, vtables) can always be filled with the newest layout and an
 * older plugin simply reads fewer members. Where the PLUGIN allocates the
 * struct (ss_plugin_table_input given to add_table) the host must read only
 * what the plugin's declared minor has: before 3.1 there are no *_ext
 * vtable pointers (and the 3.0 reader vtable has four entries).
 *
 * Plain C, fixed-width types: included by the host (C++) and by plugins.
 */
#ifndef KESTREL_PLUGIN_ABI_H
#define KESTREL_PLUGIN_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The API version this host implements; a plugin is accepted when it asks
 * for major 3 and a minor (and, at the same minor, patch) no newer. */
#define KESTREL_PLUGIN_API_MAJOR 3
#define KESTREL_PLUGIN_API_MINOR 12
#define KESTREL_PLUGIN_API_PATCH 0

/* Event codes of the libscap event table a plugin deals in:
 * PPME_PLUGINEVENT_E: params plugin_id (u32), event_data (bytes);
 * PPME_ASYNCEVENT_E: params plugin_id (u32), name (string), data (bytes).
 * Param lengths are u32 for both. */
#define KESTREL_PLUGIN_EVENT_CODE 322
#define KESTREL_ASYNC_EVENT_CODE 402
#define KESTREL_PLUGIN_MAX_ERRLEN 1024
/* Where a plugin event's payload starts: 26-byte header, two u32 lengths,
 * the u32 plugin id. */
#define KESTREL_PLUGIN_EVENT_PAYLOAD_OFFSET 38

/* ---- basic types (plugin_types.h of the published API) ------------------ */

typedef uint32_t ss_plugin_bool; /* 4 bytes, as the libs encode bools */

typedef enum ss_plugin_field_type {
  FTYPE_UINT64 = 8,
  FTYPE_STRING = 9,
  FTYPE_RELTIME = 20,
  FTYPE_ABSTIME = 21,
  FTYPE_BOOL = 25,
  FTYPE_IPADDR = 40,
  FTYPE_IPNET = 41,
} ss_plugin_field_type;

typedef enum ss_plugin_rc {
  SS_PLUGIN_SUCCESS = 0,
  SS_PLUGIN_FAILURE = 1,
  SS_PLUGIN_TIMEOUT = -1,
  SS_PLUGIN_EOF = 2,
  SS_PLUGIN_NOT_SUPPORTED = 3,
} ss_plugin_rc;

typedef enum ss_plugin_schema_type {
  SS_PLUGIN_SCHEMA_NONE = 0,
  SS_PLUGIN_SCHEMA_JSON = 1,
} ss_plugin_schema_type;

/* Event header, packed (26 bytes), followed by nparams lengths (u32 for
 * the plugin and async events) and the param data. ts (uint64_t)-1: "now";
 * tid (uint64_t)-1: no thread. */
#pragma pack(push, 1)
typedef struct ss_plugin_event {
  uint64_t ts;
  uint64_t tid;
  uint32_t len; /* whole event, header included */
  uint16_t type;
  uint32_t nparams;
} ss_plugin_event;
#pragma pack(pop)

/* An event the host hands a plugin (extract, parse, event_to_string). */
typedef struct ss_plugin_event_input {
  const ss_plugin_event* evt;
  uint64_t evtnum;    /* increasing, not necessarily contiguous */
  const char* evtsrc; /* "syscall" or a plugin's event source */
} ss_plugin_event_input;

typedef struct ss_plugin_byte_buffer {
  uint32_t len;
  const void* ptr;
} ss_plugin_byte_buffer;

/* Optional output of extract_fields: per requested field, where its value
 * sits in the event (start from the event header; {0,0}: computed). The
 * host sets both to NULL; a plugin that supports offsets points them at
 * arrays of num_fields entries it owns. */
typedef struct ss_plugin_extract_value_offsets {
  uint32_t* start;
  uint32_t* length;
} ss_plugin_extract_value_offsets;

/* One field request (inputs) and its values (outputs: res, res_len). */
typedef struct ss_plugin_extract_field {
  union {
    const char** str;
    uint64_t* u64;
    uint32_t* u32;
    ss_plugin_bool* boolean;
    ss_plugin_byte_buffer* buf;
  } res;
  uint64_t res_len;
  uint32_t field_id;   /* index in the plugin's get_fields array */
  const char* field;
  const char* arg_key; /* NULL unless a key argument was given */
  uint64_t arg_index;
  ss_plugin_bool arg_present;
  uint32_t ftype;
  ss_plugin_bool flist;
} ss_plugin_extract_field;

/* State tables: opaque handles to a table, an entry, a field accessor. */
typedef void ss_plugin_table_t;
typedef void ss_plugin_table_entry_t;
typedef void ss_plugin_table_field_t;

/* Key and field types of state tables (values shared with the libs). */
typedef enum ss_plugin_state_type {
  SS_PLUGIN_ST_INT8 = 1,
  SS_PLUGIN_ST_INT16 = 2,
  SS_PLUGIN_ST_INT32 = 3,
  SS_PLUGIN_ST_INT64 = 4,
  SS_PLUGIN_ST_UINT8 = 5,
  SS_PLUGIN_ST_UINT16 = 6,
  SS_PLUGIN_ST_UINT32 = 7,
  SS_PLUGIN_ST_UINT64 = 8,
  SS_PLUGIN_ST_STRING = 9,
  SS_PLUGIN_ST_TABLE = 10,
  SS_PLUGIN_ST_BOOL = 25
} ss_plugin_state_type;

/* A key or field value; the member follows the ss_plugin_state_type. */
typedef union ss_plugin_state_data {
  int8_t s8;
  int16_t s16;
  int32_t s32;
  int64_t s64;
  uint8_t u8;
  uint16_t u16;
  uint32_t u32;
  uint64_t u64;
  const char* str;
  ss_plugin_bool b;
  ss_plugin_table_t* table;
} ss_plugin_state_data;

typedef struct ss_plugin_table_info {
  const char* name;
  ss_plugin_state_type key_type;
} ss_plugin_table_info;

typedef struct ss_plugin_table_fieldinfo {
  const char* name;
  ss_plugin_state_type field_type;
  ss_plugin_bool read_only;
} ss_plugin_table_fieldinfo;

typedef void ss_plugin_owner_t; /* the host side of one plugin */
typedef void ss_plugin_t;       /* a plugin's state, from init() */
typedef void ss_instance_t;     /* an open capture, from open() */

typedef enum ss_plugin_log_severity {
  SS_PLUGIN_LOG_SEV_FATAL = 1,
  SS_PLUGIN_LOG_SEV_CRITICAL = 2,
  SS_PLUGIN_LOG_SEV_ERROR = 3,
  SS_PLUGIN_LOG_SEV_WARNING = 4,
  SS_PLUGIN_LOG_SEV_NOTICE = 5,
  SS_PLUGIN_LOG_SEV_INFO = 6,
  SS_PLUGIN_LOG_SEV_DEBUG = 7,
  SS_PLUGIN_LOG_SEV_TRACE = 8,
} ss_plugin_log_severity;

typedef enum ss_plugin_metric_value_type {
  SS_PLUGIN_METRIC_VALUE_TYPE_U32 = 0,
  SS_PLUGIN_METRIC_VALUE_TYPE_S32 = 1,
  SS_PLUGIN_METRIC_VALUE_TYPE_U64 = 2,
  SS_PLUGIN_METRIC_VALUE_TYPE_S64 = 3,
  SS_PLUGIN_METRIC_VALUE_TYPE_D = 4,
  SS_PLUGIN_METRIC_VALUE_TYPE_F = 5,
  SS_PLUGIN_METRIC_VALUE_TYPE_I = 6,
} ss_plugin_metric_value_type;

typedef union ss_plugin_metric_value {
  uint32_t u32;
  int32_t s32;
  uint64_t u64;
  int64_t s64;
  double d;
  float f;
  int i;
} ss_plugin_metric_value;

typedef enum ss_plugin_metric_type {
  SS_PLUGIN_METRIC_TYPE_MONOTONIC = 0,
  SS_PLUGIN_METRIC_TYPE_NON_MONOTONIC = 1,
} ss_plugin_metric_type;

typedef struct ss_plugin_metric {
  const char* name;
  ss_plugin_metric_type type;
  ss_plugin_metric_value value;
  ss_plugin_metric_value_type value_type;
} ss_plugin_metric;

/* ---- state-table vtables (plugin_api.h of the published API) ------------ */

/* Field accessors. The by-value "fields" member of the 3.0 inputs and the
 * 3.1 "_ext" vtable have the same three entries. */
typedef struct ss_plugin_table_fields_vtable {
  const ss_plugin_table_fieldinfo* (*list_table_fields)(ss_plugin_table_t* t, uint32_t* nfields);
  ss_plugin_table_field_t* (*get_table_field)(ss_plugin_table_t* t, const char* name,
                                              ss_plugin_state_type data_type);
  ss_plugin_table_field_t* (*add_table_field)(ss_plugin_table_t* t, const char* name,
                                              ss_plugin_state_type data_type);
} ss_plugin_table_fields_vtable;

typedef struct ss_plugin_table_fields_vtable_ext {
  /* Every field of the table's entries; the array belongs to the table. */
  const ss_plugin_table_fieldinfo* (*list_table_fields)(ss_plugin_table_t* t, uint32_t* nfields);
  /* An accessor for an existing field of exactly that type, or NULL. */
  ss_plugin_table_field_t* (*get_table_field)(ss_plugin_table_t* t, const char* name,
                                              ss_plugin_state_type data_type);
  /* Defines a field on every entry (or returns the existing one of that
   * type); NULL if it exists with another type. */
  ss_plugin_table_field_t* (*add_table_field)(ss_plugin_table_t* t, const char* name,
                                              ss_plugin_state_type data_type);
} ss_plugin_table_fields_vtable_ext;

/* Reader, 3.0 form (deprecated, kept by value in the inputs). */
typedef struct ss_plugin_table_reader_vtable {
  const char* (*get_table_name)(ss_plugin_table_t* t);
  uint64_t (*get_table_size)(ss_plugin_table_t* t);
  ss_plugin_table_entry_t* (*get_table_entry)(ss_plugin_table_t* t, const ss_plugin_state_data* key);
  ss_plugin_rc (*read_entry_field)(ss_plugin_table_t* t, ss_plugin_table_entry_t* e,
                                   const ss_plugin_table_field_t* f, ss_plugin_state_data* out);
} ss_plugin_table_reader_vtable;

typedef void ss_plugin_table_iterator_state_t;
/* Called for each entry; returning false stops the iteration. */
typedef ss_plugin_bool (*ss_plugin_table_iterator_func_t)(ss_plugin_table_iterator_state_t* s,
                                                          ss_plugin_table_entry_t* e);

/* Reader, 3.1 form: the 3.0 entries, then release and iterate. An entry
 * from get_table_entry must be released by the caller. */
typedef struct ss_plugin_table_reader_vtable_ext {
  const char* (*get_table_name)(ss_plugin_table_t* t);       /* NULL: error */
  uint64_t (*get_table_size)(ss_plugin_table_t* t);          /* (uint64_t)-1: error */
  ss_plugin_table_entry_t* (*get_table_entry)(ss_plugin_table_t* t, const ss_plugin_state_data* key);
  ss_plugin_rc (*read_entry_field)(ss_plugin_table_t* t, ss_plugin_table_entry_t* e,
                                   const ss_plugin_table_field_t* f, ss_plugin_state_data* out);
  void (*release_table_entry)(ss_plugin_table_t* t, ss_plugin_table_entry_t* e);
  /* false on failure or when the callback broke out */
  ss_plugin_bool (*iterate_entries)(ss_plugin_table_t* t, ss_plugin_table_iterator_func_t it,
                                    ss_plugin_table_iterator_state_t* s);
} ss_plugin_table_reader_vtable_ext;

/* Writer: the 3.0 by-value form and the 3.1 _ext form have the same
 * entries. create_table_entry makes a detached entry the plugin then adds
 * (the table takes it) or destroys. */
typedef struct ss_plugin_table_writer_vtable {
  ss_plugin_rc (*clear_table)(ss_plugin_table_t* t);
  ss_plugin_rc (*erase_table_entry)(ss_plugin_table_t* t, const ss_plugin_state_data* key);
  ss_plugin_table_entry_t* (*create_table_entry)(ss_plugin_table_t* t);
  void (*destroy_table_entry)(ss_plugin_table_t* t, ss_plugin_table_entry_t* e);
  ss_plugin_table_entry_t* (*add_table_entry)(ss_plugin_table_t* t, const ss_plugin_state_data* key,
                                              ss_plugin_table_entry_t* entry);
  ss_plugin_rc (*write_entry_field)(ss_plugin_table_t* t, ss_plugin_table_entry_t* e,
                                    const ss_plugin_table_field_t* f, const ss_plugin_state_data* in);
} ss_plugin_table_writer_vtable;

typedef struct ss_plugin_table_writer_vtable_ext {
  ss_plugin_rc (*clear_table)(ss_plugin_table_t* t);
  ss_plugin_rc (*erase_table_entry)(ss_plugin_table_t* t, const ss_plugin_state_data* key);
  ss_plugin_table_entry_t* (*create_table_entry)(ss_plugin_table_t* t);
  void (*destroy_table_entry)(ss_plugin_table_t* t, ss_plugin_table_entry_t* e);
  /* Replaces an entry with the same key; the returned entry must be
   * released by the caller. */
  ss_plugin_table_entry_t* (*add_table_entry)(ss_plugin_table_t* t, const ss_plugin_state_data* key,
                                              ss_plugin_table_entry_t* entry);
  ss_plugin_rc (*write_entry_field)(ss_plugin_table_t* t, ss_plugin_table_entry_t* e,
                                    const ss_plugin_table_field_t* f, const ss_plugin_state_data* in);
} ss_plugin_table_writer_vtable_ext;

/* A table a plugin owns and offers to the host (add_table). The plugin
 * owns this memory. reader/writer/fields (by value) exist since 3.0, the
 * three _ext pointers since 3.1; a plugin must make the by-value entries
 * and the _ext ones the same functions. */
typedef struct ss_plugin_table_input {
  const char* name;
  ss_plugin_state_type key_type;
  ss_plugin_table_t* table; /* non-NULL; passed back to every entry */
  ss_plugin_table_reader_vtable reader;
  ss_plugin_table_writer_vtable writer;
  ss_plugin_table_fields_vtable fields;
  ss_plugin_table_reader_vtable_ext* reader_ext;
  ss_plugin_table_writer_vtable_ext* writer_ext;
  ss_plugin_table_fields_vtable_ext* fields_ext;
} ss_plugin_table_input;

/* What plugin_init's "tables" points to: the host's tables. */
typedef struct ss_plugin_init_tables_input {
  /* Every table the host knows; the array belongs to the host. */
  ss_plugin_table_info* (*list_tables)(ss_plugin_owner_t* o, uint32_t* ntables);
  /* NULL (with get_owner_last_error set) if there is no such table of
   * that key type. */
  ss_plugin_table_t* (*get_table)(ss_plugin_owner_t* o, const char* name, ss_plugin_state_type key_type);
  ss_plugin_rc (*add_table)(ss_plugin_owner_t* o, const ss_plugin_table_input* in);
  ss_plugin_table_fields_vtable fields;           /* 3.0 */
  ss_plugin_table_fields_vtable_ext* fields_ext;  /* 3.1 */
  ss_plugin_table_reader_vtable_ext* reader_ext;  /* 3.1 */
  ss_plugin_table_writer_vtable_ext* writer_ext;  /* 3.1 */
} ss_plugin_init_tables_input;

/* The host's logger; component NULL means the plugin's name. */
typedef void (*ss_plugin_log_fn_t)(ss_plugin_owner_t* o, const char* component, const char* msg,
                                   ss_plugin_log_severity sev);

/* plugin_init's input. The owner and log_fn stay valid for the plugin's
 * whole life. Kestrel passes tables to every plugin (never NULL). */
typedef struct ss_plugin_init_input {
  const char* config;
  ss_plugin_owner_t* owner;
  const char* (*get_owner_last_error)(ss_plugin_owner_t* o);
  const ss_plugin_init_tables_input* tables;
  ss_plugin_log_fn_t log_fn;
} ss_plugin_init_input;

typedef struct ss_plugin_field_extract_input {
  ss_plugin_owner_t* owner;
  const char* (*get_owner_last_error)(ss_plugin_owner_t* o);
  uint32_t num_fields;
  ss_plugin_extract_field* fields;
  ss_plugin_table_reader_vtable table_reader;           /* 3.0 */
  ss_plugin_table_reader_vtable_ext* table_reader_ext;  /* 3.1 */
  ss_plugin_extract_value_offsets* value_offsets;       /* optional output */
} ss_plugin_field_extract_input;

typedef struct ss_plugin_event_parse_input {
  ss_plugin_owner_t* owner;
  const char* (*get_owner_last_error)(ss_plugin_owner_t* o);
  ss_plugin_table_reader_vtable table_reader;           /* 3.0 */
  ss_plugin_table_writer_vtable table_writer;           /* 3.0 */
  ss_plugin_table_reader_vtable_ext* table_reader_ext;  /* 3.1 */
  ss_plugin_table_writer_vtable_ext* table_writer_ext;  /* 3.1 */
} ss_plugin_event_parse_input;

typedef struct ss_plugin_set_config_input {
  const char* config;
} ss_plugin_set_config_input;

/* Routines: recurring work a plugin runs on a host-provided thread. */
typedef void ss_plugin_routine_t;
typedef void ss_plugin_routine_state_t;
/* One iteration; returning false unsubscribes the routine. */
typedef ss_plugin_bool (*ss_plugin_routine_fn_t)(ss_plugin_t* s, ss_plugin_routine_state_t* i);

typedef struct ss_plugin_routine_vtable {
  ss_plugin_routine_t* (*subscribe)(ss_plugin_owner_t* o, ss_plugin_routine_fn_t f,
                                    ss_plugin_routine_state_t* i);
  ss_plugin_rc (*unsubscribe)(ss_plugin_owner_t* o, ss_plugin_routine_t* r);
} ss_plugin_routine_vtable;

typedef struct ss_plugin_capture_listen_input {
  ss_plugin_owner_t* owner;
  ss_plugin_routine_vtable* routine;
  ss_plugin_table_reader_vtable_ext* table_reader_ext;
  ss_plugin_table_writer_vtable_ext* table_writer_ext;
  const char* (*get_owner_last_error)(ss_plugin_owner_t* o);
} ss_plugin_capture_listen_input;

/* How a plugin hands the host an async event (code 402, plugin-owned
 * memory, not kept after the call). On failure the host writes a message
 * of at most KESTREL_PLUGIN_MAX_ERRLEN bytes into err when it is not NULL.
 * Thread-safe: plugins call it from their own threads. */
typedef ss_plugin_rc (*ss_plugin_async_event_handler_t)(ss_plugin_owner_t* o, const ss_plugin_event* evt,
                                                        char* err);

/* ---- exported symbol signatures ----------------------------------------- */
typedef const char* (*plugin_get_required_api_version_fn)(void);
typedef const char* (*plugin_get_string_fn)(void); /* name, description, contact, version, event source,
                                                      fields, extract/parse/async event sources, async events */
typedef const char* (*plugin_get_init_schema_fn)(ss_plugin_schema_type* schema_type);
typedef ss_plugin_t* (*plugin_init_fn)(const ss_plugin_init_input* input, ss_plugin_rc* rc);
typedef void (*plugin_destroy_fn)(ss_plugin_t* s);
typedef const char* (*plugin_get_last_error_fn)(ss_plugin_t* s);
typedef uint32_t (*plugin_get_id_fn)(void);
typedef ss_instance_t* (*plugin_open_fn)(ss_plugin_t* s, const char* params, ss_plugin_rc* rc);
typedef void (*plugin_close_fn)(ss_plugin_t* s, ss_instance_t* h);
typedef const char* (*plugin_list_open_params_fn)(ss_plugin_t* s, ss_plugin_rc* rc);
typedef const char* (*plugin_get_progress_fn)(ss_plugin_t* s, ss_instance_t* h, uint32_t* progress_pct);
typedef const char* (*plugin_event_to_string_fn)(ss_plugin_t* s, const ss_plugin_event_input* evt);
typedef ss_plugin_rc (*plugin_next_batch_fn)(ss_plugin_t* s, ss_instance_t* h, uint32_t* nevts,
                                             ss_plugin_event*** evts);
/* get_extract_event_types / get_parse_event_types: (numtypes, state). */
typedef uint16_t* (*plugin_get_event_types_fn)(uint32_t* numtypes, ss_plugin_t* s);
typedef const char* (*plugin_get_fields_fn)(void);
typedef ss_plugin_rc (*plugin_extract_fields_fn)(ss_plugin_t* s, const ss_plugin_event_input* evt,
                                                 const ss_plugin_field_extract_input* in);
typedef ss_plugin_rc (*plugin_parse_event_fn)(ss_plugin_t* s, const ss_plugin_event_input* evt,
                                              const ss_plugin_event_parse_input* in);
/* set_async_event_handler and dump_state. */
typedef ss_plugin_rc (*plugin_set_async_event_handler_fn)(ss_plugin_t* s, ss_plugin_owner_t* owner,
                                                          const ss_plugin_async_event_handler_t handler);
typedef plugin_set_async_event_handler_fn plugin_dump_state_fn;
typedef ss_plugin_rc (*plugin_set_config_fn)(ss_plugin_t* s, const ss_plugin_set_config_input* i);
typedef ss_plugin_metric* (*plugin_get_metrics_fn)(ss_plugin_t* s, uint32_t* num_metrics);
typedef ss_plugin_rc (*plugin_capture_listen_fn)(ss_plugin_t* s, const ss_plugin_capture_listen_input* i);
typedef const char* (*plugin_get_required_event_schema_version_fn)(ss_plugin_t* s);

#ifdef __cplusplus
}
#endif

#ifdef __cplusplus
#include <cstddef>
/* Layout drift is caught here too (LP64 sizes); the full check against the
 * published header is plugin_abi_agreement_test.cpp. */
static_assert(sizeof(ss_plugin_event) == 26, "packed plugin event header");
static_assert(sizeof(ss_plugin_init_input) == 40 && offsetof(ss_plugin_init_input, log_fn) == 32,
              "ss_plugin_init_input layout");
static_assert(sizeof(ss_plugin_init_tables_input) == 72, "ss_plugin_init_tables_input layout");
static_assert(sizeof(ss_plugin_field_extract_input) == 80, "ss_plugin_field_extract_input layout");
static_assert(sizeof(ss_plugin_metric) == 32 && offsetof(ss_plugin_metric, value) == 16, "ss_plugin_metric layout");
#endif

#endif /* KESTREL_PLUGIN_ABI_H */
