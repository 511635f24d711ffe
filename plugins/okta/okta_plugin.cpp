// okta_plugin.cpp — Kestrel's Okta System Log plugin, a Falco-API (3.x)
// shared library: plugin "okta", event source "okta", id 7 (the id Falco's
// plugin registry gives okta).
//
// open_params: an Okta System Log export — a file or a directory of them
// (okta_logs.h). Each LogEvent is one event whose data is its JSON,
// stamped with `published`; the source ends (EOF) after the last one.
// Fields: okta_fields.h.
//
// init_config (JSON object; keys as upstream okta where the concept is
// the same): organization (okta.org), cache_expiration (seconds an MFA
// failure/denial is remembered, default 600), cache_usermaxsize (at most
// this many remembered per actor and kind, default 200). Upstream's
// api_token and refresh_interval (polling Okta's API) are accepted and
// ignored: this plugin reads exports, it does not poll.
//
// plugin_get_metrics: events (LogEvents read).
//
// Nothing here may throw across the C ABI.
#include <memory>
#include <string>

#include "plugins/bounded_json.h"
#include "plugins/okta/okta_fields.h"
#include "plugins/okta/okta_logs.h"
#include "plugins/plugin_abi.h"
#include "plugins/plugin_kit/json_fields.h"
#include "plugins/plugin_kit/metrics.h"
#include "plugins/plugin_kit/plugin_event.h"
#include "plugins/plugin_kit/plugin_exports.h"

namespace {

using namespace kestrel;

constexpr uint32_t kPluginId = 7;

struct State {
  std::string last_error;
  std::string organization;
  uint64_t cache_expiration_s = 600;
  uint64_t cache_usermaxsize = 200;
  std::unique_ptr<okta::MfaWindow> mfa;
  plugin_kit::JsonExtractor extractor;
  uint64_t events = 0;
  plugin_kit::MetricsOut metrics;
};

// Reads init_config into `st`; false with st.last_error on a bad value.
bool configure(const std::string& config, State& st) {
  if (!config.empty()) {
    plugin_kit::json c;
    json_bounds::JsonError e = json_bounds::parse(config, c);
    if (e.refusal != json_bounds::JsonRefusal::kNone || !c.is_object()) {
      st.last_error = "init_config must be a JSON object, got: " + config.substr(0, 200);
      return false;
    }
    if (auto o = c.find("organization"); o != c.end()) {
      if (!o->is_string()) {
        st.last_error = "init_config.organization must be a string";
        return false;
      }
      st.organization = o->get<std::string>();
    }
    for (auto [key, out] : {std::pair{"cache_expiration", &st.cache_expiration_s},
                            std::pair{"cache_usermaxsize", &st.cache_usermaxsize}}) {
      auto v = c.find(key);
      if (v == c.end()) continue;
      if (!v->is_number_unsigned() || v->get<uint64_t>() == 0 || v->get<uint64_t>() > (1ull << 31)) {
        st.last_error = std::string("init_config.") + key + " must be a positive integer";
        return false;
      }
      *out = v->get<uint64_t>();
    }
  }
  st.mfa = std::make_unique<okta::MfaWindow>(st.cache_expiration_s, st.cache_usermaxsize);
  st.extractor.on_new_event = [&st](const plugin_kit::json& event, uint64_t ts) { st.mfa->observe(event, ts); };
  return true;
}

}  // namespace

