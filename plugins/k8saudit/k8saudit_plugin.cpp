// k8saudit_plugin.cpp — Kestrel's Kubernetes audit plugin, a Falco-API
// (3.x) shared library: event source "k8s_audit", plugin name "k8saudit".
//
// open_params: a path to a file of audit events — one JSON object per line
// (the API server's log backend), a single Event, or an EventList
// ({"kind": "EventList", "items": [...]}), or a JSON array of events — or
// a webhook URL "http[s]://[HOST]:PORT/PATH" the API server POSTs events to
// (audit_webhook.h; next_batch then times out while none are queued; no
// HOST means 127.0.0.1). Each audit Event becomes one plugin event whose
// data is the event's JSON. Files and webhook bodies go through the same
// bounded parser (audit_json.h). Extraction (audit_fields.h) re-parses an
// event's JSON once per event number, depth-bounded too.
//
// init_config (JSON object; keys as upstream k8saudit where the concept is
// the same): sslCertificate (PEM with certificate and key, for https://;
// default /etc/falco/falco.pem), maxEventSize (bytes per event, default
// 262144), webhookMaxBatchSize (bytes per POST, default 12582912); Kestrel
// only: webhookBearerToken (requests must carry "Authorization: Bearer
// <token>"; empty: no check). Unknown keys are ignored, as upstream does
// for useAsync and customFieldsHeaders.
//
// plugin_get_metrics reports the webhook's counters (monotonic):
// webhook_requests_accepted, webhook_events_accepted and
// webhook_refused_<reason> for not_json, too_deep, too_large, queue_full,
// unauthorized, not_found.
//
// Nothing here may throw across the C ABI: every export catches and
// reports through plugin_get_last_error.
#include <array>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugins/bounded_json.h"
#include "plugins/k8saudit/audit_fields.h"
#include "plugins/k8saudit/audit_json.h"
#include "plugins/k8saudit/audit_webhook.h"
#include "plugins/plugin_abi.h"
#include "plugins/plugin_kit/plugin_event.h"
#include "plugins/plugin_kit/plugin_exports.h"

namespace {

using json = nlohmann::json;
using namespace kestrel::k8saudit;
namespace kit = kestrel::plugin_kit;

constexpr uint32_t kPluginId = 1;  // the id Falco's registry gives k8saudit
constexpr uint32_t kMaxBatch = kit::ReplayEvents::kMaxBatch;
constexpr size_t kMaxFileBytes = 512u << 20;

constexpr size_t kMetricCount = 2 + static_cast<size_t>(WebhookRefusal::kCount);

struct State {
  std::string last_error;
  WebhookConfig webhook;  // from init_config; url set per open
  WebhookCounters counters;
  std::array<std::string, kMetricCount> metric_names;
  std::array<ss_plugin_metric, kMetricCount> metrics{};
  std::string fields_json = audit_fields_json();
  // Extraction results, valid until the next extract call.
  std::vector<std::vector<std::string>> values;
  std::vector<std::vector<const char*>> ptrs;
  std::vector<ss_plugin_bool> bools;
  uint64_t parsed_evtnum = UINT64_MAX;
  json parsed;
};

struct Instance {
  std::unique_ptr<AuditWebhook> webhook;  // set for http:// open_params
  kit::ReplayEvents replay;  // a file's events: compact JSON, one per audit Event
  kit::EventBatch batch;      // the current webhook batch
};

bool load_file(const std::string& path, Instance& inst, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open audit event file '" + path + "': " + std::strerror(errno);
    return false;
  }
  in.seekg(0, std::ios::end);
  const auto size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size < 0 || static_cast<uint64_t>(size) > kMaxFileBytes) {
    error = "audit event file '" + path + "' is larger than 512 MiB";
    return false;
  }
  std::string text(static_cast<size_t>(size), '\0');
  if (!in.read(text.data(), size)) {
    error = "cannot read audit event file '" + path + "'";
    return false;
  }
  // One document (an Event, an EventList, an array), else JSON lines. A
  // file is a replay: an event larger than maxEventSize is kept here and
  // counted by the host if it cannot carry it.
  AuditLimits limits;
  limits.max_event_bytes = 0;
  limits.json_lines = true;
  AuditParse parsed = parse_audit_events(text, limits);
  if (parsed.refusal != AuditRefusal::kNone) {
    error = "audit event file '" + path + "': " + parsed.error;
    return false;
  }
  for (auto& [event, ts] : parsed.events) inst.replay.add(std::move(event), ts);
  return true;
}

