// A library that exports some plugin symbols but not plugin_init and
// plugin_get_last_error: the host must name what is missing.
#include "plugins/plugin_abi.h"

extern "C" {
const char* plugin_get_required_api_version() { return "3.0.0"; }
const char* plugin_get_name() { return "incomplete"; }
const char* plugin_get_version() { return "1.0.0"; }
const char* plugin_get_description() { return "lacks init"; }
const char* plugin_get_contact() { return "tests"; }
void plugin_destroy(ss_plugin_t*) {}
}
