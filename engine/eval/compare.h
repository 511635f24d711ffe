// compare.h — Falco's comparison operators on extracted values.
//
// A check's right-hand side is compiled once (compile_rhs): numbers parsed
// (decimal or 0x hex), IP addresses and CIDR networks parsed, regexes
// compiled with RE2 (Falco matches them anchored at both ends), `in` /
// `intersects` values put in a hash set, `pmatch` prefixes in a set of
// path prefixes, `icontains`/`iglob` values lower-cased, `bcontains`/
// `bstartswith` hex decoded. match() then only compares.
//
// Semantics (libsinsp sinsp_filter_check::compare_rhs / flt_compare):
//   * a missing value matches nothing (not even `!=`); `exists` matches
//     every present value;
//   * strings: = != < <= > >= (byte-wise), contains, icontains, bcontains,
//     startswith, bstartswith, endswith, glob, iglob, regex (full match),
//     in / intersects (membership), pmatch (the value is one of the paths or
//     lies under one of them);
//   * numbers: = != < <= > >= and in / intersects, signed and unsigned
//     compared by value;
//   * bools: = != in; IPs: = != in, where a network value matches every
//     address inside it;
//   * a multi-valued value (proc.aname without index) matches when any of
//     its values does; fd.ip / fd.port when either side does.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "engine/ast.h"
#include "engine/eval/field_value.h"
#include "base/status.h"

namespace re2 {
class RE2;
}

namespace kestrel::engine::eval {

// CmpOp, the operator the parser set, is engine/ast.h's.

// An IP network (an address is a network with all bits significant).
struct IpNet {
  IpAddr addr;
  int bits = 0;
  bool contains(const IpAddr& ip) const;
};

std::optional<__int128> parse_number(std::string_view text);  // "12", "-3", "0x1f"
std::optional<IpNet> parse_ip_or_net(std::string_view text);   // "1.2.3.4", "10.0.0.0/8", "::1"
std::optional<std::string> decode_hex(std::string_view text);  // "41ff" -> "A\xff"

// A set of strings for `in` / `intersects`: open addressing over a power
// of two table with a hash of (length, first 8 bytes, last 8 bytes), so a
// lookup costs a few multiplies and usually one memcmp — no per-byte hash
// and no modulo, unlike std::unordered_set. Views point into strings the
// owner keeps alive.
class StringSet {
 public:
  void build(const std::vector<std::string_view>& items);
  bool contains(std::string_view s) const;
  size_t size() const { return count_; }

 private:
  struct Slot {
    const char* data = nullptr;
    uint32_t len = 0;
    bool used = false;
  };
  static uint64_t hash(std::string_view s);
  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
  size_t count_ = 0;
};

// One right-hand side value, in every form an operator may need.
struct RhsValue {
  std::string text;
  std::string folded;  // lower-cased (icontains, iglob) or hex-decoded (b*)
  std::optional<__int128> number;
  std::optional<bool> boolean;
  std::optional<IpNet> net;
};

// A compiled right-hand side.
struct RhsSet {
  RhsSet();
  ~RhsSet();
  RhsSet(RhsSet&&) noexcept;
  RhsSet& operator=(RhsSet&&) noexcept;

  std::vector<RhsValue> values;
  StringSet members;                              // in/intersects on strings
  size_t min_len = 0, max_len = 0;                // of members
  std::unordered_set<std::string_view> prefixes;  // pmatch, trailing '/' removed
  bool prefix_root = false;                       // pmatch on "/"
  std::unique_ptr<re2::RE2> regex;
};

// Compiles `texts` for `op`. Errors: invalid regex, invalid hex bytes.
Result<RhsSet> compile_rhs(CmpOp op, const std::vector<std::string>& texts);

// Whether `v` satisfies `op` against `rhs` (see the file comment).
bool match(CmpOp op, const ExtractedValue& v, const RhsSet& rhs);
// The same for one string value (match() on a kString value).
bool match_string(CmpOp op, std::string_view s, const RhsSet& rhs);

// Field against field (rhs written as val(field) or with a transformer):
// compares two extracted values; `in` means equal to any of rhs's values.
bool match_values(CmpOp op, const ExtractedValue& lhs, const ExtractedValue& rhs);

// Falco's glob: '*' any run, '?' one char, '[...]' a class ('!' or '^'
// negates), '\' escapes. Whole-string match.
bool glob_match(std::string_view pattern, std::string_view text, bool fold_case);

}  // namespace kestrel::engine::eval