// Reads init_config into `st`; false with st.last_error on a bad value.
bool configure(const std::string& config, State& st) {
  st.webhook.ssl_certificate = "/etc/falco/falco.pem";
  if (config.empty()) return true;
  json c;
  kestrel::json_bounds::JsonError e = kestrel::json_bounds::parse(config, c);
  if (e.refusal != kestrel::json_bounds::JsonRefusal::kNone || !c.is_object()) {
    st.last_error = "init_config must be a JSON object" + (e.message.empty() ? "" : " (" + e.message + ")") +
                    ", got: " + config.substr(0, 200);
    return false;
  }
  auto text = [&](const char* key, std::string& out) {
    if (!c.contains(key)) return true;
    if (!c[key].is_string()) {
      st.last_error = std::string("init_config.") + key + " must be a string";
      return false;
    }
    out = c[key].get<std::string>();
    return true;
  };
  auto size = [&](const char* key, size_t& out) {
    if (!c.contains(key)) return true;
    if (!c[key].is_number_integer() || c[key].get<int64_t>() <= 0 || c[key].get<int64_t>() > (int64_t{1} << 30)) {
      st.last_error = std::string("init_config.") + key + " must be a byte count between 1 and 1 GiB";
      return false;
    }
    out = static_cast<size_t>(c[key].get<int64_t>());
    return true;
  };
  return text("sslCertificate", st.webhook.ssl_certificate) && text("webhookBearerToken", st.webhook.bearer_token) &&
         size("maxEventSize", st.webhook.max_event_bytes) && size("webhookMaxBatchSize", st.webhook.max_body_bytes);
}

}  // namespace

extern "C" {

const char* plugin_get_required_api_version() { return "3.0.0"; }
const char* plugin_get_name() { return "k8saudit"; }
// The upstream k8saudit release whose field table this plugin implements,
// so rulesets' required_plugin_versions (k8saudit 0.18.0) hold.
const char* plugin_get_version() { return "0.18.0"; }
const char* plugin_get_description() { return "Kestrel's Kubernetes audit events source (file of audit events)"; }
const char* plugin_get_contact() { return "Kestrel authors"; }
uint32_t plugin_get_id() { return kPluginId; }
const char* plugin_get_event_source() { return "k8s_audit"; }
const char* plugin_get_fields() {
  static const std::string kJson = audit_fields_json();
  return kJson.c_str();
}

const char* plugin_get_init_schema(ss_plugin_schema_type* type) {
  *type = SS_PLUGIN_SCHEMA_JSON;
  return R"json({"type":"object","properties":{)json"
         R"json("sslCertificate":{"type":"string","description":"PEM file with the certificate and key for an https:// webhook (default /etc/falco/falco.pem)"},)json"
         R"json("maxEventSize":{"type":"integer","description":"largest audit event a webhook request may carry, bytes (default 262144)"},)json"
         R"json("webhookMaxBatchSize":{"type":"integer","description":"largest webhook request body, bytes (default 12582912)"},)json"
         R"json("webhookBearerToken":{"type":"string","description":"Kestrel: requests must carry Authorization: Bearer <token>"}}})json";
}

ss_plugin_t* plugin_init(const ss_plugin_init_input* input, ss_plugin_rc* rc) {
  return kit::init_plugin<State>(rc, [&](State& s) {
    const bool configured = configure(kit::init_config(input), s);
    s.metric_names[0] = "webhook_requests_accepted";
    s.metric_names[1] = "webhook_events_accepted";
    for (size_t i = 0; i < static_cast<size_t>(WebhookRefusal::kCount); ++i)
      s.metric_names[2 + i] = std::string("webhook_refused_") + webhook_refusal_name(static_cast<WebhookRefusal>(i));
    return configured;
  });
}

void plugin_destroy(ss_plugin_t* s) { kit::destroy_plugin<State>(s); }

const char* plugin_get_last_error(ss_plugin_t* s) { return kit::last_error<State>(s); }

ss_instance_t* plugin_open(ss_plugin_t* s, const char* params, ss_plugin_rc* rc) {
  auto* st = static_cast<State*>(s);
  try {
    std::string path = params ? params : "";
    if (path.empty()) {
      st->last_error = "open_params must be the path of a file of audit events";
      *rc = SS_PLUGIN_FAILURE;
      return nullptr;
    }
    auto inst = std::make_unique<Instance>();
    if (path.rfind("http://", 0) == 0 || path.rfind("https://", 0) == 0) {
      inst->webhook = std::make_unique<AuditWebhook>(st->counters);
      WebhookConfig config = st->webhook;
      config.url = path;
      st->last_error = inst->webhook->start(config);
      *rc = st->last_error.empty() ? SS_PLUGIN_SUCCESS : SS_PLUGIN_FAILURE;
      return st->last_error.empty() ? inst.release() : nullptr;
    }
    if (!load_file(path, *inst, st->last_error)) {
      *rc = SS_PLUGIN_FAILURE;
      return nullptr;
    }
    *rc = SS_PLUGIN_SUCCESS;
    return inst.release();
  } catch (const std::exception& e) {
    st->last_error = std::string("open: ") + e.what();
    *rc = SS_PLUGIN_FAILURE;
    return nullptr;
  }
}

void plugin_close(ss_plugin_t*, ss_instance_t* h) { kit::close_instance<Instance>(h); }

const char* plugin_list_open_params(ss_plugin_t*, ss_plugin_rc* rc) {
  *rc = SS_PLUGIN_SUCCESS;
  return R"json([{"value":"/var/log/kubernetes/audit.log","desc":"a file of audit events (JSON lines or an EventList)"},
                 {"value":"http://:9765/k8s-audit","desc":"a webhook the API server POSTs audit events to (127.0.0.1 unless a host is given)"}])json";
}

