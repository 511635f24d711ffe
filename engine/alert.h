// alert.h — one raised alert, as the engine hands it to outputs.
//
// Everything an output needs is resolved already (the formatted message, the
// values of the fields it used); outputs never look at events or state.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "engine/rule_items.h"

namespace kestrel::engine {

// A field's value in output_fields: absent (JSON null, text "<NA>"), text,
// a number or a bool — so JSON consumers get typed values as from Falco.
// Doubles only in internal alerts (a metrics snapshot's rates).
using FieldValue = std::variant<std::monostate, std::string, int64_t, uint64_t, bool, double>;

struct Alert {
  uint64_t time_ns = 0;  // the event's timestamp, ns since the epoch
  std::string rule;
  Priority priority = Priority::kDebug;
  std::string source = "syscall";
  std::string hostname;
  std::string output;  // the rule's output with %fields substituted
  std::vector<std::pair<std::string, FieldValue>> output_fields;  // in output order
  // append_output's extra_fields: only in JSON's output_fields, never in
  // the text (as Falco's); a custom name's value is its rendered format.
  std::vector<std::pair<std::string, FieldValue>> extra_fields;
  std::vector<std::string> tags;
  // The rule's `capture: true` and `capture_duration` (ms, 0: default):
  // what the triggered capture (sources/capture/triggered_capture.h) reads.
  bool capture = false;
  uint64_t capture_duration_ms = 0;
};

// Alerts the collector raises about itself (event drops, metrics
// snapshots) have this source; they are shaped as Falco's handle_msg
// shapes them (outputs/alert_format.h).
inline constexpr const char* kInternalSource = "internal";

}  // namespace kestrel::engine
