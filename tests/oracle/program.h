// program.h — reference evaluator: a compiled condition as a tree of typed predicate nodes.
//
// Built by tests/oracle/compile.h from a resolved AST; evaluated per event by
// Program::matches (engine/evaluate.cpp). Everything that can be decided at
// load time is: field names are resolved to extractors, regexes compiled,
// `in` value sets hashed, numeric values parsed. The tree's depth is bounded
// by kMaxConditionDepth (the AST it came from was), so evaluation recursion
// is bounded too.
#pragma once

#include <re2/re2.h>

#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/ast.h"
#include "tests/oracle/extract.h"

namespace kestrel::engine::reference {

enum class CmpOp {
  kEq, kNe, kLt, kLe, kGt, kGe,
  kContains, kIContains, kBContains, kStartsWith, kBStartsWith, kEndsWith,
  kGlob, kIGlob, kRegex, kIn, kIntersects, kPMatch, kExists,
};

// Lets `in` sets be probed with a string_view (no allocation per event).
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using StringSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;

// One constant a check compares against, pre-parsed every way it may be
// needed (the field's runtime kind decides which is used).
struct Constant {
  std::string text;
  std::optional<int64_t> number;
};

struct CheckNode {
  std::optional<Extractor> left;  // none: Kestrel cannot fill the field (always false)
  std::vector<Transformer> transformers;  // outermost first
  CmpOp op = CmpOp::kEq;
  std::vector<Constant> values;
  StringSet string_set;                        // kIn / kIntersects
  std::unordered_set<int64_t> number_set;      // kIn on numbers
  std::unique_ptr<RE2> regex;                  // kRegex
  std::optional<Extractor> right;              // val(field) / transformer on the rhs
  std::vector<Transformer> right_transformers;
  bool has_right_field = false;
};

struct ProgramNode {
  ExprKind kind = ExprKind::kCheck;  // kAnd, kOr, kNot, kCheck (never kMacroRef)
  std::vector<ProgramNode> children;
  std::unique_ptr<CheckNode> check;
};

class Program {
 public:
  Program() = default;
  explicit Program(ProgramNode root) : root_(std::move(root)) {}
  // True if the condition holds for the event.
  bool matches(const EvalContext& ctx) const;
  const ProgramNode& root() const { return root_; }

 private:
  ProgramNode root_;
};

// Evaluates one node (exposed for tests).
bool evaluate_node(const ProgramNode& node, const EvalContext& ctx, int depth = 0);

}  // namespace kestrel::engine::reference
