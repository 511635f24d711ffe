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
// (compare.h); evt.type checks become bit tests; evt.dir checks fold to
// constants; nested and/or are flattened and cheap children ordered first
// (conditions have no side effects, so order does not change results).
#pragma once

#include "engine/ast.h"
#include "engine/eval/program.h"
#include "sources/base/status.h"

namespace kestrel::engine::eval {

Result<PredicatePtr> compile_condition(const Expr& condition, FieldCache& cache);

// The operand's slot (interned in `cache`), for output formats and tests.
Result<uint32_t> compile_operand(const FieldOperand& operand, FieldCache& cache);

}  // namespace kestrel::engine::eval
