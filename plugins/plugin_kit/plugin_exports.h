// plugin_exports.h — the bodies of the C ABI entry points every one of our
// plugins exports the same way (init, destroy, get_last_error, open, close,
// and the try/catch around next_batch and extract_fields). Each plugin still
// defines its own `extern "C"` symbols; they call these in one line, so
// the rule "nothing may throw across the C ABI" is kept in one place.
//
// A plugin's State must have a `std::string last_error` member: it is what
// plugin_get_last_error returns. Header-only (see plugin_event.h).
#pragma once

#include <exception>
#include <memory>
#include <string>

#include "plugins/plugin_abi.h"

namespace kestrel::plugin_kit {

// init_config as text, empty when the host gave none.
inline std::string init_config(const ss_plugin_init_input* input) {
  return input && input->config ? input->config : "";
}

// plugin_init: a new State, then `setup(State&)` (false: *rc is FAILURE and
// setup has set last_error; the state is still returned so the host can
// read the error). An exception yields FAILURE and no state.
template <class State, class Setup>
ss_plugin_t* init_plugin(ss_plugin_rc* rc, Setup setup) {
  try {
    auto s = std::make_unique<State>();
    *rc = setup(*s) ? SS_PLUGIN_SUCCESS : SS_PLUGIN_FAILURE;
    return s.release();
  } catch (...) {
    *rc = SS_PLUGIN_FAILURE;
    return nullptr;
  }
}

// plugin_init for a plugin without configuration.
template <class State>
ss_plugin_t* init_plugin(ss_plugin_rc* rc) {
  return init_plugin<State>(rc, [](State&) { return true; });
}

template <class State>
void destroy_plugin(ss_plugin_t* s) {
  delete static_cast<State*>(s);
}

template <class State>
const char* last_error(ss_plugin_t* s) {
  return s ? static_cast<State*>(s)->last_error.c_str() : "";
}

// plugin_open: `body()` returns the new instance, or nullptr having set
// last_error; *rc follows. An exception yields FAILURE with last_error
// "open: <exception text>".
template <class State, class Body>
ss_instance_t* open_instance(ss_plugin_t* s, ss_plugin_rc* rc, Body body) {
  *rc = SS_PLUGIN_FAILURE;
  try {
    ss_instance_t* h = body();
    if (h) *rc = SS_PLUGIN_SUCCESS;
    return h;
  } catch (const std::exception& e) {
    static_cast<State*>(s)->last_error = std::string("open: ") + e.what();
    return nullptr;
  }
}

template <class Instance>
void close_instance(ss_instance_t* h) {
  delete static_cast<Instance*>(h);
}

// Runs `body()` (returning ss_plugin_rc); an exception becomes FAILURE with
// last_error "<what>: <exception text>".
template <class State, class Body>
ss_plugin_rc guarded(ss_plugin_t* s, const char* what, Body body) {
  try {
    return body();
  } catch (const std::exception& e) {
    static_cast<State*>(s)->last_error = std::string(what) + ": " + e.what();
    return SS_PLUGIN_FAILURE;
  }
}

}  // namespace kestrel::plugin_kit
