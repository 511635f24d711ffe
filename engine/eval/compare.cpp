// Operators: compiling right-hand sides and matching values against them.
#include "engine/eval/compare.h"

#include <arpa/inet.h>
#include <re2/re2.h>

#include "base/ascii.h"
#include "sources/event/event_table.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace kestrel::engine::eval {
namespace {

// Case-insensitive substring search; `needle` is already lower-case.
bool ci_contains(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  if (needle.size() > hay.size()) return false;
  const char first = needle[0];
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (ascii_lower(hay[i]) != first) continue;
    size_t j = 1;
    while (j < needle.size() && ascii_lower(hay[i + j]) == needle[j]) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

bool pmatch(std::string_view s, const RhsSet& rhs) {
  if (rhs.prefix_root && !s.empty() && s[0] == '/') return true;
  while (s.size() > 1 && s.back() == '/') s.remove_suffix(1);
  if (rhs.prefixes.count(s)) return true;
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i] == '/' && rhs.prefixes.count(s.substr(0, i))) return true;
  }
  return false;
}

}  // namespace

bool match_string(CmpOp op, std::string_view s, const RhsSet& rhs) {
  switch (op) {
    case CmpOp::kIn:
    case CmpOp::kIntersects:
      if (s.size() < rhs.min_len || s.size() > rhs.max_len) return false;
      return rhs.members.contains(s);
    case CmpOp::kPMatch:
      return pmatch(s, rhs);
    case CmpOp::kRegex:
      return rhs.regex && RE2::FullMatch(s, *rhs.regex);
    case CmpOp::kExists:
      return true;
    default:
      break;
  }
  if (rhs.values.empty()) return false;
  const RhsValue& r = rhs.values[0];
  switch (op) {
    case CmpOp::kEq: return s == r.text;
    case CmpOp::kNe: return s != r.text;
    case CmpOp::kLt: return s < std::string_view(r.text);
    case CmpOp::kLe: return s <= std::string_view(r.text);
    case CmpOp::kGt: return s > std::string_view(r.text);
    case CmpOp::kGe: return s >= std::string_view(r.text);
    case CmpOp::kContains: return s.find(r.text) != std::string_view::npos;
    case CmpOp::kIContains: return ci_contains(s, r.folded);
    case CmpOp::kBContains: return s.find(r.folded) != std::string_view::npos;
    case CmpOp::kStartsWith: return s.starts_with(r.text);
    case CmpOp::kBStartsWith: return s.starts_with(r.folded);
    case CmpOp::kEndsWith: return s.ends_with(r.text);
    case CmpOp::kGlob: return glob_match(r.text, s, false);
    case CmpOp::kIGlob: return glob_match(r.folded, s, true);
    default: return false;
  }
}

namespace {

bool cmp_number(CmpOp op, __int128 x, __int128 y) {
  switch (op) {
    case CmpOp::kEq: case CmpOp::kIn: case CmpOp::kIntersects: return x == y;
    case CmpOp::kNe: return x != y;
    case CmpOp::kLt: return x < y;
    case CmpOp::kLe: return x <= y;
    case CmpOp::kGt: return x > y;
    case CmpOp::kGe: return x >= y;
    default: return false;
  }
}

bool match_number(CmpOp op, __int128 x, const RhsSet& rhs) {
  if (op == CmpOp::kIn || op == CmpOp::kIntersects) {
    for (const auto& r : rhs.values) {
      if (r.number && *r.number == x) return true;
    }
    return false;
  }
  if (rhs.values.empty() || !rhs.values[0].number) return false;
  return cmp_number(op, x, *rhs.values[0].number);
}

bool match_bool(CmpOp op, bool b, const RhsSet& rhs) {
  if (op == CmpOp::kIn || op == CmpOp::kIntersects) {
    for (const auto& r : rhs.values) {
      if (r.boolean && *r.boolean == b) return true;
    }
    return false;
  }
  if (rhs.values.empty() || !rhs.values[0].boolean) return false;
  if (op == CmpOp::kEq) return b == *rhs.values[0].boolean;
  if (op == CmpOp::kNe) return b != *rhs.values[0].boolean;
  return false;
}

bool match_ip(CmpOp op, const IpAddr& ip, const RhsSet& rhs) {
  if (op == CmpOp::kIn || op == CmpOp::kIntersects) {
    for (const auto& r : rhs.values) {
      if (r.net && r.net->contains(ip)) return true;
    }
    return false;
  }
  if (rhs.values.empty() || !rhs.values[0].net) return false;
  if (op == CmpOp::kEq) return rhs.values[0].net->contains(ip);
  if (op == CmpOp::kNe) return !rhs.values[0].net->contains(ip);
  return false;
}


}  // namespace

