// libFuzzer target for the k8saudit input path: the same function the
// webhook (one document per POST) and the file loader (JSON lines allowed)
// call, parse_audit_events, and then — as the plugin does for every event
// it delivered — the re-parse of each event's data and every field of the
// extraction table on it. Run by `make fuzz FUZZ_TARGET=k8saudit`, seeded
// from falco-regression's k8s audit files.
//
// Invariants checked beyond "no crash, no sanitizer report": a refusal
// carries no events; every event is a JSON object no deeper than the bound
// and no longer than maxEventSize.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "plugins/bounded_json.h"
#include "plugins/k8saudit/audit_fields.h"
#include "plugins/k8saudit/audit_json.h"

using namespace kestrel;
using namespace kestrel::k8saudit;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void extract_everything(const std::string& event_json) {
  nlohmann::json doc;
  json_bounds::JsonError e = json_bounds::parse(event_json, doc);
  check(e.refusal == json_bounds::JsonRefusal::kNone && doc.is_object());
  const auto& table = audit_fields();
  for (uint32_t id = 0; id < table.size(); ++id) {
    FieldArg none;
    (void)extract_audit_field(id, doc, none);
    FieldArg index;
    index.present = true;
    index.index = 1;
    (void)extract_audit_field(id, doc, index);
    FieldArg key;
    key.present = true;
    key.key = table[id].arg == ArgKind::kKey ? "/requestObject/spec" : "app";
    (void)extract_audit_field(id, doc, key);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool json_lines : {false, true}) {
    AuditLimits limits;
    limits.json_lines = json_lines;
    limits.max_event_bytes = 16 * 1024;
    AuditParse r = parse_audit_events(text, limits);
    if (r.refusal != AuditRefusal::kNone) {
      check(r.events.empty() && !r.error.empty());
      continue;
    }
    for (const auto& [event, ts] : r.events) {
      check(event.size() <= limits.max_event_bytes);
      check(json_bounds::check_nesting(event).refusal == json_bounds::JsonRefusal::kNone);
      extract_everything(event);
    }
  }
  return 0;
}
