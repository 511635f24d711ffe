// alert_format.h — the two wire forms of an alert, compatible with Falco.
//
// Text: "HH:MM:SS.nnnnnnnnn: Priority output" (local time), as Falco prints
// with time_format_iso_8601=false; with iso_time (time_format_iso_8601)
// "2016-08-04T16:17:57.882054739+0000: Priority output" (UTC), Falco's.
// JSON: one object per line with Falco's keys — time (ISO-8601, ns, "Z"),
// rule, priority, source, hostname, output (the whole text line, as
// Falco's), output_fields (with the leading time as evt.time, or
// evt.time.iso8601 with iso_time, in ns, as Falco's), tags — so
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
  bool iso_time = false;       // time_format_iso_8601: the text line's (and JSON output's) time
  bool ocsf = false;           // OCSF Security Finding JSON (ocsf_format.h); wins over `json`
};

std::string format_alert(const Alert& alert, const AlertFormatOptions& options);

// The text form: "<time>: Priority output".
std::string alert_text(const Alert& alert, bool iso_time);

// A field value as JSON: null when absent, else its string/number/bool.
nlohmann::json field_value_json(const FieldValue& value);

// "2026-11-29T11:56:58.123456789Z"
std::string iso8601_utc(uint64_t time_ns);
// "2025-11-29T11:56:58.123456789+0000": Falco's time_format_iso_8601 form.
std::string iso8601_utc_offset(uint64_t time_ns);
// "11:56:58.123456789" in local time.
std::string clock_time_local(uint64_t time_ns);

}  // namespace kestrel::engine
