#include "outputs/alert_format.h"

#include <nlohmann/json.hpp>

#include <ctime>

#include "outputs/ocsf_format.h"

namespace kestrel::engine {
namespace {

std::string time_with_ns(uint64_t time_ns, const char* strftime_format, bool utc) {
  time_t secs = static_cast<time_t>(time_ns / 1'000'000'000ull);
  struct tm tm {};
  if (utc) gmtime_r(&secs, &tm);
  else localtime_r(&secs, &tm);
  char base[64];
  strftime(base, sizeof base, strftime_format, &tm);
  char out[96];
  snprintf(out, sizeof out, "%s.%09llu", base, static_cast<unsigned long long>(time_ns % 1'000'000'000ull));
  return out;
}

}  // namespace

nlohmann::json field_value_json(const FieldValue& v) {
  return std::visit(
      [](const auto& x) -> nlohmann::json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) return nullptr;
        else return x;
      },
      v);
}

std::string iso8601_utc(uint64_t time_ns) { return time_with_ns(time_ns, "%Y-%m-%dT%H:%M:%S", true) + "Z"; }

std::string iso8601_utc_offset(uint64_t time_ns) {
  return time_with_ns(time_ns, "%Y-%m-%dT%H:%M:%S", true) + "+0000";
}

std::string clock_time_local(uint64_t time_ns) { return time_with_ns(time_ns, "%H:%M:%S", false); }

namespace {

bool is_internal(const Alert& alert) { return alert.source == kInternalSource; }

nlohmann::json fields_object(const std::vector<std::pair<std::string, FieldValue>>& fields) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : fields) out[name] = field_value_json(value);
  return out;
}

// Falco's handle_msg text: the fields after the message, sorted by name
// (a JSON object's order), each value as JSON.
std::string internal_text(const Alert& alert) {
  std::string line = clock_time_local(alert.time_ns) + ": " + std::string(priority_name(alert.priority)) + " " +
                     alert.output + " (";
  const nlohmann::json fields = fields_object(alert.output_fields);  // sorted by name
  bool first = true;
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    if (!first) line += " ";
    first = false;
    line += it.key() + "=" + it.value().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return line + ")";
}

std::string internal_json(const Alert& alert) {
  nlohmann::json j;
  j["output"] = alert.output;
  j["priority"] = priority_name(alert.priority);
  j["rule"] = alert.rule;
  j["time"] = iso8601_utc(alert.time_ns);
  j["output_fields"] = fields_object(alert.output_fields);
  j["hostname"] = alert.hostname;
  j["source"] = kInternalSource;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string alert_text(const Alert& alert, bool iso_time) {
  if (is_internal(alert)) return internal_text(alert);
  std::string time = iso_time ? iso8601_utc_offset(alert.time_ns) : clock_time_local(alert.time_ns);
  return time + ": " + std::string(priority_name(alert.priority)) + " " + alert.output;
}

std::string format_alert(const Alert& alert, const AlertFormatOptions& options) {
  if (options.ocsf) return format_ocsf(alert);
  if (!options.json) return alert_text(alert, options.iso_time);
  if (is_internal(alert)) return internal_json(alert);
  nlohmann::json j;
  j["time"] = iso8601_utc(alert.time_ns);
  j["rule"] = alert.rule;
  j["priority"] = priority_name(alert.priority);
  j["source"] = alert.source;
  j["hostname"] = alert.hostname;
  // Falco's `output` is the whole text line, time and priority included.
  if (options.include_output) j["output"] = alert_text(alert, options.iso_time);
  if (options.include_message) j["message"] = alert.output;
  if (options.include_output_fields) {
    nlohmann::json fields = fields_object(alert.output_fields);
    // The time that leads the line is one of Falco's output fields, as the
    // event's time in ns.
    fields[options.iso_time ? "evt.time.iso8601" : "evt.time"] = alert.time_ns;
    for (const auto& [name, value] : alert.extra_fields) fields[name] = field_value_json(value);
    j["output_fields"] = std::move(fields);
  }
  if (options.include_tags) j["tags"] = alert.tags;
  // Replace invalid UTF-8 (process names and paths are arbitrary bytes).
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace kestrel::engine
