#include "plugins/k8saudit/audit_json.h"

#include "plugins/k8saudit/audit_fields.h"

namespace kestrel::k8saudit {
namespace {

using json = nlohmann::json;

AuditRefusal from_json_refusal(json_bounds::JsonRefusal r) {
  return r == json_bounds::JsonRefusal::kTooDeep ? AuditRefusal::kTooDeep : AuditRefusal::kNotJson;
}

bool is_event_list(const json& doc) {
  auto kind = doc.find("kind");
  return kind != doc.end() && *kind == "EventList" && doc.contains("items");
}

// Appends the events in `doc` to `out` in document order. An explicit stack
// (pushed in reverse) instead of recursion; depth is already bounded, but
// the walk must not depend on that. Returns false with `error` set when an
// event is larger than the limit.
bool collect(const json& doc, const AuditLimits& limits, std::vector<QueuedEvent>& out, std::string& error) {
  std::vector<const json*> todo{&doc};
  while (!todo.empty()) {
    const json* cur = todo.back();
    todo.pop_back();
    if (cur->is_object() && is_event_list(*cur)) cur = &(*cur)["items"];
    if (cur->is_array()) {
      for (auto it = cur->rbegin(); it != cur->rend(); ++it) todo.push_back(&*it);
      continue;
    }
    if (!cur->is_object()) continue;
    std::string text = cur->dump(-1, ' ', false, json::error_handler_t::replace);
    if (limits.max_event_bytes && text.size() > limits.max_event_bytes) {
      error = "an audit event of " + std::to_string(text.size()) + " bytes is larger than maxEventSize (" +
              std::to_string(limits.max_event_bytes) + ")";
      return false;
    }
    out.emplace_back(std::move(text), audit_event_time_ns(*cur).value_or(UINT64_MAX));
  }
  return true;
}

AuditParse refuse(AuditRefusal why, std::string error, size_t line) {
  AuditParse r;
  r.refusal = why;
  r.error = std::move(error);
  r.line = line;
  return r;
}

// One document per line; errors name the line.
AuditParse parse_lines(std::string_view text, const AuditLimits& limits) {
  AuditParse r;
  size_t lineno = 0;
  while (!text.empty()) {
    ++lineno;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    json doc;
    json_bounds::JsonError e = json_bounds::parse(line, doc, limits.max_depth);
    if (e.refusal != json_bounds::JsonRefusal::kNone)
      return refuse(from_json_refusal(e.refusal), "line " + std::to_string(lineno) + ": " + e.message, lineno);
    std::string error;
    if (!collect(doc, limits, r.events, error))
      return refuse(AuditRefusal::kTooLarge, "line " + std::to_string(lineno) + ": " + error, lineno);
  }
  return r;
}

}  // namespace

const char* audit_refusal_name(AuditRefusal r) {
  switch (r) {
    case AuditRefusal::kNone: return "ok";
    case AuditRefusal::kNotJson: return "not_json";
    case AuditRefusal::kTooDeep: return "too_deep";
    case AuditRefusal::kTooLarge: return "too_large";
  }
  return "?";
}

AuditParse parse_audit_events(std::string_view text, const AuditLimits& limits) {
  try {
    // Depth first, over the whole text: a JSON-lines file with one hostile
    // line is refused with that line, before any tree is built.
    json_bounds::JsonError deep = json_bounds::check_nesting(text, limits.max_depth);
    if (deep.refusal != json_bounds::JsonRefusal::kNone)
      return refuse(AuditRefusal::kTooDeep, deep.message, deep.line);
    json doc;
    json_bounds::JsonError e = json_bounds::parse(text, doc, limits.max_depth);
    if (e.refusal == json_bounds::JsonRefusal::kNone) {
      AuditParse r;
      std::string error;
      if (!collect(doc, limits, r.events, error)) return refuse(AuditRefusal::kTooLarge, error, 0);
      return r;
    }
    if (!limits.json_lines) return refuse(from_json_refusal(e.refusal), e.message, e.line);
    return parse_lines(text, limits);
  } catch (const std::exception& ex) {
    // bad_alloc on a huge input, or a library error: refuse, never throw.
    return refuse(AuditRefusal::kNotJson, std::string("cannot parse: ") + ex.what(), 0);
  }
}

}  // namespace kestrel::k8saudit