bool IpNet::contains(const IpAddr& ip) const {
  if (ip.family != addr.family) return false;
  int full = bits / 8;
  if (std::memcmp(ip.bytes.data(), addr.bytes.data(), static_cast<size_t>(full)) != 0) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (ip.bytes[static_cast<size_t>(full)] & mask) == (addr.bytes[static_cast<size_t>(full)] & mask);
}

std::optional<__int128> parse_number(std::string_view text) {
  bool neg = false;
  std::string_view s = text;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty()) return std::nullopt;
  uint64_t mag = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), mag, base);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  __int128 v = mag;
  return neg ? -v : v;
}

std::optional<IpNet> parse_ip_or_net(std::string_view text) {
  std::string addr(text);
  int bits = -1;
  if (auto slash = addr.find('/'); slash != std::string::npos) {
    std::string_view b = std::string_view(addr).substr(slash + 1);
    auto [p, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
    if (ec != std::errc() || p != b.data() + b.size() || bits < 0) return std::nullopt;
    addr.resize(slash);
  }
  IpNet net;
  if (inet_pton(AF_INET, addr.c_str(), net.addr.bytes.data()) == 1) {
    net.addr.family = KESTREL_AF_INET;
    if (bits > 32) return std::nullopt;
    net.bits = bits < 0 ? 32 : bits;
    return net;
  }
  if (inet_pton(AF_INET6, addr.c_str(), net.addr.bytes.data()) == 1) {
    net.addr.family = KESTREL_AF_INET6;
    if (bits > 128) return std::nullopt;
    net.bits = bits < 0 ? 128 : bits;
    return net;
  }
  return std::nullopt;
}

std::optional<std::string> decode_hex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    uint8_t b = 0;
    auto [p, ec] = std::from_chars(text.data() + i, text.data() + i + 2, b, 16);
    if (ec != std::errc() || p != text.data() + i + 2) return std::nullopt;
    out.push_back(static_cast<char>(b));
  }
  return out;
}

uint64_t StringSet::hash(std::string_view s) {
  uint64_t a = 0, b = 0;
  size_t n = s.size();
  if (n >= 8) {
    std::memcpy(&a, s.data(), 8);
    std::memcpy(&b, s.data() + n - 8, 8);
  } else if (n > 0) {
    std::memcpy(&a, s.data(), n);
  }
  uint64_t h = (a * 0x9E3779B97F4A7C15ull) ^ ((b + n) * 0xC2B2AE3D27D4EB4Full);
  return h ^ (h >> 31);
}

void StringSet::build(const std::vector<std::string_view>& items) {
  size_t cap = 4;
  while (cap < items.size() * 2) cap <<= 1;
  slots_.assign(cap, Slot{});
  mask_ = cap - 1;
  count_ = 0;
  for (std::string_view s : items) {
    if (contains(s)) continue;
    for (uint64_t i = hash(s) & mask_;; i = (i + 1) & mask_) {
      if (!slots_[i].used) {
        slots_[i] = Slot{s.data(), static_cast<uint32_t>(s.size()), true};
        ++count_;
        break;
      }
    }
  }
}

