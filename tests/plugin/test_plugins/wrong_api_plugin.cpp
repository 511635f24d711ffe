// A plugin that asks for an API version this host does not implement
// (REQUIRED_API, set by CMake). Everything else is well-formed, so the only
// reason to refuse it is the version.
#include "plugins/plugin_abi.h"

extern "C" {
const char* plugin_get_required_api_version() { return REQUIRED_API; }
const char* plugin_get_name() { return "future"; }
const char* plugin_get_version() { return "1.0.0"; }
const char* plugin_get_description() { return "needs a newer plugin API"; }
const char* plugin_get_contact() { return "tests"; }
ss_plugin_t* plugin_init(const ss_plugin_init_input*, ss_plugin_rc* rc) {
  *rc = SS_PLUGIN_SUCCESS;
  static int state;
  return &state;
}
void plugin_destroy(ss_plugin_t*) {}
const char* plugin_get_last_error(ss_plugin_t*) { return ""; }
const char* plugin_get_fields() { return "[]"; }
ss_plugin_rc plugin_extract_fields(ss_plugin_t*, const ss_plugin_event_input*, const ss_plugin_field_extract_input*) {
  return SS_PLUGIN_SUCCESS;
}
}
