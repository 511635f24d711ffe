#include "tests/oracle/compile.h"

#include <charconv>
#include <map>

namespace kestrel::engine::reference {
namespace {

const std::map<std::string, CmpOp>& ops() {
  static const std::map<std::string, CmpOp> m = {
      {"=", CmpOp::kEq},          {"==", CmpOp::kEq},          {"!=", CmpOp::kNe},
      {"<", CmpOp::kLt},          {"<=", CmpOp::kLe},          {">", CmpOp::kGt},
      {">=", CmpOp::kGe},         {"contains", CmpOp::kContains}, {"icontains", CmpOp::kIContains},
      {"bcontains", CmpOp::kBContains}, {"startswith", CmpOp::kStartsWith},
      {"bstartswith", CmpOp::kBStartsWith}, {"endswith", CmpOp::kEndsWith}, {"glob", CmpOp::kGlob},
      {"iglob", CmpOp::kIGlob},   {"regex", CmpOp::kRegex},    {"in", CmpOp::kIn},
      {"intersects", CmpOp::kIntersects}, {"pmatch", CmpOp::kPMatch}, {"exists", CmpOp::kExists},
  };
  return m;
}

std::optional<int64_t> parse_number(std::string_view v) {
  int base = 10;
  bool negative = false;
  if (!v.empty() && (v[0] == '-' || v[0] == '+')) {
    negative = v[0] == '-';
    v.remove_prefix(1);
  }
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
    base = 16;
    v.remove_prefix(2);
  }
  uint64_t u = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), u, base);
  if (ec != std::errc() || p != v.data() + v.size() || v.empty()) return std::nullopt;
  return negative ? -static_cast<int64_t>(u) : static_cast<int64_t>(u);
}

std::string hex_decode(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    unsigned v = 0;
    std::from_chars(hex.data() + i, hex.data() + i + 2, v, 16);
    out += static_cast<char>(v);
  }
  return out;
}

std::optional<Extractor> extractor_for(const FieldOperand& f, std::string_view source, CompileError& err) {
  std::string msg;
  auto lookup = builtin_field_registry().lookup(source, f.field, f.arg, &msg);
  if (!lookup) {
    err = CompileError{msg, f.pos};
    return std::nullopt;
  }
  return make_extractor(*lookup);
}

bool compile_check(const Expr& e, std::string_view source, CheckNode& out, CompileError& err) {
  // The oracle reads the operator's spelling and interprets it itself.
  const std::string op_name(cmp_op_name(e.op));
  auto op = ops().find(op_name);
  if (op == ops().end()) {
    err = CompileError{"unknown operator " + op_name, e.pos};
    return false;
  }
  out.op = op->second;
  err.message.clear();
  out.left = extractor_for(e.left, source, err);
  if (!err.message.empty()) return false;
  out.transformers = e.left.transformers;
  if (e.rhs == RhsKind::kField) {
    out.has_right_field = true;
    out.right = extractor_for(*e.rhs_field, source, err);
    if (!err.message.empty()) return false;
    for (auto t : e.rhs_field->transformers) {
      if (t != Transformer::kVal) out.right_transformers.push_back(t);
    }
    return true;
  }
  for (const auto& v : e.values) {
    Constant c;
    c.text = (out.op == CmpOp::kBContains || out.op == CmpOp::kBStartsWith) ? hex_decode(v.text) : v.text;
    if (v.text == "true") {
      c.number = 1;
    } else if (v.text == "false") {
      c.number = 0;
    } else {
      c.number = parse_number(v.text);
    }
    if (out.op == CmpOp::kIn || out.op == CmpOp::kIntersects) {
      out.string_set.insert(c.text);
      if (c.number) out.number_set.insert(*c.number);
    }
    out.values.push_back(std::move(c));
  }
  if (out.op == CmpOp::kRegex && !out.values.empty()) {
    out.regex = std::make_unique<RE2>(out.values[0].text, RE2::Quiet);
    if (!out.regex->ok()) {
      err = CompileError{"invalid regular expression: " + out.regex->error(), e.pos};
      return false;
    }
  }
  return true;
}

bool compile_node(const Expr& e, std::string_view source, ProgramNode& out, CompileError& err, int depth) {
  if (depth > kMaxConditionDepth) {
    err = CompileError{"condition too deeply nested", e.pos};
    return false;
  }
  out.kind = e.kind;
  switch (e.kind) {
    case ExprKind::kMacroRef:
      err = CompileError{"Undefined macro '" + e.macro + "' used in filter.", e.pos};
      return false;
    case ExprKind::kCheck:
      out.check = std::make_unique<CheckNode>();
      return compile_check(e, source, *out.check, err);
    default:
      for (const auto& c : e.children) {
        out.children.emplace_back();
        if (!compile_node(*c, source, out.children.back(), err, depth + 1)) return false;
      }
      return true;
  }
}

}  // namespace

CompileOutcome compile_condition(const Expr& resolved, std::string_view source) {
  CompileOutcome out;
  ProgramNode root;
  if (compile_node(resolved, source, root, out.error, 0)) out.program.emplace(std::move(root));
  return out;
}

}  // namespace kestrel::engine::reference
