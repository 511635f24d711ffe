#include "engine/parser.h"

#include <algorithm>
#include <array>

namespace kestrel::engine {
namespace {

// The spellings in the order the lexer tries them (longer first where one
// is a prefix of another); the parser turns each into its CmpOp
// (parse_cmp_op, ast.h) and no later stage sees the text.
constexpr std::array<std::string_view, 4> kNumOps = {"<=", "<", ">=", ">"};
constexpr std::array<std::string_view, 3> kSymbolStrOps = {"==", "=", "!="};
constexpr std::array<std::string_view, 9> kWordStrOps = {"glob",        "iglob",      "contains",
                                                         "icontains",   "bcontains",  "startswith",
                                                         "bstartswith", "endswith",   "regex"};
constexpr std::array<std::string_view, 3> kListOps = {"intersects", "in", "pmatch"};

bool is_blank_char(char c) { return c == ' ' || c == '\t' || c == '\b' || c == '\r' || c == '\n'; }

}  // namespace

bool is_list_operator(std::string_view op) {
  auto parsed = parse_cmp_op(op);
  return parsed && is_list_op(*parsed);
}

bool is_known_operator(std::string_view op) { return parse_cmp_op(op).has_value(); }

ParseOutcome parse_condition(std::string_view text, int max_depth) {
  return Parser(text, max_depth).parse();
}

Parser::DepthGuard::DepthGuard(Parser& parser) : p(parser), ok(true) {
  if (++p.depth_ >= p.max_depth_) {
    p.fail("exceeded max depth limit of " + std::to_string(p.max_depth_));
    ok = false;
  }
}

void Parser::fail(std::string message) {
  if (failed_) return;  // keep the first, innermost error
  failed_ = true;
  error_ = ParseError{std::move(message), lex_.pos()};
}

ParseOutcome Parser::parse() {
  ParseOutcome out;
  if (lex_.rest().empty()) {
    out.error = ParseError{"filter input string is empty", lex_.pos()};
    return out;
  }
  ExprPtr e = parse_or();
  if (!failed_ && !lex_.at_end()) {
    fail("unexpected token after '" + last_token_ + "', expecting 'or', 'and'");
  }
  if (failed_) {
    out.error = error_;
    return out;
  }
  out.expr = std::move(e);
  return out;
}

ExprPtr Parser::parse_or() { return parse_chain("or", ExprKind::kOr, &Parser::parse_and); }

ExprPtr Parser::parse_and() { return parse_chain("and", ExprKind::kAnd, &Parser::parse_not); }

ExprPtr Parser::parse_chain(const char* keyword, ExprKind kind, ExprPtr (Parser::*operand)()) {
  DepthGuard g(*this);
  if (!g.ok) return nullptr;
  lex_.skip_blanks();
  TextPos pos = lex_.pos();
  std::vector<ExprPtr> children;
  children.push_back((this->*operand)());
  if (failed_) return nullptr;
  lex_.skip_blanks();
  while (lex_.accept(keyword)) {
    last_token_ = keyword;
    ExprPtr child;
    if (lex_.skip_blanks()) {
      child = (this->*operand)();
    } else if (lex_.accept("(")) {
      child = parse_embedded();
    } else {
      fail(std::string("expected blank or '(' after '") + keyword + "'");
    }
    if (failed_) return nullptr;
    children.push_back(std::move(child));
    lex_.skip_blanks();
  }
  if (children.size() == 1) return std::move(children[0]);
  return make_bool(kind, pos, std::move(children));
}

ExprPtr Parser::parse_not() {
  DepthGuard g(*this);
  if (!g.ok) return nullptr;
  lex_.skip_blanks();
  TextPos pos = lex_.pos();
  bool negate = false;
  while (lex_.accept_not_blank()) negate = !negate;
  ExprPtr child;
  if (lex_.accept("not(")) {
    negate = !negate;
    child = parse_embedded();
  } else {
    child = parse_check();
  }
  if (failed_) return nullptr;
  if (!negate) return child;
  std::vector<ExprPtr> children;
  children.push_back(std::move(child));
  return make_bool(ExprKind::kNot, pos, std::move(children));
}

ExprPtr Parser::parse_embedded() {
  DepthGuard g(*this);
  if (!g.ok) return nullptr;
  lex_.skip_blanks();
  ExprPtr child = parse_or();
  if (failed_) return nullptr;
  lex_.skip_blanks();
  if (!lex_.accept(")")) {
    fail("expected a ')' token");
    return nullptr;
  }
  last_token_ = ")";
  return child;
}

std::optional<Transformer> Parser::accept_transformer(bool allow_val) {
  if (allow_val && lex_.accept("val(")) return Transformer::kVal;
  if (lex_.accept("tolower(")) return Transformer::kToLower;
  if (lex_.accept("toupper(")) return Transformer::kToUpper;
  if (lex_.accept("b64(")) return Transformer::kB64;
  if (lex_.accept("basename(")) return Transformer::kBasename;
  if (lex_.accept("len(")) return Transformer::kLen;
  return std::nullopt;
}

ExprPtr Parser::parse_check() {
  DepthGuard g(*this);
  if (!g.ok) return nullptr;
  lex_.skip_blanks();
  TextPos pos = lex_.pos();
  if (lex_.accept("(")) return parse_embedded();

  auto check = std::make_unique<Expr>();
  check->kind = ExprKind::kCheck;
  check->pos = pos;
  check->left.pos = pos;
  if (auto t = accept_transformer(false)) {
    check->left.transformers.push_back(*t);
    if (!parse_field_or_transform(check->left)) return nullptr;
  } else if (!parse_field(check->left)) {
    if (failed_) return nullptr;
    if (auto id = lex_.identifier()) {
      last_token_ = *id;
      check->kind = ExprKind::kMacroRef;
      check->macro = *id;
      return check;
    }
    fail("expected a '(' token, a field check, or an identifier");
    return nullptr;
  }
  if (!parse_condition_tail(*check)) return nullptr;
  return check;
}

bool Parser::parse_field(FieldOperand& out) {
  TextPos pos = lex_.pos();
  auto name = lex_.field_name();
  if (!name) return false;
  last_token_ = *name;
  out.field = *name;
  if (out.transformers.empty()) out.pos = pos;
  if (lex_.accept("[")) {
    auto arg = lex_.quoted_string();
    if (!arg) arg = lex_.field_arg_bare();
    if (!arg) {
      fail("expected a valid field argument: a quoted string or a bare string");
      return false;
    }
    out.arg = *arg;
    if (!lex_.accept("]")) {
      fail("expected a ']' token");
      return false;
    }
    last_token_ = "]";
  }
  return true;
}

bool Parser::parse_field_or_transform(FieldOperand& out) {
  DepthGuard g(*this);
  if (!g.ok) return false;
  lex_.skip_blanks();
  if (auto t = accept_transformer(false)) {
    out.transformers.push_back(*t);
    if (!parse_field_or_transform(out)) return false;
  } else if (!parse_field(out)) {
    if (!failed_) fail("expected a field or a nested valid transformer");
    return false;
  }
  lex_.skip_blanks();
  if (!lex_.accept(")")) {
    fail("expected a ')' token closing the transformer");
    return false;
  }
  last_token_ = ")";
  return true;
}

bool Parser::parse_rhs_field(Expr& check, bool& found) {
  found = false;
  FieldOperand rhs;
  rhs.pos = lex_.pos();
  auto t = accept_transformer(true);
  if (!t) return true;
  found = true;
  rhs.transformers.push_back(*t);
  if (*t == Transformer::kVal) {
    lex_.skip_blanks();
    if (!parse_field(rhs)) {
      if (!failed_) fail("expected a field within 'val' transformer");
      return false;
    }
    lex_.skip_blanks();
    if (!lex_.accept(")")) {
      fail("expected a ')' token closing the transformer");
      return false;
    }
    last_token_ = ")";
  } else if (!parse_field_or_transform(rhs)) {
    return false;
  }
  check.rhs = RhsKind::kField;
  check.rhs_field = std::move(rhs);
  return true;
}

bool Parser::parse_condition_tail(Expr& check) {
  DepthGuard g(*this);
  if (!g.ok) return false;
  lex_.skip_blanks();
  if (lex_.accept("exists")) {
    last_token_ = "exists";
    check.op = CmpOp::kExists;
    check.rhs = RhsKind::kNone;
    return true;
  }
  for (auto op : kNumOps) {
    if (!lex_.accept(op)) continue;
    last_token_ = std::string(op);
    check.op = *parse_cmp_op(op);
    lex_.skip_blanks();
    bool found = false;
    if (!parse_rhs_field(check, found)) return false;
    if (found) return true;
    TextPos pos = lex_.pos();
    auto num = lex_.hex_number();
    if (!num) num = lex_.number();
    if (!num) {
      fail("expected a number value or a field with a valid transformer");
      return false;
    }
    last_token_ = *num;
    check.rhs = RhsKind::kValue;
    check.values.push_back(Value{*num, false, pos});
    return true;
  }
  bool is_str_op = false;
  for (auto op : kSymbolStrOps) {
    if (lex_.accept(op)) {
      check.op = *parse_cmp_op(op);
      last_token_ = std::string(op);
      is_str_op = true;
      break;
    }
  }
  if (!is_str_op) {
    for (auto op : kWordStrOps) {
      auto rest = lex_.rest();
      if (rest.size() > op.size() && rest.substr(0, op.size()) == op && is_blank_char(rest[op.size()])) {
        lex_.accept(op);
        check.op = *parse_cmp_op(op);
        last_token_ = std::string(op);
        is_str_op = true;
        break;
      }
    }
  }
  if (is_str_op) {
    lex_.skip_blanks();
    bool found = false;
    if (!parse_rhs_field(check, found)) return false;
    if (found) return true;
    TextPos pos = lex_.pos();
    bool quoted = true;
    auto v = lex_.quoted_string();
    if (!v) {
      quoted = false;
      v = lex_.bare_string();
    }
    if (!v) {
      fail("expected a string value or a field with a valid transformer");
      return false;
    }
    last_token_ = *v;
    check.rhs = RhsKind::kValue;
    check.values.push_back(Value{*v, quoted, pos});
    return true;
  }
  for (auto op : kListOps) {
    if (!lex_.accept(op)) continue;
    last_token_ = std::string(op);
    check.op = *parse_cmp_op(op);
    return parse_list_value(check);
  }
  fail("expected a valid check operator: one of '=', '==', '!=', '<', '<=', '>', '>=', 'contains', "
       "'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'glob', 'iglob', 'regex', "
       "'in', 'intersects', 'pmatch', 'exists'");
  return false;
}

bool Parser::parse_list_value(Expr& check) {
  DepthGuard g(*this);
  if (!g.ok) return false;
  lex_.skip_blanks();
  TextPos pos = lex_.pos();
  if (lex_.accept("(")) {
    check.rhs = RhsKind::kList;
    lex_.skip_blanks();
    bool expect_more = true;
    bool first = true;
    while (expect_more) {
      lex_.skip_blanks();
      TextPos vpos = lex_.pos();
      bool quoted = true;
      auto v = lex_.quoted_string();
      if (!v) {
        quoted = false;
        v = lex_.bare_string();
      }
      if (!v) {
        if (first) break;  // "()" is an empty list
        fail("expected a string value");
        return false;
      }
      first = false;
      last_token_ = *v;
      check.values.push_back(Value{*v, quoted, vpos});
      lex_.skip_blanks();
      expect_more = lex_.accept(",");
    }
    if (!lex_.accept(")")) {
      fail("expected a ')' token");
      return false;
    }
    last_token_ = ")";
    return true;
  }
  bool found = false;
  if (!parse_rhs_field(check, found)) return false;
  if (found) return true;
  if (auto id = lex_.identifier()) {
    // A bare list name: the resolver expands it like a one-item list.
    last_token_ = *id;
    check.rhs = RhsKind::kList;
    check.values.push_back(Value{*id, false, pos});
    return true;
  }
  fail("expected a list, an identifier, or a field with a valid transformer");
  return false;
}

}  // namespace kestrel::engine
