// resolve.h — lists, macros and exceptions: turning what the reader
// collected into self-contained condition trees.
//
// Falco semantics, reproduced on the tree instead of Falco's string
// substitution:
//  - A list's items may name lists defined (visible) before it; those are
//    expanded one level when the list is compiled (compile_lists).
//  - In a condition, an unquoted list value that names a list is replaced by
//    that list's items; items inserted from list L are themselves expanded
//    only by lists defined after L (this is what Falco's in-order textual
//    substitution does). A list named as a single value (proc.name=my_list)
//    is replaced the same way when it has exactly one item (the only case
//    where Falco's substitution gives a value). Lists have no visibility
//    order w.r.t. conditions:
//    the final (post-append) definition is used everywhere.
//  - A macro may reference macros visible at its last definition/append;
//    rules see every macro. Reference loops and unknown macros are
//    LOAD_ERR_VALIDATE errors.
//  - Exceptions become `(<condition>) and not (<exception> or …)` condition
//    text, exactly as Falco builds it.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/ast.h"
#include "engine/rule_items.h"

namespace kestrel::engine {

struct ResolvedList {
  std::string name;
  std::vector<std::string> items;
  uint32_t index = 0;  // position among lists (substitution order)
  bool used = false;
};

class ResolvedLists {
 public:
  explicit ResolvedLists(const RuleCollection& c);
  // Replaces list names in every list-valued check of `e`. Marks lists used.
  // False if the tree is deeper than kMaxConditionDepth.
  bool expand(Expr& e, int depth = 0);
  const std::vector<ResolvedList>& all() const { return lists_; }

 private:
  void expand_values(std::vector<Value>& values);
  void expand_value(const Value& v, size_t min_index, std::vector<Value>& out, int depth);

  std::vector<ResolvedList> lists_;
  std::map<std::string, size_t> by_name_;
};

struct ResolveError {
  std::string message;
  TextPos pos;
};

// Parsed macro conditions, by name, with their visibility.
struct ParsedMacro {
  std::string name;
  uint32_t origin = 0;  // 1 + position in the macro vector (see TextPos::origin)
  std::shared_ptr<Expr> expr;  // lists already expanded
  uint32_t index = 0;
  uint32_t visibility = 0;
  bool used = false;
  // Set by MacroResolver::resolve_macro: `expr` has no macro references
  // left and its positions carry `origin`; uses share it from then on.
  bool resolved = false;
  int height = 0;  // tree_height(*expr) once resolved
};

class MacroResolver {
 public:
  explicit MacroResolver(std::vector<ParsedMacro>& macros);
  // Replaces every macro reference in `root` by the macro's tree
  // (recursively), seeing only macros whose index < visibility. Marks used
  // macros. A macro already resolved (resolve_macro) is shared, not copied:
  // `root` becomes a DAG, read-only from then on. Expansion is capped
  // (nodes counted as if copied, and depth) so a hostile rule set cannot
  // blow up memory or the walks over the result.
  std::optional<ResolveError> resolve(ExprPtr& root, uint32_t visibility);
  // Resolves macros[i] in place with its own visibility, then marks it
  // resolved (see ParsedMacro::resolved). Positions in errors are in the
  // macro's own text (origin 0) like resolve()'s.
  std::optional<ResolveError> resolve_macro(size_t i);

 private:
  std::optional<ResolveError> resolve_node(std::shared_ptr<Expr>& node, uint32_t visibility,
                                           std::vector<std::string>& stack, int depth);
  std::vector<ParsedMacro>& macros_;
  std::map<std::string, size_t> by_name_;
  size_t budget_ = 0;       // macro expansions left
  size_t node_budget_ = 0;  // tree nodes left to copy
};

// The rule condition with exceptions folded in (Falco's text form). Errors
// (value/field length mismatch, nested lists in the single-field form) are
// returned with the exception's context.
struct ExceptionConditionError {
  ItemContext ctx;
  std::string message;
};
std::string build_exception_condition(const RuleInfo& rule, std::optional<ExceptionConditionError>& error);

}  // namespace kestrel::engine
