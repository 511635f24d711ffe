// A plugin that does in plugin_init what plugins built with falcosecurity's
// plugin-sdk-cpp do (issue 11, item 6): it requires plugin API 3.3.0, logs
// through in->log_fn and looks at in->tables (list_tables, get_table) before
// it returns. Built against the published plugin_api.h
// (/work/shared/reference/plugin-api), not Kestrel's own declaration, so it
// is an oracle for the host's side of the ABI.
//
// init_config:
//   ""                 log, list tables (must be a valid, empty list), succeed
//   "needs-threads"    also ask for the "threads" table; without it, fail
//                      init with the host's get_owner_last_error text
// It sources nothing (open_params ignored, EOF at once) and extracts one
// field, sdklike.ok, so the host treats it as a full plugin.
#include <plugin/plugin_api.h>

#include <cstring>
#include <string>

namespace {

struct State {
  std::string error;
  ss_plugin_owner_t* owner = nullptr;
  ss_plugin_log_fn_t log = nullptr;
};

}  // namespace

extern "C" {

const char* plugin_get_required_api_version() { return "3.3.0"; }
const char* plugin_get_name() { return "sdklike"; }
const char* plugin_get_version() { return "0.1.0"; }
const char* plugin_get_description() { return "uses log_fn and tables in init, as the C++ SDK does"; }
const char* plugin_get_contact() { return "kestrel tests"; }
uint32_t plugin_get_id() { return 999; }
const char* plugin_get_event_source() { return "sdklike"; }
const char* plugin_get_fields() { return R"([{"type":"string","name":"sdklike.ok","desc":"always ok"}])"; }

ss_plugin_t* plugin_init(const ss_plugin_init_input* in, ss_plugin_rc* rc) {
  auto* s = new State();
  s->owner = in->owner;
  s->log = in->log_fn;
  // What the SDK does unconditionally: use the logger and the tables input.
  in->log_fn(in->owner, nullptr, "hello from plugin_init", SS_PLUGIN_LOG_SEV_INFO);
  in->log_fn(in->owner, "tables", "looking for state tables", SS_PLUGIN_LOG_SEV_DEBUG);
  uint32_t ntables = 12345;
  const ss_plugin_table_info* tables = in->tables->list_tables(in->owner, &ntables);
  if (!tables) {
    s->error = "list_tables returned NULL";
    *rc = SS_PLUGIN_FAILURE;
    return s;
  }
  const std::string config = in->config ? in->config : "";
  if (config == "needs-threads") {
    ss_plugin_table_t* threads = in->tables->get_table(in->owner, "threads", SS_PLUGIN_ST_INT64);
    if (!threads) {
      const char* why = in->get_owner_last_error(in->owner);
      s->error = std::string("can't get table: ") + (why ? why : "(no owner error)");
      in->log_fn(in->owner, nullptr, s->error.c_str(), SS_PLUGIN_LOG_SEV_ERROR);
      *rc = SS_PLUGIN_FAILURE;
      return s;
    }
  }
  s->error = "tables listed: " + std::to_string(ntables);
  *rc = SS_PLUGIN_SUCCESS;
  return s;
}

void plugin_destroy(ss_plugin_t* s) { delete static_cast<State*>(s); }
const char* plugin_get_last_error(ss_plugin_t* s) { return static_cast<State*>(s)->error.c_str(); }

ss_instance_t* plugin_open(ss_plugin_t* s, const char*, ss_plugin_rc* rc) {
  auto* st = static_cast<State*>(s);
  st->log(st->owner, "open", "opened", SS_PLUGIN_LOG_SEV_NOTICE);
  *rc = SS_PLUGIN_SUCCESS;
  static int instance;
  return &instance;
}

void plugin_close(ss_plugin_t*, ss_instance_t*) {}

ss_plugin_rc plugin_next_batch(ss_plugin_t*, ss_instance_t*, uint32_t* nevts, ss_plugin_event*** evts) {
  *nevts = 0;
  *evts = nullptr;
  return SS_PLUGIN_EOF;
}

ss_plugin_rc plugin_extract_fields(ss_plugin_t*, const ss_plugin_event_input*, const ss_plugin_field_extract_input* in) {
  // The SDK wraps these at every extract call; they must be usable.
  if (!in->table_reader_ext || !in->get_owner_last_error) return SS_PLUGIN_FAILURE;
  static const char* ok = "ok";
  for (uint32_t i = 0; i < in->num_fields; ++i) {
    in->fields[i].res.str = &ok;
    in->fields[i].res_len = 1;
  }
  return SS_PLUGIN_SUCCESS;
}

}  // extern "C"
