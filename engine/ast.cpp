#include "engine/ast.h"

#include <algorithm>

namespace kestrel::engine {

std::optional<CmpOp> parse_cmp_op(std::string_view op) {
  static constexpr std::pair<std::string_view, CmpOp> kOps[] = {
      {"=", CmpOp::kEq},
      {"==", CmpOp::kEq},
      {"!=", CmpOp::kNe},
      {"<", CmpOp::kLt},
      {"<=", CmpOp::kLe},
      {">", CmpOp::kGt},
      {">=", CmpOp::kGe},
      {"contains", CmpOp::kContains},
      {"icontains", CmpOp::kIContains},
      {"bcontains", CmpOp::kBContains},
      {"startswith", CmpOp::kStartsWith},
      {"bstartswith", CmpOp::kBStartsWith},
      {"endswith", CmpOp::kEndsWith},
      {"glob", CmpOp::kGlob},
      {"iglob", CmpOp::kIGlob},
      {"regex", CmpOp::kRegex},
      {"in", CmpOp::kIn},
      {"intersects", CmpOp::kIntersects},
      {"pmatch", CmpOp::kPMatch},
      {"exists", CmpOp::kExists},
  };
  for (const auto& [name, value] : kOps) {
    if (name == op) return value;
  }
  return std::nullopt;
}

std::string_view cmp_op_name(CmpOp op) {
  static constexpr std::string_view kNames[] = {"=",  "!=", "<", "<=", ">", ">=", "contains", "icontains",
                                                "bcontains", "startswith", "bstartswith", "endswith", "glob",
                                                "iglob", "regex", "in", "intersects", "pmatch", "exists"};
  return kNames[static_cast<size_t>(op)];
}

bool is_list_op(CmpOp op) { return op == CmpOp::kIn || op == CmpOp::kIntersects || op == CmpOp::kPMatch; }

bool is_ordering_op(CmpOp op) {
  return op == CmpOp::kLt || op == CmpOp::kLe || op == CmpOp::kGt || op == CmpOp::kGe;
}

bool is_string_op(CmpOp op) {
  switch (op) {
    case CmpOp::kContains:
    case CmpOp::kIContains:
    case CmpOp::kStartsWith:
    case CmpOp::kEndsWith:
    case CmpOp::kGlob:
    case CmpOp::kIGlob:
    case CmpOp::kRegex:
    case CmpOp::kPMatch:
    case CmpOp::kBContains:
    case CmpOp::kBStartsWith: return true;
    default: return false;
  }
}

const char* transformer_name(Transformer t) {
  switch (t) {
    case Transformer::kToLower: return "tolower";
    case Transformer::kToUpper: return "toupper";
    case Transformer::kB64: return "b64";
    case Transformer::kBasename: return "basename";
    case Transformer::kLen: return "len";
    case Transformer::kVal: return "val";
  }
  return "?";
}

std::string FieldOperand::to_string() const {
  std::string out;
  for (auto t : transformers) {
    out += transformer_name(t);
    out += '(';
  }
  out += field;
  if (arg) out += "[" + *arg + "]";
  out.append(transformers.size(), ')');
  return out;
}

ExprPtr make_bool(ExprKind kind, TextPos pos, std::vector<ExprPtr> children) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->pos = pos;
  e->children.reserve(children.size());
  for (auto& c : children) e->children.push_back(std::move(c));
  return e;
}

int tree_height(const Expr& e, int depth) {
  if (depth > kMaxConditionDepth) return 0;
  int h = 0;
  for (const auto& c : e.children) h = std::max(h, 1 + tree_height(*c, depth + 1));
  return h;
}

ExprPtr clone_expr(const Expr& e, int depth) {
  if (depth > kMaxConditionDepth) return nullptr;
  auto out = std::make_unique<Expr>();
  out->kind = e.kind;
  out->pos = e.pos;
  out->macro = e.macro;
  out->left = e.left;
  out->op = e.op;
  out->rhs = e.rhs;
  out->values = e.values;
  out->rhs_field = e.rhs_field;
  out->children.reserve(e.children.size());
  for (const auto& c : e.children) {
    auto copy = clone_expr(*c, depth + 1);
    if (!copy) return nullptr;
    out->children.push_back(std::move(copy));
  }
  return out;
}

size_t count_nodes(const Expr& e, size_t limit, int depth) {
  size_t n = 1;
  if (depth > kMaxConditionDepth) return limit + 1;
  for (const auto& c : e.children) {
    if (n > limit) break;
    n += count_nodes(*c, limit - n, depth + 1);
  }
  return n;
}

namespace {

std::string quote(const Value& v) {
  bool plain = !v.quoted && !v.text.empty();
  for (char c : v.text) {
    if (c == ' ' || c == '(' || c == ')' || c == ',' || c == '"' || c == '\'' || c == '=') plain = false;
  }
  if (plain) return v.text;
  std::string out = "\"";
  for (char c : v.text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string expr_to_string(const Expr& e, int depth) {
  if (depth > kMaxConditionDepth) return "…";
  switch (e.kind) {
    case ExprKind::kAnd:
    case ExprKind::kOr: {
      std::string out = "(";
      for (size_t i = 0; i < e.children.size(); ++i) {
        if (i) out += e.kind == ExprKind::kAnd ? " and " : " or ";
        out += expr_to_string(*e.children[i], depth + 1);
      }
      return out + ")";
    }
    case ExprKind::kNot: return "not " + expr_to_string(*e.children[0], depth + 1);
    case ExprKind::kMacroRef: return e.macro;
    case ExprKind::kCheck: break;
  }
  std::string out = e.left.to_string() + " " + std::string(cmp_op_name(e.op));
  switch (e.rhs) {
    case RhsKind::kNone: break;
    case RhsKind::kValue: out += " " + quote(e.values.at(0)); break;
    case RhsKind::kField: out += " " + e.rhs_field->to_string(); break;
    case RhsKind::kList: {
      out += " (";
      for (size_t i = 0; i < e.values.size(); ++i) {
        if (i) out += ", ";
        out += quote(e.values[i]);
      }
      out += ")";
      break;
    }
  }
  return out;
}

}  // namespace kestrel::engine
