// k8saudit_plugin.cpp — Kestrel's Kubernetes audit plugin, a Falco-API
// (3.x) shared library: event source "k8s_audit", plugin name "k8saudit".
//
// open_params: a path to a file of audit events — one JSON object per line
// (the API server's log backend), a single Event, or an EventList
// ({"kind": "EventList", "items": [...]}), or a JSON array of events — or
// a webhook URL "http://[HOST]:PORT/PATH" the API server POSTs events to
// (audit_webhook.h; next_batch then times out while none are queued). Each
// audit Event becomes one plugin event whose data is the event's JSON.
// Extraction (audit_fields.h) re-parses an event's JSON once per event
// number and answers every field of the request from it.
//
// Nothing here may throw across the C ABI: every export catches and
// reports through plugin_get_last_error.
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sources/plugin/k8saudit/audit_fields.h"
#include "sources/plugin/k8saudit/audit_webhook.h"
#include "sources/plugin/plugin_abi.h"

namespace {

using json = nlohmann::json;
using namespace kestrel::k8saudit;

constexpr uint32_t kPluginId = 1;  // the id Falco's registry gives k8saudit
constexpr uint32_t kMaxBatch = 64;
constexpr size_t kMaxFileBytes = 512u << 20;

struct State {
  std::string last_error;
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
  std::vector<std::string> events;  // compact JSON, one per audit Event
  std::vector<uint64_t> times;
  size_t next = 0;
  std::vector<std::vector<uint8_t>> buffers;  // the current batch
  std::vector<ss_plugin_event*> batch;
};

void collect(const json& doc, Instance& inst) {
  if (doc.is_array()) {
    for (const auto& e : doc) collect(e, inst);
    return;
  }
  if (!doc.is_object()) return;
  if (doc.contains("kind") && doc["kind"] == "EventList" && doc.contains("items")) {
    collect(doc["items"], inst);
    return;
  }
  inst.events.push_back(doc.dump());
  inst.times.push_back(audit_event_time_ns(doc).value_or(UINT64_MAX));
}

bool load_file(const std::string& path, Instance& inst, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open audit event file '" + path + "': " + std::strerror(errno);
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() > kMaxFileBytes) {
    error = "audit event file '" + path + "' is larger than 512 MiB";
    return false;
  }
  // One document (an Event, an EventList, an array), else JSON lines.
  json whole = json::parse(text, nullptr, false);
  if (!whole.is_discarded()) {
    collect(whole, inst);
    return true;
  }
  std::istringstream lines(text);
  std::string line;
  size_t lineno = 0;
  while (std::getline(lines, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json doc = json::parse(line, nullptr, false);
    if (doc.is_discarded()) {
      error = "audit event file '" + path + "' line " + std::to_string(lineno) + ": not JSON";
      return false;
    }
    collect(doc, inst);
  }
  return true;
}

std::vector<uint8_t> encode(const std::string& data, uint64_t ts) {
  ss_plugin_event hdr{};
  hdr.ts = ts;
  hdr.tid = UINT64_MAX;
  hdr.type = KESTREL_PLUGIN_EVENT_CODE;
  hdr.nparams = 2;
  const size_t h = sizeof(ss_plugin_event);
  hdr.len = static_cast<uint32_t>(h + 8 + 4 + data.size());
  std::vector<uint8_t> out(hdr.len);
  std::memcpy(out.data(), &hdr, h);
  uint32_t lens[2] = {4, static_cast<uint32_t>(data.size())};
  std::memcpy(out.data() + h, lens, sizeof lens);
  uint32_t id = kPluginId;
  std::memcpy(out.data() + h + 8, &id, 4);
  std::memcpy(out.data() + h + 12, data.data(), data.size());
  return out;
}

// The event's data param, or nullptr/0 when the event is not ours.
bool event_data(const ss_plugin_event* e, const uint8_t** data, uint32_t* len) {
  if (!e || e->type != KESTREL_PLUGIN_EVENT_CODE || e->nparams < 2) return false;
  const auto* base = reinterpret_cast<const uint8_t*>(e);
  const size_t h = sizeof(ss_plugin_event);
  uint32_t lens[2];
  std::memcpy(lens, base + h, sizeof lens);
  const size_t start = h + 4u * e->nparams + lens[0];
  if (start + lens[1] > e->len) return false;
  *data = base + start;
  *len = lens[1];
  return true;
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
  return R"({"type":"object","properties":{}})";
}

ss_plugin_t* plugin_init(const ss_plugin_init_input* input, ss_plugin_rc* rc) {
  try {
    auto* s = new State();
    // init_config: empty or a JSON object (no options yet).
    std::string config = input && input->config ? input->config : "";
    if (!config.empty()) {
      json c = json::parse(config, nullptr, false);
      if (c.is_discarded() || !c.is_object()) {
        s->last_error = "init_config must be a JSON object, got: " + config.substr(0, 200);
        *rc = SS_PLUGIN_FAILURE;
        return s;
      }
    }
    *rc = SS_PLUGIN_SUCCESS;
    return s;
  } catch (...) {
    *rc = SS_PLUGIN_FAILURE;
    return nullptr;
  }
}

void plugin_destroy(ss_plugin_t* s) { delete static_cast<State*>(s); }

const char* plugin_get_last_error(ss_plugin_t* s) { return s ? static_cast<State*>(s)->last_error.c_str() : ""; }

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
    if (path.rfind("http://", 0) == 0) {
      inst->webhook = std::make_unique<AuditWebhook>();
      st->last_error = inst->webhook->start(path);
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

void plugin_close(ss_plugin_t*, ss_instance_t* h) { delete static_cast<Instance*>(h); }

const char* plugin_list_open_params(ss_plugin_t*, ss_plugin_rc* rc) {
  *rc = SS_PLUGIN_SUCCESS;
  return R"json([{"value":"/var/log/kubernetes/audit.log","desc":"a file of audit events (JSON lines or an EventList)"},
                 {"value":"http://:9765/k8s-audit","desc":"a webhook the API server POSTs audit events to"}])json";
}

