// compile.h — reference evaluator: resolved condition AST → Program (tests/oracle/program.h).
//
// The AST must have passed check_condition (engine/condition_check.h) for
// `source`: fields exist, values parse, regexes compile. compile_condition
// still returns an error instead of asserting if that was skipped.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tests/oracle/program.h"

namespace kestrel::engine::reference {

struct CompileError {
  std::string message;
  TextPos pos;
};

struct CompileOutcome {
  std::optional<Program> program;
  CompileError error;
};

CompileOutcome compile_condition(const Expr& resolved, std::string_view source);

}  // namespace kestrel::engine::reference