extern "C" {

const char* plugin_get_required_api_version() { return "3.0.0"; }
const char* plugin_get_name() { return "okta"; }
// okta_rules.yaml requires okta 0.11.0.
const char* plugin_get_version() { return "0.11.0"; }
const char* plugin_get_description() { return "Kestrel's Okta System Log source (exported LogEvents: array or JSON lines)"; }
const char* plugin_get_contact() { return "Kestrel authors"; }
uint32_t plugin_get_id() { return kPluginId; }
const char* plugin_get_event_source() { return "okta"; }
const char* plugin_get_fields() {
  static const std::string kJson = plugin_kit::fields_json(okta::okta_fields());
  return kJson.c_str();
}

const char* plugin_get_init_schema(ss_plugin_schema_type* type) {
  *type = SS_PLUGIN_SCHEMA_JSON;
  return R"json({"type":"object","properties":{)json"
         R"json("organization":{"type":"string","description":"the Okta organization (okta.org)"},)json"
         R"json("cache_expiration":{"type":"integer","description":"seconds an MFA failure or denial is remembered (default 600)"},)json"
         R"json("cache_usermaxsize":{"type":"integer","description":"MFA failures or denials remembered per actor (default 200)"},)json"
         R"json("api_token":{"type":"string","description":"upstream only (API polling); ignored"},)json"
         R"json("refresh_interval":{"type":"integer","description":"upstream only (API polling); ignored"}}})json";
}

ss_plugin_t* plugin_init(const ss_plugin_init_input* input, ss_plugin_rc* rc) {
  return plugin_kit::init_plugin<State>(rc, [&](State& s) { return configure(plugin_kit::init_config(input), s); });
}

void plugin_destroy(ss_plugin_t* s) { plugin_kit::destroy_plugin<State>(s); }

const char* plugin_get_last_error(ss_plugin_t* s) { return plugin_kit::last_error<State>(s); }

ss_instance_t* plugin_open(ss_plugin_t* s, const char* params, ss_plugin_rc* rc) {
  auto* st = static_cast<State*>(s);
  return plugin_kit::open_instance<State>(s, rc, [&]() -> ss_instance_t* {
    const std::string path = params ? params : "";
    if (path.empty()) {
      st->last_error = "open_params must name an Okta System Log export (file or directory)";
      return nullptr;
    }
    auto inst = std::make_unique<plugin_kit::ReplayEvents>();
    if (std::string err = okta::read_okta_logs(path, *inst); !err.empty()) {
      st->last_error = err;
      return nullptr;
    }
    st->events += inst->data.size();
    return inst.release();
  });
}

void plugin_close(ss_plugin_t*, ss_instance_t* h) { plugin_kit::close_instance<plugin_kit::ReplayEvents>(h); }

const char* plugin_list_open_params(ss_plugin_t*, ss_plugin_rc* rc) {
  *rc = SS_PLUGIN_SUCCESS;
  return R"json([{"value":"/var/log/okta/system-log.json","desc":"an export of the System Log (array or JSON lines)"},
                 {"value":"/var/log/okta","desc":"a directory of exports (*.json, *.jsonl, gzip too)"}])json";
}

ss_plugin_rc plugin_next_batch(ss_plugin_t* s, ss_instance_t* h, uint32_t* nevts, ss_plugin_event*** evts) {
  return plugin_kit::guarded<State>(
      s, "next_batch", [&] { return static_cast<plugin_kit::ReplayEvents*>(h)->next_batch(kPluginId, nevts, evts); });
}

ss_plugin_rc plugin_extract_fields(ss_plugin_t* s, const ss_plugin_event_input* evt,
                                   const ss_plugin_field_extract_input* in) {
  auto* st = static_cast<State*>(s);
  return plugin_kit::guarded<State>(s, "extract_fields", [&]() -> ss_plugin_rc {
    return st->extractor.extract(
        evt, in, okta::okta_fields(),
        [st](uint32_t id, const plugin_kit::json& event, const plugin_kit::FieldArg& arg, uint64_t ts) {
          return okta::extract_okta_field(id, event, arg, ts, st->organization, *st->mfa);
        },
        st->last_error);
  });
}

ss_plugin_metric* plugin_get_metrics(ss_plugin_t* s, uint32_t* num_metrics) {
  *num_metrics = 0;
  auto* st = static_cast<State*>(s);
  if (!st) return nullptr;
  return st->metrics.hand_out({{"events", st->events}}, num_metrics);
}

}  // extern "C"
