// Evaluation of compiled conditions (tests/oracle/program.h). Semantics follow
// libsinsp's comparisons: a field that cannot be extracted fails every
// check (including !=); `exists` is true when it can be; string operators
// compare bytes (icontains/iglob fold ASCII case); numbers compare as
// signed 64-bit; `regex` is an RE2 full match; `pmatch` matches a path equal
// to, or below, one of the prefixes; an address is `=` to a network it lies
// in. A field with several values (proc.aname, fd.ip) passes a check if one
// of its values does.
#include <arpa/inet.h>
#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "tests/oracle/program.h"

namespace kestrel::engine::reference {
namespace {

std::string base64_decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  int bits = 0;
  uint32_t acc = 0;
  for (char c : in) {
    int v = val(c);
    if (v < 0) continue;  // padding and whitespace
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

// Applies transformers innermost first. False if the value cannot take them.
bool transform(FieldValue& v, const std::vector<Transformer>& ts) {
  for (auto it = ts.rbegin(); it != ts.rend(); ++it) {
    if (*it == Transformer::kVal) continue;
    if (v.kind != FieldValue::Kind::kString) return false;
    std::string s(v.str);
    switch (*it) {
      case Transformer::kToLower:
        std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
        break;
      case Transformer::kToUpper:
        std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
        break;
      case Transformer::kB64: s = base64_decode(s); break;
      case Transformer::kBasename: {
        auto slash = s.rfind('/');
        if (slash != std::string::npos) s = s.substr(slash + 1);
        break;
      }
      case Transformer::kLen: v.set_number(static_cast<int64_t>(s.size())); continue;
      case Transformer::kVal: break;
    }
    v.set_string(std::move(s));
  }
  return true;
}

bool icontains(std::string_view hay, std::string_view needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != hay.end() || needle.empty();
}

bool path_below(std::string_view path, std::string_view prefix) {
  while (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
  if (path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/' || prefix == "/";
}

bool compare_numbers(CmpOp op, int64_t a, const CheckNode& c) {
  if (op == CmpOp::kIn || op == CmpOp::kIntersects) return c.number_set.count(a) > 0;
  if (c.values.empty() || !c.values[0].number) return false;
  int64_t b = *c.values[0].number;
  switch (op) {
    case CmpOp::kEq: return a == b;
    case CmpOp::kNe: return a != b;
    case CmpOp::kLt: return a < b;
    case CmpOp::kLe: return a <= b;
    case CmpOp::kGt: return a > b;
    case CmpOp::kGe: return a >= b;
    default: return false;
  }
}

bool compare_strings(CmpOp op, std::string_view s, const CheckNode& c) {
  if (op == CmpOp::kIn || op == CmpOp::kIntersects) return c.string_set.find(s) != c.string_set.end();
  if (op == CmpOp::kPMatch) {
    return std::any_of(c.values.begin(), c.values.end(), [&](const Constant& p) { return path_below(s, p.text); });
  }
  if (c.values.empty()) return false;
  const std::string& b = c.values[0].text;
  switch (op) {
    case CmpOp::kEq: return s == b;
    case CmpOp::kNe: return s != b;
    case CmpOp::kLt: return s < b;
    case CmpOp::kLe: return s <= b;
    case CmpOp::kGt: return s > b;
    case CmpOp::kGe: return s >= b;
    case CmpOp::kContains:
    case CmpOp::kBContains: return s.find(b) != std::string_view::npos;
    case CmpOp::kIContains: return icontains(s, b);
    case CmpOp::kStartsWith:
    case CmpOp::kBStartsWith: return s.substr(0, b.size()) == b;
    case CmpOp::kEndsWith: return s.size() >= b.size() && s.substr(s.size() - b.size()) == b;
    case CmpOp::kGlob: return fnmatch(b.c_str(), std::string(s).c_str(), 0) == 0;
    case CmpOp::kIGlob: return fnmatch(b.c_str(), std::string(s).c_str(), FNM_CASEFOLD) == 0;
    case CmpOp::kRegex: return c.regex && RE2::FullMatch(s, *c.regex);
    default: return false;
  }
}

// Whether `ip` lies in the network written as `text` ("a.b.c.d[/bits]",
// IPv6 likewise); a bare address is a network of one.
bool ip_in(const IpAddr& ip, const std::string& text) {
  std::string addr = text;
  int bits = -1;
  if (auto slash = text.find('/'); slash != std::string::npos) {
    addr = text.substr(0, slash);
    if (std::from_chars(text.data() + slash + 1, text.data() + text.size(), bits).ec != std::errc()) return false;
  }
  unsigned char net[16] = {};
  bool v4 = addr.find(':') == std::string::npos;
  if (inet_pton(v4 ? AF_INET : AF_INET6, addr.c_str(), net) != 1) return false;
  if (v4 != (ip.family == KESTREL_AF_INET)) return false;
  int size = v4 ? 32 : 128;
  if (bits < 0) bits = size;
  if (bits > size) return false;
  for (int i = 0; i < bits; ++i) {
    int byte = i / 8, bit = 7 - i % 8;
    if (((ip.bytes[static_cast<size_t>(byte)] >> bit) & 1) != ((net[byte] >> bit) & 1)) return false;
  }
  return true;
}

bool compare_ip(CmpOp op, const IpAddr& ip, const CheckNode& c) {
  if (op == CmpOp::kIn || op == CmpOp::kIntersects) {
    return std::any_of(c.values.begin(), c.values.end(), [&](const Constant& k) { return ip_in(ip, k.text); });
  }
  if (c.values.empty()) return false;
  if (op == CmpOp::kEq) return ip_in(ip, c.values[0].text);
  if (op == CmpOp::kNe) return !ip_in(ip, c.values[0].text);
  return false;
}

// One value of the field (never kList; kIp with one address).
bool check_value(const CheckNode& c, FieldValue& v, const EvalContext& ctx) {
  if (v.kind == FieldValue::Kind::kAbsent || !transform(v, c.transformers)) return false;
  if (v.kind == FieldValue::Kind::kIp && c.has_right_field) return false;
  if (v.kind == FieldValue::Kind::kIp) return compare_ip(c.op, v.ips.at(0), c);
  if (c.has_right_field) {
    if (!c.right) return false;
    FieldValue r;
    c.right->fn(ctx, *c.right, r);
    if (r.kind == FieldValue::Kind::kAbsent || r.kind == FieldValue::Kind::kList ||
        r.kind == FieldValue::Kind::kIp || !transform(r, c.right_transformers)) {
      return false;
    }
    CheckNode rhs;
    rhs.op = c.op;
    Constant k;
    if (r.kind == FieldValue::Kind::kString) {
      k.text = std::string(r.str);
    } else {
      k.number = r.num;
      k.text = std::to_string(r.num);
    }
    rhs.values.push_back(k);
    rhs.string_set.insert(k.text);
    if (k.number) rhs.number_set.insert(*k.number);
    if (v.kind == FieldValue::Kind::kString) return compare_strings(c.op, v.str, rhs);
    return compare_numbers(c.op, v.num, rhs);
  }
  if (v.kind == FieldValue::Kind::kString) return compare_strings(c.op, v.str, c);
  return compare_numbers(c.op, v.num, c);
}

bool evaluate_check(const CheckNode& c, const EvalContext& ctx) {
  if (!c.left) return false;
  FieldValue v;
  c.left->fn(ctx, *c.left, v);
  if (c.op == CmpOp::kExists) return v.kind != FieldValue::Kind::kAbsent;
  // A field with several values: the check holds if it holds for one.
  if (v.kind == FieldValue::Kind::kList) {
    return std::any_of(v.list.begin(), v.list.end(), [&](const std::string& s) {
      FieldValue one;
      one.set_string(s);
      return check_value(c, one, ctx);
    });
  }
  if (v.kind == FieldValue::Kind::kIp) {
    return std::any_of(v.ips.begin(), v.ips.end(), [&](const IpAddr& ip) {
      FieldValue one;
      one.set_ips({ip});
      return check_value(c, one, ctx);
    });
  }
  return check_value(c, v, ctx);
}

}  // namespace

bool evaluate_node(const ProgramNode& node, const EvalContext& ctx, int depth) {
  if (depth > kMaxConditionDepth) return false;
  switch (node.kind) {
    case ExprKind::kAnd:
      for (const auto& c : node.children) {
        if (!evaluate_node(c, ctx, depth + 1)) return false;
      }
      return true;
    case ExprKind::kOr:
      for (const auto& c : node.children) {
        if (evaluate_node(c, ctx, depth + 1)) return true;
      }
      return false;
    case ExprKind::kNot: return !evaluate_node(node.children[0], ctx, depth + 1);
    case ExprKind::kCheck: return node.check && evaluate_check(*node.check, ctx);
    case ExprKind::kMacroRef: return false;
  }
  return false;
}

bool Program::matches(const EvalContext& ctx) const { return evaluate_node(root_, ctx); }

}  // namespace kestrel::engine::reference
