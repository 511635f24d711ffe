/* plugin_abi.h — the C ABI of Falco plugins (API major version 3), as
 * Kestrel's plugin host and our own plugins see it.
 *
 * Written from the public description of the Falco plugin API
 * (falcosecurity/libs userspace/plugin, "plugin API reference"): the
 * exported symbol names, argument lists, struct layouts and constant values
 * are facts of that ABI and must match it bit for bit so that plugins built
 * for Falco load here. Only what Kestrel uses is declared; the state-table
 * vtables that the init and extract inputs carry are opaque here (Kestrel
 * offers no tables and passes NULL / zeroed entries).
 *
 * A plugin is a shared library that exports `plugin_<name>` functions:
 *   required: get_required_api_version, get_name, get_description,
 *             get_contact, get_version, init, destroy, get_last_error;
 *   event sourcing: get_id, get_event_source, open, close, next_batch
 *             (list_open_params optional);
 *   field extraction: get_fields, extract_fields
 *             (get_extract_event_sources optional).
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

/* The four entries of a state-table reader vtable, unused by Kestrel. */
typedef struct kestrel_plugin_table_reader_slots {
  void* slots[4];
} kestrel_plugin_table_reader_slots;

typedef void (*ss_plugin_log_fn_t)(const char* component, const char* msg, int severity);

typedef struct ss_plugin_init_input {
  const char* config;
  ss_plugin_owner_t* owner;
  const char* (*get_owner_last_error)(ss_plugin_owner_t* o);
  const void* tables;  /* NULL: Kestrel offers no state tables */
  ss_plugin_log_fn_t log_fn;
} ss_plugin_init_input;

typedef struct ss_plugin_field_extract_input {
  ss_plugin_owner_t* owner;
  const char* (*get_owner_last_error)(ss_plugin_owner_t* o);
  uint32_t num_fields;
  ss_plugin_extract_field* fields;
  kestrel_plugin_table_reader_slots table_reader;  /* zeroed */
  void* table_reader_ext;                          /* NULL */
} ss_plugin_field_extract_input;

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

#ifdef __cplusplus
}
#endif

#endif /* KESTREL_PLUGIN_ABI_H */
