// alert_format.h — the two wire forms of an alert, compatible with Falco.
//
// Text: "HH:MM:SS.nnnnnnnnn: Priority output" (local time), as Falco prints
// with time_format_iso_8601=false; or ISO-8601 with iso_time.
// JSON: one object per line with Falco's keys — time (ISO-8601, ns, "Z"),
// rule, priority, source, hostname, output, output_fields, tags — so
// Falcosidekick and existing pipelines accept it unchanged. `output` and
// `tags` can be left out as with Falco's json_include_*_property.
// OCSF: see ocsf_format.h (Kestrel-only `outputs.ocsf`).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "engine/alert.h"

namespace kestrel::engine {

struct AlertFormatOptions {
  bool json = false;
  bool include_output = true;  // json_include_output_property
  bool include_tags = true;    // json_include_tags_property
  bool iso_time = false;       // text form only
  bool ocsf = false;           // OCSF Security Finding JSON (ocsf_format.h); wins over `json`
};

std::string format_alert(const Alert& alert, const AlertFormatOptions& options);

// A field value as JSON: null when absent, else its string/number/bool.
nlohmann::json field_value_json(const FieldValue& value);

// "2026-11-29T11:56:58.123456789Z"
std::string iso8601_utc(uint64_t time_ns);
// "11:56:58.123456789" in local time.
std::string clock_time_local(uint64_t time_ns);

}  // namespace kestrel::engine
