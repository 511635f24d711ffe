#include "tests/eval/reference_eval.h"

#include <arpa/inet.h>
#include <fnmatch.h>
#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>

#include "engine/eval/extract.h"
#include "sources/event/sockaddr.h"

namespace kestrel::engine::eval::testing {
namespace {

// A value as plain data (owning copies; no views).
struct Val {
  enum Kind { kNone, kStr, kNum, kBool, kIp } kind = kNone;
  std::string s;
  __int128 n = 0;
  bool b = false;
  IpAddr ip;
};
using Vals = std::vector<Val>;  // empty: missing; >1: any may match

Vals extract(const FieldOperand& f, const Event& ev, const ThreadLookup& lookup) {
  auto ref = resolve_field(f.field, f.arg);
  if (!ref.ok()) return {};
  ExtractEnvironment env;
  ExtractContext ctx(env);
  ctx.begin(ev, lookup, 1);
  Scratch scratch;
  ExtractedValue v = ref->fn(ctx, *ref, scratch);
  Vals out;
  auto push_str = [&](std::string_view s) {
    Val x;
    x.kind = Val::kStr;
    x.s = std::string(s);
    out.push_back(x);
  };
  switch (v.kind) {
    case ValueKind::kMissing: return {};
    case ValueKind::kUintList: return {};  // only made by len(), which is re-done here
    case ValueKind::kString: push_str(v.str); break;
    case ValueKind::kList:
      for (auto s : v.list) push_str(s);
      break;
    case ValueKind::kInt: out.push_back(Val{Val::kNum, "", v.i, false, {}}); break;
    case ValueKind::kUint:
      out.push_back(Val{Val::kNum, "", v.u, false, {}});
      if (v.pair) out.push_back(Val{Val::kNum, "", v.u2, false, {}});
      break;
    case ValueKind::kBool: out.push_back(Val{Val::kBool, "", 0, v.b, {}}); break;
    case ValueKind::kIp:
      out.push_back(Val{Val::kIp, "", 0, false, v.ip});
      if (v.pair) out.push_back(Val{Val::kIp, "", 0, false, v.ip2});
      break;
  }
  // Transformers, innermost (last written) first.
  for (auto it = f.transformers.rbegin(); it != f.transformers.rend(); ++it) {
    if (*it == Transformer::kVal) continue;
    Vals next;
    for (Val x : out) {
      if (x.kind != Val::kStr) return {};
      switch (*it) {
        case Transformer::kToLower:
          for (auto& c : x.s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          break;
        case Transformer::kToUpper:
          for (auto& c : x.s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
          break;
        case Transformer::kBasename: {
          auto slash = x.s.find_last_of('/');
          if (slash != std::string::npos) x.s = x.s.substr(slash + 1);
          break;
        }
        case Transformer::kLen:
          x = Val{Val::kNum, "", static_cast<__int128>(x.s.size()), false, {}};
          break;
        case Transformer::kB64:
          return {};  // the generator does not use b64
        case Transformer::kVal:
          break;
      }
      next.push_back(x);
    }
    out = next;
  }
  return out;
}

std::optional<__int128> num(const std::string& t) {
  if (t.empty()) return std::nullopt;
  try {
    size_t used = 0;
    bool neg = t[0] == '-';
    std::string body = neg ? t.substr(1) : t;
    unsigned long long mag;
    if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
      mag = std::stoull(body.substr(2), &used, 16);
      used += 2;
    } else {
      if (body.empty() || !std::isdigit(static_cast<unsigned char>(body[0]))) return std::nullopt;
      mag = std::stoull(body, &used, 10);
    }
    if (used != body.size()) return std::nullopt;
    __int128 v = mag;
    return neg ? -v : v;
  } catch (...) {
    return std::nullopt;
  }
}

// Whether `ip` lies in the network written as `text` ("a.b.c.d[/n]").
bool ip_in(const IpAddr& ip, const std::string& text) {
  std::string addr = text;
  int bits = -1;
  if (auto slash = text.find('/'); slash != std::string::npos) {
    addr = text.substr(0, slash);
    bits = std::stoi(text.substr(slash + 1));
  }
  unsigned char buf[16] = {};
  int family = addr.find(':') == std::string::npos ? AF_INET : AF_INET6;
  if (inet_pton(family, addr.c_str(), buf) != 1) return false;
  int size = family == AF_INET ? 4 : 16;
  if ((family == AF_INET) != (ip.family == KESTREL_AF_INET)) return false;
  if (bits < 0) bits = size * 8;
  for (int i = 0; i < bits; ++i) {
    int byte = i / 8, bit = 7 - i % 8;
    if (((ip.bytes[static_cast<size_t>(byte)] >> bit) & 1) != ((buf[byte] >> bit) & 1)) return false;
  }
  return true;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string unhex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

bool pmatch_one(const std::string& v, std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p == "/") return !v.empty() && v[0] == '/';
  std::string w = v;
  while (w.size() > 1 && w.back() == '/') w.pop_back();
  return w == p || (w.size() > p.size() && w.compare(0, p.size(), p) == 0 && w[p.size()] == '/');
}

bool cmp_one(const std::string& op, const Val& v, const std::vector<std::string>& rhs) {
  if (op == "in" || op == "intersects") {
    return std::any_of(rhs.begin(), rhs.end(), [&](const std::string& r) { return cmp_one("=", v, {r}); });
  }
  if (op == "pmatch") {
    return v.kind == Val::kStr &&
           std::any_of(rhs.begin(), rhs.end(), [&](const std::string& r) { return pmatch_one(v.s, r); });
  }
  const std::string& r = rhs.at(0);
  switch (v.kind) {
    case Val::kStr: {
      const std::string& s = v.s;
      if (op == "=" || op == "==") return s == r;
      if (op == "!=") return s != r;
      if (op == "contains") return s.find(r) != std::string::npos;
      if (op == "icontains") return lower(s).find(lower(r)) != std::string::npos;
      if (op == "startswith") return s.rfind(r, 0) == 0;
      if (op == "endswith") return s.size() >= r.size() && s.compare(s.size() - r.size(), r.size(), r) == 0;
      if (op == "bcontains") return s.find(unhex(r)) != std::string::npos;
      if (op == "bstartswith") return s.rfind(unhex(r), 0) == 0;
      if (op == "glob") return fnmatch(r.c_str(), s.c_str(), 0) == 0;
      if (op == "iglob") return fnmatch(r.c_str(), s.c_str(), FNM_CASEFOLD) == 0;
      if (op == "regex") return RE2::FullMatch(s, RE2(r));
      return false;
    }
    case Val::kNum: {
      auto n = num(r);
      if (!n) return false;
      if (op == "=" || op == "==") return v.n == *n;
      if (op == "!=") return v.n != *n;
      if (op == "<") return v.n < *n;
      if (op == "<=") return v.n <= *n;
      if (op == ">") return v.n > *n;
      if (op == ">=") return v.n >= *n;
      return false;
    }
    case Val::kBool: {
      if (r != "true" && r != "false") return false;
      bool b = r == "true";
      if (op == "=" || op == "==") return v.b == b;
      if (op == "!=") return v.b != b;
      return false;
    }
    case Val::kIp:
      if (op == "=" || op == "==") return ip_in(v.ip, r);
      if (op == "!=") return !ip_in(v.ip, r);
      return false;
    case Val::kNone:
      return false;
  }
  return false;
}

bool check(const Expr& e, const Event& ev, const ThreadLookup& lookup) {
  Vals lhs = extract(e.left, ev, lookup);
  if (lhs.empty()) return false;
  const std::string op_text(cmp_op_name(e.op));  // the reference reads the spelling
  if (op_text == "exists") return true;
  std::vector<std::string> rhs;
  if (e.rhs == RhsKind::kField) {
    Vals r = extract(*e.rhs_field, ev, lookup);
    for (const Val& x : r) {
      if (x.kind == Val::kStr) rhs.push_back(x.s);
      if (x.kind == Val::kNum) rhs.push_back(std::to_string(static_cast<long long>(x.n)));
      if (x.kind == Val::kBool) rhs.push_back(x.b ? "true" : "false");
    }
    if (rhs.empty()) return false;
    std::string op = op_text == "in" || op_text == "intersects" ? "in" : op_text;
    for (const Val& l : lhs) {
      for (const auto& one : rhs) {
        if (cmp_one(op, l, {one})) return true;
      }
    }
    return false;
  }
  for (const auto& v : e.values) rhs.push_back(v.text);
  if (rhs.empty() && op_text != "in" && op_text != "intersects" && op_text != "pmatch") return false;
  return std::any_of(lhs.begin(), lhs.end(), [&](const Val& v) { return cmp_one(op_text, v, rhs); });
}

}  // namespace

bool reference_eval(const Expr& e, const Event& event, const ThreadLookup& lookup) {
  switch (e.kind) {
    case ExprKind::kAnd:
      for (const auto& c : e.children) {
        if (!reference_eval(*c, event, lookup)) return false;
      }
      return true;
    case ExprKind::kOr:
      for (const auto& c : e.children) {
        if (reference_eval(*c, event, lookup)) return true;
      }
      return false;
    case ExprKind::kNot:
      return !reference_eval(*e.children.at(0), event, lookup);
    case ExprKind::kCheck:
      return check(e, event, lookup);
    case ExprKind::kMacroRef:
      return false;
  }
  return false;
}

}  // namespace kestrel::engine::eval::testing
