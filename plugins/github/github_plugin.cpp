// github_plugin.cpp — Kestrel's GitHub plugin, a Falco-API (3.x) shared
// library: plugin "github", event source "github", id 8 (the id Falco's
// plugin registry gives github).
//
// open_params: the URL GitHub's webhooks deliver to,
// "http[s]://[HOST]:PORT/PATH" (github_webhook.h; no HOST: 127.0.0.1).
// Unlike upstream, which installs webhooks on the repositories its
// open_params lists, this plugin installs nothing: point the repository's
// or organization's webhook (content type application/json, with a
// secret) at this URL. Each authenticated delivery is one event; for push
// and workflow_run deliveries the referenced code is fetched and scanned
// first (github_api.h), on the source's thread. next_batch times out while
// nothing is queued.
//
// init_config (JSON object): webhookSecret (required: the webhook's
// secret, X-Hub-Signature-256 is checked against it), sslCertificate (PEM
// with certificate and key, for https://), maxBodySize (bytes, default 25
// MiB), githubToken, apiURL (github_api.h), scanCode (default true).
//
// plugin_get_metrics: webhook_deliveries_accepted,
// webhook_refused_<reason> (unsigned, bad_signature, not_json, too_deep,
// too_large, queue_full, not_found), api_requests, api_errors.
//
// Nothing here may throw across the C ABI.
#include <memory>
#include <string>

#include "plugins/bounded_json.h"
#include "plugins/github/github_api.h"
#include "plugins/github/github_fields.h"
#include "plugins/github/github_webhook.h"
#include "plugins/plugin_abi.h"
#include "plugins/plugin_kit/json_fields.h"
#include "plugins/plugin_kit/metrics.h"
#include "plugins/plugin_kit/plugin_event.h"
#include "plugins/plugin_kit/plugin_exports.h"

namespace {

using namespace kestrel;

constexpr uint32_t kPluginId = 8;
constexpr size_t kMaxBatch = 64;

struct State {
  std::string last_error;
  github::WebhookConfig webhook;  // url set per open
  github::ApiConfig api;
  github::Counters counters;
  github::ApiCounters api_counters;
  plugin_kit::JsonExtractor extractor;
  plugin_kit::MetricsOut metrics;
};

struct Instance {
  github::GithubWebhook webhook;
  plugin_kit::EventBatch batch;
  explicit Instance(github::Counters& c) : webhook(c) {}
};

// Reads init_config into `st`; false with st.last_error on a bad value.
bool configure(const std::string& config, State& st) {
  if (config.empty()) return true;
  plugin_kit::json c;
  json_bounds::JsonError e = json_bounds::parse(config, c);
  if (e.refusal != json_bounds::JsonRefusal::kNone || !c.is_object()) {
    st.last_error = "init_config must be a JSON object, got: " + config.substr(0, 200);
    return false;
  }
  auto text = [&](const char* key, std::string& out) {
    auto it = c.find(key);
    if (it == c.end()) return true;
    if (!it->is_string()) {
      st.last_error = std::string("init_config.") + key + " must be a string";
      return false;
    }
    out = it->get<std::string>();
    return true;
  };
  if (auto it = c.find("maxBodySize"); it != c.end()) {
    if (!it->is_number_unsigned() || it->get<uint64_t>() == 0 || it->get<uint64_t>() > (1ull << 30)) {
      st.last_error = "init_config.maxBodySize must be a byte count between 1 and 1 GiB";
      return false;
    }
    st.webhook.max_body_bytes = it->get<size_t>();
  }
  if (auto it = c.find("scanCode"); it != c.end()) {
    if (!it->is_boolean()) {
      st.last_error = "init_config.scanCode must be true or false";
      return false;
    }
    st.api.enabled = it->get<bool>();
  }
  return text("webhookSecret", st.webhook.secret) && text("sslCertificate", st.webhook.ssl_certificate) &&
         text("githubToken", st.api.token) && text("apiURL", st.api.url);
}

}  // namespace