bool StringSet::contains(std::string_view s) const {
  if (slots_.empty()) return false;
  for (uint64_t i = hash(s) & mask_;; i = (i + 1) & mask_) {
    const Slot& slot = slots_[i];
    if (!slot.used) return false;
    if (slot.len == s.size() && std::memcmp(slot.data, s.data(), s.size()) == 0) return true;
  }
}

RhsSet::RhsSet() = default;
RhsSet::~RhsSet() = default;
RhsSet::RhsSet(RhsSet&&) noexcept = default;
RhsSet& RhsSet::operator=(RhsSet&&) noexcept = default;

Result<RhsSet> compile_rhs(CmpOp op, const std::vector<std::string>& texts) {
  RhsSet set;
  set.values.reserve(texts.size());
  for (const auto& t : texts) {
    RhsValue v;
    v.text = t;
    if (op == CmpOp::kIContains || op == CmpOp::kIGlob) {
      ascii_map_case(t, v.folded, false);
    } else if (op == CmpOp::kBContains || op == CmpOp::kBStartsWith) {
      auto bytes = decode_hex(t);
      if (!bytes) return Status(StatusCode::kInvalidArgument, "'" + t + "' is not a hex byte string");
      v.folded = std::move(*bytes);
    }
    v.number = parse_number(t);
    if (t == "true") v.boolean = true;
    if (t == "false") v.boolean = false;
    v.net = parse_ip_or_net(t);
    set.values.push_back(std::move(v));
  }
  // Views into set.values: the vector is not resized after this point.
  if (op == CmpOp::kIn || op == CmpOp::kIntersects) {
    set.min_len = SIZE_MAX;
    std::vector<std::string_view> items;
    for (const auto& v : set.values) {
      items.push_back(v.text);
      set.min_len = std::min(set.min_len, v.text.size());
      set.max_len = std::max(set.max_len, v.text.size());
    }
    set.members.build(items);
  } else if (op == CmpOp::kPMatch) {
    for (const auto& v : set.values) {
      std::string_view p = v.text;
      while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
      if (p == "/") {
        set.prefix_root = true;
      } else {
        set.prefixes.insert(p);
      }
    }
  } else if (op == CmpOp::kRegex) {
    if (texts.empty()) return Status(StatusCode::kInvalidArgument, "regex needs a value");
    RE2::Options opts;
    opts.set_log_errors(false);
    set.regex = std::make_unique<RE2>(texts[0], opts);
    if (!set.regex->ok()) {
      return Status(StatusCode::kInvalidArgument,
                    "invalid regular expression '" + texts[0] + "': " + set.regex->error());
    }
  } else if (op != CmpOp::kExists && texts.size() != 1) {
    return Status(StatusCode::kInvalidArgument,
                  "operator '" + std::string(cmp_op_name(op)) + "' takes one value");
  }
  return set;
}

bool match(CmpOp op, const ExtractedValue& v, const RhsSet& rhs) {
  switch (v.kind) {
    case ValueKind::kMissing:
      return false;
    case ValueKind::kString:
      return match_string(op, v.str, rhs);
    case ValueKind::kList:
      for (std::string_view item : v.list) {
        if (match_string(op, item, rhs)) return true;
      }
      return false;
    case ValueKind::kUintList:
      for (uint64_t n : v.numbers) {
        if (op == CmpOp::kExists || match_number(op, n, rhs)) return true;
      }
      return false;
    case ValueKind::kInt:
      return op == CmpOp::kExists || match_number(op, v.i, rhs);
    case ValueKind::kUint:
      return op == CmpOp::kExists || match_number(op, v.u, rhs) || (v.pair && match_number(op, v.u2, rhs));
    case ValueKind::kBool:
      return op == CmpOp::kExists || match_bool(op, v.b, rhs);
    case ValueKind::kIp:
      return op == CmpOp::kExists || match_ip(op, v.ip, rhs) || (v.pair && match_ip(op, v.ip2, rhs));
  }
  return false;
}

