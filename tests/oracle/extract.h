// extract.h — reference evaluator: field extractors (event-record fields).
//
// The compiler (tests/oracle/compile.h) resolves every field of a condition to an
// Extractor once, at load time; evaluation then calls it per event with no
// name lookups. This part extracts what the event record alone carries
// (evt.type, evt.arg.*, evt.res, proc.pid, thread.tid …); fields that need
// the process/fd state tables (proc.name, fd.name …) have no extractor yet
// and read as absent, which makes every check on them false — Falco's
// behaviour for a field it cannot extract. `FieldInfo::filled` in the
// registry says which is which (a test keeps the two in step).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/fields/field_registry.h"
#include "sources/event/event_view.h"

namespace kestrel::engine::reference {

// What evaluation knows besides the record itself.
struct EvalContext {
  const EventView& event;
  uint64_t event_number = 0;
  std::string_view source = "syscall";
};

struct FieldValue {
  enum class Kind { kAbsent, kString, kNumber, kBool };
  Kind kind = Kind::kAbsent;
  std::string_view str;  // kString: points into the event or `storage`
  std::string storage;
  int64_t num = 0;       // kNumber, and kBool (0/1)

  void set_string(std::string s) {
    storage = std::move(s);
    str = storage;
    kind = Kind::kString;
  }
  void set_view(std::string_view s) {
    str = s;
    kind = Kind::kString;
  }
  void set_number(int64_t n) {
    num = n;
    kind = Kind::kNumber;
  }
  void set_bool(bool b) {
    num = b ? 1 : 0;
    kind = Kind::kBool;
  }
};

using ExtractFn = void (*)(const EvalContext&, const struct Extractor&, FieldValue&);

struct Extractor {
  ExtractFn fn = nullptr;
  std::string arg;  // evt.arg name, or the index as text
  std::string_view field;
};

// The extractor for a registered field (with its argument), or nullopt if
// Kestrel cannot fill it yet.
std::optional<Extractor> make_extractor(const FieldLookup& field);

// True if make_extractor supports the field (any argument).
bool has_extractor(std::string_view field_name);

}  // namespace kestrel::engine::reference