extern "C" {

const char* plugin_get_required_api_version() { return "3.0.0"; }
const char* plugin_get_name() { return "github"; }
// github.yaml requires github 0.8.0.
const char* plugin_get_version() { return "0.8.0"; }
const char* plugin_get_description() { return "Kestrel's GitHub webhook source (X-Hub-Signature-256 checked)"; }
const char* plugin_get_contact() { return "Kestrel authors"; }
uint32_t plugin_get_id() { return kPluginId; }
const char* plugin_get_event_source() { return "github"; }
const char* plugin_get_fields() {
  static const std::string kJson = plugin_kit::fields_json(github::github_fields());
  return kJson.c_str();
}

const char* plugin_get_init_schema(ss_plugin_schema_type* type) {
  *type = SS_PLUGIN_SCHEMA_JSON;
  return R"json({"type":"object","required":["webhookSecret"],"properties":{)json"
         R"json("webhookSecret":{"type":"string","description":"the webhook's secret; deliveries must carry its X-Hub-Signature-256"},)json"
         R"json("sslCertificate":{"type":"string","description":"PEM with certificate and key, for an https:// URL"},)json"
         R"json("maxBodySize":{"type":"integer","description":"largest delivery, bytes (default 25 MiB)"},)json"
         R"json("githubToken":{"type":"string","description":"token for the REST API (commit diffs, workflow files)"},)json"
         R"json("apiURL":{"type":"string","description":"the REST API (default https://api.github.com)"},)json"
         R"json("scanCode":{"type":"boolean","description":"fetch and scan pushed diffs and workflow files (default true)"}}})json";
}

ss_plugin_t* plugin_init(const ss_plugin_init_input* input, ss_plugin_rc* rc) {
  return plugin_kit::init_plugin<State>(rc, [&](State& s) { return configure(plugin_kit::init_config(input), s); });
}

void plugin_destroy(ss_plugin_t* s) { plugin_kit::destroy_plugin<State>(s); }

const char* plugin_get_last_error(ss_plugin_t* s) { return plugin_kit::last_error<State>(s); }

ss_instance_t* plugin_open(ss_plugin_t* s, const char* params, ss_plugin_rc* rc) {
  auto* st = static_cast<State*>(s);
  return plugin_kit::open_instance<State>(s, rc, [&]() -> ss_instance_t* {
    auto inst = std::make_unique<Instance>(st->counters);
    github::WebhookConfig config = st->webhook;
    config.url = params ? params : "";
    if (config.url.empty()) {
      st->last_error = "open_params must be the webhook URL, http[s]://[HOST]:PORT/PATH";
      return nullptr;
    }
    st->last_error = inst->webhook.start(config);
    if (!st->last_error.empty()) return nullptr;
    return inst.release();
  });
}

void plugin_close(ss_plugin_t*, ss_instance_t* h) { plugin_kit::close_instance<Instance>(h); }

const char* plugin_list_open_params(ss_plugin_t*, ss_plugin_rc* rc) {
  *rc = SS_PLUGIN_SUCCESS;
  return R"json([{"value":"http://:8080/github","desc":"the webhook on 127.0.0.1:8080 (give a host to listen elsewhere)"},
                 {"value":"https://0.0.0.0:8443/github","desc":"TLS on every interface (init_config.sslCertificate)"}])json";
}

ss_plugin_rc plugin_next_batch(ss_plugin_t* s, ss_instance_t* h, uint32_t* nevts, ss_plugin_event*** evts) {
  auto* st = static_cast<State*>(s);
  auto* inst = static_cast<Instance*>(h);
  return plugin_kit::guarded<State>(s, "next_batch", [&] {
    inst->batch.clear();
    for (auto& [text, ts] : inst->webhook.take(kMaxBatch)) {
      plugin_kit::json event = plugin_kit::json::parse(text);  // ours, already bounded
      github::scan_referenced_code(event, st->api, st->api_counters);
      inst->batch.add(plugin_kit::encode_plugin_event(kPluginId, event.dump(), ts));
    }
    return inst->batch.hand_out(nevts, evts, SS_PLUGIN_TIMEOUT);
  });
}

ss_plugin_rc plugin_extract_fields(ss_plugin_t* s, const ss_plugin_event_input* evt,
                                   const ss_plugin_field_extract_input* in) {
  auto* st = static_cast<State*>(s);
  return plugin_kit::guarded<State>(s, "extract_fields", [&]() -> ss_plugin_rc {
    return st->extractor.extract(
        evt, in, github::github_fields(),
        [](uint32_t id, const plugin_kit::json& event, const plugin_kit::FieldArg&, uint64_t) {
          return github::extract_github_field(id, event);
        },
        st->last_error);
  });
}

ss_plugin_metric* plugin_get_metrics(ss_plugin_t* s, uint32_t* num_metrics) {
  *num_metrics = 0;
  auto* st = static_cast<State*>(s);
  if (!st) return nullptr;
  auto refused = [&](github::Refusal r) { return st->counters.refused[static_cast<size_t>(r)].load(); };
  using R = github::Refusal;
  return st->metrics.hand_out({{"webhook_deliveries_accepted", st->counters.accepted.load()},
                               {"webhook_refused_unsigned", refused(R::kUnsigned)},
                               {"webhook_refused_bad_signature", refused(R::kBadSignature)},
                               {"webhook_refused_not_json", refused(R::kNotJson)},
                               {"webhook_refused_too_deep", refused(R::kTooDeep)},
                               {"webhook_refused_too_large", refused(R::kTooLarge)},
                               {"webhook_refused_queue_full", refused(R::kQueueFull)},
                               {"webhook_refused_not_found", refused(R::kNotFound)},
                               {"api_requests", st->api_counters.requests.load()},
                               {"api_errors", st->api_counters.errors.load()}},
                              num_metrics);
}

}  // extern "C"
