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
using FieldValue = std::variant<std::monostate, std::string, int64_t, uint64_t, bool>;

struct Alert {
  uint64_t time_ns = 0;  // the event's timestamp, ns since the epoch
  std::string rule;
  Priority priority = Priority::kDebug;
  std::string source = "syscall";
  std::string hostname;
  std::string output;  // the rule's output with %fields substituted
  std::vector<std::pair<std::string, FieldValue>> output_fields;  // in output order
  std::vector<std::string> tags;
};

}  // namespace kestrel::engine
