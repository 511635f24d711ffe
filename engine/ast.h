// ast.h — the syntax tree of a Falco condition.
//
// Produced by the parser (engine/parser.h), rewritten in place by the
// resolver (engine/resolve.h: list names expanded, macro references replaced
// by the macro's tree), checked against the field registry
// (engine/condition_check.h) and indexed by event type
// (engine/evttype_index.h). Every node carries the position of its first
// character within the condition text it was parsed from.
//
// Trees are bounded: the parser caps nesting (kMaxConditionDepth) and every
// walker in the engine carries a depth argument it checks against the same
// cap, so no rule can drive unbounded recursion.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/lexer.h"

namespace kestrel::engine {

// Deepest nesting any tree may have, after macro expansion too. Falco uses
// the same limit for rule conditions.
inline constexpr int kMaxConditionDepth = 1000;

enum class Transformer { kToLower, kToUpper, kB64, kBasename, kLen, kVal };
const char* transformer_name(Transformer t);

// A field, optionally with an argument: proc.aname[2], evt.arg[0],
// evt.arg.flags (arg "flags" after the registry splits it off), wrapped
// in zero or more transformers (outermost first): tolower(proc.name).
struct FieldOperand {
  std::vector<Transformer> transformers;
  std::string field;               // as written, e.g. "evt.arg.flags", "proc.aname"
  std::optional<std::string> arg;  // bracket argument, e.g. "2" for proc.aname[2]
  TextPos pos;
  std::string to_string() const;   // "tolower(proc.aname[2])"
};

struct Value {
  std::string text;     // unescaped
  bool quoted = false;  // written as "…" or '…' (never a list name then)
  TextPos pos;
};

enum class ExprKind { kAnd, kOr, kNot, kMacroRef, kCheck };

// A check's operator, set once by the parser; every later stage (checks,
// event-type index, compiler, evaluator) switches on this, never on text.
enum class CmpOp : uint8_t {
  kEq, kNe, kLt, kLe, kGt, kGe,
  kContains, kIContains, kBContains, kStartsWith, kBStartsWith, kEndsWith,
  kGlob, kIGlob, kRegex, kIn, kIntersects, kPMatch, kExists,
};
// The operator written as `op` ("=" and "==" are both kEq); nullopt for
// text that is no operator (exceptions' `comps` are text in YAML).
std::optional<CmpOp> parse_cmp_op(std::string_view op);
// Its canonical spelling, for messages and expr_to_string ("=" for kEq).
std::string_view cmp_op_name(CmpOp op);
bool is_list_op(CmpOp op);     // in, intersects, pmatch: the right side is a list
bool is_ordering_op(CmpOp op);  // <, <=, >, >=
bool is_string_op(CmpOp op);    // the operators only string-like fields take

enum class RhsKind {
  kNone,   // unary: FIELD exists
  kValue,  // one value: proc.name = cat
  kList,   // a parenthesised list: proc.name in (a, b); also list names
  kField,  // a field through val()/a transformer: fd.name = val(proc.cwd)
};

struct Expr {
  ExprKind kind = ExprKind::kCheck;
  TextPos pos;
  // and/or: 2+; not: 1. Shared, not owned alone: the resolver puts one
  // resolved macro tree under every condition that uses the macro, so a
  // resolved tree is a DAG and is read-only (only the parser and the
  // resolver write trees, and only nodes nothing else refers to yet).
  std::vector<std::shared_ptr<Expr>> children;

  std::string macro;  // kMacroRef: the identifier

  // kCheck
  FieldOperand left;
  CmpOp op = CmpOp::kExists;
  RhsKind rhs = RhsKind::kNone;
  std::vector<Value> values;           // kValue: exactly one; kList: any number
  std::optional<FieldOperand> rhs_field;
};

using ExprPtr = std::unique_ptr<Expr>;

ExprPtr make_bool(ExprKind kind, TextPos pos, std::vector<ExprPtr> children);
// Deep copy (shared subtrees are copied too). `depth` is the caller's
// nesting; copies deeper than kMaxConditionDepth return nullptr.
ExprPtr clone_expr(const Expr& e, int depth = 0);
// Levels below `e` (0 for a leaf), counting stops past kMaxConditionDepth.
int tree_height(const Expr& e, int depth = 0);
// Number of nodes in `e`, counting stops once it passes `limit`.
size_t count_nodes(const Expr& e, size_t limit, int depth = 0);
// Canonical text (fully parenthesised), for tests and messages.
std::string expr_to_string(const Expr& e, int depth = 0);

}  // namespace kestrel::engine
