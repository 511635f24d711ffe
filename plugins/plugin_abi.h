/* plugin_abi.h — the C ABI of Falco plugins (API major version 3), as
 * Kestrel's plugin host and our own plugins see it.
 *
 * Written from the public description of the Falco plugin API
 * (falcosecurity/libs userspace/plugin, "plugin API reference"): the
 * exported symbol names, argument lists, struct layouts and constant values
 * are facts of that ABI and must match it bit for bit so that plugins built
 * for Falco load here. Only what Kestrel uses is declared. Kestrel owns no
 * state tables a plugin could share: the table vtables below are declared
 * so that the host can hand every plugin real, callable entries that answer
 * "no such table" (plugin_tables.h), never NULL.
 *
 * A plugin is a shared library that exports `plugin_<name>` functions:
 *   required: get_required_api_version, get_name, get_description,
 *             get_contact, get_version, init, destroy, get_last_error;
 *   event sourcing: get_id, get_event_source, open, close, next_batch
 *             (list_open_params optional);
 *   field extraction: get_fields, extract_fields
 *             (get_extract_event_sources optional);
 *   metrics: get_metrics (optional, read by the host into SourceStats).
 * Plain C, fixed-width types: included by the host (C++) and by plugins.
 */
#ifndef KESTREL_PLUGIN_ABI_H
#define KESTREL_PLUGIN_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The API version this host implements; a plugin is accepted when it asks
 * for the same major and a minor/patch no newer than these. */
#define KESTREL_PLUGIN_API_MAJOR 3
#define KESTREL_PLUGIN_API_MINOR 3
#define KESTREL_PLUGIN_API_PATCH 0

/* Plugin event type code (libscap PPME_PLUGINEVENT_E) and its params:
 * plugin_id (u32), event_data (bytes); param lengths are u32 each. */
#define KESTREL_PLUGIN_EVENT_CODE 322
#define KESTREL_PLUGIN_MAX_ERRLEN 1024

typedef uint32_t ss_plugin_bool;
typedef void ss_plugin_t;     /* a plugin's state, from init() */
typedef void ss_instance_t;   /* an open capture, from open() */
typedef void ss_plugin_owner_t;

typedef enum ss_plugin_rc {
  SS_PLUGIN_SUCCESS = 0,
  SS_PLUGIN_FAILURE = 1,
  SS_PLUGIN_TIMEOUT = -1,
  SS_PLUGIN_EOF = 2,
  SS_PLUGIN_NOT_SUPPORTED = 3,
} ss_plugin_rc;

/* Field types in get_fields' "type" and ss_plugin_extract_field.ftype. */
typedef enum ss_plugin_field_type {
  FTYPE_UINT64 = 8,
  FTYPE_STRING = 9,
  FTYPE_RELTIME = 20,
  FTYPE_ABSTIME = 21,
  FTYPE_BOOL = 25,
  FTYPE_IPADDR = 40,
  FTYPE_IPNET = 41,
} ss_plugin_field_type;

typedef enum ss_plugin_schema_type {
  SS_PLUGIN_SCHEMA_NONE = 0,
  SS_PLUGIN_SCHEMA_JSON = 1,
} ss_plugin_schema_type;

/* Event header, packed (26 bytes), followed by nparams u32 lengths and the
 * param data: | hdr | len(plugin_id)=4 | len(data) | plugin_id | data |. */
#pragma pack(push, 1)
typedef struct ss_plugin_event {
  uint64_t ts;      /* ns since epoch; (uint64_t)-1: "now" */
  uint64_t tid;     /* (uint64_t)-1 for plugin events */
  uint32_t len;     /* whole event, header included */
  uint16_t type;    /* KESTREL_PLUGIN_EVENT_CODE for source plugins */
  uint32_t nparams;
} ss_plugin_event;
#pragma pack(pop)

typedef struct ss_plugin_event_input {
  const ss_plugin_event* evt;
  uint64_t evtnum;
  const char* evtsrc;
} ss_plugin_event_input;

typedef struct ss_plugin_byte_buffer {
  uint32_t len;
  const void* ptr;
} ss_plugin_byte_buffer;

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
  uint32_t field_id;     /* index in the plugin's get_fields array */
  const char* field;
  const char* arg_key;   /* NULL unless a key argument was given */
  uint64_t arg_index;
  ss_plugin_bool arg_present;
  uint32_t ftype;
  ss_plugin_bool flist;
} ss_plugin_extract_field;

