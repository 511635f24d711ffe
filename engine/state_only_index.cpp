#include "engine/state_only_index.h"

#include <algorithm>
#include <array>

namespace kestrel::engine {
namespace {

// Each reads the event's type or direction, its fd param, or the thread
// and fd tables (engine/eval/extract_evt.cpp, extract_fd.cpp,
// extract_proc.cpp): nothing else of the event.
constexpr std::array<std::string_view, 9> kStateOnlyFields = {
    "evt.type", "evt.dir", "fd.num", "fd.name", "fd.type", "fd.typechar", "fd.directory", "fd.filename", "proc.name",
};

bool visit(const Expr& e, int depth) {
  if (depth > kMaxConditionDepth) return false;
  switch (e.kind) {
    case ExprKind::kAnd: case ExprKind::kOr: case ExprKind::kNot:
      return std::all_of(e.children.begin(), e.children.end(), [&](const auto& c) { return c && visit(*c, depth + 1); });
    case ExprKind::kMacroRef: return false;
    case ExprKind::kCheck:
      return !e.left.arg && is_state_only_field(e.left.field) && !e.rhs_field && e.rhs != RhsKind::kField;
  }
  return false;
}

}  // namespace

bool is_state_only_field(std::string_view field) {
  return std::find(kStateOnlyFields.begin(), kStateOnlyFields.end(), field) != kStateOnlyFields.end();
}

bool condition_reads_state_only(const Expr& e) { return visit(e, 0); }

}  // namespace kestrel::engine
