// alert_format.h — the wire forms of an alert, byte-compatible with Falco.
//
// Text: "HH:MM:SS.nnnnnnnnn: Priority output" (local time, libsinsp's
// evt.time), as Falco prints with time_format_iso_8601=false; with iso_time
// "2016-08-04T16:17:57.882054739+0000: Priority output" (UTC, evt.time.iso8601).
// JSON: one object per line with Falco's keys, sorted as Falco's nlohmann
// object sorts them — hostname, message (json_include_message_property:
// the rule output alone), output (the whole text line), output_fields (the
// rule's fields, the leading time as evt.time — or evt.time.iso8601 with
// iso_time — in ns, and append_output's extra_fields;
// json_include_output_fields_property), priority, rule, source, tags
// (json_include_tags_property), time (ISO-8601, ns, "Z") — so Falcosidekick
// and existing pipelines accept it unchanged.
// Internal alerts (source "internal": drops, metrics snapshots) follow
// Falco's handle_msg instead: text "HH:MM:SS.nnnnnnnnn: Priority msg
// (k=v k=v)" — keys sorted, values as JSON (strings quoted), local clock
// time whatever time_format_iso_8601 says; JSON with hostname, output (the
// message alone), output_fields, priority, rule, source, time and no tags.
// OCSF: see ocsf_format.h (Kestrel-only `outputs.ocsf`).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "engine/alert.h"

namespace kestrel::engine {

// Defaults are falco.yaml's.
struct AlertFormatOptions {
  bool json = false;                  // json_output
  bool include_output = true;         // json_include_output_property
  bool include_tags = true;           // json_include_tags_property
  bool iso_time = false;              // time_format_iso_8601: the text line's (and JSON output's) time
  bool ocsf = false;                  // OCSF Security Finding JSON (ocsf_format.h); wins over `json`
  bool include_message = false;       // json_include_message_property
  bool include_output_fields = true;  // json_include_output_fields_property
};

std::string format_alert(const Alert& alert, const AlertFormatOptions& options);

// The text form: "<time>: Priority output" (an internal alert: Falco's
// handle_msg form, see above).
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