/* Severities of the host's logger (plugin API 3.3.0 and later). */
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

/* State tables, as far as a host without tables must know them: opaque
 * handles, the key/field type enum (values of the ABI), and the vtables
 * the init and extract inputs point to. */
typedef void ss_plugin_table_t;
typedef void ss_plugin_table_entry_t;
typedef void ss_plugin_table_field_t;
typedef void ss_plugin_table_iterator_state_t;
typedef uint32_t ss_plugin_state_type; /* SS_PLUGIN_ST_*: 1..10, 25 */
typedef union ss_plugin_state_data {
  uint64_t u64;
  const char* str;
  void* table;
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
typedef ss_plugin_bool (*ss_plugin_table_iterator_func_t)(ss_plugin_table_iterator_state_t* s,
                                                          ss_plugin_table_entry_t* e);

/* Field accessors (3.0.0: by value as "fields"; 3.1.0 adds "fields_ext"). */
typedef struct ss_plugin_table_fields_vtable {
  const ss_plugin_table_fieldinfo* (*list_table_fields)(ss_plugin_table_t* t, uint32_t* nfields);
  ss_plugin_table_field_t* (*get_table_field)(ss_plugin_table_t* t, const char* name, ss_plugin_state_type type);
  ss_plugin_table_field_t* (*add_table_field)(ss_plugin_table_t* t, const char* name, ss_plugin_state_type type);
} ss_plugin_table_fields_vtable;
typedef ss_plugin_table_fields_vtable ss_plugin_table_fields_vtable_ext; /* same entries */

/* Reader: the first four entries are the 3.0.0 vtable; 3.1.0's extended
 * vtable appends release_table_entry and iterate_entries. */
typedef struct ss_plugin_table_reader_vtable_ext {
  const char* (*get_table_name)(ss_plugin_table_t* t);
  uint64_t (*get_table_size)(ss_plugin_table_t* t);
  ss_plugin_table_entry_t* (*get_table_entry)(ss_plugin_table_t* t, const ss_plugin_state_data* key);
  ss_plugin_rc (*read_entry_field)(ss_plugin_table_t* t, ss_plugin_table_entry_t* e,
                                   const ss_plugin_table_field_t* f, ss_plugin_state_data* out);
  void (*release_table_entry)(ss_plugin_table_t* t, ss_plugin_table_entry_t* e);
  ss_plugin_bool (*iterate_entries)(ss_plugin_table_t* t, ss_plugin_table_iterator_func_t it,
                                    ss_plugin_table_iterator_state_t* s);
} ss_plugin_table_reader_vtable_ext;
typedef struct ss_plugin_table_reader_vtable {
  void* slots[4]; /* the first four entries of the _ext vtable */
} ss_plugin_table_reader_vtable;

typedef struct ss_plugin_table_writer_vtable_ext {
  ss_plugin_rc (*clear_table)(ss_plugin_table_t* t);
  ss_plugin_rc (*erase_table_entry)(ss_plugin_table_t* t, const ss_plugin_state_data* key);
  ss_plugin_table_entry_t* (*create_table_entry)(ss_plugin_table_t* t);
  void (*destroy_table_entry)(ss_plugin_table_t* t, ss_plugin_table_entry_t* e);
  ss_plugin_table_entry_t* (*add_table_entry)(ss_plugin_table_t* t, const ss_plugin_state_data* key,
                                              ss_plugin_table_entry_t* entry);
  ss_plugin_rc (*write_entry_field)(ss_plugin_table_t* t, ss_plugin_table_entry_t* e,
                                    const ss_plugin_table_field_t* f, const ss_plugin_state_data* in);
} ss_plugin_table_writer_vtable_ext;

/* What plugin_init's "tables" points to. Through 3.3.0 it ends at
 * fields_ext; a later minor appends reader_ext and writer_ext. Kestrel
 * fills those too, so a plugin built against a newer header that reads
 * them finds callable entries, not whatever follows in memory. The
 * add_table argument (a plugin-owned table) is opaque: Kestrel refuses it. */
typedef struct ss_plugin_init_tables_input {
  const ss_plugin_table_info* (*list_tables)(ss_plugin_owner_t* o, uint32_t* ntables);
  ss_plugin_table_t* (*get_table)(ss_plugin_owner_t* o, const char* name, ss_plugin_state_type key_type);
  ss_plugin_rc (*add_table)(ss_plugin_owner_t* o, const void* table_input);
  ss_plugin_table_fields_vtable fields;
  ss_plugin_table_fields_vtable_ext* fields_ext;
  ss_plugin_table_reader_vtable_ext* reader_ext; /* after 3.3.0 */
  ss_plugin_table_writer_vtable_ext* writer_ext; /* after 3.3.0 */
} ss_plugin_init_tables_input;

/* The host's logger (3.3.0): component NULL means the plugin's name. */
typedef void (*ss_plugin_log_fn_t)(ss_plugin_owner_t* o, const char* component, const char* msg,
                                   ss_plugin_log_severity sev);

/* plugin_init's input. config, owner, get_owner_last_error and tables are
 * there since 3.0.0 (tables: NULL allowed only for plugins that neither
 * extract nor parse — Kestrel always passes its empty tables); log_fn since
 * 3.3.0. A plugin requiring 3.3.0 may call log_fn unconditionally. */
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
  ss_plugin_table_reader_vtable table_reader;          /* 3.0.0 entries */
  ss_plugin_table_reader_vtable_ext* table_reader_ext; /* 3.1.0 */
} ss_plugin_field_extract_input;

