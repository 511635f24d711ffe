// extract.h — reference evaluator: field extractors (event-record fields).
//
// The compiler (tests/oracle/compile.h) resolves every field of a condition to an
// Extractor once, at load time; evaluation then calls it per event with no
// name lookups. This part extracts what the event record alone carries
// (evt.type, evt.arg.*, evt.res, proc.pid, thread.tid …) and, when the
// context carries a ThreadLookup, a plain set of state fields (proc.name,
// proc.aname, fd.name, fd.sip, user.uid, container.id …) read straight from
// ThreadInfo/FdInfo. Without a lookup, or for a field it has no extractor
// for, a field reads as absent, which makes every check on it false —
// Falco's behaviour for a field it cannot extract. A test holds the oracle
// to extracting only fields the production table fills.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <vector>

#include "engine/fields/field_registry.h"
#include "sources/event/event_view.h"
#include "sources/event/sockaddr.h"
#include "state/thread_lookup.h"

namespace kestrel::engine::reference {

// What evaluation knows besides the record itself.
struct EvalContext {
  const EventView& event;
  uint64_t event_number = 0;
  std::string_view source = "syscall";
  // The thread table as it stands after the event was applied, and the
  // event's domain. nullptr: state fields read as absent.
  const ThreadLookup* threads = nullptr;
  DomainId domain = kHostDomain;
};

struct FieldValue {
  // kList and kIp hold several values (proc.aname's ancestors, fd.ip's two
  // ends): a check holds if it holds for any one of them.
  enum class Kind { kAbsent, kString, kNumber, kBool, kList, kIp };
  Kind kind = Kind::kAbsent;
  std::string_view str;  // kString: points into the event or `storage`
  std::string storage;
  int64_t num = 0;       // kNumber, and kBool (0/1)
  std::vector<std::string> list;  // kList
  std::vector<IpAddr> ips;        // kIp

  void set_list(std::vector<std::string> l) {
    list = std::move(l);
    kind = Kind::kList;
  }
  void set_ips(std::vector<IpAddr> a) {
    ips = std::move(a);
    kind = Kind::kIp;
  }

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