ss_plugin_rc plugin_next_batch(ss_plugin_t* s, ss_instance_t* h, uint32_t* nevts, ss_plugin_event*** evts) {
  auto* inst = static_cast<Instance*>(h);
  return kit::guarded<State>(s, "next_batch", [&] {
    if (inst->webhook) {
      inst->batch.clear();
      for (auto& [json_text, ts] : inst->webhook->take(kMaxBatch))
        inst->batch.add(kit::encode_plugin_event(kPluginId, json_text, ts));
      return inst->batch.hand_out(nevts, evts, SS_PLUGIN_TIMEOUT);
    }
    return inst->replay.next_batch(kPluginId, nevts, evts);
  });
}

ss_plugin_rc plugin_extract_fields(ss_plugin_t* s, const ss_plugin_event_input* evt,
                                   const ss_plugin_field_extract_input* in) {
  auto* st = static_cast<State*>(s);
  return kit::guarded<State>(s, "extract_fields", [&]() -> ss_plugin_rc {
    std::string_view data;
    if (!evt || !kit::plugin_event_data(evt->evt, &data)) {
      st->last_error = "extract_fields: not a k8saudit plugin event";
      return SS_PLUGIN_FAILURE;
    }
    if (evt->evtnum != st->parsed_evtnum) {
      // Event data may come from a capture file: depth-bounded like input.
      kestrel::json_bounds::parse(data, st->parsed);
      st->parsed_evtnum = evt->evtnum;
    }
    st->values.assign(in->num_fields, {});
    st->ptrs.assign(in->num_fields, {});
    st->bools.assign(in->num_fields, 0);
    const auto& table = audit_fields();
    for (uint32_t i = 0; i < in->num_fields; ++i) {
      ss_plugin_extract_field& f = in->fields[i];
      f.res_len = 0;
      if (st->parsed.is_discarded() || f.field_id >= table.size()) continue;
      FieldArg arg;
      arg.present = f.arg_present != 0;
      arg.index = f.arg_index;
      if (f.arg_key) arg.key = f.arg_key;
      auto values = extract_audit_field(f.field_id, st->parsed, arg);
      if (!values || values->empty()) continue;
      if (table[f.field_id].is_bool) {
        st->bools[i] = (*values)[0] == "true";
        f.res.boolean = &st->bools[i];
        f.res_len = 1;
        continue;
      }
      if (!table[f.field_id].is_list) values->resize(1);
      st->values[i] = std::move(*values);
      for (const auto& v : st->values[i]) st->ptrs[i].push_back(v.c_str());
      f.res.str = st->ptrs[i].data();
      f.res_len = st->ptrs[i].size();
    }
    return SS_PLUGIN_SUCCESS;
  });
}

ss_plugin_metric* plugin_get_metrics(ss_plugin_t* s, uint32_t* num_metrics) {
  *num_metrics = 0;
  auto* st = static_cast<State*>(s);
  if (!st) return nullptr;
  auto set = [&](size_t i, uint64_t v) {
    ss_plugin_metric& m = st->metrics[i];
    m.name = st->metric_names[i].c_str();
    m.type = SS_PLUGIN_METRIC_TYPE_MONOTONIC;
    m.value_type = SS_PLUGIN_METRIC_VALUE_TYPE_U64;
    m.value.u64 = v;
  };
  set(0, st->counters.requests_accepted.load());
  set(1, st->counters.events_accepted.load());
  for (size_t i = 0; i < static_cast<size_t>(WebhookRefusal::kCount); ++i) set(2 + i, st->counters.refused[i].load());
  *num_metrics = static_cast<uint32_t>(kMetricCount);
  return st->metrics.data();
}

}  // extern "C"
