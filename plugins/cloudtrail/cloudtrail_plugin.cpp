// cloudtrail_plugin.cpp — Kestrel's AWS CloudTrail plugin, a Falco-API
// (3.x) shared library: plugin "cloudtrail", event source
// "aws_cloudtrail", id 2 (the id Falco's plugin registry gives cloudtrail).
//
// open_params: a CloudTrail log file (plain or .json.gz, as S3 delivery
// stores them) or a directory of them (cloudtrail_logs.h). Each record is
// one event whose data is the record's JSON, stamped with its eventTime;
// the source ends (EOF) after the last record. Fields: cloudtrail_fields.h.
// init_config is not used (an empty string or a JSON object).
//
// plugin_get_metrics: files_read, files_skipped (non-log JSON files in a
// directory), records (events read).
//
// Nothing here may throw across the C ABI: every export catches and
// reports through plugin_get_last_error.
#include <memory>
#include <string>

#include "plugins/cloudtrail/cloudtrail_fields.h"
#include "plugins/cloudtrail/cloudtrail_logs.h"
#include "plugins/plugin_abi.h"
#include "plugins/plugin_kit/json_fields.h"
#include "plugins/plugin_kit/metrics.h"
#include "plugins/plugin_kit/plugin_event.h"
#include "plugins/plugin_kit/plugin_exports.h"

namespace {

using namespace kestrel;

constexpr uint32_t kPluginId = 2;

struct State {
  std::string last_error;
  plugin_kit::JsonExtractor extractor;
  uint64_t files_read = 0, files_skipped = 0, records = 0;
  plugin_kit::MetricsOut metrics;
};

}  // namespace

extern "C" {

const char* plugin_get_required_api_version() { return "3.0.0"; }
const char* plugin_get_name() { return "cloudtrail"; }
// aws_cloudtrail_rules.yaml requires cloudtrail 0.10.0.
const char* plugin_get_version() { return "0.10.0"; }
const char* plugin_get_description() { return "Kestrel's AWS CloudTrail source (log files and directories, gzip too)"; }
const char* plugin_get_contact() { return "Kestrel authors"; }
uint32_t plugin_get_id() { return kPluginId; }
const char* plugin_get_event_source() { return "aws_cloudtrail"; }
const char* plugin_get_fields() {
  static const std::string kJson = plugin_kit::fields_json(cloudtrail::cloudtrail_fields());
  return kJson.c_str();
}

ss_plugin_t* plugin_init(const ss_plugin_init_input*, ss_plugin_rc* rc) {
  return plugin_kit::init_plugin<State>(rc);
}

void plugin_destroy(ss_plugin_t* s) { plugin_kit::destroy_plugin<State>(s); }

const char* plugin_get_last_error(ss_plugin_t* s) { return plugin_kit::last_error<State>(s); }

ss_instance_t* plugin_open(ss_plugin_t* s, const char* params, ss_plugin_rc* rc) {
  auto* st = static_cast<State*>(s);
  return plugin_kit::open_instance<State>(s, rc, [&]() -> ss_instance_t* {
    const std::string path = params ? params : "";
    if (path.empty()) {
      st->last_error = "open_params must name a CloudTrail log file or a directory of them";
      return nullptr;
    }
    auto inst = std::make_unique<plugin_kit::ReplayEvents>();
    cloudtrail::LogRead read = cloudtrail::read_cloudtrail_logs(path, *inst);
    st->files_read += read.files_read;
    st->files_skipped += read.files_skipped;
    if (!read.error.empty()) {
      st->last_error = read.error;
      return nullptr;
    }
    st->records += inst->data.size();
    return inst.release();
  });
}

void plugin_close(ss_plugin_t*, ss_instance_t* h) { plugin_kit::close_instance<plugin_kit::ReplayEvents>(h); }

const char* plugin_list_open_params(ss_plugin_t*, ss_plugin_rc* rc) {
  *rc = SS_PLUGIN_SUCCESS;
  return R"json([{"value":"/var/log/cloudtrail","desc":"a directory of CloudTrail log files (*.json, *.json.gz)"},
                 {"value":"/var/log/cloudtrail/123456789012_CloudTrail_us-east-1_20260101T0000Z_abc.json.gz","desc":"one log file"}])json";
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
        evt, in, cloudtrail::cloudtrail_fields(),
        [](uint32_t id, const plugin_kit::json& record, const plugin_kit::FieldArg&, uint64_t) {
          return cloudtrail::extract_cloudtrail_field(id, record);
        },
        st->last_error);
  });
}

ss_plugin_metric* plugin_get_metrics(ss_plugin_t* s, uint32_t* num_metrics) {
  *num_metrics = 0;
  auto* st = static_cast<State*>(s);
  if (!st) return nullptr;
  return st->metrics.hand_out(
      {{"files_read", st->files_read}, {"files_skipped", st->files_skipped}, {"records", st->records}}, num_metrics);
}

}  // extern "C"