/* plugin_get_metrics (optional symbol): the plugin's own counters. */
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

/* Exported symbol signatures. */
typedef const char* (*plugin_get_required_api_version_fn)(void);
typedef const char* (*plugin_get_string_fn)(void);  /* name, description, contact, version, event source */
typedef const char* (*plugin_get_init_schema_fn)(ss_plugin_schema_type* schema_type);
typedef ss_plugin_t* (*plugin_init_fn)(const ss_plugin_init_input* input, ss_plugin_rc* rc);
typedef void (*plugin_destroy_fn)(ss_plugin_t* s);
typedef const char* (*plugin_get_last_error_fn)(ss_plugin_t* s);
typedef uint32_t (*plugin_get_id_fn)(void);
typedef ss_instance_t* (*plugin_open_fn)(ss_plugin_t* s, const char* params, ss_plugin_rc* rc);
typedef void (*plugin_close_fn)(ss_plugin_t* s, ss_instance_t* h);
typedef const char* (*plugin_list_open_params_fn)(ss_plugin_t* s, ss_plugin_rc* rc);
typedef ss_plugin_rc (*plugin_next_batch_fn)(ss_plugin_t* s, ss_instance_t* h, uint32_t* nevts,
                                             ss_plugin_event*** evts);
typedef const char* (*plugin_get_fields_fn)(void);
typedef ss_plugin_rc (*plugin_extract_fields_fn)(ss_plugin_t* s, const ss_plugin_event_input* evt,
                                                 const ss_plugin_field_extract_input* in);
typedef ss_plugin_metric* (*plugin_get_metrics_fn)(ss_plugin_t* s, uint32_t* num_metrics);
/* Optional: a JSON array of the event sources the plugin extracts from
 * ("syscall" for Kestrel's own events), and the scap event codes it wants
 * (NULL / 0 types: every type of those sources). */
typedef const char* (*plugin_get_extract_event_sources_fn)(void);
typedef uint16_t* (*plugin_get_extract_event_types_fn)(uint32_t* numtypes, ss_plugin_t* s);

#ifdef __cplusplus
}
#endif

#ifdef __cplusplus
#include <cstddef>
/* Layout drift is caught here (x86-64/aarch64 LP64 sizes of the ABI). */
static_assert(sizeof(ss_plugin_event) == 26, "packed plugin event header");
static_assert(sizeof(ss_plugin_init_input) == 40 && offsetof(ss_plugin_init_input, log_fn) == 32,
              "ss_plugin_init_input layout");
static_assert(offsetof(ss_plugin_init_tables_input, fields_ext) == 48 && sizeof(ss_plugin_init_tables_input) == 72,
              "ss_plugin_init_tables_input layout (3.3.0 ends at fields_ext)");
static_assert(sizeof(ss_plugin_table_reader_vtable) == 32 && sizeof(ss_plugin_table_reader_vtable_ext) == 48,
              "table reader vtables");
static_assert(offsetof(ss_plugin_field_extract_input, table_reader_ext) == 64, "ss_plugin_field_extract_input layout");
static_assert(sizeof(ss_plugin_metric) == 32 && offsetof(ss_plugin_metric, value) == 16, "ss_plugin_metric layout");
#endif

#endif /* KESTREL_PLUGIN_ABI_H */
