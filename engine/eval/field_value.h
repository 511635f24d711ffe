// field_value.h — one extracted field value, as the evaluator sees it.
//
// Extractors (extract_*.cpp) fill an ExtractedValue; the compiled
// predicates (predicate.h) and the output formatter read it. Strings are
// views: into the event record, into the thread table (valid until the next
// event is applied), or into the per-event cache slot that built them
// (field_cache.h). A value never outlives the event it was extracted for.
//
// kMissing is Falco's "could not extract": every comparison on it is false,
// `exists` is false, and outputs print "<NA>".
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "sources/event/sockaddr.h"

namespace kestrel::engine::eval {

enum class ValueKind : uint8_t {
  kMissing,
  kString,  // str
  kInt,     // i
  kUint,    // u
  kBool,    // b
  kIp,      // ip
  kList,    // list: several values, any of which may match (proc.aname)
  kUintList,  // numbers: several values, any of which may match (len(proc.aname))
};

struct ExtractedValue {
  ValueKind kind = ValueKind::kMissing;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  std::string_view str;
  std::span<const std::string_view> list;
  std::span<const uint64_t> numbers;  // kUintList
  IpAddr ip;
  // fd.ip / fd.port / fd.net: two values (client and server side), either
  // of which may match. `pair` marks that u2/ip2 hold the second one.
  bool pair = false;
  uint64_t u2 = 0;
  IpAddr ip2;

  bool present() const { return kind != ValueKind::kMissing; }

  static ExtractedValue string(std::string_view s) {
    ExtractedValue v;
    v.kind = ValueKind::kString;
    v.str = s;
    return v;
  }
  static ExtractedValue int64(int64_t x) {
    ExtractedValue v;
    v.kind = ValueKind::kInt;
    v.i = x;
    return v;
  }
  static ExtractedValue uint64(uint64_t x) {
    ExtractedValue v;
    v.kind = ValueKind::kUint;
    v.u = x;
    return v;
  }
  static ExtractedValue boolean(bool x) {
    ExtractedValue v;
    v.kind = ValueKind::kBool;
    v.b = x;
    return v;
  }
  static ExtractedValue address(const IpAddr& a) {
    ExtractedValue v;
    v.kind = ValueKind::kIp;
    v.ip = a;
    return v;
  }
};

}  // namespace kestrel::engine::eval
