#include "engine/evtdir_index.h"

#include <algorithm>

namespace kestrel::engine {
namespace {

enum class Tri { kFalse, kTrue, kUnknown };

Tri negate(Tri t) {
  if (t == Tri::kUnknown) return t;
  return t == Tri::kTrue ? Tri::kFalse : Tri::kTrue;
}

// The compiler's reading of evt.dir (DirectionNode): =, == and in name the
// directions that make the check true, != the one that makes it false.
Tri check_on_enter(const Expr& e) {
  const bool plain = e.left.field == "evt.dir" && !e.left.arg && e.left.transformers.empty();
  const bool set_op = e.op == CmpOp::kEq || e.op == CmpOp::kNe || e.op == CmpOp::kIn;
  if (!plain || !set_op || e.rhs == RhsKind::kField || e.rhs == RhsKind::kNone) return Tri::kUnknown;
  const bool names_enter =
      std::any_of(e.values.begin(), e.values.end(), [](const Value& v) { return v.text == ">"; });
  return names_enter != (e.op == CmpOp::kNe) ? Tri::kTrue : Tri::kFalse;
}

Tri visit(const Expr& e, int depth) {
  if (depth > kMaxConditionDepth) return Tri::kUnknown;
  switch (e.kind) {
    case ExprKind::kAnd: {
      Tri acc = Tri::kTrue;
      for (const auto& c : e.children) {
        Tri t = visit(*c, depth + 1);
        if (t == Tri::kFalse) return Tri::kFalse;
        if (t == Tri::kUnknown) acc = Tri::kUnknown;
      }
      return acc;
    }
    case ExprKind::kOr: {
      Tri acc = Tri::kFalse;
      for (const auto& c : e.children) {
        Tri t = visit(*c, depth + 1);
        if (t == Tri::kTrue) return Tri::kTrue;
        if (t == Tri::kUnknown) acc = Tri::kUnknown;
      }
      return acc;
    }
    case ExprKind::kNot: return negate(visit(*e.children[0], depth + 1));
    case ExprKind::kMacroRef: return Tri::kUnknown;
    case ExprKind::kCheck: return check_on_enter(e);
  }
  return Tri::kUnknown;
}

}  // namespace

bool condition_may_match_enter(const Expr& e) { return visit(e, 0) != Tri::kFalse; }

}  // namespace kestrel::engine