namespace {

std::optional<__int128> as_number(const ExtractedValue& v) {
  if (v.kind == ValueKind::kInt) return v.i;
  if (v.kind == ValueKind::kUint) return v.u;
  if (v.kind == ValueKind::kBool) return v.b ? 1 : 0;
  return std::nullopt;
}

bool match_one(CmpOp op, const ExtractedValue& lhs, const ExtractedValue& rhs) {
  if (op == CmpOp::kIn || op == CmpOp::kIntersects) op = CmpOp::kEq;
  if (lhs.kind == ValueKind::kString && rhs.kind == ValueKind::kString) {
    RhsSet one;
    RhsValue r;
    r.text = std::string(rhs.str);
    if (op == CmpOp::kIContains || op == CmpOp::kIGlob) ascii_map_case(r.text, r.folded, false);
    one.values.push_back(std::move(r));
    if (op == CmpOp::kPMatch) {
      std::string_view p = one.values[0].text;
      while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
      if (p == "/") {
        one.prefix_root = true;
      } else {
        one.prefixes.insert(p);
      }
    }
    if (op == CmpOp::kRegex || op == CmpOp::kBContains || op == CmpOp::kBStartsWith) return false;
    return match_string(op, lhs.str, one);
  }
  auto x = as_number(lhs), y = as_number(rhs);
  if (x && y) return cmp_number(op, *x, *y);
  if (lhs.kind == ValueKind::kIp && rhs.kind == ValueKind::kIp) {
    bool eq = lhs.ip == rhs.ip;
    return op == CmpOp::kEq ? eq : op == CmpOp::kNe ? !eq : false;
  }
  return false;
}

}  // namespace

bool match_values(CmpOp op, const ExtractedValue& lhs, const ExtractedValue& rhs) {
  if (!lhs.present() || !rhs.present()) return false;
  if (op == CmpOp::kExists) return true;
  auto expand = [](const ExtractedValue& v, auto&& fn) {
    if (v.kind == ValueKind::kUintList) {
      for (uint64_t n : v.numbers) {
        if (fn(ExtractedValue::uint64(n))) return true;
      }
      return false;
    }
    if (v.kind != ValueKind::kList) return fn(v);
    for (std::string_view item : v.list) {
      if (fn(ExtractedValue::string(item))) return true;
    }
    return false;
  };
  return expand(lhs, [&](const ExtractedValue& l) {
    return expand(rhs, [&](const ExtractedValue& r) { return match_one(op, l, r); });
  });
}

bool glob_match(std::string_view pattern, std::string_view text, bool fold_case) {
  auto eq = [fold_case](char a, char b) { return fold_case ? ascii_lower(a) == ascii_lower(b) : a == b; };
  size_t p = 0, t = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    bool advanced = false;
    if (p < pattern.size()) {
      char c = pattern[p];
      if (c == '*') {
        star_p = ++p;
        star_t = t;
        continue;
      }
      if (c == '?') {
        ++p;
        ++t;
        advanced = true;
      } else if (c == '[') {
        size_t q = p + 1;
        bool negate = q < pattern.size() && (pattern[q] == '!' || pattern[q] == '^');
        if (negate) ++q;
        bool found = false;
        size_t start = q;
        while (q < pattern.size() && (pattern[q] != ']' || q == start)) {
          if (q + 2 < pattern.size() && pattern[q + 1] == '-' && pattern[q + 2] != ']') {
            char lo = pattern[q], hi = pattern[q + 2];
            char ch = fold_case ? ascii_lower(text[t]) : text[t];
            if (fold_case) {
              lo = ascii_lower(lo);
              hi = ascii_lower(hi);
            }
            if (ch >= lo && ch <= hi) found = true;
            q += 3;
          } else {
            if (eq(pattern[q], text[t])) found = true;
            ++q;
          }
        }
        if (q < pattern.size() && found != negate) {
          p = q + 1;
          ++t;
          advanced = true;
        }
      } else {
        if (c == '\\' && p + 1 < pattern.size()) c = pattern[++p];
        if (eq(c, text[t])) {
          ++p;
          ++t;
          advanced = true;
        }
      }
    }
    if (advanced) continue;
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace kestrel::engine::eval
