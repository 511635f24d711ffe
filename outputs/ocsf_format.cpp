#include "outputs/ocsf_format.h"

#include <nlohmann/json.hpp>

#include "outputs/alert_format.h"

namespace kestrel::engine {
namespace {

constexpr int kClassUid = 2001;  // Security Finding
constexpr int kCategoryUid = 2;  // Findings
constexpr int kActivityCreate = 1;
constexpr const char* kSchemaVersion = "1.0.0";

}  // namespace

int ocsf_severity_id(Priority p) {
  switch (p) {
    case Priority::kDebug:
    case Priority::kInformational: return 1;
    case Priority::kNotice: return 2;
    case Priority::kWarning: return 3;
    case Priority::kError: return 4;
    case Priority::kCritical: return 5;
    case Priority::kAlert:
    case Priority::kEmergency: return 6;
  }
  return 0;
}

std::string_view ocsf_severity_name(int severity_id) {
  static constexpr std::string_view kNames[] = {"Unknown", "Informational", "Low", "Medium", "High", "Critical", "Fatal"};
  if (severity_id < 0 || severity_id > 6) return "Other";
  return kNames[severity_id];
}

std::string format_ocsf(const Alert& alert) {
  const int severity = ocsf_severity_id(alert.priority);
  const uint64_t time_ms = alert.time_ns / 1'000'000;
  nlohmann::json j;
  j["class_uid"] = kClassUid;
  j["class_name"] = "Security Finding";
  j["category_uid"] = kCategoryUid;
  j["category_name"] = "Findings";
  j["activity_id"] = kActivityCreate;
  j["activity_name"] = "Create";
  j["type_uid"] = kClassUid * 100 + kActivityCreate;
  j["type_name"] = "Security Finding: Create";
  j["severity_id"] = severity;
  j["severity"] = ocsf_severity_name(severity);
  j["state_id"] = 1;  // New
  j["state"] = "New";
  j["time"] = time_ms;
  j["message"] = alert.output;
  // A finding id stable for this alert: rule + event time + host.
  const std::string uid = alert.hostname + ":" + alert.rule + ":" + std::to_string(alert.time_ns);
  j["finding"] = {{"title", alert.rule}, {"desc", alert.output}, {"uid", uid}, {"types", alert.tags},
                  {"created_time", time_ms}};
  j["metadata"] = {{"version", kSchemaVersion},
                   {"product", {{"name", "Kestrel"}, {"vendor_name", "Kestrel"}}},
                   {"original_time", iso8601_utc(alert.time_ns)}};
  nlohmann::json fields = nlohmann::json::object();
  for (const auto& [name, value] : alert.output_fields) fields[name] = field_value_json(value);
  j["unmapped"] = {{"priority", priority_name(alert.priority)}, {"source", alert.source},
                   {"hostname", alert.hostname}, {"output_fields", std::move(fields)}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace kestrel::engine
