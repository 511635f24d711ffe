// compile.h — resolved condition AST -> predicate program.
//
// Input: a LoadedRule's condition (engine/rule_set.h): macros expanded,
// lists inlined, already checked against the field registry by the loader.
// The compiler still re-validates what it depends on (field names,
// operator/type fit, value parsing, regexes) and reports problems as a
// Status whose message names the field or value and whose position is the
// node's line/column within the condition text, so a caller can prefix the
// rule name.
//
// What compiling buys (program.h): field operands become cache slots with
// their extractor resolved; right-hand sides are parsed once
// (compare.h); evt.type checks become bit tests; evt.dir checks become
// a fixed answer per direction; nested and/or are flattened and cheap children ordered first
// (conditions have no side effects, so order does not change results).
#pragma once

#include <memory>
#include <unordered_map>

#include "engine/ast.h"
#include "engine/eval/program.h"
#include "base/status.h"

namespace kestrel::engine::eval {

// Compiled right-hand sides by check result slot (FieldCache::intern_result
// names identical checks: operand, operator, values), so the checks a macro
// puts into many rules share one RhsSet. Kept while one engine compiles.
using RhsMemo = std::unordered_map<uint32_t, std::shared_ptr<const RhsSet>>;

// `memo` (optional) is used and filled across calls with the same `cache`.
Result<PredicatePtr> compile_condition(const Expr& condition, FieldCache& cache, RhsMemo* memo = nullptr);

// The operand's slot (interned in `cache`), for output formats and tests.
Result<uint32_t> compile_operand(const FieldOperand& operand, FieldCache& cache);

}  // namespace kestrel::engine::eval