ss_plugin_rc plugin_next_batch(ss_plugin_t* s, ss_instance_t* h, uint32_t* nevts, ss_plugin_event*** evts) {
  auto* st = static_cast<State*>(s);
  auto* inst = static_cast<Instance*>(h);
  try {
    inst->buffers.clear();
    inst->batch.clear();
    if (inst->webhook) {
      for (auto& [json_text, ts] : inst->webhook->take(kMaxBatch)) inst->buffers.push_back(encode(json_text, ts));
      for (auto& b : inst->buffers) inst->batch.push_back(reinterpret_cast<ss_plugin_event*>(b.data()));
      *nevts = static_cast<uint32_t>(inst->batch.size());
      *evts = inst->batch.data();
      return inst->batch.empty() ? SS_PLUGIN_TIMEOUT : SS_PLUGIN_SUCCESS;
    }
    while (inst->next < inst->events.size() && inst->buffers.size() < kMaxBatch) {
      inst->buffers.push_back(encode(inst->events[inst->next], inst->times[inst->next]));
      ++inst->next;
    }
    for (auto& b : inst->buffers) inst->batch.push_back(reinterpret_cast<ss_plugin_event*>(b.data()));
    *nevts = static_cast<uint32_t>(inst->batch.size());
    *evts = inst->batch.data();
    if (inst->batch.empty()) return SS_PLUGIN_EOF;
    return SS_PLUGIN_SUCCESS;
  } catch (const std::exception& e) {
    st->last_error = std::string("next_batch: ") + e.what();
    return SS_PLUGIN_FAILURE;
  }
}

ss_plugin_rc plugin_extract_fields(ss_plugin_t* s, const ss_plugin_event_input* evt,
                                   const ss_plugin_field_extract_input* in) {
  auto* st = static_cast<State*>(s);
  try {
    const uint8_t* data = nullptr;
    uint32_t len = 0;
    if (!evt || !event_data(evt->evt, &data, &len)) {
      st->last_error = "extract_fields: not a k8saudit plugin event";
      return SS_PLUGIN_FAILURE;
    }
    if (evt->evtnum != st->parsed_evtnum) {
      st->parsed = json::parse(data, data + len, nullptr, false);
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
  } catch (const std::exception& e) {
    st->last_error = std::string("extract_fields: ") + e.what();
    return SS_PLUGIN_FAILURE;
  }
}

}  // extern "C"
