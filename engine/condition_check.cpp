#include "engine/condition_check.h"

#include <arpa/inet.h>
#include <re2/re2.h>

#include <cctype>
#include <charconv>

#include "engine/evttype_index.h"
#include "engine/fields/field_registry.h"

namespace kestrel::engine {
namespace {

bool parse_integer(std::string_view v, bool allow_negative) {
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
    uint64_t out;
    auto [p, ec] = std::from_chars(v.data() + 2, v.data() + v.size(), out, 16);
    return ec == std::errc() && p == v.data() + v.size();
  }
  if (!v.empty() && v[0] == '+') v.remove_prefix(1);
  if (!v.empty() && v[0] == '-' && !allow_negative) return false;
  int64_t out;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec == std::errc() && p == v.data() + v.size()) return true;
  uint64_t uout;
  auto [q, ec2] = std::from_chars(v.data(), v.data() + v.size(), uout);
  return ec2 == std::errc() && q == v.data() + v.size();
}

bool parse_double(std::string_view v) {
  double out;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && p == v.data() + v.size();
}

bool parse_ip(const std::string& v) {
  unsigned char buf[16];
  return inet_pton(AF_INET, v.c_str(), buf) == 1 || inet_pton(AF_INET6, v.c_str(), buf) == 1;
}

