// audit_json.h — turns untrusted text into Kubernetes audit events: the one
// function the webhook (a POST body), the file loader (an audit log) and the
// fuzz target (plugins/k8saudit/fuzz/) share.
//
// Accepted shapes: an Event object, an EventList ({"kind": "EventList",
// "items": [...]}), a JSON array of either (arrays may nest), and — when
// `json_lines` is set — one such document per line (the API server's log
// backend). Anything else inside is ignored (a number in an array).
//
// Bounds (audit_limits below): nesting is refused beyond
// json_bounds::kMaxJsonDepth (checked before any tree is built, so nothing
// here or downstream recurses deeper); a single event whose compact JSON is
// longer than max_event_bytes is refused. The walk over arrays and
// EventLists uses an explicit stack. Never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugins/bounded_json.h"

namespace kestrel::k8saudit {

// One audit event: compact JSON and its time (ns; UINT64_MAX: now).
using QueuedEvent = std::pair<std::string, uint64_t>;

// Upstream k8saudit's maxEventSize default (plugin-sdk-go's DefaultEvtSize).
inline constexpr size_t kDefaultMaxEventBytes = 256u * 1024;

enum class AuditRefusal {
  kNone,
  kNotJson,
  kTooDeep,
  kTooLarge,  // one event above max_event_bytes
};

const char* audit_refusal_name(AuditRefusal r);

struct AuditLimits {
  size_t max_depth = json_bounds::kMaxJsonDepth;
  size_t max_event_bytes = kDefaultMaxEventBytes;  // 0: no per-event bound
  bool json_lines = false;  // fall back to one document per line
};

struct AuditParse {
  std::vector<QueuedEvent> events;  // in input order; empty on refusal
  AuditRefusal refusal = AuditRefusal::kNone;
  std::string error;  // what and where ("line 3: JSON nested deeper than ...")
  size_t line = 0;    // 1-based line of the error in the whole text, 0: none
};

// Parses `text` under `limits`. On refusal no events are returned: a
// request or file is taken whole or not at all.
AuditParse parse_audit_events(std::string_view text, const AuditLimits& limits);

}  // namespace kestrel::k8saudit
