// audit_fields.h — the k8saudit plugin's fields: table and extraction.
//
// Field names, argument forms and value semantics follow the upstream
// k8saudit plugin's field table (falcosecurity/plugins, plugins/k8saudit),
// so Falco's k8s_audit_rules.yaml means the same here: a field whose JSON
// path is absent has no value; non-string JSON values read as their JSON
// text ("true", "201", an object); list fields yield one value per element.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace kestrel::k8saudit {

enum class ArgKind { kNone, kIndex, kKey };

struct AuditField {
  std::string_view name;
  bool is_list;
  bool is_bool;  // "bool" type (else "string")
  ArgKind arg;
  bool arg_required;
  std::string_view desc;
};

// The table, in the order get_fields reports it (field_id = index).
const std::vector<AuditField>& audit_fields();

// The get_fields JSON for the table.
std::string audit_fields_json();

// One request's argument.
struct FieldArg {
  bool present = false;
  uint64_t index = 0;
  std::string key;
};

// Values of field `id` in `event` (an audit Event object). nullopt: no
// value. Bool fields yield "true"/"false" in the one string.
std::optional<std::vector<std::string>> extract_audit_field(uint32_t id, const nlohmann::json& event,
                                                            const FieldArg& arg);

// The event time in ns since the epoch from stageTimestamp/timestamp
// (RFC 3339), or nullopt.
std::optional<uint64_t> audit_event_time_ns(const nlohmann::json& event);

}  // namespace kestrel::k8saudit