bool parse_ipnet(const std::string& v) {
  auto slash = v.find('/');
  if (slash == std::string::npos) return parse_ip(v);
  std::string addr = v.substr(0, slash);
  std::string bits = v.substr(slash + 1);
  int n = -1;
  auto [p, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
  if (ec != std::errc() || p != bits.data() + bits.size() || n < 0) return false;
  unsigned char buf[16];
  if (inet_pton(AF_INET, addr.c_str(), buf) == 1) return n <= 32;
  return inet_pton(AF_INET6, addr.c_str(), buf) == 1 && n <= 128;
}

bool is_hex_bytes(std::string_view v) {
  if (v.size() % 2 != 0) return false;
  for (char c : v) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Whether `value` can be compared against a field of type `t`.
std::optional<std::string> check_value(FieldType t, const std::string& value) {
  bool ok = true;
  switch (t) {
    case FieldType::kUint64:
    case FieldType::kPort:
    case FieldType::kAbsTime:
    case FieldType::kRelTime: ok = parse_integer(value, false); break;
    case FieldType::kInt64: ok = parse_integer(value, true); break;
    case FieldType::kDouble: ok = parse_double(value) || parse_integer(value, true); break;
    case FieldType::kBool: ok = value == "true" || value == "false"; break;
    case FieldType::kIpAddr: ok = parse_ip(value); break;
    case FieldType::kIpNet: ok = parse_ipnet(value); break;
    default: break;
  }
  if (ok) return std::nullopt;
  return "could not parse '" + value + "' as a value of type " + std::string(field_type_name(t));
}

// Resolves a field operand and the type it yields after its transformers.
std::optional<CheckError> operand_type(const FieldOperand& f, std::string_view source, const FieldRegistry& fields,
                                       FieldType& out) {
  std::string err;
  auto lookup = fields.lookup(source, f.field, f.arg, &err);
  if (!lookup) {
    bool unknown = err.find("nonexistent field") != std::string::npos;
    return CheckError{err, f.pos, unknown};
  }
  FieldType t = lookup->info->type;
  // Transformers are stored outermost first; apply innermost first.
  for (auto it = f.transformers.rbegin(); it != f.transformers.rend(); ++it) {
    if (*it == Transformer::kVal) continue;
    if (!is_stringlike(t)) {
      return CheckError{"transformer '" + std::string(transformer_name(*it)) + "' is not supported on field " +
                            f.field + " of type " + std::string(field_type_name(t)),
                        f.pos};
    }
    t = *it == Transformer::kLen ? FieldType::kUint64 : FieldType::kString;
  }
  out = t;
  return std::nullopt;
}

std::optional<CheckError> check_one(const Expr& e, std::string_view source, const FieldRegistry& fields) {
  FieldType t;
  if (auto err = operand_type(e.left, source, fields, t)) return err;
  const CmpOp op = e.op;
  const std::string op_name(cmp_op_name(op));
  const std::string where = " for field " + e.left.to_string();
  if (op == CmpOp::kExists) return std::nullopt;
  if (is_string_op(op) && !is_stringlike(t)) {
    return CheckError{"operator '" + op_name + "' is not supported on type " + std::string(field_type_name(t)) + where,
                      e.pos};
  }
  if (is_ordering_op(op) &&
      (t == FieldType::kBool || t == FieldType::kIpAddr || t == FieldType::kIpNet)) {
    return CheckError{"operator '" + op_name + "' is not supported on type " + std::string(field_type_name(t)) + where,
                      e.pos};
  }
  if (e.rhs == RhsKind::kField) {
    FieldType rt;
    if (auto err = operand_type(*e.rhs_field, source, fields, rt)) return err;
    if (is_numeric(t) != is_numeric(rt)) {
      return CheckError{"cannot compare " + e.left.to_string() + " (" + std::string(field_type_name(t)) + ") with " +
                            e.rhs_field->to_string() + " (" + std::string(field_type_name(rt)) + ")",
                        e.pos};
    }
    return std::nullopt;
  }
  bool is_evttype = e.left.field == "evt.type" && !e.left.arg && e.left.transformers.empty();
  for (const auto& v : e.values) {
    if (is_evttype && (op == CmpOp::kEq || op == CmpOp::kNe || op == CmpOp::kIn) && !evttype_code(v.text)) {
      return CheckError{"unknown event type " + v.text, v.pos, true};
    }
    if (op == CmpOp::kBContains || op == CmpOp::kBStartsWith) {
      if (!is_hex_bytes(v.text)) {
        return CheckError{"operator '" + op_name + "' needs a hex byte string, got '" + v.text + "'", v.pos};
      }
      continue;
    }
    if (op == CmpOp::kRegex) {
      RE2 re(v.text, RE2::Quiet);
      if (!re.ok()) return CheckError{"invalid regular expression '" + v.text + "': " + re.error(), v.pos};
      continue;
    }
    // Numeric fields compared with string operators were rejected above; the
    // list operators and comparisons need parseable values. ipnet fields
    // compare with networks or addresses; ipaddr fields with `in` accept
    // networks too (fd.ip in (10.0.0.0/8)).
    FieldType vt = t;
    if (t == FieldType::kIpAddr && (op == CmpOp::kIn || op == CmpOp::kIntersects)) vt = FieldType::kIpNet;
    if (t == FieldType::kIpAddr && (op == CmpOp::kEq || op == CmpOp::kNe) && v.text.find('/') != std::string::npos) {
      vt = FieldType::kIpNet;
    }
    if (auto err = check_value(vt, v.text)) return CheckError{*err + where, v.pos};
  }
  return std::nullopt;
}

}  // namespace

std::optional<CheckError> check_condition(const Expr& e, std::string_view source, const FieldRegistry& fields,
                                          int depth) {
  if (depth > kMaxConditionDepth) return CheckError{"condition too deeply nested", e.pos};
  if (e.kind == ExprKind::kCheck) return check_one(e, source, fields);
  if (e.kind == ExprKind::kMacroRef) return CheckError{"Undefined macro '" + e.macro + "' used in filter.", e.pos};
  for (const auto& c : e.children) {
    if (auto err = check_condition(*c, source, fields, depth + 1)) return err;
  }
  return std::nullopt;
}

std::optional<TextPos> find_unsafe_na_check(const Expr& e, int depth) {
  if (depth > kMaxConditionDepth) return std::nullopt;
  if (e.kind == ExprKind::kCheck) {
    const std::string& f = e.left.field;
    bool unsafe_field = f.rfind("ka.", 0) == 0 || f.rfind("jevt.", 0) == 0;
    bool equality = e.op == CmpOp::kEq || e.op == CmpOp::kNe || is_list_op(e.op);
    if (unsafe_field && equality) {
      for (const auto& v : e.values) {
        if (v.text == "<NA>") return e.pos;
      }
    }
    return std::nullopt;
  }
  for (const auto& c : e.children) {
    if (auto p = find_unsafe_na_check(*c, depth + 1)) return p;
  }
  return std::nullopt;
}

}  // namespace kestrel::engine
