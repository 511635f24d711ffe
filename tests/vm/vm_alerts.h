// vm_alerts.h — reading the JSON alerts a collector printed on a VM's
// console (tests/vm/vm_run.h returns the lines), for the VM tests.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace kestrel::testing {

using AlertFields = std::map<std::string, std::string>;

// The JSON objects among `lines`; other lines (kernel messages share the
// console) are skipped, a line that starts like JSON but is not fails.
inline std::vector<nlohmann::json> json_lines(const std::vector<std::string>& lines) {
  std::vector<nlohmann::json> out;
  for (const auto& line : lines) {
    if (line.empty() || line[0] != '{') continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

// The rule's message of a JSON alert: Falco's "output" is the whole text
// line, "<time>: <Priority> <message>"; the prefix goes by the alert's own
// priority, so a line of another shape is returned whole (and fails the
// caller's comparison).
inline std::string alert_message(const nlohmann::json& alert) {
  const std::string output = alert.value("output", "");
  const std::string marker = ": " + alert.value("priority", "") + " ";
  const auto at = output.find(marker);
  return at == std::string::npos ? output : output.substr(at + marker.size());
}

// Whether the alert's output_fields hold every `want` (non-strings compared
// as their JSON text).
inline bool has_fields(const nlohmann::json& alert, const AlertFields& want) {
  if (!alert.contains("output_fields")) return false;
  const auto& fields = alert["output_fields"];
  for (const auto& [key, value] : want) {
    if (!fields.contains(key)) return false;
    const auto& v = fields[key];
    if ((v.is_string() ? v.get<std::string>() : v.dump()) != value) return false;
  }
  return true;
}

// Alerts of `rule` at `priority` from event source `source` with `fields`.
inline int count_alerts(const std::vector<nlohmann::json>& alerts, const std::string& rule,
                        const std::string& priority, const AlertFields& fields,
                        const std::string& source = "syscall") {
  int n = 0;
  for (const auto& a : alerts)
    if (a.value("rule", "") == rule && a.value("priority", "") == priority && a.value("source", "") == source &&
        has_fields(a, fields))
      ++n;
  return n;
}

}  // namespace kestrel::testing
